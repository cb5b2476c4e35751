"""ctdl download against ctdl-testlog: faults, kill -9 loop, SIGINT, two logs with their own bars.

Checks the issue's "done when" list (doc/download.md): exactly one record per index, in order, with
fields matching the served entries; every index exactly once across kill -9 restarts; SIGINT leaves
a committed position equal to the last record written; two logs each with their own progress line.
"""
import os
import random
import re
import signal
import subprocess
import sys
import time

import ctdltest
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")


expected_entries = ctdltest.expected_entries


def init(tmp, log, state="s.db"):
    r = ctdltest.run_ctdl(["--state", f"sqlite:{tmp}/{state}", "init", "--log-list", log.log_list,
                           "--yes"])
    check(r.returncode == 0, f"init failed: {r.stderr}")


def base_args(tmp, state="s.db"):
    return ["--state", f"sqlite:{tmp}/{state}", "--archive", f"dir:{tmp}/archive"]


def position(tmp, url, state="s.db"):
    r = ctdltest.run_ctdl(base_args(tmp, state) + ["status"])
    check(r.returncode == 0, f"status failed: {r.stderr}")
    for line in r.stdout.splitlines():
        cols = line.split()
        if cols and cols[-1] == url:
            return int(cols[1])
    ctdltest.fail(f"{url} not in status output:\n{r.stdout}")


def slug_records(tmp, port):
    by_log = ctdltest.read_archive_by_log(f"{tmp}/archive")
    for slug, recs in by_log.items():
        if slug == f"127.0.0.1_{port}":
            return recs
    return []


def check_segments(tmp, port):
    """Every segment's name matches its records; segments tile [0, last] without overlap."""
    segs = ctdltest.archive_segments(f"{tmp}/archive").get(f"127.0.0.1_{port}", [])
    nxt = 0
    for s in segs:
        m = re.match(r"(\d+)-(\d+)\.jsonl\.(gz|zst)$", os.path.basename(s))
        check(m, f"unexpected object {s}")
        first, last = int(m.group(1)), int(m.group(2))
        check(first == nxt, f"segment {s} starts at {first}, expected {nxt} (gap or overlap)")
        nxt = last + 1
    return nxt


def check_exactly_once(recs, expected, what):
    check(len(recs) == len(expected), f"{what}: {len(recs)} records for {len(expected)} entries")
    for i, r in enumerate(recs):
        check(r.get("index") == i, f"{what}: record {i} has index {r.get('index')}")
        et, ts, fp = expected[i]
        check(r.get("entry_type") == et and r.get("timestamp") == ts and r.get("fingerprint") == fp,
              f"{what}: record {i} does not match the entry: {r} vs {expected[i]}")


def test_faults():
    n = 3000
    expected = expected_entries(ctdltest.built_log(n))
    for date in (False, True):
        what = "faults with Retry-After as " + ("HTTP-date" if date else "seconds")
        args = ["--cap", "64", "--p429", "0.1", "--retry-after", "1", "--p5xx", "0.1",
                "--ptruncate", "0.1", "--pshort", "0.1", "--lag", "300", "--lag-ms", "10000",
                "--fault-scope", "data", "--seed", "5" if date else "3"]
        if date:
            args += ["--retry-after-date"]
        else:
            args += ["--align"]
        with ctdltest.TestLog(entries=n, args=args) as log, ctdltest.TempDir() as tmp:
            init(tmp, log)
            t0 = time.time()
            r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--segment-entries", "700", log.url],
                                  timeout=300)
            check(r.returncode == 0, f"{what}: download failed ({r.returncode}): {r.stderr}")
            stats = log.stats()
            print(f"{what}: {time.time() - t0:.1f}s, server stats {stats}", flush=True)
            check(stats["429"] > 0 and stats["5xx"] > 0 and stats["truncated"] > 0 and
                  stats["400"] > 0 and stats["short"] > 0,
                  f"{what}: faults did not fire: {stats}")
            check_exactly_once(slug_records(tmp, log.port), expected, what)
            check(check_segments(tmp, log.port) == n, f"{what}: segments do not cover [0, {n})")
            check(position(tmp, log.url) == n, f"{what}: committed position is not {n}")
            check("complete" in r.stderr, f"{what}: no summary: {r.stderr}")


def test_kill_loop():
    n = 20000
    expected = expected_entries(ctdltest.built_log(n))
    rng = random.Random(int(os.environ.get("CTDL_KILL_SEED", "1234")))
    with ctdltest.TestLog(entries=n, args=["--cap", "50", "--latency-ms", "40"]) as log, \
            ctdltest.TempDir() as tmp:
        init(tmp, log)
        cmd = [ctdltest.binary("ctdl")] + base_args(tmp) + [
            "download", "--no-progress", "--max-inflight", "2", "--segment-entries", "300", log.url]
        killed_running = 0
        positions = []
        for _ in range(17):
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.05, 0.7))
            if p.poll() is None:
                killed_running += 1
            p.kill()
            p.wait()
            positions.append(position(tmp, log.url))
            # After any crash: no segment at or beyond the committed position survives a restart's
            # cleanup, and committed segments tile [0, position).
            check(check_segments(tmp, log.port) >= positions[-1], "committed data missing")
        print(f"kill loop: {killed_running} kills mid-run, positions {positions}", flush=True)
        check(killed_running >= 10, f"only {killed_running} kills landed mid-download")
        check(positions[-1] < n, "the download finished before the kills ended; slow it down")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, f"final run failed: {r.stderr}")
        check_exactly_once(slug_records(tmp, log.port), expected, "kill loop")
        check(check_segments(tmp, log.port) == n, "segments do not cover the log")
        check(position(tmp, log.url) == n, "final position")


def test_sigint():
    n = 20000
    with ctdltest.TestLog(entries=n, args=["--cap", "50", "--latency-ms", "40"]) as log, \
            ctdltest.TempDir() as tmp:
        init(tmp, log)
        p = subprocess.Popen([ctdltest.binary("ctdl")] + base_args(tmp) + [
            "download", "--no-progress", "--max-inflight", "2", log.url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)
        check(p.poll() is None, "download ended before SIGINT")
        t0 = time.time()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
        took = time.time() - t0
        print(f"SIGINT: exit {p.returncode} after {took:.2f}s; stderr tail: {err[-300:]!r}",
              flush=True)
        check(took < 10, f"took {took:.1f}s to stop")
        pos = position(tmp, log.url)
        recs = slug_records(tmp, log.port)
        check(0 < pos < n, f"position {pos} after SIGINT")
        check(len(recs) == pos and recs[-1]["index"] == pos - 1,
              f"committed position {pos} but {len(recs)} records (last "
              f"{recs[-1]['index'] if recs else None})")
        check(f"stopped at {pos}" in err, f"no 'stopped at {pos}' in stderr: {err}")
        check(p.returncode == 0, f"exit code {p.returncode} after SIGINT (the issue asks for 0)")


run_in_pty = ctdltest.run_in_pty


def test_two_logs():
    n = 4000
    expected = expected_entries(ctdltest.built_log(n))
    args = ["--cap", "100", "--latency-ms", "30"]
    with ctdltest.TestLog(entries=n, args=args) as a, ctdltest.TestLog(entries=n, args=args) as b, \
            ctdltest.TempDir() as tmp:
        init(tmp, a)
        init(tmp, b)
        rc, out = run_in_pty([ctdltest.binary("ctdl")] + base_args(tmp) + [
            "download", "--max-inflight", "2", a.url, b.url])
        check(rc == 0, f"download of two logs failed ({rc}): {out[-2000:]}")
        bars = [l for l in re.split(r"[\r\n]", out) if "it/s]" in l]
        for log in (a, b):
            label = f"127.0.0.1:{log.port}"
            mine = [l for l in bars if label in l]
            check(len(mine) >= 2, f"no progress bar redrawn for {label}: {out[-2000:]}")
            check(any(f"{n}/{n}" in l and "100%" in l for l in mine), f"{label} bar never at 100%")
            check(f"{log.url}: complete at {n}/{n}" in out, f"no summary for {log.url}")
            check_exactly_once(slug_records(tmp, log.port), expected, label)
        check("\x1b[2A" in out, "bars are not redrawn in place")
        print(f"two logs: {len(bars)} bar lines drawn", flush=True)


if __name__ == "__main__":
    only = sys.argv[1:]
    for name, fn in [("faults", test_faults), ("kill_loop", test_kill_loop),
                     ("sigint", test_sigint), ("two_logs", test_two_logs)]:
        if only and name not in only:
            continue
        t = time.time()
        print(f"== {name}", flush=True)
        fn()
        print(f"== {name} ok ({time.time() - t:.1f}s)", flush=True)
    print("PASS")
