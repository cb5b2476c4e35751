#!/usr/bin/env python3
"""A/B of the issue-11 TLS + HTTP/2 latency scenario (bench_tls.py's tls-h2-latency, alone):
ctdl-testlog serve --cap 32 --latency-ms 20 of the 200k bench log behind nginx (h2), ctdl init +
download --end N --max-inflight 64 for each binary, interleaved A B B A ..., plus curl -Z
--parallel-max 64 on the same URLs once per round. Prints download wall, CPU, connections, load.

usage: bench/ab/tls_ab.py TESTLOG LOG_DIR ROUNDS NAME=CTDL [NAME=CTDL ...]   (env: N=20000, VERBOSE=1: ctdl -v)
"""
import os, sys, time, json, subprocess, statistics
SRC = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(SRC, "bench")); sys.path.insert(0, os.path.join(SRC, "tests", "lib"))
import benchlib as bl
import tls_front

testlog, log_dir, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
bins = [(n, os.path.abspath(e)) for n, e in (a.split("=", 1) for a in sys.argv[4:])]
N = int(os.environ.get("N", "20000"))
work = os.environ.get("TLSAB_WORK", "/tmp/ctdl-tls-ab")
os.makedirs(work, exist_ok=True)
res = {name: [] for name, _ in bins}
res["curl"] = []

def loadavg():
    return open("/proc/loadavg").read().split()[0]

def ctdl_once(name, exe, front, ll):
    d = bl.fresh_dir(os.path.join(work, name))
    g = [exe, "--state", f"sqlite:{d}/state.db", "--archive", f"dir:{d}/archive"]
    env = dict(os.environ, CURL_CA_BUNDLE=front.ca_file)
    r = subprocess.run(g + ["init", "--log-list", ll, "--yes"], env=env, capture_output=True)
    assert r.returncode == 0, r.stderr
    front.reset_log()
    la = loadavg()
    cmd = g + (["-v"] if os.environ.get("VERBOSE") else []) + ["download", front.url, "--no-progress",
              "--end", str(N), "--max-inflight", "64"]
    if os.environ.get("WRAP"):
        cmd = os.environ["WRAP"].replace("NAME", name).split() + cmd
    m = bl.run_measured(cmd, cwd=d, env=env)
    assert m.rc == 0, m.stderr[-2000:]
    if os.environ.get("VERBOSE"):
        open(os.path.join(work, f"{name}.stderr"), "a").write(m.stderr + "\n----\n")
    conns = front.connections()
    res[name].append((m.wall, m.cpu, conns, la))
    print(f"{name:8s} wall {m.wall:.3f} s  cpu {m.cpu:.3f} s  conns {conns}  load {la}", flush=True)

def curl_once(front):
    d = bl.fresh_dir(os.path.join(work, "curl"))
    cfg = os.path.join(d, "urls.cfg")
    with open(cfg, "w") as f:
        for s in range(0, N, 32):
            f.write(f'url = "{front.url}ct/v1/get-entries?start={s}&end={min(N, s + 32) - 1}"\noutput = "/dev/null"\n')
    la = loadavg()
    m = bl.run_measured(["curl", "--cacert", front.ca_file, "--no-progress-meter", "--fail", "-Z",
                         "--parallel-max", "64", "-K", cfg])
    assert m.rc == 0, m.stderr
    res["curl"].append((m.wall, m.cpu, 1, la))
    print(f"{'curl':8s} wall {m.wall:.3f} s  cpu {m.cpu:.3f} s  load {la}", flush=True)

with bl.Server(testlog, log_dir, os.path.join(work, "serve"), ["--cap", "32", "--latency-ms", "20"]) as srv:
    with tls_front.TlsFront(srv.port, http2=True) as front:
        ll = os.path.join(work, "ll.json")
        with open(srv.log_list) as f:
            text = f.read().replace(f"http://127.0.0.1:{srv.port}/", front.url)
        j = json.loads(text)
        for op in j["operators"]:
            op["tiled_logs"] = []
        json.dump(j, open(ll, "w"))
        for r in range(rounds):
            order = bins if r % 2 == 0 else bins[::-1]
            for name, exe in order:
                ctdl_once(name, exe, front, ll)
            curl_once(front)
print()
for name, rows in res.items():
    w = sorted(x[0] for x in rows); c = sorted(x[1] for x in rows)
    print(f"{name:8s} wall median {statistics.median(w):.3f} ({w[0]:.3f}-{w[-1]:.3f})  cpu median "
          f"{statistics.median(c):.3f} ({c[0]:.3f}-{c[-1]:.3f})  loads {','.join(x[3] for x in rows)}")
cw = statistics.median(x[0] for x in res["curl"])
for name, _ in bins:
    print(f"{name}: {cw / statistics.median(x[0] for x in res[name]):.0%} of curl's rate (medians)")
