"""ctdl download file:///folder/ of a static-ct-api log kept in a local folder (issue 15).

A ctdl-testlog log (size not a multiple of 256: a partial data tile and partial hash tiles) is copied
over HTTP into a folder (tests/lib/tile_mirror.py) and registered from a log list whose tiled log has
monitoring_url file:///folder/ and the served submission URL (the checkpoint origin). Checks:
  - init verifies the folder's checkpoint (signature with the listed key) and status shows its size;
  - the records downloaded from the folder equal, byte for byte, those downloaded over HTTP;
  - a growing folder (a later checkpoint and its tiles) is proven consistent with hash tiles;
  - a tampered data tile is refused (verification failed, nothing committed past the proven prefix);
  - a tampered checkpoint is refused by init; a missing tile (at once, no retries) and a symlink out
    of the folder are clear errors.
"""
import json
import os
import re
import shutil
import time

import ctdltest
import tile_mirror
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")

EXIT_NETWORK, EXIT_VERIFY = 6, 7


def file_log_list(log, folder, out):
    """The served log list plus a tiled log at file://folder/ (same key and origin)."""
    with open(log.log_list) as f:
        lst = json.load(f)
    op = lst["operators"][0]
    tiled = dict(op["tiled_logs"][0])
    tiled["description"] = "ctdl testlog folder copy"
    tiled["monitoring_url"] = "file://" + folder + "/"
    op["tiled_logs"].append(tiled)
    with open(out, "w") as f:
        json.dump(lst, f)
    return tiled["monitoring_url"]


def args(tmp, name="s"):
    return ["--state", f"sqlite:{tmp}/{name}.db", "--archive", f"dir:{tmp}/{name}-archive"]


def init(tmp, log_list, name="s"):
    return ctdltest.run_ctdl(args(tmp, name) + ["init", "--log-list", log_list, "--yes"])


def records(tmp, slug, name="s"):
    segs = ctdltest.archive_segments(f"{tmp}/{name}-archive").get(slug, [])
    return b"".join(ctdltest._decompress(s) for s in segs), segs


def slug_of(url):
    return re.sub(r"[^A-Za-z0-9.-]", "_", url.split("://", 1)[1].rstrip("/"))


def issuers(log):
    return sorted(os.listdir(os.path.join(log.dir, "issuers")))


def status_size(tmp, url, name="s"):
    r = ctdltest.run_ctdl(args(tmp, name) + ["status"])
    check(r.returncode == 0, f"status failed: {r.stderr}")
    for line in r.stdout.splitlines():
        cols = line.split()
        if cols and cols[-1] == url:
            return int(cols[1]), int(cols[2]), cols[3]
    ctdltest.fail(f"{url} not in status:\n{r.stdout}")


def test_same_records_as_http():
    n = 2500  # 9 full data tiles + tile/data/009.p/196; hash tiles 0/000.p/... partial too
    with ctdltest.TestLog(entries=n, args=["--gzip-tiles"]) as log, ctdltest.TempDir() as tmp:
        folder = os.path.join(tmp, "mirror")
        check(tile_mirror.mirror(log.static_url, folder, issuers(log)) == n, "mirror size")
        url = file_log_list(log, folder, f"{tmp}/list.json")
        r = init(tmp, f"{tmp}/list.json")
        check(r.returncode == 0, f"init failed: {r.stderr}")
        check(status_size(tmp, url)[1:] == (n, "tiled"), f"status: {status_size(tmp, url)}")
        for u in (url, log.static_url):
            r = ctdltest.run_ctdl(args(tmp) + ["download", "--segment-entries", "700", u])
            check(r.returncode == 0, f"download {u} failed: {r.stderr}")
        local, segs = records(tmp, slug_of(url))
        remote, rsegs = records(tmp, slug_of(log.static_url))
        check(len(local.splitlines()) == n, f"{len(local.splitlines())} records from the folder")
        check(local == remote, "records from file:// differ from those over HTTP")
        check([os.path.basename(s) for s in segs] == [os.path.basename(s) for s in rsegs],
              "segment names differ")
        check(status_size(tmp, url) == (n, n, "tiled"), f"status after: {status_size(tmp, url)}")
        print(f"same records: {n} entries from {url} == over HTTP", flush=True)


def test_growing_folder():
    # The folder first holds ~1000 entries (a copy made while the log was small), then 2500: the next
    # download proves the new checkpoint extends the stored one with the folder's hash tiles.
    with ctdltest.TempDir() as tmp:
        folder = os.path.join(tmp, "mirror")
        # Growing by 1/s: the copy holds whatever checkpoint it read first (about 1000 entries).
        with ctdltest.TestLog(entries=2500, args=["--initial-size", "1000", "--grow-per-sec", "1"]) as log:
            first = tile_mirror.mirror(log.static_url, folder, issuers(log))
            check(1000 <= first < 1100, f"first copy has {first} entries")
            url = file_log_list(log, folder, f"{tmp}/list.json")
            check(init(tmp, f"{tmp}/list.json").returncode == 0, "init")
            r = ctdltest.run_ctdl(args(tmp) + ["download", url])
            check(r.returncode == 0, f"first download: {r.stderr}")
            check(status_size(tmp, url) == (first, first, "tiled"), f"first: {status_size(tmp, url)}")
            port = log.port
        with ctdltest.TestLog(entries=2500, port=port) as log:
            shutil.rmtree(folder)
            tile_mirror.mirror(log.static_url, folder, issuers(log))
            r = ctdltest.run_ctdl(args(tmp) + ["download", url])
            check(r.returncode == 0, f"second download: {r.stderr}")
            check(status_size(tmp, url) == (2500, 2500, "tiled"), f"{status_size(tmp, url)}")
            data, _ = records(tmp, slug_of(url))
            check(len(data.splitlines()) == 2500, "2500 records")
    print("growing folder: 1000 then 2500, proven with the folder's hash tiles", flush=True)


def test_tampered_and_missing():
    n = 1200
    with ctdltest.TestLog(entries=n) as log, ctdltest.TempDir() as tmp:
        folder = os.path.join(tmp, "mirror")
        tile_mirror.mirror(log.static_url, folder, issuers(log))
        url = file_log_list(log, folder, f"{tmp}/list.json")
        check(init(tmp, f"{tmp}/list.json").returncode == 0, "init")

        # Tampered data tile: the first leaf's timestamp changed (still parses; its hash differs).
        tile = os.path.join(folder, "tile/data/002")
        with open(tile, "rb") as f:
            good = f.read()
        bad = bytearray(good)
        bad[7] ^= 1
        with open(tile, "wb") as f:
            f.write(bytes(bad))
        r = ctdltest.run_ctdl(args(tmp) + ["download", "--segment-entries", "256", url])
        check(r.returncode == EXIT_VERIFY, f"tampered tile: exit {r.returncode}: {r.stderr}")
        check("root" in r.stderr.lower(), f"tampered tile: message {r.stderr}")
        pos = status_size(tmp, url)[0]
        check(pos <= 512, f"tampered tile: position {pos} committed past the tampered tile")
        with open(tile, "wb") as f:
            f.write(good)

        # Missing tile: a clear error naming it; nothing past it committed.
        os.rename(os.path.join(folder, "tile/data/003"), os.path.join(folder, "tile/data/003.gone"))
        t0 = time.monotonic()
        r = ctdltest.run_ctdl(args(tmp) + ["download", "--segment-entries", "256", url], timeout=300)
        check(r.returncode == EXIT_NETWORK, f"missing tile: exit {r.returncode}: {r.stderr}")
        check("tile/data/003: no such file in the log folder" in r.stderr, f"missing tile: {r.stderr}")
        # Permanent: no retries with backoff (a folder does not fill in by waiting).
        check(time.monotonic() - t0 < 60, f"missing tile took {time.monotonic() - t0:.0f} s")
        pos = status_size(tmp, url)[0]
        check(pos == 768, f"missing tile: position {pos}, expected the 3 tiles before it")

        # A symlink out of the folder is not followed.
        outside = os.path.join(tmp, "outside")
        shutil.copy(os.path.join(folder, "tile/data/003.gone"), outside)
        os.symlink(outside, os.path.join(folder, "tile/data/003"))
        r = ctdltest.run_ctdl(args(tmp) + ["download", url], timeout=300)
        check(r.returncode != 0 and "outside the log folder" in r.stderr, f"symlink: {r.stderr}")
        os.remove(os.path.join(folder, "tile/data/003"))
        os.rename(os.path.join(folder, "tile/data/003.gone"), os.path.join(folder, "tile/data/003"))
        r = ctdltest.run_ctdl(args(tmp) + ["download", url])
        check(r.returncode == 0 and status_size(tmp, url)[0] == n, f"repaired folder: {r.stderr}")

        # Tampered checkpoint: init refuses to store its size.
        cp = os.path.join(folder, "checkpoint")
        with open(cp, "rb") as f:
            text = f.read()
        with open(cp, "wb") as f:
            f.write(text.replace(b"\n%d\n" % n, b"\n%d\n" % (n + 1), 1))
        r = init(tmp, f"{tmp}/list.json", name="t")
        check(r.returncode == EXIT_VERIFY and "VERIFICATION FAILED" in r.stderr,
              f"tampered checkpoint: exit {r.returncode}: {r.stderr}")
        print("tampered tile, missing tile, symlink out, tampered checkpoint: all refused", flush=True)


if __name__ == "__main__":
    test_same_records_as_http()
    test_growing_folder()
    test_tampered_and_missing()
    print("file_source_test: ok")
