"""ctdl download --follow / --all against growing and failing ctdl-testlogs (issue 13).

- follow: a log growing at 100 entries/s, `--follow --poll-seconds 1 --rotate-seconds 2` for ~20 s,
  then SIGTERM: exit 0 within 10 s, every index 0..position exactly once, the position within a few
  seconds of the tree size at the signal, verified size = position, segments sealed by size (full,
  aligned) and by time (partial), contiguous.
- slow catch-up: a log of 3,000 entries growing 20/s, fetched at --max-rps 5 --max-inflight 4 (32
  entries a request: ~160 entries/s) with --segment-entries 2000 --rotate-seconds 2: segments are
  sealed by time inside the first, long run (before the first 2,000-entry boundary), not only between
  polls, and the tree head is still polled during that run (the stored tree size moves);
  contiguous, every index once.
- all: `--all --follow` over three logs (one tiled) in one process; one log answers 5xx to
  everything for a while: the other two complete meanwhile, and it catches up once it heals.
- host budget: `--all --max-host-inflight 3` over the two logs of one test log (RFC 6962 and tiled,
  one host): the server never answers more than 3 of their requests at once (its max_inflight);
  without the flag the same download has more at once (the check can fail). `--all --max-rps 8`
  over the same two logs (24 get-entries and 24 data tiles): the host gets at most 8 requests/s
  in all (plus the burst of 8 and a few unpaced head/proof requests), not 8 per log.
- refresh: `--all --follow --log-list FILE --refresh-hours 0.001` (3.6 s): a log added to the file
  later is registered and downloaded by the same process; a log the file then calls readonly is
  finished at its final tree and no longer polled ("complete (readonly)").
- fork: a growing log (both APIs) whose heads past 1,500 are inconsistent with the earlier ones
  (testlog --fork-after): `--all --follow` takes the consistent growth, then refuses the forked head:
  exit 7 without a signal, both logs named, the stored heads and positions stay at or below the fork.
- metrics: /metrics scraped while downloading passes `promtool check metrics`, its position rises
  and its entries-behind falls; /healthz answers.
- display: in a pty at 80 and 160 columns no line is ever longer than the width, and after Ctrl-C
  the final screen has "stopping" and "stopped at N ... resume with the same command".
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request

import ctdltest
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")


def base_args(tmp):
    return ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"]


def init(tmp, log_list):
    r = ctdltest.run_ctdl(base_args(tmp) + ["init", "--log-list", log_list, "--yes"])
    check(r.returncode == 0, f"init failed: {r.stderr}")


def status(tmp):
    """{url: status --json object}"""
    r = ctdltest.run_ctdl(base_args(tmp) + ["status", "--json"])
    check(r.returncode == 0, f"status failed: {r.stderr}")
    return {o["url"]: o for o in map(json.loads, r.stdout.splitlines())}


def segments(tmp, slug):
    """[(first, last)] of a log's segments, by name."""
    out = []
    for s in ctdltest.archive_segments(f"{tmp}/archive").get(slug, []):
        m = re.match(r"(\d+)-(\d+)\.jsonl\.gz$", os.path.basename(s))
        check(m, f"unexpected object {s}")
        out.append((int(m.group(1)), int(m.group(2))))
    return sorted(out)


def check_archive(tmp, slug, position, what):
    segs = segments(tmp, slug)
    nxt = 0
    for first, last in segs:
        check(first == nxt, f"{what}: segments not contiguous at {first} (expected {nxt}): {segs}")
        nxt = last + 1
    check(nxt == position, f"{what}: segments end at {nxt}, position {position}")
    recs = ctdltest.read_archive_by_log(f"{tmp}/archive").get(slug, [])
    idx = [r["index"] for r in recs]
    check(idx == list(range(position)), f"{what}: records are not 0..{position - 1} exactly once "
          f"({len(idx)} records)")
    return segs


def popen_ctdl(args):
    return subprocess.Popen([ctdltest.binary("ctdl")] + args, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def stop(p, sig=signal.SIGTERM, within=10):
    t = time.time()
    p.send_signal(sig)
    try:
        out, err = p.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        ctdltest.fail(f"ctdl did not stop within 60 s of {sig}: {err[-2000:]}")
    took = time.time() - t
    check(took < within, f"took {took:.1f} s to stop (limit {within} s): {err[-1000:]}")
    return p.returncode, err, took


def test_follow():
    n, initial, rate, seg = 12000, 2000, 100, 300  # a segment fills in 3 s > rotate 2 s
    args = ["--initial-size", str(initial), "--grow-per-sec", str(rate), "--cap", "256"]
    with ctdltest.TestLog(entries=n, args=args) as log, ctdltest.TempDir() as tmp:
        init(tmp, log.log_list)
        p = popen_ctdl(base_args(tmp) + ["download", "--follow", "--poll-seconds", "1",
                                         "--rotate-seconds", "2", "--segment-entries", str(seg),
                                         log.url])
        time.sleep(20)
        if p.poll() is not None:
            ctdltest.fail(f"ctdl exited early ({p.returncode}): {p.communicate()[1][-2000:]}")
        tree_at_signal = log.sth()["tree_size"]
        rc, err, took = stop(p)
        check(rc == 0, f"exit {rc} after SIGTERM: {err[-2000:]}")
        st = status(tmp)[log.url]
        pos = st["current_position"]
        print(f"follow: stopped in {took:.1f} s at {pos}, tree {tree_at_signal} at the signal, "
              f"verified {st['verified_size']}", flush=True)
        check(f"stopped at {pos}" in err, f"no 'stopped at {pos}' in stderr: {err[-1500:]}")
        check(tree_at_signal > initial + 10 * rate, f"the log did not grow: {tree_at_signal}")
        # Within a few seconds of growth (poll 1 s + rotate 2 s + the download itself).
        check(pos >= tree_at_signal - 6 * rate, f"position {pos} lags the tree {tree_at_signal}")
        check(st["verified_size"] == pos, f"verified {st['verified_size']} != position {pos}")
        segs = check_archive(tmp, f"127.0.0.1_{log.port}", pos, "follow")
        by_size = [s for s in segs if s[1] - s[0] + 1 == seg and (s[1] + 1) % seg == 0]
        by_time = [s for s in segs if (s[1] + 1) % seg != 0]
        print(f"follow: {len(segs)} segments, {len(by_size)} full, {len(by_time)} sealed by time",
              flush=True)
        check(len(by_size) >= 5, f"few full segments: {segs}")
        check(len(by_time) >= 3, f"few segments sealed by time: {segs}")
        # Restarting follows on from the same position (exactly once across runs).
        p = popen_ctdl(base_args(tmp) + ["download", "--follow", "--poll-seconds", "1",
                                         "--rotate-seconds", "1", "--segment-entries", str(seg),
                                         log.url])
        time.sleep(5)
        rc, err, _ = stop(p, signal.SIGINT)
        check(rc == 0, f"second run: exit {rc}: {err[-1500:]}")
        pos2 = status(tmp)[log.url]["current_position"]
        check(pos2 > pos, f"second run did not advance ({pos} -> {pos2})")
        check_archive(tmp, f"127.0.0.1_{log.port}", pos2, "follow, second run")


def test_slow_catch_up():
    n, initial, seg = 4000, 3000, 2000
    args = ["--cap", "32", "--initial-size", str(initial), "--grow-per-sec", "20"]
    with ctdltest.TestLog(entries=n, args=args) as log, ctdltest.TempDir() as tmp:
        init(tmp, log.log_list)
        p = popen_ctdl(base_args(tmp) + ["download", "--follow", "--poll-seconds", "1",
                                         "--rotate-seconds", "2", "--segment-entries", str(seg),
                                         "--max-rps", "5", "--max-inflight", "4", "--no-progress",
                                         log.url])
        slug = f"127.0.0.1_{log.port}"
        first_seen, t0, seen_at, heads_in_run = None, time.time(), {}, set()
        while time.time() - t0 < 60:
            if p.poll() is not None:
                ctdltest.fail(f"ctdl exited early ({p.returncode}): {p.communicate()[1][-2000:]}")
            st = status(tmp)[log.url]
            if st["current_position"] < seg:  # still in the first run (to the first boundary)
                heads_in_run.add(st["tree_size"])
            segs = segments(tmp, slug)
            if segs and first_seen is None:
                first_seen = time.time() - t0
            if segs and segs[-1] not in seen_at:
                seen_at[segs[-1]] = round(time.time() - t0, 1)
            if st["current_position"] >= initial:
                break
            time.sleep(0.2)
        rc, err, _ = stop(p)
        check(rc == 0, f"exit {rc} after SIGTERM: {err[-2000:]}")
        st = status(tmp)[log.url]
        pos = st["current_position"]
        check(pos >= initial, f"the catch-up did not reach {initial} in 60 s: position {pos}")
        check(st["verified_size"] == pos, f"verified {st['verified_size']} != position {pos}")
        segs = check_archive(tmp, slug, pos, "slow catch-up")
        during_run = [s for s in segs if s[1] + 1 < seg]  # sealed before the first boundary
        print(f"slow catch-up: {len(segs)} segments, first after {first_seen:.1f} s; seen at "
              f"{seen_at}; stored tree sizes during the first run: {sorted(heads_in_run)}",
              flush=True)
        check(len(during_run) >= 2, f"no segments sealed by time during the catch-up: {segs}")
        check(first_seen is not None and first_seen < 6,
              f"the first segment came after {first_seen} s (rotate 2 s; the first boundary ~6 s)")
        # The head is polled while the long run goes on: the stored tree size moves meanwhile.
        check(len(heads_in_run) >= 3, f"the stored tree head did not move during the first run "
              f"(tree sizes seen: {sorted(heads_in_run)})")


def merged_list(path, parts):
    """A log list v3 with the chosen logs of several test logs' lists: parts = [(list, tiled?)]."""
    ops = []
    for i, (src, with_tiled) in enumerate(parts):
        with open(src) as f:
            op = json.load(f)["operators"][0]
        op = dict(op)
        op["name"] = f"{op.get('name', 'op')} {i}"
        if not with_tiled:
            op["tiled_logs"] = []
        ops.append(op)
    with open(path, "w") as f:
        json.dump({"version": "1", "operators": ops}, f)


def test_all_with_a_failing_log():
    n = 3000
    with ctdltest.TestLog(entries=n, args=["--cap", "200"]) as a, \
            ctdltest.TestLog(entries=n, seed=2, args=["--p5xx", "1"]) as b, ctdltest.TempDir() as tmp:
        ll = os.path.join(tmp, "list.json")
        merged_list(ll, [(a.log_list, True), (b.log_list, False)])
        init(tmp, ll)
        p = popen_ctdl(base_args(tmp) + ["download", "--all", "--follow", "--poll-seconds", "1",
                                         "--segment-entries", "1000"])
        try:
            ctdltest.wait_until(lambda: all(status(tmp)[u]["current_position"] == n
                                            for u in (a.url, a.static_url)),
                                timeout=120, interval=0.5, what="the two healthy logs")
            check(status(tmp)[b.url]["current_position"] == 0, "the failing log advanced")
            check(p.poll() is None, "ctdl exited while a log was failing")
            # Heal the failing log (same port, no faults): it catches up in the same process.
            b.stop()
            with ctdltest.TestLog(entries=n, seed=2, port=b.port, log_dir=b.dir) as b2:
                ctdltest.wait_until(lambda: status(tmp)[b.url]["current_position"] == n,
                                    timeout=180, interval=0.5, what="the healed log")
                rc, err, _ = stop(p)
        finally:
            if p.poll() is None:
                p.kill()
        check(rc == 0, f"exit {rc}: {err[-2000:]}")
        check("HTTP 5" in err or "503" in err or "500" in err or "502" in err,
              f"no 5xx reported: {err[-1000:]}")
        for url, slug in ((a.url, f"127.0.0.1_{a.port}"), (a.static_url, f"127.0.0.1_{a.port}_static"),
                          (b.url, f"127.0.0.1_{b.port}")):
            st = status(tmp)[url]
            check(st["verified_size"] == n, f"{url}: verified {st['verified_size']}")
            check_archive(tmp, slug, n, url)
        print("all: three logs (one tiled) complete; the failing one caught up after healing",
              flush=True)


def test_host_budget():
    n, cap = 3000, 50
    with ctdltest.TestLog(entries=n, args=["--cap", str(cap), "--latency-ms", "100"]) as log, \
            ctdltest.TempDir() as tmp, ctdltest.TempDir() as tmp2:
        init(tmp, log.log_list)
        t = time.time()
        r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--all", "--max-host-inflight", "3",
                                                "--no-progress"])
        took = time.time() - t
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}")
        budgeted = log.stats()["max_inflight"]
        st = status(tmp)
        check(st[log.url]["current_position"] == n and st[log.static_url]["current_position"] == n,
              f"not complete: {st}")
        check(budgeted <= 3, f"the host had {budgeted} requests of its two logs at once (limit 3)")
        init(tmp2, log.log_list)
        r = ctdltest.run_ctdl(base_args(tmp2) + ["download", "--all", "--no-progress"])
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}")
        free = log.stats()["max_inflight"]
        print(f"host budget: at most {budgeted} at once with --max-host-inflight 3 ({took:.1f} s), "
              f"{free} without", flush=True)
        check(free > 3, f"without a host budget only {free} at once: the check cannot fail")

    n, rps = 24 * 256, 8
    with ctdltest.TestLog(entries=n, args=["--cap", "256"]) as log, ctdltest.TempDir() as tmp:
        init(tmp, log.log_list)
        before = log.stats()["requests"]
        t = time.time()
        r = ctdltest.run_ctdl(base_args(tmp) + ["download", "--all", "--max-rps", str(rps),
                                                "--no-progress"])
        took = time.time() - t
        check(r.returncode == 0, f"exit {r.returncode}: {r.stderr[-2000:]}")
        sent = log.stats()["requests"] - before
        st = status(tmp)
        check(st[log.url]["current_position"] == n and st[log.static_url]["current_position"] == n,
              f"not complete: {st}")
        # Shared: sent <= rps * took + burst (+ unpaced heads/proofs); 8/s per log would have sent
        # the ~50 requests in about 3 s.
        print(f"host rate: {sent} requests in {took:.1f} s with --max-rps {rps} over two logs "
              f"({sent / took:.1f}/s)", flush=True)
        check(sent >= 48, f"only {sent} requests: the check cannot tell a shared budget")
        check(sent <= rps * took + rps + 8, f"{sent} requests in {took:.1f} s: more than {rps}/s "
              f"for the host (a budget per log?)")


def test_log_list_refresh():
    n = 1500
    with ctdltest.TestLog(entries=n) as a, ctdltest.TestLog(entries=n, seed=2) as b, \
            ctdltest.TempDir() as tmp:
        ll = os.path.join(tmp, "list.json")
        merged_list(ll, [(a.log_list, False)])
        p = popen_ctdl(base_args(tmp) + ["download", "--all", "--follow", "--log-list", ll,
                                         "--refresh-hours", "0.001", "--poll-seconds", "1",
                                         "--rotate-seconds", "1", "--no-progress"])
        try:
            ctdltest.wait_until(lambda: os.path.exists(f"{tmp}/s.db") and
                                status(tmp).get(a.url, {}).get("current_position") == n,
                                timeout=60, interval=0.5, what="the first log")
            check(b.url not in status(tmp), "the second log was registered before the list had it")
            merged_list(ll, [(a.log_list, False), (b.log_list, False)])
            with open(ll) as f:
                doc = json.load(f)
            doc["operators"][0]["logs"][0]["state"] = {"readonly": {"timestamp": "2026-01-01T00:00:00Z"}}
            with open(ll + ".new", "w") as f:
                json.dump(doc, f)
            os.replace(ll + ".new", ll)  # never a half-written list
            ctdltest.wait_until(lambda: status(tmp).get(b.url, {}).get("current_position") == n,
                                timeout=60, interval=0.5, what="the log added to the list")
            check(p.poll() is None, "ctdl exited after the refresh")
            time.sleep(3)  # a few polls: the readonly log is finished and no longer polled
            rc, err, _ = stop(p)
        finally:
            if p.poll() is None:
                p.kill()
        check(rc == 0, f"exit {rc}: {err[-2000:]}")
        st = status(tmp)
        check(st[a.url]["state"] == "readonly", f"the list's readonly state was not stored: {st[a.url]}")
        check(f"{a.url}: complete at {n} (the log is readonly: no longer polled)" in err,
              f"the readonly log was not finished: {err[-2000:]}")
        for url, port in ((a.url, a.port), (b.url, b.port)):
            check(st[url]["verified_size"] == n, f"{url}: verified {st[url]['verified_size']}")
            check_archive(tmp, f"127.0.0.1_{port}", n, url)
        print("refresh: a log added to the list was downloaded by the running process; the log "
              "made readonly finished and stopped being polled", flush=True)


def test_fork_while_following():
    n, first, fork_after = 4000, 1000, 1500
    args = ["--initial-size", str(first), "--grow-per-sec", "100", "--fork-after", str(fork_after)]
    with ctdltest.TestLog(entries=n, args=args) as log, ctdltest.TempDir() as tmp:
        init(tmp, log.log_list)
        p = popen_ctdl(base_args(tmp) + ["download", "--all", "--follow", "--poll-seconds", "1",
                                         "--rotate-seconds", "1", "--no-progress"])
        try:
            out, err = p.communicate(timeout=60)  # the fork ends both logs: ctdl exits by itself
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
            ctdltest.fail(f"ctdl did not stop at the fork within 60 s: {err[-2000:]}")
        check(p.returncode == 7, f"exit {p.returncode}, want 7 (verification failed): {err[-2000:]}")
        st = status(tmp)
        for url, slug in ((log.url, f"127.0.0.1_{log.port}"), (log.static_url,
                                                               f"127.0.0.1_{log.port}_static")):
            check(url in err, f"{url} not named: {err[-2000:]}")
            s = st[url]
            check(first < s["tree_size"] <= fork_after, f"{url}: stored head {s['tree_size']} "
                  f"(consistent growth {first}..{fork_after} expected, never the forked head)")
            check(s["current_position"] <= fork_after and s["verified_size"] == s["current_position"],
                  f"{url}: {s}")
            check_archive(tmp, slug, s["current_position"], url)
        print(f"fork: exit 7; heads kept at {st[log.url]['tree_size']} / "
              f"{st[log.static_url]['tree_size']}, positions {st[log.url]['current_position']} / "
              f"{st[log.static_url]['current_position']}", flush=True)


def scrape(port, path="metrics"):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/{path}", timeout=10) as r:
        return r.read().decode()


def metric(text, name, url):
    for line in text.splitlines():
        if line.startswith(name + "{") and f'log="{url}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics():
    n = 6000
    promtool = shutil.which("promtool")
    with ctdltest.TestLog(entries=n, args=["--cap", "100", "--latency-ms", "40",
                                           "--initial-size", "5000", "--grow-per-sec", "20"]) as log, \
            ctdltest.TempDir() as tmp:
        init(tmp, log.log_list)
        port = ctdltest.free_port()
        p = popen_ctdl(base_args(tmp) + ["download", "--follow", "--poll-seconds", "1",
                                         "--max-inflight", "2", "--segment-entries", "500",
                                         "--metrics-listen", f"127.0.0.1:{port}", log.url])
        try:
            ctdltest.wait_until(lambda: _up(port), timeout=30, what="the metrics endpoint")
            check(scrape(port, "healthz").strip() == "ok", "healthz")
            seen = []
            body = ""
            deadline = time.time() + 90
            while time.time() < deadline:
                body = scrape(port)
                pos = metric(body, "ctdl_log_committed_position", log.url)
                behind = metric(body, "ctdl_log_entries_behind", log.url)
                if pos is not None:
                    seen.append((pos, behind))
                if len(seen) > 3 and seen[-1][0] > seen[0][0] and seen[-1][0] >= 3000:
                    break
                time.sleep(0.5)
            check(len(seen) >= 3, f"no per-log samples in /metrics: {body[:2000]}")
            check(seen[-1][0] > seen[0][0], f"position did not rise: {seen}")
            rising = max(b for _, b in seen if b is not None)
            check(seen[-1][1] < rising, f"entries behind did not fall: {seen}")
            for name in ("ctdl_build_info", "ctdl_inflight_requests", "ctdl_log_tree_size",
                         "ctdl_log_sth_age_seconds", "ctdl_log_verified_size",
                         "ctdl_log_entries_per_second", 'ctdl_log_requests_total{', 'outcome="ok"',
                         "ctdl_log_segments_written_total", "ctdl_log_last_commit_timestamp_seconds",
                         "ctdl_log_received_bytes_total", "ctdl_log_retries_total",
                         "ctdl_http_connections_opened_total"):
                check(name in body, f"{name} missing from /metrics")
            ok = metric(body.replace(',outcome="ok"', ""), "ctdl_log_requests_total", log.url)
            check(ok and ok > 10, f"requests ok {ok}")
            # Keep-alive: a few connections for all those requests (each request its own: hundreds).
            m = re.search(r"^ctdl_http_connections_opened_total (\S+)$", body, re.M)
            check(m and 1 <= float(m.group(1)) <= 8, f"connections opened: {m and m.group(1)} for {ok} requests")
            print(f"metrics: {ok:.0f} requests over {float(m.group(1)):.0f} connections", flush=True)
            if promtool:
                r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True,
                                   text=True)
                check(r.returncode == 0, f"promtool check metrics: {r.stdout}{r.stderr}\n{body[:3000]}")
                print("metrics: promtool check metrics passed", flush=True)
            else:
                print("metrics: promtool not installed; format check skipped", flush=True)
            print(f"metrics: {len(seen)} scrapes, position {seen[0][0]:.0f} -> {seen[-1][0]:.0f}, "
                  f"behind {rising:.0f} -> {seen[-1][1]:.0f}", flush=True)
            rc, err, _ = stop(p)
            check(rc == 0, f"exit {rc}: {err[-1500:]}")
        finally:
            if p.poll() is None:
                p.kill()


def _up(port):
    try:
        return scrape(port, "healthz").strip() == "ok"
    except OSError:
        return False


def test_display():
    n = 20000
    with ctdltest.TestLog(entries=n, args=["--cap", "100", "--latency-ms", "150"]) as log, \
            ctdltest.TestLog(entries=2000, seed=3) as small, ctdltest.TempDir() as tmp:
        init(tmp, log.log_list)
        init(tmp, small.log_list)
        for cols in (80, 160):
            state = f"{tmp}/d{cols}.db"
            shutil.copy(f"{tmp}/s.db", state)
            args = ["--state", f"sqlite:{state}", "--archive", f"dir:{tmp}/a{cols}", "download",
                    "--max-inflight", "2", log.url, log.static_url, small.url]
            rc, out = ctdltest.run_in_pty([ctdltest.binary("ctdl")] + args, cols=cols, rows=30,
                                          interrupt_after=6, timeout=120)
            screen, too_wide = ctdltest.render_screen(out, cols)
            text = "\n".join(screen)
            check(rc == 0, f"{cols} columns: exit {rc}: {text[-2000:]}")
            check(not too_wide, f"{cols} columns: lines longer than the width: {too_wide[:3]}")
            check("stopping" in text, f"{cols} columns: no 'stopping' on the final screen:\n{text}")
            check(re.search(r"stopped at index \d+", text) and "resume with the same command" in text,
                  f"{cols} columns: no 'stopped at N ... resume' on the final screen:\n{text}")
            check(f"{small.url}: complete at 2000/2000" in text.replace("\n  ", " "),
                  f"{cols} columns: no summary of the finished log:\n{text}")
            bars = [l for l in screen if "it/s]" in l]
            check(bars, f"{cols} columns: no bars on the final screen:\n{text}")
            print(f"display {cols} columns: {len(out)} bytes drawn, widest line "
                  f"{max(len(l) for l in screen)}; final screen:\n" + text, flush=True)


if __name__ == "__main__":
    only = sys.argv[1:]
    for name, fn in [("follow", test_follow), ("slow", test_slow_catch_up),
                     ("all", test_all_with_a_failing_log), ("host", test_host_budget),
                     ("refresh", test_log_list_refresh),
                     ("fork", test_fork_while_following),
                     ("metrics", test_metrics), ("display", test_display)]:
        if only and name not in only:
            continue
        t = time.time()
        print(f"== {name}", flush=True)
        fn()
        print(f"== {name} ok ({time.time() - t:.1f}s)", flush=True)
    print("PASS")
