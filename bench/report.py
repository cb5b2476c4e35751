"""RESULTS.md rendering for bench/bench.py (goals, tables, commands)."""

import os
import platform
import re
import subprocess

import bench_tls
import benchlib as bl
import rate_bench

GOAL_RATE = 130000
GOAL_RAW_RATIO = 4.0
GOAL_CERTSPOTTER_RATIO = 7.0
GOAL_LATENCY_RATE = 10000
GOAL_RATE_SHARE = 0.90
GOAL_429_SHARE = 0.05
GOAL_RSS_MB = 256
GOAL_FILE_RATE = 200000
GOAL_US_PER_ENTRY = 8.0


def machine():
    info = {"cpus": os.cpu_count(), "kernel": platform.release()}
    try:
        with open("/proc/loadavg") as f:
            info["load"] = " ".join(f.read().split()[:3])
    except OSError:
        info["load"] = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        info["cpu"] = m.group(1).strip() if m else "?"
    except OSError:
        info["cpu"] = "?"
    try:
        with open("/proc/meminfo") as f:
            kb = int(re.search(r"MemTotal:\s+(\d+)", f.read()).group(1))
        info["ram_gb"] = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        info["ram_gb"] = None
    try:
        info["ctdl_rev"] = subprocess.run(["git", "-C", os.path.dirname(__file__), "rev-parse",
                                           "--short", "HEAD"], capture_output=True,
                                          text=True).stdout.strip()
    except OSError:
        info["ctdl_rev"] = "?"
    try:
        info["curl"] = subprocess.run(["curl", "--version"], capture_output=True,
                                      text=True).stdout.split("\n")[0]
    except OSError:
        info["curl"] = "?"
    return info


def _ok(flag):
    return "**met**" if flag else "**NOT met**"


def goals(r):
    """[(goal, measured, met or None)]"""
    rows = []
    fast = r.get("rfc6962")
    if fast and fast.get("ok"):
        rows.append((f"RFC 6962 {r['entries']:,} entries, records + verification: "
                     f"≥ {GOAL_RATE:,} entries/s", f"{bl.fmt_rate(fast['rate'])} entries/s",
                     fast["rate"] >= GOAL_RATE))
        raw = best_raw(r, "raw", "raw_seq")
        if raw:
            ratio = raw["rate"] / fast["rate"]
            rows.append((f"RFC 6962 within {GOAL_RAW_RATIO:g}x of raw transfer",
                         f"raw/ctdl = {ratio:.1f}x", ratio <= GOAL_RAW_RATIO))
        cs = r.get("certspotter")
        if cs and cs.get("ok"):
            ratio = fast["rate"] / cs["rate"]
            rows.append((f"RFC 6962 ≥ {GOAL_CERTSPOTTER_RATIO:g}x certspotter",
                         f"ctdl/certspotter = {ratio:.1f}x", ratio >= GOAL_CERTSPOTTER_RATIO))
        rows.append((f"RFC 6962: ≤ {GOAL_US_PER_ENTRY:g} µs of ctdl CPU per entry",
                     f"{fast['us_per_entry']:.1f} µs", fast["us_per_entry"] <= GOAL_US_PER_ENTRY))
        rows.append((f"peak RSS ≤ {GOAL_RSS_MB} MB", f"{fast['maxrss_mb']:.0f} MB",
                     fast["maxrss_mb"] <= GOAL_RSS_MB))
    elif fast:
        rows.append(("RFC 6962 download works", fast.get("problem", "failed"), False))
    tiles = r.get("tiles")
    if tiles:
        if tiles.get("ok"):
            rows.append((f"tiles: ≥ {GOAL_RATE:,} entries/s", f"{bl.fmt_rate(tiles['rate'])} "
                         "entries/s", tiles["rate"] >= GOAL_RATE))
            rows.append((f"tiles: ≤ {GOAL_US_PER_ENTRY:g} µs of ctdl CPU per entry",
                         f"{tiles['us_per_entry']:.1f} µs",
                         tiles["us_per_entry"] <= GOAL_US_PER_ENTRY))
            raw = r.get("raw_tiles")
            if raw and raw.get("ok") and tiles["rate"] > 0:
                ratio = raw["rate"] / tiles["rate"]
                rows.append((f"tiles within {GOAL_RAW_RATIO:g}x of raw transfer",
                             f"raw/ctdl = {ratio:.1f}x", ratio <= GOAL_RAW_RATIO))
            cs = r.get("certspotter")
            if cs and cs.get("ok"):
                ratio = tiles["rate"] / cs["rate"]
                rows.append((f"tiles ≥ {GOAL_CERTSPOTTER_RATIO:g}x certspotter (RFC 6962)",
                             f"{ratio:.1f}x", ratio >= GOAL_CERTSPOTTER_RATIO))
        else:
            rows.append(("tiles download works", _short(tiles.get("problem", "failed")), False))
    fl = r.get("file")
    if fl:
        if fl.get("ok"):
            rows.append((f"file:// (static-ct-api folder): ≥ {GOAL_FILE_RATE:,} entries/s",
                         f"{bl.fmt_rate(fl['rate'])} entries/s", fl["rate"] >= GOAL_FILE_RATE))
            rows.append((f"file://: ≤ {GOAL_US_PER_ENTRY:g} µs of ctdl CPU per entry",
                         f"{fl['us_per_entry']:.1f} µs", fl["us_per_entry"] <= GOAL_US_PER_ENTRY))
        else:
            rows.append(("file:// download works", _short(fl.get("problem", "failed")), False))
    lat = r.get("latency")
    if lat:
        rows.append((f"latency-bound (100 ms, cap 32): ≥ {GOAL_LATENCY_RATE:,} entries/s",
                     f"{bl.fmt_rate(lat['rate'])} entries/s" + ("" if lat["ok"] else " (failed)"),
                     lat["ok"] and lat["rate"] >= GOAL_LATENCY_RATE))
    rate = r.get("rate")
    if rate:
        allowed = rate["allowed_rps"] * rate["cap"]
        share = rate["rate_download"] / allowed
        req = rate["server"].get("requests", 0)
        s429 = rate["server"].get("429", 0) / req if req else 0
        rows.append((f"rate-limited: ≥ {GOAL_RATE_SHARE:.0%} of the allowed rate",
                     f"{share:.0%} ({bl.fmt_rate(rate['rate_download'])} of {allowed:,} entries/s)",
                     rate["ok"] and share >= GOAL_RATE_SHARE))
        rows.append((f"rate-limited: ≤ {GOAL_429_SHARE:.0%} of requests answered 429",
                     f"{s429:.1%} ({rate['server'].get('429', 0)} of {req})", s429 <= GOAL_429_SHARE))
    rows += rate_bench.goal_rows(r.get("rate_limits") or [])
    rows += bench_tls.goals(r)
    return rows


def _short(s, n=160):
    s = " ".join(str(s).split())
    return s if len(s) <= n else s[:n] + "…"


def best_raw(r, *keys):
    c = [r[k] for k in keys if r.get(k) and r[k].get("ok")]
    return max(c, key=lambda x: x["rate"]) if c else None


def ctdl_row(label, x):
    if not x:
        return None
    if not x.get("ok") and not x.get("entries"):
        return f"| {label} | failed: {_short(x.get('problem', ''), 120)} | | | | | | |"
    srv = x.get("server", {})
    us = x.get("us_per_entry")
    reps = x.get("repeats")
    if reps and len(reps) > 1:  # the run shown is the median by CPU per entry (bench.ctdl_median_run)
        label += (f" — the median of {len(reps)} runs: " + " / ".join(f"{u:.1f}" for u, _ in reps)
                  + " µs/entry, " + " / ".join(bl.fmt_rate(r) for _, r in reps) + " entries/s")
    return (f"| {label} | {x['entries']:,} | {x['wall_total']:.2f} | **{bl.fmt_rate(x['rate'])}** | "
            f"{x['cpu']:.2f} ({x['user']:.2f}+{x['sys']:.2f}) | {f'{us:.1f}' if us else ''} | "
            f"{x['maxrss_mb']:.0f} | "
            f"{bl.fmt_mb(x['archive_bytes'])} + {x['state_bytes'] / 1e6:.2f} | "
            f"{srv.get('requests', 0):,} / {srv.get('429', 0):,} | {x.get('server_cpu', 0):.2f} |"
            + ("" if x.get("ok") else f" failed: {_short(x.get('problem', ''), 100)}"))


def raw_row(label, x):
    if not x:
        return None
    if not x.get("ok"):
        return f"| {label} | failed: {_short(x.get('problem', ''), 120)} | | | | |"
    return (f"| {label} | {x['requests']:,} | {x['parallel']} | {x['wall']:.2f} | "
            f"**{bl.fmt_rate(x['rate'])}** | {x['mbps']:,.0f} | {x['cpu']:.2f} |")


def side_by_side(r):
    """The fast paths beside each other: entries/s, CPU µs per entry, peak RSS."""
    n = r["entries"]
    rows = []
    for label, key in (("ctdl RFC 6962 (plain HTTP)", "rfc6962"), ("ctdl tiles (plain HTTP)", "tiles"),
                       ("ctdl file:// (same tiles, folder)", "file"),
                       ("curl raw get-entries, parallel", "raw"), ("curl raw data tiles, parallel", "raw_tiles"),
                       ("cat of the folder's data tiles", "file_raw"), ("certspotter (RFC 6962)", "certspotter")):
        x = r.get(key)
        if not x or not x.get("ok"):
            continue
        cpu = x.get("cpu")
        ent = x.get("entries") or n
        us = f"{cpu * 1e6 / ent:.1f}" if cpu is not None and ent else ""
        rss = f"{x['maxrss_mb']:.0f}" if x.get("maxrss_mb") is not None else ""
        rows.append(f"| {label} | **{bl.fmt_rate(x['rate'])}** | {us} | {rss} |")
    if not rows:
        return []
    return ["", "## Side by side (same log, same machine, one run)\n",
            "CPU µs per entry = user+sys CPU seconds of that process (ctdl: init + download; curl and "
            "cat: the client only) / entries; the server's CPU is not in it. ctdl's rows (and the "
            "goals) are the run with the median CPU per entry of `BENCH_REPEAT` (default 3) runs, each "
            "with fresh state and archive; every run is listed under \"ctdl runs\".\n",
            "| what | entries/s | CPU µs/entry | peak RSS MB |", "| --- | ---: | ---: | ---: |"] + rows


def render(r, others, analysis_path):
    m = r["machine"]
    n = r["entries"]
    L = [f"# ctdl benchmark results\n",
         f"Written by `bench/run.sh` (`make bench`) on {r['started']}, ctdl `{m.get('ctdl_rev')}`, "
         f"(plus whatever was uncommitted in the working tree when it was built), in "
         f"{r['bench_seconds']:.0f} s. Re-run to refresh; the analysis at the end is kept in "
         f"`bench/analysis.md`.\n",
         f"Machine: {m.get('cpu')}, {m.get('cpus')} CPUs, {m.get('ram_gb')} GB RAM, Linux "
         f"{m.get('kernel')}; {m.get('curl')}. Load average at the start: {m.get('load')} (the "
         "machine is shared; the test log server runs on the same CPUs).\n",
         f"Main log: {n:,} entries (about half precertificates, 1,087 real certificates from "
         "testdata/certs spread in), built once by `ctdl-testlog build` and cached.\n",
         "## Goals\n", "| goal | measured | |", "| --- | --- | --- |"]
    for g, meas, met in goals(r):
        L.append(f"| {g} | {meas} | {_ok(met)} |")
    L += side_by_side(r)
    L += ["", "## ctdl runs\n",
          "Each run: fresh folder archive and SQLite state; `ctdl init --log-list … --yes`, then "
          "`ctdl download URL --no-progress` (verification on: signed tree head + Merkle root at the "
          "signed size). Time and rate include init. CPU and RSS are ctdl's own (wait4 rusage of "
          "each child; RSS = the larger of init and download). Written = archive + state DB.\n",
          "| run | entries | seconds | entries/s | CPU s (user+sys) | CPU µs/entry | peak RSS MB | "
          "written MB | server requests / 429 | server CPU s |",
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, key in (("RFC 6962, cap 1024", "rfc6962"),
                       ("RFC 6962, 200k (RSS check)", "rfc6962_200k"),
                       ("RFC 6962, `--max-inflight 1` (one request at a time)", "one"),
                       ("tiles (static-ct-api)", "tiles"),
                       ("file:// (the same tiles in a folder, no server)", "file"),
                       ("latency-bound: 100 ms/request, cap 32", "latency"),
                       ("latency-bound, `--max-inflight 1`", "latency_one"),
                       ("rate-limited", "rate")):
        row = ctdl_row(label, r.get(key))
        if row:
            L.append(row)
    L += ["", "## Raw transfer (curl to /dev/null, the same URLs)\n",
          "| what | requests | parallel | seconds | entries/s | MB/s | curl CPU s |",
          "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for label, key in (("get-entries, cap 1024", "raw"), ("get-entries, cap 1024", "raw_seq"),
                       ("data tiles", "raw_tiles"), ("data tiles from the folder (`cat`)", "file_raw"),
                       ("latency-bound get-entries", "latency_raw")):
        row = raw_row(label, r.get(key))
        if row:
            L.append(row)
    cs = r.get("certspotter")
    if cs:
        L += ["", "## certspotter\n"]
        if cs.get("ok"):
            L.append(f"{cs.get('version')}: downloaded and verified all {n:,} entries in "
                     f"{cs['wall']:.2f} s = **{bl.fmt_rate(cs['rate'])} entries/s**, CPU "
                     f"{cs['cpu']:.2f} s, peak RSS {cs['maxrss_mb']:.0f} MB (server CPU "
                     f"{cs['server_cpu']:.2f} s). Measured from start until its state.json shows "
                     "`verified_position.size` = tree size (it checks the root against the signed "
                     "head before saving that), then stopped with SIGTERM. It runs with a watchlist "
                     "that matches nothing (so it parses every certificate but writes nothing), and "
                     "reads only the RFC 6962 log of the list.")
        else:
            L.append(f"Could not be measured: {cs.get('problem')}")
    fast = r.get("rfc6962")
    if fast and fast.get("ok"):
        L += ["", "## Ratios\n"]
        raw = best_raw(r, "raw", "raw_seq")
        if raw:
            L.append(f"- raw transfer / ctdl (RFC 6962): {raw['rate'] / fast['rate']:.1f}x "
                     f"(raw {bl.fmt_rate(raw['rate'])} entries/s, best of parallel and sequential)")
        if cs and cs.get("ok"):
            L.append(f"- ctdl / certspotter: {fast['rate'] / cs['rate']:.1f}x")
        one = r.get("one")
        if one and one.get("ok"):
            L.append(f"- ctdl / one request at a time (`--max-inflight 1`): "
                     f"{fast['rate'] / one['rate']:.1f}x")
        lat, lat1 = r.get("latency"), r.get("latency_one")
        if lat and lat1 and lat.get("ok") and lat1.get("ok"):
            L.append(f"- latency-bound: ctdl {bl.fmt_rate(lat['rate'])} vs one at a time "
                     f"{bl.fmt_rate(lat1['rate'])} entries/s = {lat['rate'] / lat1['rate']:.0f}x")
        rate = r.get("rate")
        if rate:
            req = rate["server"].get("requests", 0)
            L.append(f"- rate-limited (token bucket {rate['allowed_rps']} req/s, burst "
                     f"{rate['burst']}, cap {rate['cap']}, 429 + Retry-After beyond it): "
                     f"{bl.fmt_rate(rate['rate_download'])} entries/s during the download = "
                     f"{rate['rate_download'] / (rate['allowed_rps'] * rate['cap']):.0%} of "
                     f"{rate['allowed_rps'] * rate['cap']:,} allowed; "
                     f"{rate['server'].get('429', 0)} of {req} requests answered 429")
    if r.get("rate_limits"):
        L += rate_bench.table(r["rate_limits"])
    sizes = {n: r}
    sizes.update(others)
    rss = []
    for size in sorted(sizes):
        x = sizes[size].get("rfc6962")
        if x and x.get("ok"):
            rss.append((size, x["maxrss_mb"], x["rate"], sizes[size].get("started")))
    x = r.get("rfc6962_200k")
    if x and x.get("ok") and 200000 not in sizes:
        rss.append((200000, x["maxrss_mb"], x["rate"], r.get("started")))
    if rss:
        L += ["", "## Peak RSS by log size (RFC 6962 fast path)\n",
              "| entries | peak RSS MB | entries/s | run |", "| ---: | ---: | ---: | --- |"]
        for size, mb, rate, when in sorted(rss):
            L.append(f"| {size:,} | {mb:.0f} | {bl.fmt_rate(rate)} | {when} |")
        if n == 200000:
            L.append("\n(Run `BENCH_ENTRIES=1000000 make bench` for the 1M row; rows from other "
                     "sizes come from their last run, cached in the build dir.)")
    micro = r.get("micro")
    if micro:
        L += ["", "## Micro-benchmarks (build/bench/ctdl_microbench, one thread)\n"]
        if micro.get("ok"):
            L += ["| benchmark | CPU µs per item | items/s | MB/s of input |",
                  "| --- | ---: | ---: | ---: |"]
            for b in micro["rows"]:
                ips = b.get("items_per_second")
                bps = b.get("bytes_per_second")
                label = f" ({b['label']})" if b.get("label") else ""
                L.append(f"| {b['name']}{label} | {f'{1e6 / ips:,.3f}' if ips else ''} | "
                         f"{bl.fmt_rate(ips) if ips else ''} | "
                         f"{f'{bps / 1e6:,.0f}' if bps else ''} |")
        else:
            L.append(f"not run: {micro.get('problem')}")
    prof = r.get("profile")
    if prof:
        L += ["", "## Where the time goes (perf, RFC 6962 fast path, self time, all threads)\n"]
        if prof.get("ok"):
            L += ["| % samples | object | symbol |", "| ---: | --- | --- |"]
            for pct, dso, sym in prof["rows"]:
                L.append(f"| {pct:.1f} | {dso} | `{sym}` |")
        else:
            L.append(f"not run: {prof.get('problem')}")
    L += [""] + bench_tls.render(r)
    L += ["", "## Commands\n",
          f"`$BUILD` = the build dir, `$CACHE` = {r.get('cache_hint', '$BUILD/bench-cache')} (built "
          "logs), `$WORK` = `$CACHE/work` (per-run folders); ports are picked free per run.\n", "```"]
    for what, cmd in r.get("commands", []):
        L.append(f"# {what}\n{cmd}")
    L += ["```", ""]
    if os.path.exists(analysis_path):
        with open(analysis_path) as f:
            L += [f.read()]
    return "\n".join(L)


def summary(r):
    lines = ["", f"ctdl bench ({r['entries']:,} entries):"]
    for g, meas, met in goals(r):
        lines.append(f"  [{'ok' if met else '!!'}] {g}: {meas}")
    return "\n".join(lines)
