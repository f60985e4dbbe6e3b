#!/bin/sh
# Run every test suite, then print one total line. Called by `make test`.
#   $1 C test binary   $2 host program   $3 loadable module   $4 environment assignments
testbin=$1 host=$2 luamod=$3
eval "export $4"
[ -n "$VALGRIND" ] && exec sh tests/valgrind.sh "$testbin" "$host"   # make test VALGRIND=1
status=0
cpath="$(dirname "$(dirname "$luamod")")/?.so"

echo "== C core tests"
out=$("$testbin" 2>&1); c_rc=$?
printf '%s\n' "$out"
[ $c_rc = 0 ] || status=1
c_line=$(printf '%s\n' "$out" | grep -E '^core: [0-9]+ passed, [0-9]+ failed' | tail -n 1)

echo "== Lua specs (busted, run by $host)"
out=$("$host" /usr/bin/busted -o plainTerminal tests/lua 2>&1); l_rc=$?
printf '%s\n' "$out"
[ $l_rc = 0 ] || status=1
lua_line=$(printf '%s\n' "$out" | grep -E '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors?' | tail -n 1)

echo "== the same bindings as a module of the stock lua5.4"
preload=""
case "$luamod" in */san/*) preload="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)";; esac
if LD_PRELOAD="$preload" lua5.4 -e "package.cpath='$cpath;'..package.cpath; package.path='lua/?.lua;lua/?/init.lua;'..package.path
  local ml = require 'muonlab'; local X = ml.ns(ml.randn(8, 16, {seed = 1}), {coeffs = 'quintic', steps = 30})
  local e = ml.orth_error(X); assert(e < 1e-10, e); print('module: ok, orth_error ' .. e)"; then :; else status=1; fi

cp=$(echo "$c_line" | sed -E 's/^core: ([0-9]+) passed, ([0-9]+) failed.*/\1/'); cf=$(echo "$c_line" | sed -E 's/^core: ([0-9]+) passed, ([0-9]+) failed.*/\2/')
lp=$(echo "$lua_line" | sed -E 's/^([0-9]+) success.*/\1/'); lf=$(echo "$lua_line" | sed -E 's/.* ([0-9]+) failures? \/ ([0-9]+) errors?.*/\1/'); le=$(echo "$lua_line" | sed -E 's/.* ([0-9]+) errors?.*/\1/')
[ -n "$lf" ] && lf=$((lf + le))
# a suite that reported no failures but exited non-zero (a leak report at exit, a crash after the
# summary) counts as one failure, so that the total line never reads "0 failed" on a red run
[ $c_rc != 0 ] && [ "${cf:-0}" = 0 ] && [ -n "$cp" ] && { echo "the C tests exited with status $c_rc after their summary"; cf=1; }
[ $l_rc != 0 ] && [ "${lf:-0}" = 0 ] && [ -n "$lp" ] && { echo "busted exited with status $l_rc after its summary"; lf=1; }
[ -n "$cp" ] && [ -n "$lp" ] || { echo "a test suite did not report its results"; status=1; cp=${cp:-0}; lp=${lp:-0}; cf=${cf:-1}; lf=${lf:-1}; }
echo "total: $((cp + lp)) passed, $((cf + lf)) failed"
exit $status
