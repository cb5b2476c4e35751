"""Rate-limit scenarios of `make bench` (BENCH_ONLY=rate): ctdl against test logs behind a token bucket.

Logs limited to 5, 20 and 75 req/s (bursts 2, 5, 10; 429 + Retry-After beyond them), a 0.5 req/s log
whose 429s carry no Retry-After (DigiCert-like, shortened to 30 requests), a restart at 20 req/s
(the second run starts at the rate the first one stored), and 20 req/s again with 20 ms added to
every reply (a host not on loopback: the start ramp's cost in 429s shows there, not on loopback). While ctdl runs, the server's /stats
counters are polled every 0.1 s: the achieved rate, the share of 429s, when the first 429 came and
when the served rate first reached 90 % of the limit come from that timeline. About 2.5 minutes.
"""

import threading
import time

import benchlib as bl

CAP = 256
GOAL_SHARE = 0.90       # of the allowed rate over the whole 20 req/s download
GOAL_429 = 0.03         # of requests
GOAL_AFTER_5S = 0.80    # of the allowed rate, from 5 s after the first 429 on


class Poller:
    """Polls the server's /stats every `every` seconds: samples of (t, ok, rate_limited, requests)."""

    def __init__(self, server, every=0.1):
        self.server, self.every, self.samples = server, every, []
        self._stop = threading.Event()

    def __enter__(self):
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self):
        while True:
            try:
                s = self.server.stats()
                self.samples.append((time.monotonic() - self.t0, s["ok"], s["rate_limited"],
                                     s["requests"]))
            except (OSError, ValueError, KeyError):
                pass
            if self._stop.wait(self.every):
                break

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._run_once()
        return False

    def _run_once(self):
        s = self.server.stats()
        self.samples.append((time.monotonic() - self.t0, s["ok"], s["rate_limited"], s["requests"]))


def timeline(samples, rps):
    """first 429 (s), time to 90 % of rps (s, first window of max(1, 5/rps) s at >= 90 %), share of
    rps served from 5 s after the first 429 to the last success, 429s in the first 5 s."""
    if not samples:
        return {}
    t_first = next((t for t, _, rl, _ in samples if rl > samples[0][2]), None)
    window = max(1.0, 5.0 / rps)
    reach = None
    for i, (t, ok, _, _) in enumerate(samples):
        j = i
        while j > 0 and samples[j][0] > t - window:
            j -= 1
        if t - samples[j][0] >= window * 0.95 and (ok - samples[j][1]) / (t - samples[j][0]) >= 0.9 * rps:
            reach = t
            break
    last_ok = max(samples, key=lambda s: (s[1], -s[0]))
    t_end, ok_end = next((t, ok) for t, ok, _, _ in samples if ok == last_ok[1])
    after = None
    if t_first is not None and t_end > t_first + 6:
        t5 = t_first + 5
        ok5 = max(ok for t, ok, _, _ in samples if t <= t5)
        after = (ok_end - ok5) / (rps * (t_end - t5))
    first5 = max((rl for t, _, rl, _ in samples if t <= samples[0][0] + 5), default=0) - samples[0][2]
    return {"first_429": t_first, "reach90": reach, "share_after5": after, "throttled_first5": first5}


def scenario(ctx, ctdl_run, log_dir, name, rps, burst, end, restart=False,
             retry_after=True, latency_ms=0):
    args = ["--cap", str(CAP), "--rate", str(rps), "--burst", str(burst)]
    if not retry_after:
        args.append("--no-retry-after")
    if latency_ms:  # a host that is not on loopback: what a faster start costs it shows here
        args += ["--latency-ms", str(latency_ms)]
    with bl.Server(ctx.testlog, log_dir, f"{ctx.work}/serve-{name}", args) as srv:
        ctx.note_cmd(f"serve ({name})", srv.cmd)
        res = {"name": name, "rps": rps, "burst": burst, "end": end, "retry_after": retry_after}
        if restart:
            # First run learns and stores the rate; the second resumes from the same state after a
            # pause (the server's bucket refills) and should start at the stored rate: no 429 burst.
            first = ctdl_run(ctx, srv, name + "-1", srv.url, ["--end", str(end // 2)],
                             expect=end // 2)
            time.sleep(2)
            with Poller(srv) as p:
                res["run"] = ctdl_run(ctx, srv, name, srv.url, ["--end", str(end)], expect=end,
                                      reuse=name + "-1")
            res["first"] = first
        else:
            with Poller(srv) as p:
                res["run"] = ctdl_run(ctx, srv, name, srv.url, ["--end", str(end)], expect=end)
        run = res["run"]
        res.update(timeline(p.samples, rps))
        st = run["server"]
        res["requests"] = st.get("requests", 0)
        res["throttled"] = st.get("rate_limited", 0)
        res["share_429"] = res["throttled"] / res["requests"] if res["requests"] else 0
        entries = run["entries"] - (end // 2 if restart else 0)
        res["entries_per_s"] = entries / run["wall"] if run["wall"] > 0 else 0
        res["share"] = res["entries_per_s"] / (rps * CAP)
        res["ok"] = run["ok"]
        bl.log(f"{name}: {res['share']:.0%} of {rps} req/s x {CAP}, {res['throttled']} of "
               f"{res['requests']} requests 429, first 429 at {res.get('first_429')}, 90% at "
               f"{res.get('reach90')}")
        return res


def run_all(ctx, ctdl_run, built_log, n):
    log_dir = built_log(ctx, n)
    out = []
    for name, rps, burst, end, kw in (
            ("rate-20", 20, 5, min(n, 50000), {}),
            ("rate-20-restart", 20, 5, min(n, 50000), {"restart": True}),
            ("rate-20-latency-20ms", 20, 5, min(n, 25600), {"latency_ms": 20}),
            ("rate-5", 5, 2, min(n, 25600), {}),
            ("rate-75", 75, 10, min(n, 200000), {}),
            ("rate-0.5-no-retry-after", 0.5, 1, min(n, 30 * CAP), {"retry_after": False})):
        out.append(scenario(ctx, ctdl_run, log_dir, name, rps, burst, end, **kw))
    return out


def goal_rows(results):
    rows = []
    by = {r["name"]: r for r in results}
    g = by.get("rate-20")
    if g:
        rows.append((f"rate-limited 20 req/s burst 5, 50,000 entries: ≥ {GOAL_SHARE:.0%} of the allowed "
                     "rate", f"{g['share']:.0%} ({bl.fmt_rate(g['entries_per_s'])} of "
                     f"{20 * CAP:,} entries/s)", g["ok"] and g["share"] >= GOAL_SHARE))
        rows.append((f"rate-limited 20 req/s: ≤ {GOAL_429:.0%} of requests answered 429",
                     f"{g['share_429']:.1%} ({g['throttled']} of {g['requests']})",
                     g["share_429"] <= GOAL_429))
        a = g.get("share_after5")
        rows.append((f"rate-limited 20 req/s: ≥ {GOAL_AFTER_5S:.0%} of the limit from 5 s after the "
                     "first 429", "-" if a is None else f"{a:.0%}", a is not None and a >= GOAL_AFTER_5S))
    rs = by.get("rate-20-restart")
    if rs:
        rows.append(("restart at 20 req/s: the stored rate reused (no 429 burst at start)",
                     f"{rs.get('throttled_first5', '?')} 429s in its first 5 s, {rs['throttled']} of "
                     f"{rs['requests']} in all, {rs['share']:.0%} of the allowed rate",
                     rs["ok"] and rs.get("throttled_first5", 99) <= 1))
    return rows


def table(results):
    def f(x, fmt):
        return "-" if x is None else fmt.format(x)
    L = ["", "## Rate-limited logs\n",
         f"Token bucket in the test log (`--rate R --burst B`, cap {CAP}, all requests counted, "
         "beyond it 429 with Retry-After = seconds to the next token, at least 1), fresh state per "
         "scenario except the restart (first run to half the entries, 2 s pause, second run from the "
         "stored state: the row is the second run). Entries/s over the download; share = of R × cap. "
         "Timeline from the server's counters polled every 0.1 s, times from the start of the "
         "command (init included).\n",
         "| scenario | R req/s | burst | entries | entries/s | share of R×cap | 429s / requests | "
         "first 429 at s | 90 % of R at s | share from 5 s after the first 429 | 429s in first 5 s |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in results:
        L.append(f"| {r['name']}{'' if r['ok'] else ' (FAILED)'} | {r['rps']} | {r['burst']} | "
                 f"{r['end']:,} | {bl.fmt_rate(r['entries_per_s'])} | {r['share']:.0%} | "
                 f"{r['throttled']} / {r['requests']} ({r['share_429']:.1%}) | "
                 f"{f(r.get('first_429'), '{:.1f}')} | {f(r.get('reach90'), '{:.1f}')} | "
                 f"{f(r.get('share_after5'), '{:.0%}')} | {r.get('throttled_first5', '-')} |")
    return L
