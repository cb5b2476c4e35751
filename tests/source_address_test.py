"""--source-address and the test log's per-client rate limit (issue 14).

- `ctdl --source-address 127.0.0.7 download` makes every request from 127.0.0.7 (the test log counts
  requests per client address), and a malformed address is a usage error;
- `ctdl-testlog serve --rate R --rate-per-client` gives each client address its own token bucket,
  while plain `--rate` is one bucket shared by everyone.
"""
import http.client

import ctdltest
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")


def status_from(log, source):
    """One GET /ct/v1/get-sth from the local address `source`; the HTTP status."""
    c = http.client.HTTPConnection("127.0.0.1", log.port, timeout=30, source_address=(source, 0))
    try:
        c.request("GET", "/ct/v1/get-sth")
        r = c.getresponse()
        r.read()
        return r.status
    finally:
        c.close()


def test_download_from_source_address():
    with ctdltest.TestLog(entries=3000, args=["--cap", "256"]) as log, ctdltest.TempDir() as tmp:
        args = ["--state", f"sqlite:{tmp}/s.db", "--archive", f"dir:{tmp}/archive"]
        r = ctdltest.run_ctdl(args + ["init", "--log-list", log.log_list, "--yes"])
        check(r.returncode == 0, r.stderr)
        before = log.stats()["clients"].get("127.0.0.7", 0)
        check(before == 0, f"no request from 127.0.0.7 yet: {log.stats()}")
        r = ctdltest.run_ctdl(["--source-address", "127.0.0.7"] + args +
                              ["download", log.url, "--no-progress"])
        check(r.returncode == 0, r.stderr)
        check(len(ctdltest.read_archive(f"{tmp}/archive")) == 3000, "all entries downloaded")
        clients = log.stats()["clients"]
        check(clients.get("127.0.0.7", 0) >= 3000 // 256, f"requests came from 127.0.0.7: {clients}")
        for address, n in clients.items():
            check(address == "127.0.0.7" or address == "127.0.0.1", f"unexpected client {address}")
        # Only init (and the stats calls) came from the default address: the download did not.
        only_init = dict(clients)
        r = ctdltest.run_ctdl(["--source-address", "127.0.0.7"] + args +
                              ["download", log.url, "--no-progress"])
        check(r.returncode == 0, r.stderr)
        check(log.stats()["clients"].get("127.0.0.1") == only_init.get("127.0.0.1"),
              "a second (no-op) download also used 127.0.0.7 only")

        for bad in ["127.0.0", "localhost", "1.2.3.4.5", "::g"]:
            r = ctdltest.run_ctdl(["--source-address", bad, "status"] + args)
            check(r.returncode == 2, f"--source-address {bad}: exit {r.returncode} {r.stderr}")
        r = ctdltest.run_ctdl(["--source-address", "::1"] + args + ["status"])
        check(r.returncode == 0, f"an IPv6 address is accepted: {r.stderr}")


def test_rate_limit_per_client():
    # 3 tokens per client and a refill of one token every 20 s: the 4th quick request is a 429.
    with ctdltest.TestLog(entries=100, args=["--rate", "0.05", "--burst", "3",
                                             "--rate-per-client"]) as log:
        got2 = [status_from(log, "127.0.0.2") for _ in range(4)]
        check(got2 == [200, 200, 200, 429], f"127.0.0.2: {got2}")
        got3 = [status_from(log, "127.0.0.3") for _ in range(3)]
        check(got3 == [200, 200, 200], f"127.0.0.3 has its own bucket: {got3}")
    with ctdltest.TestLog(entries=100, args=["--rate", "0.05", "--burst", "3"]) as log:
        got2 = [status_from(log, "127.0.0.2") for _ in range(3)]
        check(got2 == [200, 200, 200], f"127.0.0.2: {got2}")
        check(status_from(log, "127.0.0.3") == 429, "without --rate-per-client the bucket is shared")


if __name__ == "__main__":
    test_rate_limit_per_client()
    test_download_from_source_address()
    print("ok")
