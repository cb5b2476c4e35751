"""Helpers for bench/bench.py: measured child processes, the test log server, small formatting.

Python 3 stdlib only. Every server and child is started on 127.0.0.1 and stopped on exit (also on
errors): callers use the context managers.
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

CLK_TCK = os.sysconf("SC_CLK_TCK")


class Measured:
    """Outcome of one measured child: wall seconds, user/sys CPU seconds, peak RSS (KiB), exit code."""

    def __init__(self, cmd, rc, wall, rusage, stdout="", stderr=""):
        self.cmd = cmd
        self.rc = rc
        self.wall = wall
        self.user = rusage.ru_utime if rusage else 0.0
        self.sys = rusage.ru_stime if rusage else 0.0
        self.maxrss_kb = rusage.ru_maxrss if rusage else 0
        self.out_blocks = rusage.ru_oublock if rusage else 0
        self.stdout = stdout
        self.stderr = stderr

    @property
    def cpu(self):
        return self.user + self.sys


def run_measured(cmd, cwd=None, timeout=None, env=None, stdin=subprocess.DEVNULL):
    """Runs cmd; rusage comes from wait4 on that very child (so it is this process's, not a sum)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, stdin=stdin, env=env)
        rusage = None
        status = None
        deadline = None if timeout is None else t0 + timeout
        while True:
            pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if deadline is not None and time.monotonic() > deadline:
                p.send_signal(signal.SIGINT)  # graceful stop first (ctdl commits what it has)
                try:
                    pid, status, rusage = _wait4_timeout(p.pid, 10)
                except TimeoutError:
                    p.kill()
                    pid, status, rusage = os.wait4(p.pid, 0)
                break
            time.sleep(0.005)
        wall = time.monotonic() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(cmd, p.returncode, wall, rusage, out.read(), err.read())


def _wait4_timeout(pid, seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got, status, rusage = os.wait4(pid, os.WNOHANG)
        if got == pid:
            return got, status, rusage
        time.sleep(0.01)
    raise TimeoutError


def proc_cpu_seconds(pid):
    """user+sys CPU seconds of a running process (from /proc/PID/stat); 0 when unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def dir_bytes(path):
    total = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def http_get(url, timeout=30):
    with urllib.request.urlopen(url, timeout=timeout) as r:
        return r.read()


class Server:
    """`ctdl-testlog serve` of a built log on a free port; stats() reads /stats; server_cpu() its CPU."""

    def __init__(self, exe, log_dir, workdir, args=()):
        self.exe = exe
        self.log_dir = log_dir
        self.workdir = workdir
        self.args = list(args)
        self.proc = None

    def __enter__(self):
        os.makedirs(self.workdir, exist_ok=True)
        port_file = os.path.join(self.workdir, "port")
        if os.path.exists(port_file):
            os.remove(port_file)
        self.log_list = os.path.join(self.workdir, "log_list.json")
        self._err = open(os.path.join(self.workdir, "serve.stderr"), "w+")
        self.cmd = [self.exe, "serve", "--dir", self.log_dir, "--port", "0", "--port-file",
                    port_file, "--log-list-out", self.log_list] + self.args
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=self._err)
        deadline = time.time() + 60
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ctdl-testlog serve exited early: {self._read_err()}")
            if time.time() > deadline:
                self.__exit__(None, None, None)
                raise RuntimeError("ctdl-testlog serve did not start in 60 s")
            time.sleep(0.02)
        time.sleep(0.05)  # the port file may be written before its content is flushed
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = f"http://127.0.0.1:{self.port}/"
        self.static_url = f"http://127.0.0.1:{self.port}/static/"
        return self

    def _read_err(self):
        self._err.seek(0)
        return self._err.read()

    def stats(self):
        return json.loads(http_get(self.url + "stats"))

    def cpu(self):
        return proc_cpu_seconds(self.proc.pid)

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._err:
            self._err.close()
        return False


def stats_delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if isinstance(after[k], (int, float))}


def fresh_dir(path):
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    return path


def tlog_path(n):
    """tlog tile index path: 1234067 -> x001/x234/067, 5 -> 005."""
    s = str(n)
    s = s.zfill((len(s) + 2) // 3 * 3)
    groups = [s[i:i + 3] for i in range(0, len(s), 3)]
    return "/".join(["x" + g for g in groups[:-1]] + [groups[-1]])


def fmt_rate(x):
    return f"{x:,.0f}" if x >= 100 else f"{x:,.1f}"


def fmt_mb(nbytes):
    return f"{nbytes / 1e6:,.1f}"


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)
