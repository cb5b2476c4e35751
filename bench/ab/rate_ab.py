#!/usr/bin/env python3
"""One rate_bench scenario for several ctdl builds, interleaved: bench/ab/rate_ab.py NAME ROUNDS BUILD...
NAME: rate-20 | rate-20-latency-20ms | rate-5 | rate-75 | rate-0.5 (as in bench/rate_bench.py). BENCH_CACHE must hold the log."""
import os, sys
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import bench, rate_bench
name, rounds, builds = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
spec = {"rate-20": (20, 5, 50000, {}), "rate-20-latency-20ms": (20, 5, 25600, {"latency_ms": 20}),
        "rate-5": (5, 2, 25600, {}), "rate-75": (75, 10, 200000, {}),
        "rate-0.5": (0.5, 1, 7680, {"retry_after": False})}[name]
for r in range(rounds):
    for b in (builds if r % 2 == 0 else builds[::-1]):
        ctx = bench.Ctx(b)
        log_dir = bench.built_log(ctx, 200000)
        res = rate_bench.scenario(ctx, bench.ctdl_run, log_dir, name, spec[0], spec[1], spec[2], **spec[3])
        print(f"{os.path.basename(b)} {name}: share {res['share']:.0%} 429s {res['throttled']} of "
              f"{res['requests']} load {open('/proc/loadavg').read().split()[0]}", flush=True)
