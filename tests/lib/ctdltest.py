"""Shared helpers for ctdl's integration tests (tests/*_test.py). Python 3 stdlib only.

Environment (set by ctest): CTDL_BUILD = build dir (binaries ctdl, ctdl-testlog), CTDL_SOURCE = source dir.

Typical use:

    import ctdltest
    with ctdltest.TestLog(entries=2000, args=["--cap", "100"]) as log, ctdltest.TempDir() as tmp:
        r = ctdltest.run_ctdl(["--state", f"sqlite:{tmp}/s.db", "init", "--log-list", log.log_list,
                               "--yes"])
        ctdltest.check(r.returncode == 0, r.stderr)
        records = ctdltest.read_archive(f"{tmp}/archive")

Exit code 77 means "skipped" to ctest (see skip()).
"""

import base64
import contextlib
import fcntl
import gzip
import hashlib
import json
import os
import pty
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77


def skip(msg):
    """Skips the whole test (ctest SKIP_RETURN_CODE 77)."""
    print(f"SKIP: {msg}", flush=True)
    sys.exit(SKIP)


def fail(msg):
    print(f"FAIL: {msg}", flush=True)
    sys.exit(1)


def check(cond, msg="check failed"):
    """Fails the test with msg unless cond."""
    if not cond:
        fail(msg)


def build_dir():
    d = os.environ.get("CTDL_BUILD")
    if not d:
        here = os.path.dirname(os.path.abspath(__file__))
        d = os.path.join(here, "..", "..", "build")
    return os.path.abspath(d)


def source_dir():
    d = os.environ.get("CTDL_SOURCE")
    if not d:
        d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    return os.path.abspath(d)


def binary(name, required=True):
    """Path of build/<name>; skips the test when it has not been built (and required)."""
    p = os.path.join(build_dir(), name)
    if not os.access(p, os.X_OK):
        if required:
            skip(f"{p} is not built")
        return None
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def TempDir(prefix="ctdltest-"):
    """A temporary directory, removed on exit (also on failure)."""
    d = tempfile.mkdtemp(prefix=prefix)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def built_log(entries=1000, seed=1, precert_ratio=0.5, certs=None, build_args=()):
    """Directory of a log built by `ctdl-testlog build`, cached under <build>/testlog-cache by its
    parameters (rebuilt when the ctdl-testlog binary is newer). Treat it as read-only.
    build_args: extra build flags, e.g. ["--leaf-index-ext"]."""
    exe = binary("ctdl-testlog")
    key = f"n{entries}-s{seed}-p{precert_ratio}"
    if build_args:
        key += "-a" + hashlib.sha256(" ".join(build_args).encode()).hexdigest()[:8]
    if certs:
        key += "-c" + hashlib.sha256(os.path.realpath(certs).encode()).hexdigest()[:12]
    cache = os.path.join(build_dir(), "testlog-cache")
    out = os.path.join(cache, key)
    meta = os.path.join(out, "meta.json")

    def fresh():
        return os.path.exists(meta) and os.path.getmtime(meta) >= os.path.getmtime(exe)

    if fresh():
        return out
    os.makedirs(cache, exist_ok=True)
    # One builder per key at a time (tests may run in parallel); the others wait and reuse it.
    with open(out + ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if fresh():
            return out
        tmp = tempfile.mkdtemp(prefix=key + ".", dir=cache)
        cmd = [exe, "build", "--out", tmp, "--entries", str(entries), "--seed", str(seed),
               "--precert-ratio", str(precert_ratio)] + list(build_args)
        if certs:
            cmd += ["--certs", certs]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            fail(f"ctdl-testlog build failed: {r.stderr}")
        old = out + f".old.{os.getpid()}"
        if os.path.exists(out):
            os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    return out


class TestLog:
    """Context manager: builds (cached) and serves a test log on 127.0.0.1 with a free port.

    Attributes once entered: port, url ("http://127.0.0.1:P/", RFC 6962), static_url
    ("http://127.0.0.1:P/static/", static-ct-api), log_list (path of a log list v3 naming both),
    dir (the built log), proc. args: extra `serve` flags, e.g. ["--cap", "100", "--p429", "0.1"];
    build_args: extra `build` flags. Flags: tools/testlog/README.md.
    """

    def __init__(self, entries=1000, seed=1, precert_ratio=0.5, certs=None, args=(), log_dir=None,
                 port=0, build_args=()):
        """port: 0 picks a free one; pass a previous log's port to restart "the same" log (e.g. with
        other faults) at the same URL."""
        self.entries = entries
        self.port = port
        self.build_args = list(build_args)
        self.seed = seed
        self.precert_ratio = precert_ratio
        self.certs = certs
        self.args = list(args)
        self.dir = log_dir
        self.proc = None
        self._tmp = None
        self.stderr = ""

    def __enter__(self):
        exe = binary("ctdl-testlog")
        if self.dir is None:
            self.dir = built_log(self.entries, self.seed, self.precert_ratio, self.certs,
                                 self.build_args)
        self._tmp = tempfile.mkdtemp(prefix="ctdl-testlog-serve-")
        port_file = os.path.join(self._tmp, "port")
        self.log_list = os.path.join(self._tmp, "log_list.json")
        self._err = open(os.path.join(self._tmp, "stderr"), "w+")
        cmd = [exe, "serve", "--dir", self.dir, "--port", str(self.port), "--port-file", port_file,
               "--log-list-out", self.log_list] + self.args
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self._err)
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                self._err.seek(0)
                err = self._err.read()
                self._cleanup()
                fail(f"ctdl-testlog serve exited early: {err}")
            if time.time() > deadline:
                self.__exit__(None, None, None)
                fail("ctdl-testlog serve did not start in 30s")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = f"http://127.0.0.1:{self.port}/"
        self.static_url = f"http://127.0.0.1:{self.port}/static/"
        return self

    def stats(self):
        """Request counters: requests, ok, 429, 5xx, 400, 404, bytes, entries, truncated, slow,
        short, rate_limited, huge (never subject to faults)."""
        return json.loads(self.get("stats"))

    def get(self, path, headers=None, timeout=30):
        """GET url+path; returns the body bytes (raises urllib.error.HTTPError on non-2xx)."""
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.read()
        except urllib.error.URLError as e:
            if isinstance(e, urllib.error.HTTPError) or not self.proc or self.proc.poll() is None:
                raise
            self._err.seek(0)  # the server is gone: say how it ended instead of "connection refused"
            fail(f"ctdl-testlog serve on port {self.port} exited with {self.proc.returncode} "
                 f"(GET {path}): {self._err.read()[-3000:]}")

    def get_json(self, path):
        return json.loads(self.get(path))

    def sth(self):
        """The current get-sth JSON (dict)."""
        return self.get_json("ct/v1/get-sth")

    def all_entries(self, size=None):
        """All get-entries items [{"leaf_input":..., "extra_data":...}] up to size (default: STH)."""
        if size is None:
            size = self.sth()["tree_size"]
        out = []
        while len(out) < size:
            got = self.get_json(f"ct/v1/get-entries?start={len(out)}&end={size - 1}")["entries"]
            if not got:
                fail("ctdl-testlog returned no entries")
            out.extend(got)
        return out

    def stop(self):
        """Stops the server with SIGTERM; returns its stderr (ends with the stats line)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._err and not self._err.closed:
            self._err.seek(0)
            self.stderr = self._err.read()
        return self.stderr

    def _cleanup(self):
        if self._err and not self._err.closed:
            self._err.close()
        if self._tmp:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __exit__(self, *exc):
        self.stop()
        self._cleanup()
        return False


def wait_until(pred, timeout=30, interval=0.05, what="condition"):
    """Polls pred() until true; fails the test after timeout seconds."""
    deadline = time.time() + timeout
    while not pred():
        if time.time() > deadline:
            fail(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def run_ctdl(args, env=None, cwd=None, timeout=600, input=None):
    """Runs build/ctdl with args; env entries are added to os.environ. Returns CompletedProcess
    (text mode, stdout/stderr captured); never raises on a non-zero exit."""
    exe = binary("ctdl")
    e = dict(os.environ)
    if env:
        e.update(env)
    return subprocess.run([exe] + list(args), env=e, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, input=input)


def _decompress(path):
    with open(path, "rb") as f:
        data = f.read()
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".zst"):
        try:
            import zstandard  # optional
            # A segment is several frames (one per piece, doc/segments.md): read them all.
            out, d = [], zstandard.ZstdDecompressor()
            while data:
                obj = d.decompressobj()
                out.append(obj.decompress(data))
                data = obj.unused_data
            return b"".join(out)
        except ImportError:
            pass
        if not shutil.which("zstd"):
            skip("reading .zst segments needs the zstd command or python zstandard")
        return subprocess.run(["zstd", "-dcq"], input=data, capture_output=True, check=True).stdout
    return data


def archive_segments(archive_dir):
    """{slug: [segment paths sorted by name]} for a dir: archive."""
    out = {}
    if not os.path.isdir(archive_dir):
        return out
    for slug in sorted(os.listdir(archive_dir)):
        d = os.path.join(archive_dir, slug)
        if not os.path.isdir(d):
            continue
        segs = sorted(os.path.join(d, f) for f in os.listdir(d)
                      if f.endswith(".jsonl.gz") or f.endswith(".jsonl.zst"))
        if segs:
            out[slug] = segs
    return out


def read_archive_by_log(archive_dir):
    """{slug: [records]} in segment order, each segment decompressed and parsed as NDJSON."""
    out = {}
    for slug, segs in archive_segments(archive_dir).items():
        recs = []
        for s in segs:
            for line in _decompress(s).splitlines():
                if line.strip():
                    recs.append(json.loads(line))
        out[slug] = recs
    return out


def read_archive(archive_dir):
    """All records of every log in a dir: archive (<slug>/*.jsonl.gz|.jsonl.zst), in order."""
    recs = []
    for r in read_archive_by_log(archive_dir).values():
        recs.extend(r)
    return recs


def raw_entries(log_dir):
    """[(leaf_input bytes, extra_data bytes)] of every entry, from the built log's own files."""
    with open(os.path.join(log_dir, "entries.idx"), "rb") as f:
        idx = f.read()
    offs = struct.unpack(f"<{len(idx) // 8}Q", idx)
    with open(os.path.join(log_dir, "entries.json"), "rb") as f:
        data = f.read()
    out = []
    for i in range(len(offs) - 1):
        e = json.loads(data[offs[i]:offs[i + 1]].rstrip(b",\n "))
        out.append((base64.b64decode(e["leaf_input"]), base64.b64decode(e["extra_data"])))
    return out


def expected_entries(log_dir):
    """[(entry_type, timestamp, sha1 fingerprint)] from the built log's own files."""
    out = []
    for leaf, extra in raw_entries(log_dir):
        ts, et = struct.unpack(">QH", leaf[2:12])
        if et == 0:
            n = int.from_bytes(leaf[12:15], "big")
            der = leaf[15:15 + n]
        else:
            n = int.from_bytes(extra[0:3], "big")
            der = extra[3:3 + n]
        fp = ":".join(f"{b:02x}" for b in hashlib.sha1(der).digest())
        out.append(("x509" if et == 0 else "precert", ts, fp))
    return out


def run_in_pty(cmd, timeout=120, cols=None, rows=None, interrupt_after=None, sig=signal.SIGINT):
    """Runs cmd with stderr on a pseudo-terminal (so ctdl draws bars); returns (rc, output).
    cols/rows: the terminal size ctdl sees (TIOCGWINSZ); interrupt_after: send `sig` after that many
    seconds (once)."""
    import termios
    master, slave = pty.openpty()
    if cols or rows:
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows or 24, cols or 80, 0, 0))
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    chunks = []
    start = time.time()
    deadline = start + timeout
    interrupted = False
    while time.time() < deadline:
        if interrupt_after is not None and not interrupted and time.time() - start >= interrupt_after:
            p.send_signal(sig)
            interrupted = True
        r, _, _ = select.select([master], [], [], 0.2)
        if r:
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
        elif p.poll() is not None:
            break
    os.close(master)
    p.wait(timeout=30)
    return p.returncode, b"".join(chunks).decode("utf-8", "replace")


def render_screen(output, cols):
    """Replays terminal output (text, \r, \n, ESC[nA, ESC[J, ESC[K, ESC[2K) on a screen `cols`
    wide without wrapping. Returns (lines, too_wide): the final screen, and the lines that were
    ever written past the last column."""
    import re as _re
    lines = [""]
    row, col = 0, 0
    too_wide = []
    i = 0
    while i < len(output):
        c = output[i]
        if c == "\x1b":
            m = _re.match(r"\x1b\[(\d*)([A-Za-z])", output[i:])
            if m:
                n = int(m.group(1) or "1")
                op = m.group(2)
                if op == "A":
                    row = max(0, row - n)
                elif op == "J":
                    lines[row] = lines[row][:col]
                    del lines[row + 1:]
                elif op == "K":
                    lines[row] = lines[row][:col] if m.group(1) in ("", "0") else ""
                i += m.end()
                continue
        if c == "\r":
            col = 0
        elif c == "\n":
            row += 1
            col = 0
            while len(lines) <= row:
                lines.append("")
        else:
            line = lines[row]
            if len(line) < col:
                line += " " * (col - len(line))
            line = line[:col] + c + line[col + 1:]
            lines[row] = line
            col += 1
            if col > cols:
                too_wide.append(line)
        i += 1
    return lines, too_wide
