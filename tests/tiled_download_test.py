"""ctdl download of a static-ct-api (tiled) log served by ctdl-testlog under /static/.

Issue 5's "done when": a log whose size is not a multiple of 256 downloads to exactly one record per
index, including the partial tile, with records byte-identical to the same log downloaded over RFC 6962
(same server, the `/` URL); gzip tiles on and off; a removed partial tile (404) falls back to the full
tile; faults (truncated bodies, 5xx, 429) are retried; kill -9 loop and SIGINT behave as for RFC 6962;
the same progress bars.
"""
import json
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


def init(tmp, log):
    r = ctdltest.run_ctdl(["--state", f"sqlite:{tmp}/s.db", "init", "--log-list", log.log_list,
                           "--yes"])
    check(r.returncode == 0, f"init failed: {r.stderr}")


def base_args(tmp):
    return ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"]


def status_row(tmp, url):
    """(position, tree_size, log_type) of url from `ctdl status`."""
    r = ctdltest.run_ctdl(base_args(tmp) + ["status"])
    check(r.returncode == 0, f"status failed: {r.stderr}")
    for line in r.stdout.splitlines():
        cols = line.split()
        if cols and cols[-1] == url:
            return int(cols[1]), int(cols[2]), cols[3]
    ctdltest.fail(f"{url} not in status output:\n{r.stdout}")


def slug(log, tiled):
    return f"127.0.0.1_{log.port}" + ("_static" if tiled else "")


def segments(tmp, log, tiled):
    return ctdltest.archive_segments(f"{tmp}/archive").get(slug(log, tiled), [])


def ndjson(tmp, log, tiled):
    """The log's records as one decompressed NDJSON byte string (segments in order)."""
    return b"".join(ctdltest._decompress(s) for s in segments(tmp, log, tiled))


def check_exactly_once(data, n, what):
    """One line per index 0..n-1, in order; segments named after their records."""
    lines = data.splitlines()
    check(len(lines) == n, f"{what}: {len(lines)} records for {n} entries")
    for i, line in enumerate(lines):
        m = re.search(rb'"index":(\d+)', line)
        check(m and int(m.group(1)) == i, f"{what}: record {i} is {line[:120]!r}")


def check_segment_names(tmp, log, tiled, n):
    nxt = 0
    for s in segments(tmp, log, tiled):
        m = re.match(r"(\d+)-(\d+)\.jsonl\.(gz|zst)$", os.path.basename(s))
        check(m and int(m.group(1)) == nxt, f"segment {s}: gap or overlap (expected start {nxt})")
        nxt = int(m.group(2)) + 1
    check(nxt == n, f"segments end at {nxt}, expected {n}")


run_in_pty = ctdltest.run_in_pty


def test_same_as_rfc6962():
    n = 2500  # 9 full tiles + tile/data/009.p/196
    for gzip in (False, True):
        what = "gzip tiles" if gzip else "identity tiles"
        args = ["--latency-ms", "20"] + (["--gzip-tiles"] if gzip else [])
        # Once with every opt-in field: chain fingerprints come from the tile here and are hashed
        # from extra_data over RFC 6962 (only when asked for), and must agree.
        fields = ["--fields", "all"] if gzip else []
        with ctdltest.TestLog(entries=n, args=args) as log, ctdltest.TempDir() as tmp:
            init(tmp, log)
            # The tiled download on a terminal: the same bars as RFC 6962.
            rc, out = run_in_pty([ctdltest.binary("ctdl")] + base_args(tmp) + [
                "download", "--segment-entries", "700", "--max-inflight", "4"] + fields + [log.static_url])
            check(rc == 0, f"{what}: tiled download failed ({rc}): {out[-2000:]}")
            bars = [l for l in re.split(r"[\r\n]", out) if "it/s]" in l]
            mine = [l for l in bars if f"127.0.0.1:{log.port}/static " in l]
            check(len(mine) >= 1 and any(f"{n}/{n}" in l and "100%" in l for l in mine),
                  f"{what}: no bar at 100% for the tiled log: {out[-1500:]}")
            check(f"{log.static_url}: complete at {n}/{n}" in out, f"{what}: no summary: {out}")
            r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--segment-entries", "700"] + fields +
                                  [log.url])
            check(r.returncode == 0, f"{what}: RFC 6962 download failed: {r.stderr}")
            tiled, rfc = ndjson(tmp, log, True), ndjson(tmp, log, False)
            check_exactly_once(tiled, n, what)
            if fields:
                # `log` names the URL each record came from: the only field that must differ.
                tiled_url = json.dumps(log.static_url).encode()
                rfc_url = json.dumps(log.url).encode()
                check(tiled.count(b'"log":' + tiled_url) == n and rfc.count(b'"log":' + rfc_url) == n,
                      f"{what}: records do not name their log: {rfc[:300]!r}")
                tiled = tiled.replace(b'"log":' + tiled_url, b'"log":' + rfc_url)
            check(tiled == rfc, f"{what}: tiled records differ from the RFC 6962 ones")
            if fields:
                first = json.loads(rfc.split(b"\n", 1)[0])
                check(first.get("chain"), f"{what}: --fields all gave no chain: {first}")
            check([os.path.basename(s) for s in segments(tmp, log, True)] ==
                  [os.path.basename(s) for s in segments(tmp, log, False)],
                  f"{what}: segment layouts differ")
            check_segment_names(tmp, log, True, n)
            check(status_row(tmp, log.static_url) == (n, n, "tiled"),
                  f"{what}: status {status_row(tmp, log.static_url)}")
            print(f"{what}: {n} records identical to RFC 6962, stats {log.stats()}", flush=True)


def test_partial_tile_fallback():
    # The tree grows 500/s from 2500 and every request takes 0.8 s: the checkpoint the download reads
    # (size S) is >= 400 entries behind the tree when its tiles are fetched, so the partial tile of S
    # was replaced by its full tile and answers 404 (--remove-partial-tiles).
    total = 8000  # growth ends after 11 s, long after the checkpoint is read
    args = ["--initial-size", "2500", "--grow-per-sec", "500", "--latency-ms", "800",
            "--remove-partial-tiles", "--gzip-tiles"]
    with ctdltest.TestLog(entries=total, args=args) as log, ctdltest.TempDir() as tmp:
        init(tmp, log)
        r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--segment-entries", "1000",
                                                log.static_url], timeout=120)
        check(r.returncode == 0, f"fallback: tiled download failed: {r.stderr}")
        pos, size, _ = status_row(tmp, log.static_url)
        check(pos == size and 2500 <= size < total, f"fallback: position {pos}, tree size {size}")
        stats = log.stats()
        print(f"fallback: checkpoint size {size} (partial tile width {size % 256}), stats {stats}",
              flush=True)
        if size % 256:
            check(stats["404"] >= 1, f"fallback: the partial tile never answered 404: {stats}")
        tiled = ndjson(tmp, log, True)
        check_exactly_once(tiled, size, "fallback")
        r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--segment-entries", "1000", "--end",
                                                str(size), log.url], timeout=120)
        check(r.returncode == 0, f"fallback: RFC 6962 download failed: {r.stderr}")
        check(tiled == ndjson(tmp, log, False), "fallback: records differ from the RFC 6962 ones")


def test_faults():
    n = 6000  # 24 tiles
    for gzip in (False, True):
        what = "faults, " + ("gzip tiles" if gzip else "identity tiles")
        args = ["--p429", "0.15", "--retry-after", "1", "--p5xx", "0.15", "--ptruncate", "0.2",
                "--fault-scope", "data", "--seed", "7" if gzip else "3"]
        args += ["--gzip-tiles"] if gzip else []
        with ctdltest.TestLog(entries=n, args=args) as log, ctdltest.TempDir() as tmp:
            init(tmp, log)
            t0 = time.time()
            r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--segment-entries", "700",
                                                    log.static_url], timeout=300)
            check(r.returncode == 0, f"{what}: download failed ({r.returncode}): {r.stderr}")
            stats = log.stats()
            print(f"{what}: {time.time() - t0:.1f}s, server stats {stats}", flush=True)
            check(stats["429"] > 0 and stats["5xx"] > 0 and stats["truncated"] > 0,
                  f"{what}: faults did not fire: {stats}")
            tiled = ndjson(tmp, log, True)
            check_exactly_once(tiled, n, what)
            check_segment_names(tmp, log, True, n)
            # The reference: the same log over RFC 6962 (faults stay on; they are retried there too).
            r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--segment-entries", "700", log.url],
                                  timeout=300)
            check(r.returncode == 0, f"{what}: RFC 6962 download failed: {r.stderr}")
            check(tiled == ndjson(tmp, log, False), f"{what}: records differ from RFC 6962")


def test_kill_loop():
    n = 20000
    rng = random.Random(int(os.environ.get("CTDL_KILL_SEED", "4321")))
    with ctdltest.TestLog(entries=n, args=["--latency-ms", "200"]) as log, \
            ctdltest.TempDir() as tmp:
        init(tmp, log)
        cmd = [ctdltest.binary("ctdl")] + base_args(tmp) + [
            "download", "--no-progress", "--max-inflight", "2", "--segment-entries", "300",
            log.static_url]
        killed_running = 0
        positions = []
        for _ in range(14):
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.1, 0.9))
            if p.poll() is None:
                killed_running += 1
            p.kill()
            p.wait()
            positions.append(status_row(tmp, log.static_url)[0])
            segs = segments(tmp, log, True)
            last = int(re.match(r"\d+-(\d+)", os.path.basename(segs[-1])).group(1)) + 1 if segs else 0
            check(last >= positions[-1], f"committed data missing: position {positions[-1]}, "
                  f"segments end at {last}")
        print(f"kill loop: {killed_running} kills mid-run, positions {positions}", flush=True)
        check(killed_running >= 10, f"only {killed_running} kills landed mid-download")
        check(0 < positions[-1] < n, f"position {positions[-1]}: the kills did not interrupt")
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, f"final run failed: {r.stderr}")
        tiled = ndjson(tmp, log, True)
        check_exactly_once(tiled, n, "kill loop")
        check_segment_names(tmp, log, True, n)
        r = ctdltest.run_ctdl(base_args(tmp) + ["download", log.url], timeout=300)
        check(r.returncode == 0, f"kill loop: RFC 6962 download failed: {r.stderr}")
        check(tiled == ndjson(tmp, log, False), "kill loop: records differ from RFC 6962")


def test_sigint():
    n = 20000
    with ctdltest.TestLog(entries=n, args=["--latency-ms", "200"]) as log, \
            ctdltest.TempDir() as tmp:
        init(tmp, log)
        p = subprocess.Popen([ctdltest.binary("ctdl")] + base_args(tmp) + [
            "download", "--no-progress", "--max-inflight", "2", log.static_url],
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
        pos = status_row(tmp, log.static_url)[0]
        data = ndjson(tmp, log, True)
        check(0 < pos < n, f"position {pos} after SIGINT")
        check_exactly_once(data, pos, "SIGINT")
        check(f"stopped at {pos}" in err, f"no 'stopped at {pos}' in stderr: {err}")
        check(p.returncode == 0, f"exit code {p.returncode} after SIGINT")


if __name__ == "__main__":
    only = sys.argv[1:]
    for name, fn in [("same_as_rfc6962", test_same_as_rfc6962),
                     ("partial_tile_fallback", test_partial_tile_fallback), ("faults", test_faults),
                     ("kill_loop", test_kill_loop), ("sigint", test_sigint)]:
        if only and name not in only:
            continue
        t = time.time()
        print(f"== {name}", flush=True)
        fn()
        print(f"== {name} ok ({time.time() - t:.1f}s)", flush=True)
    print("PASS")
