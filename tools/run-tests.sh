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
# A suite that reported no failures but exited non-zero (a leak report at exit, a crash after the
# summary) counts as one failure, so that the total line never reads "0 failed" on a red run.
#   late_failures NAME STATUS PASSED FAILED: the failure count to use (its message goes to fd 3, the log)
exec 3>&1
late_failures() {
  if [ "$2" != 0 ] && [ -n "$3" ] && [ "${4:-0}" = 0 ]; then echo "$1: exited with status $2 after the summary" >&3; echo 1; else echo "$4"; fi
}
cf=$(late_failures "the C tests" $c_rc "$cp" "$cf"); lf=$(late_failures busted $l_rc "$lp" "$lf")
[ -n "$cp" ] && [ -n "$lp" ] || { echo "a test suite did not report its results"; status=1; cp=${cp:-0}; lp=${lp:-0}; cf=${cf:-1}; lf=${lf:-1}; }
echo "total: $((cp + lp)) passed, $((cf + lf)) failed"
exit $status
