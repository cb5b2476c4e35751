"""`make bench` scenario `tls` (issue 11): ctdl through nginx (tests/lib/tls_front.py) over TLS +
HTTP/2, TLS + HTTP/1.1 and plain HTTP, each beside `curl -Z --parallel-max N` on the same URLs (and
certspotter over TLS + HTTP/2), with the client connections counted by nginx ($connection), CPU, and
the memory a 1 GB / endless reply leaves. Also `strace -f -e connect` of a plain-HTTP download.

bench.py calls run(ctx, log_dir, results); report.py calls goals(results) and render(results).
"""

import os
import re
import shutil
import subprocess
import sys

import benchlib as bl

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "tests", "lib"))

# the latency-bound run: 20 ms per request, cap 32 (BENCH_TLS_LAT_ENTRIES: a longer one,
# where the fixed costs of a run -- start, tree head, cap probe, ramp, last segment -- weigh less)
LAT_ENTRIES = int(os.environ.get("BENCH_TLS_LAT_ENTRIES", "20000"))
GOAL_H2_CONNS, GOAL_H1_CONNS, GOAL_PLAIN_CONNECTS = 2, 20, 70
GOAL_H2_VS_CURL, GOAL_TLS_CPU_RATIO, GOAL_HUGE_RSS_MB = 0.8, 1.5, 512


class _Front:
    """What bench.ctdl_run / certspotter_run need of a server, for a log behind the nginx front."""

    def __init__(self, srv, front, log_list):
        self.srv, self.front, self.log_list = srv, front, log_list
        self.url = front.url

    def stats(self):
        return self.srv.stats()

    def cpu(self):
        return self.srv.cpu()


def _rfc6962_list(front, srv, path):
    """The test log's list pointed at the front, RFC 6962 log only (the tiled origin names the
    server's own port)."""
    import json
    with open(srv.log_list) as f:
        text = f.read().replace(f"http://127.0.0.1:{srv.port}/", front.url)
    ll = json.loads(text)
    for op in ll["operators"]:
        op["tiled_logs"] = []
    with open(path, "w") as f:
        json.dump(ll, f)
    return path


def _curl(ctx, fe, name, urls, parallel):
    """curl -Z over `urls` through the front; entries/s, CPU, connections."""
    d = bl.fresh_dir(os.path.join(ctx.work, name))
    cfg = os.path.join(d, "urls.cfg")
    with open(cfg, "w") as f:
        for u in urls:
            f.write(f'url = "{u}"\noutput = "/dev/null"\n')
    cmd = ["curl", "--no-progress-meter", "--fail", "-Z", "--parallel-max", str(parallel), "-K", cfg]
    if fe.front.url.startswith("https"):
        cmd[1:1] = ["--cacert", fe.front.ca_file] + ([] if fe.front.http2 else ["--http1.1"])
    ctx.note_cmd(f"{name} ({len(urls)} URLs)", cmd)
    fe.front.reset_log()
    s0 = fe.stats()
    m = bl.run_measured(cmd, timeout=900)
    st = bl.stats_delta(s0, fe.stats())
    res = {"name": name, "ok": m.rc == 0, "wall": m.wall, "cpu": m.cpu, "entries": st.get("entries", 0),
           "requests": len(urls), "parallel": parallel, "connections": fe.front.connections()}
    res["rate"] = res["entries"] / m.wall if m.wall > 0 else 0
    if not res["ok"]:
        res["problem"] = m.stderr.strip()[-300:]
    bl.log(f"{name}: {res['entries']} entries in {m.wall:.2f} s = {bl.fmt_rate(res['rate'])} entries/s, "
           f"{res['connections']} connections, cpu {m.cpu:.2f} s")
    return res


def _ctdl(ctx, fe, name, end, inflight, env_ca=True):
    import bench  # noqa: late import (bench imports this module)
    fe.front.reset_log()
    old = os.environ.get("CURL_CA_BUNDLE")
    if env_ca and fe.front.url.startswith("https"):
        os.environ["CURL_CA_BUNDLE"] = fe.front.ca_file
    try:
        r = bench.ctdl_run(ctx, fe, name, fe.url, ["--end", str(end), "--max-inflight", str(inflight)],
                           expect=end)
    finally:
        if old is None:
            os.environ.pop("CURL_CA_BUNDLE", None)
        else:
            os.environ["CURL_CA_BUNDLE"] = old
    r["connections"] = fe.front.connections()
    r["protocols"] = fe.front.protocols()
    r["inflight"] = inflight
    r["cpu_per_entry_us"] = r["cpu"] / max(1, r["entries"]) * 1e6
    bl.log(f"{name}: {r['connections']} connections {r['protocols']}")
    return r


def _strace_connects(ctx, srv, name, end, inflight):
    """connect() calls of a plain-HTTP ctdl download straight to the test log (strace -f)."""
    if not shutil.which("strace"):
        return {"ok": False, "problem": "strace is not installed"}
    d = bl.fresh_dir(os.path.join(ctx.work, name))
    g = ["--state", f"sqlite:{d}/state.db", "--archive", f"dir:{d}/archive"]
    subprocess.run([ctx.ctdl] + g + ["init", "--log-list", srv.log_list, "--yes"], capture_output=True)
    trace = os.path.join(d, "connect.trace")
    cmd = ["strace", "-f", "-e", "trace=connect", "-o", trace, ctx.ctdl] + g + [
        "download", srv.url, "--no-progress", "--end", str(end), "--max-inflight", str(inflight)]
    ctx.note_cmd(f"{name}: strace -f -e trace=connect of the download", cmd)
    s0 = srv.stats()
    m = bl.run_measured(cmd, timeout=900)
    st = bl.stats_delta(s0, srv.stats())
    with open(trace) as f:
        connects = sum(1 for l in f if re.search(r"connect\(\d+, \{sa_family=AF_INET6?", l)
                       and f"htons({srv.port})" in l)
    res = {"name": name, "ok": m.rc == 0, "connects": connects, "requests": st.get("requests", 0),
           "entries": end, "inflight": inflight, "wall": m.wall}
    if not res["ok"]:
        res["problem"] = m.stderr.strip()[-300:]
    bl.log(f"{name}: {connects} connect() calls to the log for {res['requests']} requests")
    return res


def _huge(ctx, log_dir, end, huge_bytes, name):
    import bench  # noqa
    args = ["--cap", "1024", "--phuge", "0.05", "--huge-bytes", str(huge_bytes), "--fault-scope",
            "data", "--seed", "3"]
    with bl.Server(ctx.testlog, log_dir, os.path.join(ctx.work, "serve-" + name), args) as srv:
        ctx.note_cmd(f"serve ({name})", srv.cmd)
        r = bench.ctdl_run(ctx, srv, name, srv.url, ["--end", str(end)], expect=end)
        r["huge_replies"] = r["server"].get("huge", 0)
        r["huge_bytes"] = huge_bytes
        return r


def run(ctx, log_dir, results):
    if not shutil.which("nginx") and not os.access("/usr/sbin/nginx", os.X_OK):
        results["tls"] = {"ok": False, "problem": "nginx is not installed (scripts/install-deps.sh test)"}
        return
    import tls_front
    import bench  # noqa
    out = {"ok": True, "lat_entries": min(ctx.entries, LAT_ENTRIES)}
    n_lat = out["lat_entries"]
    lat_args = ["--cap", "32", "--latency-ms", "20"]
    with bl.Server(ctx.testlog, log_dir, os.path.join(ctx.work, "serve-tls-latency"), lat_args) as srv:
        ctx.note_cmd("serve (TLS runs, latency-bound: 20 ms, cap 32)", srv.cmd)
        urls = lambda fe: bench.get_entries_urls(fe.url, n_lat, 32)  # noqa: E731
        for key, kw, inflight in (("h2", {"http2": True}, 64), ("h1", {"http2": False}, 16),
                                  ("plain", {"plain": True}, 64)):
            with tls_front.TlsFront(srv.port, **kw) as front:
                fe = _Front(srv, front, _rfc6962_list(front, srv, os.path.join(ctx.work, f"ll-{key}.json")))
                out[key] = _ctdl(ctx, fe, f"tls-{key}-latency", n_lat, inflight)
                out[key + "_curl"] = _curl(ctx, fe, f"tls-{key}-latency-curl", urls(fe), inflight)
        out["plain_strace"] = _strace_connects(ctx, srv, "plain-connects", min(ctx.entries, 50000), 64)
    # CPU per entry on the fast path (cap 1024): TLS + HTTP/2 vs plain HTTP, through the same nginx.
    n_fast = min(ctx.entries, 100000)
    with bl.Server(ctx.testlog, log_dir, os.path.join(ctx.work, "serve-tls-fast"), ["--cap", "1024"]) as srv:
        for key, kw in (("fast_h2", {"http2": True}), ("fast_plain", {"plain": True})):
            with tls_front.TlsFront(srv.port, **kw) as front:
                fe = _Front(srv, front, _rfc6962_list(front, srv, os.path.join(ctx.work, f"ll-{key}.json")))
                out[key] = _ctdl(ctx, fe, f"tls-{key}", n_fast, 64)
                out[key + "_curl"] = _curl(ctx, fe, f"tls-{key}-curl",
                                           bench.get_entries_urls(fe.url, n_fast, 1024), ctx.parallel)
                if key == "fast_h2" and ctx.want("certspotter") and shutil.which("certspotter"):
                    # certspotter (Go) reads SSL_CERT_FILE; it downloads the whole log.
                    os.environ["SSL_CERT_FILE"] = front.ca_file
                    try:
                        front.reset_log()
                        cs = bench.certspotter_run(ctx, fe, ctx.entries)
                        cs["connections"] = front.connections()
                        out["h2_certspotter"] = cs
                    finally:
                        os.environ.pop("SSL_CERT_FILE", None)
    huge_n = min(ctx.entries, 50000)
    out["huge_1g"] = _huge(ctx, log_dir, huge_n, 10 ** 9, "huge-1GB-replies")
    out["huge_endless"] = _huge(ctx, log_dir, huge_n, 0, "endless-chunked-replies")
    results["tls"] = out


def goals(r):
    t = r.get("tls")
    if not t:
        return []
    if "h2" not in t:
        return [("TLS runs", t.get("problem", "failed"), False)]
    rows = []
    h2, h2c = t["h2"], t.get("h2_curl", {})
    rows.append((f"TLS + HTTP/2, 64 in flight: ≤ {GOAL_H2_CONNS} connections",
                 f"{h2['connections']} connections" + ("" if h2["ok"] else " (failed)"),
                 h2["ok"] and h2["connections"] <= GOAL_H2_CONNS))
    if h2c.get("ok") and h2["ok"]:
        share = h2["rate_download"] / h2c["rate"] if h2c["rate"] else 0
        rows.append((f"TLS + HTTP/2 (20 ms, cap 32): ≥ {GOAL_H2_VS_CURL:.0%} of curl's rate",
                     f"{share:.0%} ({bl.fmt_rate(h2['rate_download'])} vs {bl.fmt_rate(h2c['rate'])} "
                     "entries/s)", share >= GOAL_H2_VS_CURL))
    h1 = t["h1"]
    rows.append((f"TLS + HTTP/1.1, 16 in flight: ≤ {GOAL_H1_CONNS} connections",
                 f"{h1['connections']} connections", h1["ok"] and h1["connections"] <= GOAL_H1_CONNS))
    st = t.get("plain_strace", {})
    if st.get("ok"):
        rows.append((f"plain HTTP, 64 in flight, {st['entries']:,} entries: ≤ {GOAL_PLAIN_CONNECTS} "
                     "connect calls", f"{st['connects']} for {st['requests']} requests",
                     st["connects"] <= GOAL_PLAIN_CONNECTS))
    fh, fp = t.get("fast_h2", {}), t.get("fast_plain", {})
    if fh.get("ok") and fp.get("ok"):
        ratio = fh["cpu_per_entry_us"] / fp["cpu_per_entry_us"]
        rows.append((f"CPU per entry over TLS within {GOAL_TLS_CPU_RATIO:g}x of plain HTTP",
                     f"{ratio:.2f}x ({fh['cpu_per_entry_us']:.1f} vs {fp['cpu_per_entry_us']:.1f} µs)",
                     ratio <= GOAL_TLS_CPU_RATIO))
    for key, label in (("huge_1g", "1 GB replies"), ("huge_endless", "endless chunked replies")):
        h = t.get(key)
        if h:
            rows.append((f"{label}: peak RSS < {GOAL_HUGE_RSS_MB} MB, download completes",
                         f"{h['maxrss_mb']:.0f} MB, {h.get('huge_replies', 0)} huge replies"
                         + ("" if h["ok"] else " (failed)"),
                         h["ok"] and h["maxrss_mb"] < GOAL_HUGE_RSS_MB))
    return rows


def render(r):
    t = r.get("tls")
    if not t or "h2" not in t:
        return []
    L = ["## Over TLS and HTTP/2 (nginx in front of the test log)\n",
         f"nginx 1.22 terminates TLS (a CA generated per run) and proxies to ctdl-testlog; connections "
         f"are counted by nginx (`$connection`). Latency-bound log: 20 ms per request, cap 32, first "
         f"{t['lat_entries']:,} entries; fast path: cap 1024. ctdl rates are download only (init "
         "excluded) to compare with curl.\n",
         "| run | client | in flight | entries | wall s | entries/s | CPU s | CPU µs/entry | "
         "connections | protocol |", "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]

    def row(label, client, x):
        if not x:
            return
        if not x.get("ok"):
            L.append(f"| {label} | {client} | | failed: {x.get('problem', '')[:120]} | | | | | | |")
            return
        rate = x.get("rate_download", x.get("rate", 0))
        wall = x.get("wall", 0)
        cpu = x.get("cpu") or 0
        L.append(f"| {label} | {client} | {x.get('inflight', x.get('parallel', ''))} | "
                 f"{x.get('entries', 0):,} | {wall:.2f} | **{bl.fmt_rate(rate)}** | {cpu:.2f} | "
                 f"{cpu / max(1, x.get('entries', 1)) * 1e6:.1f} | {x.get('connections', '')} | "
                 f"{', '.join(x.get('protocols', {}).keys())} |")

    for key, label in (("h2", "TLS + HTTP/2"), ("h1", "TLS + HTTP/1.1"), ("plain", "plain HTTP/1.1")):
        row(label, "ctdl", t.get(key))
        row(label, "curl -Z", t.get(key + "_curl"))
    row("fast path TLS + HTTP/2", "ctdl", t.get("fast_h2"))
    row("fast path TLS + HTTP/2", "curl -Z", t.get("fast_h2_curl"))
    row("fast path TLS + HTTP/2 (whole log)", "certspotter", t.get("h2_certspotter"))
    row("fast path plain HTTP", "ctdl", t.get("fast_plain"))
    row("fast path plain HTTP", "curl -Z", t.get("fast_plain_curl"))
    st = t.get("plain_strace")
    if st and st.get("ok"):
        L.append(f"\nplain HTTP straight to the log, {st['inflight']} in flight, {st['entries']:,} "
                 f"entries under `strace -f -e trace=connect`: **{st['connects']} connect calls** for "
                 f"{st['requests']} requests.\n")
    for key in ("huge_1g", "huge_endless"):
        h = t.get(key)
        if h:
            size = "endless chunked" if h["huge_bytes"] == 0 else f"{h['huge_bytes'] / 1e9:g} GB"
            L.append(f"- 5% of get-entries replies {size} (cap 1024, {h.get('entries', 0):,} entries): "
                     f"{h.get('huge_replies', 0)} such replies, download "
                     f"{'completed' if h['ok'] else 'FAILED'} in {h.get('wall', 0):.1f} s, peak RSS "
                     f"**{h['maxrss_mb']:.0f} MB**")
    L.append("")
    return L
