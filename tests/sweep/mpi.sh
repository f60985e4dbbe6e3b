#!/bin/sh
# MPI check: a two-rank `mpirun -np 2 --oversubscribe` sweep (each rank takes its shard from
# OMPI_COMM_WORLD_RANK/SIZE), `muonlab merge`, and a comparison with a single-process sweep.
#   sh tests/sweep/mpi.sh [HOST]          (HOST defaults to bin/muonlab; needs openmpi-bin)
host=${1:-bin/muonlab}
command -v mpirun >/dev/null 2>&1 || { echo "mpi: mpirun not found (Debian package openmpi-bin; make deps)"; exit 1; }
dir=$(mktemp -d "${TMPDIR:-/tmp}/muonlab-mpi.XXXXXX") || exit 1
trap 'rm -rf "$dir"' EXIT
grid=tests/sweep/grid.lua
# Open MPI refuses to run as root without these (containers, CI).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# One OpenBLAS thread per rank: two ranks on two cores.
t0=$(date +%s.%N)
OPENBLAS_NUM_THREADS=1 mpirun -np 2 --oversubscribe "$host" $grid "$dir/mpi.csv" --quiet >"$dir/log" 2>&1 \
    || { echo "mpi: mpirun failed"; cat "$dir/log"; exit 1; }
t1=$(date +%s.%N)
for k in 0 1; do
    [ -s "$dir/mpi.shard$k-of-2.csv" ] || { echo "mpi: rank $k wrote no shard file"; cat "$dir/log"; ls "$dir"; exit 1; }
done
"$host" merge "$dir/mpi.csv" >"$dir/merge.log" 2>&1 || { echo "mpi: merge failed"; cat "$dir/merge.log"; exit 1; }
# The single-process sweep with the ranks' one BLAS thread: OpenBLAS's threaded dsymm sums in
# another order (an 8x9 quintic NS differs in its last digit between 1 and 2 threads on AVX-512),
# and this check is about sharding and merging, not threading.
OPENBLAS_NUM_THREADS=1 "$host" $grid "$dir/single.csv" --shard 0/1 --quiet || { echo "mpi: the single-process sweep failed"; exit 1; }
out=$("$host" tests/sweep/compare.lua "$dir/single.csv" "$dir/mpi.csv") || exit 1
rows0=$(($(wc -l < "$dir/mpi.shard0-of-2.csv") - 1)) rows1=$(($(wc -l < "$dir/mpi.shard1-of-2.csv") - 1))
printf 'mpi: mpirun -np 2 (%.2f s): shards of %d + %d rows merged; merged vs single-process: %s\n' \
    "$(awk "BEGIN { print $t1 - $t0 }")" "$rows0" "$rows1" "$out"
