#!/usr/bin/env python3
"""Scale-out of `ctdl download --distributed` (issue 14, doc/distributed.md): the test log limits
each client address to 10 req/s (cap 256), workers run on 127.0.0.2, 127.0.0.3, ... via
--source-address, sharing one SQLite state file and one dir: archive.

For 1, 3 and 10 workers it measures the steady state: committed entries (the sum over chunk items
of position - first, read from the state file) between WARMUP and WARMUP + WINDOW seconds after the
workers started, divided by WINDOW. Goals: 3 workers >= 2.5x one worker, 10 workers >= 8x.

Usage: bench/distributed_bench.py BUILD_DIR      (bench/run.sh calls it after bench.py)
Environment: BENCH_CACHE (built logs), BENCH_DIST_OUT (report, default bench/DISTRIBUTED.md),
BENCH_DIST_WINDOW (seconds, default 20), BENCH_DIST_WORKERS (default 1,3,10).
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
RATE, BURST, CAP = 10, 10, 256
CHUNK, SEGMENT = 16384, 2048
WARMUP = 4.0


def committed(db):
    try:
        with sqlite3.connect(db, timeout=30) as c:
            row = c.execute("SELECT COALESCE(SUM(position - idx * size), 0) FROM chunks").fetchone()
        return row[0]
    except sqlite3.OperationalError:  # no chunk table yet
        return 0


def run(build, srv, workers, window, work):
    ctdl = os.path.join(build, "ctdl")
    d = bl.fresh_dir(os.path.join(work, f"dist-{workers}"))
    db = os.path.join(d, "state.db")
    base = ["--state", f"sqlite:{db}", "--archive", f"dir:{d}/archive"]
    r = subprocess.run([ctdl] + base + ["init", "--log-list", srv.log_list, "--yes"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"init failed: {r.stderr}")
    before = srv.stats()
    procs = []
    t0 = time.monotonic()
    for i in range(workers):
        cmd = [ctdl, "--source-address", f"127.0.0.{i + 2}"] + base + [
            "download", srv.url, "--distributed", "--chunk-entries", str(CHUNK), "--segment-entries",
            str(SEGMENT), "--no-progress"]
        err = open(os.path.join(d, f"worker-{i}.log"), "w")
        procs.append((subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err), err))
    time.sleep(max(0, t0 + WARMUP - time.monotonic()))
    c0, m0 = committed(db), time.monotonic()
    time.sleep(max(0, m0 + window - time.monotonic()))
    c1, m1 = committed(db), time.monotonic()
    for p, _ in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
    codes = []
    for p, err in procs:
        try:
            codes.append(p.wait(timeout=120))
        except subprocess.TimeoutExpired:
            p.kill()
            codes.append(p.wait())
        err.close()
    after = srv.stats()
    clients = after.get("clients", {})
    delta = {k: after[k] - before.get(k, 0) for k in ("requests", "429") if k in after}
    rate = (c1 - c0) / (m1 - m0)
    out = {"workers": workers, "entries_per_s": rate, "entries": c1, "window_s": m1 - m0,
           "exit_codes": codes, "requests": delta.get("requests"), "r429": delta.get("429"),
           "addresses": sorted(a for a in clients if a != "127.0.0.1")}
    bl.log(f"distributed: {workers} workers: {rate:,.0f} entries/s (committed {c1:,}), "
           f"429s {out['r429']}, exit codes {codes}")
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    build = os.path.abspath(sys.argv[1])
    cache = os.path.abspath(os.environ.get("BENCH_CACHE", os.path.join(build, "bench-cache")))
    window = float(os.environ.get("BENCH_DIST_WINDOW", "20"))
    counts = [int(x) for x in os.environ.get("BENCH_DIST_WORKERS", "1,3,10").split(",")]
    out_path = os.environ.get("BENCH_DIST_OUT", os.path.join(HERE, "DISTRIBUTED.md"))
    # Enough entries that 10 workers at 10 req/s x 256 do not run out during warm-up + window.
    n = int(max(counts) * RATE * CAP * (WARMUP + window) * 1.3)
    n = (n + 65535) // 65536 * 65536
    work = os.path.join(cache, "work")
    os.makedirs(work, exist_ok=True)
    log_dir = os.path.join(cache, f"dist-log-n{n}")
    if not os.path.exists(os.path.join(log_dir, "meta.json")):
        bl.log(f"building a {n}-entry test log for the distributed bench")
        tmp = log_dir + ".tmp"
        subprocess.run([os.path.join(build, "ctdl-testlog"), "build", "--out", tmp, "--entries", str(n),
                        "--seed", "1"], check=True, capture_output=True)
        os.rename(tmp, log_dir)
    serve_args = ["--cap", str(CAP), "--rate", str(RATE), "--burst", str(BURST), "--rate-per-client"]
    results = []
    with bl.Server(os.path.join(build, "ctdl-testlog"), log_dir, os.path.join(work, "serve-dist"),
                   serve_args) as srv:
        for w in counts:
            results.append(run(build, srv, w, window, work))
    one = next((r["entries_per_s"] for r in results if r["workers"] == 1), None)
    lines = ["# Distributed download scale-out (bench/distributed_bench.py)", "",
             f"Test log: {n:,} entries, `ctdl-testlog serve {' '.join(serve_args)}` (each client address "
             f"{RATE} req/s, burst {BURST}); workers `ctdl --source-address 127.0.0.N download URL "
             f"--distributed --chunk-entries {CHUNK} --segment-entries {SEGMENT}` on one SQLite state "
             f"file; steady state = entries committed between {WARMUP:g} s and {WARMUP + window:g} s "
             f"after start. Machine: {os.cpu_count()} cores, shared with other jobs while measured.", "",
             "| workers | entries/s | x one worker | goal | 429s | exit codes |", "| --- | --- | --- | --- | --- | --- |"]
    goals = {3: 2.5, 10: 8.0}
    for r in results:
        x = r["entries_per_s"] / one if one else float("nan")
        g = goals.get(r["workers"])
        verdict = "" if g is None else (f">= {g}x: {'met' if x >= g else 'NOT met'}")
        lines.append(f"| {r['workers']} | {r['entries_per_s']:,.0f} | {x:.2f} | {verdict} | {r['r429']} | "
                     f"{r['exit_codes']} |")
    lines += ["", f"Upper bound per worker: {RATE} req/s x {CAP} = {RATE * CAP:,} entries/s.", "",
              "```json", json.dumps(results, indent=1), "```", ""]
    with open(out_path, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines[:8 + len(results)]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
