#!/usr/bin/env bash
# `make bench`: bench/run.sh BUILD_DIR. Builds (cached) test logs, serves them on 127.0.0.1 and measures
# ctdl, raw transfer (curl) and certspotter; writes bench/RESULTS.md. See bench/README.md.
# Environment: BENCH_ENTRIES (default 200000; 1000000 for the RSS-flatness run), BENCH_ONLY, BENCH_CACHE.
set -euo pipefail
build="${1:-build}"
here="$(cd "$(dirname "$0")" && pwd)"
if [ -f "$build/build.ninja" ] || [ -f "$build/Makefile" ]; then
  cmake --build "$build" --target ctdl ctdl-testlog >/dev/null ||
    echo "bench: building ctdl/ctdl-testlog failed; measuring the binaries already in $build" >&2
  cmake --build "$build" --target ctdl_microbench >/dev/null || echo "bench: ctdl_microbench not built (Google Benchmark missing?)" >&2
fi
only=",${BENCH_ONLY:-},"
if [ "$only" != ",distributed," ]; then python3 "$here/bench.py" "$build"; fi
# --follow: idle CPU/RSS over 100 caught-up logs, keeping up with a growing log (bench/FOLLOW.md).
if [ "$only" = ",," ] || [[ "$only" == *,follow,* ]]; then
  python3 "$here/follow_bench.py" "$build"
fi
# Scale-out of --distributed over several source addresses (its own report, bench/DISTRIBUTED.md).
if [ "$only" = ",," ] || [[ "$only" == *,distributed,* ]]; then
  python3 "$here/distributed_bench.py" "$build"
fi
