"""ctdl over TLS and HTTP/2 (issue 11): nginx in front of ctdl-testlog with a CA made for the test.

- HTTP/2 over TLS, HTTP/1.1 over TLS and plain HTTP through the same front: every entry exactly
  once, and the client connections counted on the server side (nginx's $connection):
  h2 at 64 in flight <= 2 connections, TLS HTTP/1.1 at 16 in flight <= 20, plain at 64 <= 70.
- The CA comes from --ca-bundle, CURL_CA_BUNDLE or SSL_CERT_FILE; a CA that did not sign the
  server's certificate fails within seconds with a message naming the host and the problem, and
  never ends as "stopped at index 0 of 0" or "100.0% (0/0)".
- A log whose host does not resolve fails within seconds, saying so.
- Replies over the body cap (1 GB with Content-Length, and endless chunked ones) are errors,
  counted and retried; the download completes and ctdl's peak RSS stays far below the reply size.
"""
import json
import os
import re
import subprocess
import tempfile
import time

import ctdltest
import tls_front
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")

ENTRIES = 6000


def rfc6962_only(front, log, path, url=None):
    """A log list naming only the RFC 6962 log, at the front's URL (or `url`)."""
    front.log_list(log, path)
    with open(path) as f:
        ll = json.load(f)
    for op in ll["operators"]:
        op["tiled_logs"] = []
        for l in op["logs"]:
            if url:
                l["url"] = url
    with open(path, "w") as f:
        json.dump(ll, f)
    return path


def run(args, env=None, timeout=300):
    """Runs ctdl; returns (CompletedProcess, seconds, peak RSS MB of that ctdl process)."""
    e = dict(os.environ)
    for k in ("CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        e.pop(k, None)
    e.update(env or {})
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        t0 = time.time()
        p = subprocess.Popen([ctdltest.binary("ctdl")] + args, env=e, stdout=out, stderr=err, text=True)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.time() > deadline:
                p.kill()
                os.wait4(p.pid, 0)
                err.seek(0)
                ctdltest.fail(f"ctdl {' '.join(args)} did not finish in {timeout}s: {err.read()[-2000:]}")
            time.sleep(0.05)
        secs = time.time() - t0
        out.seek(0)
        err.seek(0)
        rc = os.waitstatus_to_exitcode(status)
        return subprocess.CompletedProcess(p.args, rc, out.read(), err.read()), secs, usage.ru_maxrss / 1024


def check_download(tmp, expected, what):
    recs = ctdltest.read_archive(f"{tmp}/archive")
    check(len(recs) == len(expected), f"{what}: {len(recs)} records for {len(expected)} entries")
    for i, r in enumerate(recs):
        check(r.get("index") == i, f"{what}: record {i} has index {r.get('index')}")
        check(r.get("fingerprint") == expected[i][2], f"{what}: record {i} does not match its entry")


def mirror(front, log, env_ca, inflight, what, extra=()):
    """init + download through the front; returns the number of client connections."""
    expected = ctdltest.expected_entries(log.dir)
    with ctdltest.TempDir() as tmp:
        ll = rfc6962_only(front, log, f"{tmp}/ll.json")
        base = ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"] + list(extra)
        r, _, _ = run(base + ["init", "--log-list", ll, "--yes"], env_ca)
        check(r.returncode == 0, f"{what}: init failed: {r.stderr}")
        front.reset_log()
        r, secs, _ = run(base + ["download", front.url, "--no-progress", "--max-inflight",
                                 str(inflight)], env_ca)
        check(r.returncode == 0, f"{what}: download failed (exit {r.returncode}): "
                                 f"{r.stderr[-3000:]} {r.stdout[-2000:]}")
        check_download(tmp, expected, what)
        conns, protos = front.connections(), front.protocols()
        print(f"{what}: {len(expected)} entries in {secs:.1f}s, {front.requests()} requests over "
              f"{conns} connections {protos}", flush=True)
        return conns, protos


def test_protocols():
    # 20 ms per request, cap 32: a latency-bound log, so many requests are in flight at once.
    with ctdltest.TestLog(entries=ENTRIES, args=["--cap", "32", "--latency-ms", "20"]) as log:
        with tls_front.TlsFront(log.port, http2=True) as front:
            conns, protos = mirror(front, log, {"CURL_CA_BUNDLE": front.ca_file}, 64, "TLS HTTP/2")
            check(set(protos) == {"HTTP/2.0"}, f"expected HTTP/2 only, got {protos}")
            check(conns <= 2, f"HTTP/2 at 64 in flight used {conns} connections (goal <= 2)")
            # The same through --ca-bundle and SSL_CERT_FILE.
            conns, _ = mirror(front, log, {"SSL_CERT_FILE": front.ca_file}, 64, "TLS HTTP/2 (SSL_CERT_FILE)")
            check(conns <= 2, f"{conns} connections")
            conns, _ = mirror(front, log, {}, 64, "TLS HTTP/2 (--ca-bundle)",
                              extra=["--ca-bundle", front.ca_file])
            check(conns <= 2, f"{conns} connections")
        with tls_front.TlsFront(log.port, http2=False) as front:
            conns, protos = mirror(front, log, {"CURL_CA_BUNDLE": front.ca_file}, 16, "TLS HTTP/1.1")
            check(set(protos) == {"HTTP/1.1"}, f"expected HTTP/1.1 only, got {protos}")
            check(conns <= 20, f"TLS HTTP/1.1 at 16 in flight used {conns} connections (goal <= 20)")
        with tls_front.TlsFront(log.port, plain=True) as front:
            conns, _ = mirror(front, log, {}, 64, "plain HTTP/1.1")
            check(conns <= 70, f"plain HTTP at 64 in flight used {conns} connections (goal <= 70)")


def check_no_empty_progress(text, what):
    for bad in ("of 0 ", "of 0\n", "(0/0)", "100.0%"):
        check(bad not in text, f"{what}: output shows {bad!r}:\n{text}")


def test_bad_certificate():
    with ctdltest.TestLog(entries=500) as log, tls_front.TlsFront(log.port) as front, \
            ctdltest.TempDir() as tmp:
        ll = rfc6962_only(front, log, f"{tmp}/ll.json")
        base = ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"]
        r, _, _ = run(base + ["init", "--log-list", ll, "--yes"], {"CURL_CA_BUNDLE": front.ca_file})
        check(r.returncode == 0, f"init failed: {r.stderr}")
        for how, env, extra in (("--ca-bundle", {}, ["--ca-bundle", front.other_ca_file]),
                                ("CURL_CA_BUNDLE", {"CURL_CA_BUNDLE": front.other_ca_file}, []),
                                ("system store", {}, [])):
            r, secs, _ = run(base + extra + ["download", front.url, "--no-progress"], env, timeout=120)
            what = f"wrong CA via {how}"
            print(f"{what}: exit {r.returncode} after {secs:.1f}s: {r.stderr.strip()[-400:]}", flush=True)
            check(r.returncode != 0, f"{what}: download succeeded")
            check(secs < 30, f"{what}: took {secs:.0f}s to fail (should be seconds: not retried)")
            check("127.0.0.1" in r.stderr and "certificate" in r.stderr.lower(),
                  f"{what}: message does not name the host and the certificate: {r.stderr}")
            check_no_empty_progress(r.stderr + r.stdout, what)
        check(not ctdltest.archive_segments(f"{tmp}/archive"), "segments written despite TLS failure")


def test_unresolvable_host():
    with ctdltest.TestLog(entries=100) as log, tls_front.TlsFront(log.port) as front, \
            ctdltest.TempDir() as tmp:
        url = "https://ctdl-no-such-log.invalid/"
        ll = rfc6962_only(front, log, f"{tmp}/ll.json", url=url)
        base = ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"]
        r, secs, _ = run(base + ["init", "--log-list", ll, "--yes"], timeout=120)
        check(secs < 30, f"init took {secs:.0f}s for an unresolvable log")
        check("ctdl-no-such-log.invalid" in r.stderr and "resolve" in r.stderr,
              f"init does not say the host does not resolve: {r.stderr}")
        r, secs, _ = run(base + ["download", url, "--no-progress"], timeout=120)
        print(f"unresolvable: exit {r.returncode} after {secs:.1f}s: {r.stderr.strip()[-400:]}", flush=True)
        check(r.returncode != 0, "download of an unresolvable log succeeded")
        check(secs < 30, f"took {secs:.0f}s to fail (should be seconds)")
        check("ctdl-no-such-log.invalid" in r.stderr and "resolve" in r.stderr,
              f"message does not say the host does not resolve: {r.stderr}")
        check_no_empty_progress(r.stderr + r.stdout, "unresolvable host")


def test_body_cap():
    n = 3000
    expected = ctdltest.expected_entries(ctdltest.built_log(n))
    for huge, what in ((10 ** 9, "1 GB replies with Content-Length"), (0, "endless chunked replies")):
        args = ["--cap", "100", "--phuge", "0.2", "--huge-bytes", str(huge), "--fault-scope", "data",
                "--seed", "7"]
        with ctdltest.TestLog(entries=n, args=args) as log, ctdltest.TempDir() as tmp:
            base = ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"]
            r, _, _ = run(base + ["init", "--log-list", log.log_list, "--yes"])
            check(r.returncode == 0, f"init failed: {r.stderr}")
            # 4 in flight: each request may hold up to the 64 MiB cap before it is aborted.
            r, secs, rss = run(base + ["-v", "download", log.url, "--no-progress",
                                       "--max-inflight", "4"])
            check(r.returncode == 0, f"{what}: download failed: {r.stderr[-3000:]}")
            stats = log.stats()
            check_download(tmp, expected, what)
            check(stats["huge"] > 0, f"{what}: the server sent no huge reply: {stats}")
            check("reply larger than 64 MiB" in r.stderr,
                  f"{what}: no 'reply larger than 64 MiB' in the debug log")
            m = re.findall(r"retries (\d+)", r.stderr)
            retries = int(m[-1]) if m else -1
            print(f"{what}: {stats['huge']} huge replies, download in {secs:.1f}s, peak RSS {rss:.0f} MB, "
                  f"retries reported: {retries}", flush=True)
            check(retries >= stats["huge"], f"{what}: {retries} retries counted for {stats['huge']} "
                  "huge replies")
            check(rss < 512, f"{what}: ctdl peak RSS {rss:.0f} MB (goal < 512 MB)")


test_protocols()
test_bad_certificate()
test_unresolvable_host()
test_body_cap()
print("PASS")
