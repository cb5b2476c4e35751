#!/usr/bin/env python3
"""Issue 15 CPU A/B: ctdl binaries interleaved (A B B A ...), fresh state per run.
usage: bench/ab/cpu_ab.py TESTLOG LOGDIR ROUNDS MODES NAME=ctdl [NAME=ctdl ...]
MODES: comma list of rfc6962,tiles. Per run: `ctdl init --log-list` + `ctdl download URL
--no-progress` against `ctdl-testlog serve --cap 1024`; prints CPU us/entry of init+download
(as bench.py), peak RSS, archive size, a hash of the records, load average; medians at the end."""
import os, sys, statistics, shutil, hashlib, subprocess, glob
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import benchlib as bl

testlog, logdir, rounds, modes = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")
bins = [(n, os.path.abspath(e)) for n, e in (a.split("=", 1) for a in sys.argv[5:])]
work = os.environ.get("CPUAB_WORK", "/tmp/ctdl-cpu-ab")
n = 200000
res = {}
with bl.Server(testlog, logdir, os.path.join(work, "serve"), ["--cap", "1024"]) as srv:
    for r in range(rounds):
        order = bins if r % 2 == 0 else bins[::-1]
        for mode in modes:
            for name, exe in order:
                d = bl.fresh_dir(os.path.join(work, f"{name}-{mode}"))
                g = ["--state", f"sqlite:{d}/state.db", "--archive", f"dir:{d}/archive"]
                url = srv.url if mode == "rfc6962" else srv.static_url
                load = open("/proc/loadavg").read().split()[0]
                i = bl.run_measured([exe] + g + ["init", "--log-list", srv.log_list, "--yes"], cwd=d)
                m = bl.run_measured([exe] + g + ["download", url, "--no-progress"], cwd=d)
                assert i.rc == 0 and m.rc == 0, m.stderr[-500:]
                cpu = i.cpu + m.cpu
                us = cpu * 1e6 / n
                rss = max(i.maxrss_kb, m.maxrss_kb) / 1024
                size = sum(os.path.getsize(p) for p in glob.glob(f"{d}/archive/*/*.jsonl.gz"))
                # hashed in a pipe: capturing ~90 MB here grew this process, and a forked child's
                # ru_maxrss counts the parent's pages it started with (the RSS column was 199 MB)
                h = subprocess.run(f"zcat {d}/archive/*/*.jsonl.gz | sha256sum", shell=True,
                                   capture_output=True, text=True).stdout[:12]
                res.setdefault((mode, name), []).append((us, rss, size))
                print(f"{mode:8} {name:4} {us:6.2f} us/entry user {m.user:.2f} sys {m.sys:.2f} "
                      f"rss {rss:.0f} MB wall {m.wall:.2f} gz {size/1e6:.2f} MB "
                      f"records {h} load {load}", flush=True)
for (mode, name), v in sorted(res.items()):
    us = [x[0] for x in v]
    print(f"{mode:8} {name:4} median {statistics.median(us):.2f} range {min(us):.2f}-{max(us):.2f} "
          f"rss {min(x[1] for x in v):.0f}-{max(x[1] for x in v):.0f} MB gz {v[0][2]/1e6:.2f} MB")
