#!/usr/bin/env python3
"""Bench of `download --follow` (issue 13); writes bench/FOLLOW.md.

idle:    100 caught-up RFC 6962 logs (one ctdl-testlog behind nginx, 100 URL prefixes), followed with
         `--all --follow --poll-seconds P` (P = 5 s: a shortened run, 12x the default 60 s poll rate):
         ctdl's CPU over the run (goal: < 1 % of a core at 60 s polls) and its RSS sampled every 10 s
         (goal: flat).
growing: one log growing at 2,000 entries/s, `--follow --poll-seconds 1 --rotate-seconds 10`: the
         lag (tree size - committed position, from /metrics) sampled every 2 s.
Usage: bench/follow_bench.py BUILD_DIR [--idle-seconds S] [--idle-poll P] [--grow-seconds S]
(--idle-poll 1 --idle-seconds 75: more than 60 polls of every log, i.e. an hour of default polls.)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "tests", "lib"))
build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("-") else "build")
os.environ["CTDL_BUILD"] = build
import ctdltest  # noqa: E402


def arg(name, default):
    return float(sys.argv[sys.argv.index(name) + 1]) if name in sys.argv else default


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def ctdl(args, **kw):
    return subprocess.run([ctdltest.binary("ctdl")] + args, capture_output=True, text=True, **kw)


def bench_idle(tmp, seconds, poll=5, logs=100):
    entries = 512
    with ctdltest.TestLog(entries=entries, args=["--cap", "256"]) as log:
        port = ctdltest.free_port()
        conf = os.path.join(tmp, "nginx.conf")
        with open(conf, "w") as f:
            f.write(f"""worker_processes 1; daemon off; pid {tmp}/nginx.pid; error_log {tmp}/nginx.err;
events {{ worker_connections 4096; }}
http {{ access_log off; client_body_temp_path {tmp}; proxy_temp_path {tmp};
  fastcgi_temp_path {tmp}; uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  upstream log {{ server 127.0.0.1:{log.port}; keepalive 64; }}
  server {{ listen 127.0.0.1:{port};
    location ~ ^/log[0-9]+/(.*)$ {{ proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_pass http://log/$1$is_args$args; }} }} }}
""")
        nginx = subprocess.Popen(["nginx", "-c", conf, "-p", tmp], stderr=subprocess.DEVNULL)
        try:
            ctdltest.wait_until(lambda: _get(f"http://127.0.0.1:{port}/log0/ct/v1/get-sth"), timeout=20,
                                what="nginx")
            with open(log.log_list) as f:
                ll = json.load(f)
            op = ll["operators"][0]
            proto = op["logs"][0]
            op["logs"] = [dict(proto, url=f"http://127.0.0.1:{port}/log{i}/", description=f"bench log {i}")
                          for i in range(logs)]
            op["tiled_logs"] = []
            with open(os.path.join(tmp, "list.json"), "w") as f:
                json.dump(ll, f)
            base = ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"]
            r = ctdl(base + ["init", "--log-list", f"{tmp}/list.json", "--yes"])
            assert r.returncode == 0, r.stderr
            t = time.time()
            r = ctdl(base + ["download", "--all", "--no-progress", "--max-inflight", "4"], timeout=1800)
            assert r.returncode == 0, r.stderr[-2000:]
            catch_up = time.time() - t
            p = subprocess.Popen([ctdltest.binary("ctdl")] + base + [
                "download", "--all", "--follow", "--no-progress", "--poll-seconds", str(poll)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(min(20, seconds / 4))  # first polls, thread start-up
            c0, t0 = cpu_seconds(p.pid), time.time()
            rss = []
            while time.time() - t0 < seconds:
                rss.append(round(rss_mb(p.pid), 1))
                time.sleep(10)
            cpu = cpu_seconds(p.pid) - c0
            wall = time.time() - t0
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=60)
            polls = wall / poll * logs
            return {"logs": logs, "entries_each": entries, "catch_up_s": round(catch_up, 1), "poll_s": poll,
                    "wall_s": round(wall, 1), "cpu_s": round(cpu, 2), "cpu_pct": round(100 * cpu / wall, 2),
                    "cpu_ms_per_poll": round(1000 * cpu / polls, 3),
                    "cpu_pct_at_60s_polls": round(100 * cpu / wall * poll / 60, 3),
                    "polls_per_log": int(wall / poll), "rss_mb": rss, "exit": rc}
        finally:
            nginx.send_signal(signal.SIGTERM)
            nginx.wait(timeout=20)


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status == 200
    except OSError:
        return False


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    return None


def bench_growing(tmp, seconds, rate=2000):
    initial = 20000
    n = initial + int(rate * (seconds + 30))
    with ctdltest.TestLog(entries=n, args=["--initial-size", str(initial), "--grow-per-sec", str(rate)]) as log:
        base = ["--state", f"sqlite:{tmp}/g.db", "--archive", f"dir:{tmp}/garchive"]
        r = ctdl(base + ["init", "--log-list", log.log_list, "--yes"])
        assert r.returncode == 0, r.stderr
        mport = ctdltest.free_port()
        p = subprocess.Popen([ctdltest.binary("ctdl")] + base + [
            "download", "--follow", "--no-progress", "--poll-seconds", "1", "--rotate-seconds", "10",
            "--metrics-listen", f"127.0.0.1:{mport}", log.url], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        lags = []
        t0 = time.time()
        c0 = None
        while time.time() - t0 < seconds:
            time.sleep(2)
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{mport}/metrics", timeout=5) as resp:
                    body = resp.read().decode()
            except OSError:
                continue
            if c0 is None:
                c0 = (cpu_seconds(p.pid), time.time())
            lags.append(int(metric(body, "ctdl_log_entries_behind") or 0))
        cpu = cpu_seconds(p.pid) - c0[0]
        wall = time.time() - c0[1]
        p.send_signal(signal.SIGTERM)
        rc = p.wait(timeout=60)
        tail = lags[len(lags) // 2:]
        return {"rate": rate, "seconds": seconds, "lag_samples": lags, "max_lag_second_half": max(tail),
                "max_lag_seconds_of_growth": round(max(tail) / rate, 1), "cpu_pct": round(100 * cpu / wall, 1),
                "exit": rc}


def main():
    tmp = tempfile.mkdtemp(prefix="ctdl-follow-bench-")
    try:
        idle = bench_idle(tmp, arg("--idle-seconds", 120), poll=arg("--idle-poll", 5))
        grow = bench_growing(tmp, arg("--grow-seconds", 60))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    out = os.path.join(here, "FOLLOW.md")
    with open(out, "w") as f:
        f.write("# download --follow bench (bench/follow_bench.py)\n\n")
        f.write(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average "
                f"{os.getloadavg()[0]:.1f} (shared machine).\n\n")
        f.write(f"## Idle: {idle['logs']} caught-up logs, `--all --follow --poll-seconds {idle['poll_s']}`\n\n")
        f.write(f"- CPU: {idle['cpu_s']} s over {idle['wall_s']} s = {idle['cpu_pct']} % of a core at "
                f"{idle['poll_s']} s polls; {idle['cpu_ms_per_poll']} ms per log poll; scaled to the default "
                f"60 s polls: {idle['cpu_pct_at_60s_polls']} % (goal < 1 %)\n")
        f.write(f"- RSS every 10 s (MB), over {idle['polls_per_log']} polls of each log: {idle['rss_mb']}\n")
        f.write(f"- catching the {idle['logs']} logs up first ({idle['entries_each']} entries each, one "
                f"process): {idle['catch_up_s']} s; exit after SIGTERM: {idle['exit']}\n\n")
        f.write(f"## Growing at {grow['rate']} entries/s, `--follow --poll-seconds 1 --rotate-seconds 10`\n\n")
        f.write(f"- lag (entries behind) every 2 s: {grow['lag_samples']}\n")
        f.write(f"- max lag in the second half: {grow['max_lag_second_half']} entries "
                f"({grow['max_lag_seconds_of_growth']} s of growth); CPU {grow['cpu_pct']} % of a core; "
                f"exit {grow['exit']}\n")
    print(open(out).read())


if __name__ == "__main__":
    main()
