#!/bin/sh
# kill -9 check: start tests/sweep/grid.lua (runs that take --sleep seconds each) in the
# background, kill -9 it mid-run, again and again, tear the last line once by hand (what a
# crash inside write(2) would leave), then rerun to completion and compare with an
# uninterrupted sweep: the same rows, none twice, no partial line.
#   sh tests/sweep/kill9.sh [HOST]        (HOST defaults to bin/muonlab)
host=${1:-bin/muonlab}
dir=$(mktemp -d "${TMPDIR:-/tmp}/muonlab-kill9.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
grid=tests/sweep/grid.lua

"$host" $grid "$dir/ref.csv" --shard 0/1 --quiet || { echo "kill9: the reference sweep failed"; exit 1; }

kills=0 torn=0 rows=""
# 5 kills with a torn line in between; on a slow or busy machine, longer delays until then.
for delay in 0.2 0.15 0.25 0.2 0.15 0.4 0.6 0.8 1.2 1.6 2.4 3.2; do
    [ $kills -ge 5 ] && [ $torn = 1 ] && break
    "$host" $grid "$dir/run.csv" --shard 0/1 --sleep 0.05 --quiet 2>>"$dir/log" &
    pid=$!
    sleep $delay
    kill -9 $pid 2>/dev/null && kills=$((kills + 1))
    wait $pid 2>/dev/null
    rows="$rows $(($(wc -l < "$dir/run.csv" 2>/dev/null || echo 1) - 1))"
    if [ $torn = 0 ] && [ -s "$dir/run.csv" ]; then
        printf 'spike,1.5,8,0.12' >> "$dir/run.csv"   # half a row, no newline
        torn=1
    fi
done
before=$(($(wc -l < "$dir/run.csv") - 1))
"$host" $grid "$dir/run.csv" --shard 0/1 --quiet 2>>"$dir/log" || { echo "kill9: the resumed sweep failed"; cat "$dir/log"; exit 1; }
grep -q 'dropped a partial last line' "$dir/log" || { echo "kill9: the torn line was not reported"; cat "$dir/log"; exit 1; }
out=$("$host" tests/sweep/compare.lua "$dir/ref.csv" "$dir/run.csv") || exit 1
echo "kill9: $kills kill -9 mid-run (rows after each:$rows), $before complete rows before the last rerun, 1 torn line dropped; resumed file vs uninterrupted: $out"
