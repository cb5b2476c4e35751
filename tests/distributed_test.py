"""ctdl download --distributed: several workers, one log, chunk leases in the state store (issue 14).

Each scenario runs against one SQLite file + a dir: archive, and against dynalite + s3rver (skipped
without node and the npm modules):
  - 3 workers on a ~50,000-entry log with --chunk-entries 4096: every index exactly once, segments
    contiguous and named after their records, position = verified size = tree size, `status` shows
    the chunks;
  - a worker killed with -9 in the middle of a chunk: its lease expires (--lease-seconds 5), another
    worker finishes that chunk, still exactly once;
  - a worker paused with SIGSTOP past its lease, then SIGCONT: once another worker took its chunk it
    writes nothing more for that chunk (its -v log shows no segment of that chunk after SIGCONT);
  - a tampered entry (ctdl-testlog --corrupt-entry): the chunk holding it is named, rejected, fetched
    again, rejected again; the verified size stops below it;
  - a tiled (static-ct-api) log: 2 workers, chunks of whole tiles, exactly once and verified;
  - a plain download owning the log: a worker started meanwhile waits and leases nothing;
  - segments another state store wrote before claims existed: a worker refuses (exit 8), changes nothing.
"""
import gzip
import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error

import ctdltest
from ctdltest import check

N = 50_000
CHUNK = 4096
SEGMENT = 1024  # 4 segments per chunk: a kill can land between two commits of one chunk
CHUNKS = (N + CHUNK - 1) // CHUNK


class SqliteBackend:
    name = "sqlite"

    def __init__(self, tmp, tag):
        self.db = f"{tmp}/{tag}.db"
        self.dir = f"{tmp}/{tag}-archive"
        self.args = ["--state", f"sqlite:{self.db}", "--archive", f"dir:{self.dir}"]
        self.env = None

    def objects(self, slug):
        out = {}
        d = os.path.join(self.dir, slug)
        for f in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            if f.endswith(".jsonl.gz"):
                with open(os.path.join(d, f), "rb") as fh:
                    out[f"{slug}/{f}"] = fh.read()
        return out

    def paused_holds_no_lock(self):
        """False while some process holds the database's write lock (a SIGSTOPped worker caught inside
        a write transaction blocks every other writer until it runs again: SQLite's rule, not a lease)."""
        c = sqlite3.connect(self.db, timeout=0.5, isolation_level=None)
        try:
            c.execute("BEGIN IMMEDIATE")
            c.execute("ROLLBACK")
            return True
        except sqlite3.OperationalError:
            return False
        finally:
            c.close()

    def chunks(self, url):
        with sqlite3.connect(self.db) as c:
            rows = c.execute("SELECT idx, state, owner, counter, position, subtree_hash, rejected, note "
                             "FROM chunks WHERE url=? ORDER BY idx", (url,)).fetchall()
        return [dict(zip(["index", "state", "owner", "counter", "position", "subtree_hash", "rejected",
                          "note"], r)) for r in rows]

    def log(self, url):
        with sqlite3.connect(self.db) as c:
            p, v, t = c.execute("SELECT position, verified_size, tree_size FROM logs WHERE url=?",
                                (url,)).fetchone()
        return {"position": p, "verified_size": v, "tree_size": t}


class AwsBackend:
    name = "dynamodb+s3"
    BUCKET = "ctdl-test"

    def __init__(self, aws, tag):
        self.aws = aws
        self.table = f"ctdl_dist_{tag}"
        self.prefix = f"dist-{tag}"
        self.args = ["--state", f"dynamodb:{self.table}", "--archive", f"s3://{self.BUCKET}/{self.prefix}"]
        self.env = aws.env()

    def objects(self, slug):
        prefix = f"{self.prefix}/{slug}/"
        return {k[len(self.prefix) + 1:]: v for k, v in self.aws.s3_objects(self.BUCKET, prefix).items()
                if not k.endswith("/ctdl-manifest.json") and "/ctdl-writer-" not in k}

    def paused_holds_no_lock(self):
        return True  # DynamoDB has no locks a paused client could hold

    def ddb(self, op, body):
        return self.aws.ddb(op, body)

    def chunks(self, url):
        try:
            items = self.ddb("Query", {"TableName": self.table + "-chunks", "ConsistentRead": True,
                                       "KeyConditionExpression": "#u = :u",
                                       "ExpressionAttributeNames": {"#u": "url"},
                                       "ExpressionAttributeValues": {":u": {"S": url}}})["Items"]
        except urllib.error.HTTPError:
            return []  # no chunk table yet
        out = []
        for it in items:
            g = lambda k, t="S", d="": it.get(k, {}).get(t, d)
            out.append({"index": int(g("chunk", "N")), "state": g("state"), "owner": g("owner"),
                        "counter": int(g("counter", "N", 0)), "position": int(g("position", "N", 0)),
                        "subtree_hash": g("subtree_hash"), "rejected": int(g("rejected", "N", 0)),
                        "note": g("note")})
        return sorted(out, key=lambda c: c["index"])

    def log(self, url):
        it = self.ddb("GetItem", {"TableName": self.table, "Key": {"url": {"S": url}},
                                  "ConsistentRead": True})["Item"]
        return {"position": int(it["current_position"]["N"]),
                "verified_size": int(it.get("verified_size", {}).get("N", 0)),
                "tree_size": int(it["tree_size"]["N"])}


def ctdl_env(backend):
    e = dict(os.environ) if backend.env is None else dict(backend.env)
    return e


def start_worker(backend, url, log_path, extra=()):
    args = [ctdltest.binary("ctdl"), "-v"] + backend.args + [
        "download", url, "--distributed", "--chunk-entries", str(CHUNK), "--segment-entries",
        str(SEGMENT), "--no-progress"] + list(extra)
    err = open(log_path, "w")
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, env=ctdl_env(backend)), err


def wait_workers(procs, timeout=300):
    deadline = time.time() + timeout
    codes = []
    for p, err in procs:
        left = max(1, deadline - time.time())
        try:
            codes.append(p.wait(timeout=left))
        except subprocess.TimeoutExpired:
            for q, _ in procs:
                if q.poll() is None:
                    q.kill()
            ctdltest.fail(f"a worker did not finish within {timeout}s")
        err.close()
    return codes


def init(backend, log):
    r = ctdltest.run_ctdl(backend.args + ["init", "--log-list", log.log_list, "--yes"], env=backend.env)
    check(r.returncode == 0, f"init failed: {r.stderr}")


def check_archive(backend, log, expected, n=N, url=None, slug=None):
    """Every index of [0, n) exactly once, segments contiguous, each named after its records, records
    matching the served entries; position = verified size = tree size."""
    slug = slug or f"127.0.0.1_{log.port}"
    objs = backend.objects(slug)
    nxt = 0
    for key in sorted(objs):
        m = re.search(r"/(\d{12})-(\d{12})\.jsonl\.gz$", key)
        check(m, f"unexpected object {key}")
        first, last = int(m.group(1)), int(m.group(2))
        check(first == nxt, f"{backend.name}: segments not contiguous at {key} (expected first {nxt})")
        check(first // CHUNK == last // CHUNK, f"{key} crosses a chunk boundary")
        recs = [json.loads(l) for l in gzip.decompress(objs[key]).splitlines() if l.strip()]
        check([r["index"] for r in recs] == list(range(first, last + 1)),
              f"{key} does not hold exactly indexes {first}..{last}")
        for r in recs:
            et, ts, fp = expected[r["index"]]
            check(r["entry_type"] == et and r["timestamp"] == ts and r["fingerprint"] == fp,
                  f"record {r['index']} does not match the served entry")
        nxt = last + 1
    check(nxt == n, f"{backend.name}: archive ends at {nxt}, expected {n}")
    st = backend.log(url or log.url)
    check(st == {"position": n, "verified_size": n, "tree_size": n}, f"{backend.name}: log state {st}")
    return objs


def owner_pid(owner):
    parts = owner.split(":")
    return int(parts[-2]) if len(parts) >= 3 else -1


def test_three_workers(backend, log, expected, tmp):
    init(backend, log)
    procs = [start_worker(backend, log.url, f"{tmp}/{backend.name}-w{i}.log") for i in range(3)]
    codes = wait_workers(procs)
    logs = [open(f"{tmp}/{backend.name}-w{i}.log").read() for i in range(3)]
    check(codes == [0, 0, 0], f"worker exit codes {codes}:\n" + "\n".join(l[-1500:] for l in logs))
    check_archive(backend, log, expected)
    chunks = backend.chunks(log.url)
    check(len(chunks) == CHUNKS, f"{len(chunks)} chunk items, expected {CHUNKS}")
    full = [c for c in chunks if c["index"] < N // CHUNK]
    check(all(c["state"] == "done" and c["subtree_hash"] for c in full), f"chunks not done: {chunks}")
    leased = [len(re.findall(r"leased chunk \d+", l)) for l in logs]
    check(sum(leased) >= CHUNKS, f"chunk leases per worker {leased}")
    check(sum(1 for n in leased if n > 0) >= 2, f"the work was not shared: leases per worker {leased}")
    r = ctdltest.run_ctdl(backend.args + ["status"], env=backend.env)
    check(r.returncode == 0 and f"{CHUNKS} done, 0 leased, 0 free" in r.stdout,
          f"status does not show the chunks: {r.stdout}")
    # A plain download of a distributed log is refused (it would remove other workers' segments).
    r = ctdltest.run_ctdl(backend.args + ["download", log.url, "--no-progress"], env=backend.env)
    check(r.returncode != 0 and "--distributed" in r.stderr, f"plain download: {r.returncode} {r.stderr}")
    print(f"{backend.name}: 3 workers: {N} entries exactly once, leases per worker {leased}", flush=True)


def wait_for_chunk(backend, url, pred, timeout=120, what="chunk", log_path=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        for c in backend.chunks(url):
            if pred(c):
                return c
        time.sleep(0.1)
    tail = ""
    if log_path and os.path.exists(log_path):
        with open(log_path) as f:
            tail = f"\n{log_path} ends:\n" + f.read()[-3000:]
    ctdltest.fail(f"timed out waiting for {what}: {backend.chunks(url)}{tail}")


def test_kill9(backend, log, expected, tmp):
    init(backend, log)
    lease = ["--lease-seconds", "5"]
    a, a_err = start_worker(backend, log.url, f"{tmp}/{backend.name}-k-a.log", lease)
    # Mid-chunk: A holds a chunk and committed part of it (at least one segment, not all).
    c = wait_for_chunk(backend, log.url, lambda c: c["state"] == "leased" and owner_pid(c["owner"]) == a.pid
                       and c["position"] % CHUNK != 0, what="worker A mid-chunk")
    a.send_signal(signal.SIGKILL)
    a.wait()
    a_err.close()
    killed = c["index"]
    others = [start_worker(backend, log.url, f"{tmp}/{backend.name}-k-{i}.log", lease) for i in range(2)]
    codes = wait_workers(others)
    check(codes == [0, 0], f"exit codes after kill -9: {codes}")
    check_archive(backend, log, expected)
    after = [x for x in backend.chunks(log.url) if x["index"] == killed][0]
    check(after["state"] == "done" and owner_pid(after["owner"]) != a.pid and after["counter"] > c["counter"],
          f"chunk {killed} was not finished by another worker: {after}")
    print(f"{backend.name}: kill -9 in chunk {killed} at {c['position']}: finished by another worker, "
          "exactly once", flush=True)


def test_sigstop(backend, log, expected, tmp):
    init(backend, log)
    lease = ["--lease-seconds", "5"]
    a_log = f"{tmp}/{backend.name}-s-a.log"
    a, a_err = start_worker(backend, log.url, a_log, lease)
    for attempt in range(20):
        c = wait_for_chunk(backend, log.url, lambda c: c["state"] == "leased" and owner_pid(c["owner"]) == a.pid
                           and c["position"] % CHUNK != 0, what="worker A mid-chunk")
        a.send_signal(signal.SIGSTOP)
        if backend.paused_holds_no_lock():
            break
        a.send_signal(signal.SIGCONT)  # paused inside a write transaction: pause it elsewhere
        time.sleep(0.05)
    else:
        ctdltest.fail("worker A was inside a write transaction at each of 20 pauses")
    stopped = c["index"]
    b_log = f"{tmp}/{backend.name}-s-b.log"
    b, b_err = start_worker(backend, log.url, b_log, lease)
    try:
        # B takes A's chunk once A's lease expired.
        wait_for_chunk(backend, log.url, lambda x: x["index"] == stopped and owner_pid(x["owner"]) == b.pid,
                       timeout=120, what=f"worker B taking chunk {stopped}", log_path=b_log)
    finally:
        a_err.flush()
        before = os.path.getsize(a_log)
        a.send_signal(signal.SIGCONT)
    codes = wait_workers([(b, b_err), (a, a_err)])
    check(codes == [0, 0], f"exit codes: {codes}")
    with open(a_log) as f:
        f.seek(before)
        after = f.read()
    wrote = [m for m in re.findall(r"wrote \S+ \(chunk (\d+),", after) if int(m) == stopped]
    check(not wrote, f"worker A wrote chunk {stopped} after SIGCONT:\n{after[-3000:]}")
    check(re.search(rf"chunk {stopped}\b.*(lost|expired)", after),
          f"worker A did not notice it lost its lease of chunk {stopped}:\n{after[-3000:]}")
    check_archive(backend, log, expected)
    print(f"{backend.name}: SIGSTOP in chunk {stopped}: taken over, nothing more written by the paused worker",
          flush=True)


def test_plain_owner(backend, log, expected, tmp):
    """A plain download owns the log (its lease): a distributed worker started meanwhile waits, leases
    no chunk and writes nothing; when the plain download is done, the worker finds the log complete."""
    init(backend, log)
    args = [ctdltest.binary("ctdl")] + backend.args + [
        "download", log.url, "--segment-entries", str(SEGMENT), "--max-inflight", "1", "--no-progress"]
    plain = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                             env=ctdl_env(backend))
    deadline = time.time() + 120
    while backend.log(log.url)["position"] == 0 and plain.poll() is None and time.time() < deadline:
        time.sleep(0.1)
    check(plain.poll() is None, "the plain download ended before a worker could start")
    w, w_err = start_worker(backend, log.url, f"{tmp}/{backend.name}-p-w.log", ["--lease-seconds", "3"])
    time.sleep(3)
    check(backend.chunks(log.url) == [], f"a worker leased chunks of an owned log: {backend.chunks(log.url)}")
    _, err = plain.communicate(timeout=300)
    check(plain.returncode == 0, f"plain download: exit {plain.returncode}: {err[-2000:]}")
    codes = wait_workers([(w, w_err)])
    wlog = open(f"{tmp}/{backend.name}-p-w.log").read()
    check(codes == [0], f"worker exit {codes}: {wlog[-2000:]}")
    check("without --distributed owns it" in wlog, f"the worker did not say why it waited: {wlog[-2000:]}")
    check("leased chunk" not in wlog, f"the worker leased a chunk: {wlog[-2000:]}")
    check_archive(backend, log, expected)
    print(f"{backend.name}: plain download owning the log: the worker waited, exactly once", flush=True)


def test_tampered(backend, tmp, n=20_000, bad=9_000):
    with ctdltest.TestLog(entries=n, args=["--cap", "256", "--corrupt-entry", str(bad)]) as log:
        init(backend, log)
        procs = [start_worker(backend, log.url, f"{tmp}/{backend.name}-t{i}.log") for i in range(2)]
        codes = wait_workers(procs)
        logs = [open(f"{tmp}/{backend.name}-t{i}.log").read() for i in range(2)]
        k = bad // CHUNK
        check(all(c == 7 for c in codes), f"exit codes {codes} (expected 7, verification failed):\n" +
              "\n".join(l[-1500:] for l in logs))
        named = f"chunk {k} [{k * CHUNK}, {(k + 1) * CHUNK})"
        check(any(named in l for l in logs), f"the tampered chunk is not named ({named}):\n{logs[0][-2000:]}")
        st = backend.log(log.url)
        check(st["position"] == k * CHUNK and st["verified_size"] == k * CHUNK,
              f"position/verified size should stop at {k * CHUNK}: {st}")
        bad_chunk = [c for c in backend.chunks(log.url) if c["index"] == k][0]
        check(bad_chunk["rejected"] == 2 and named in bad_chunk["note"], f"chunk item {bad_chunk}")
        r = ctdltest.run_ctdl(backend.args + ["status"], env=backend.env)
        check("rejected 2 times" in r.stdout, f"status does not show the rejected chunk:\n{r.stdout}")
        print(f"{backend.name}: tampered entry {bad}: {named} rejected twice, verified size {st['verified_size']}",
              flush=True)


def test_tiled(backend, tmp, n=10_000):
    """The same on the static-ct-api side of the log: chunks are whole data tiles."""
    expected = ctdltest.expected_entries(ctdltest.built_log(n))
    with ctdltest.TestLog(entries=n, args=["--latency-ms", "10"]) as log:
        init(backend, log)
        procs = [start_worker(backend, log.static_url, f"{tmp}/{backend.name}-tiled{i}.log") for i in range(2)]
        codes = wait_workers(procs)
        check(codes == [0, 0], f"tiled: exit codes {codes}")
        check_archive(backend, log, expected, n, url=log.static_url, slug=f"127.0.0.1_{log.port}_static")
        print(f"{backend.name}: tiled log, 2 workers: {n} entries exactly once, verified", flush=True)


def test_foreign_segments(tmp, n=5_000):
    """Segments written by another state store before writer claims existed (a plain download's, its
    claim file removed): a distributed worker with a fresh state store refuses before it leases or
    writes anything, names adopt-archive, and every object stays as it was. Dir archive only: the
    refusal is Archive-level code shared by both backends (safety_test covers it on S3 for a plain
    download)."""
    with ctdltest.TestLog(entries=n) as log:
        a = SqliteBackend(tmp, "foreign-a")
        init(a, log)
        r = ctdltest.run_ctdl(a.args + ["download", log.url, "--segment-entries", str(SEGMENT),
                                        "--no-progress"])
        check(r.returncode == 0, f"plain download: exit {r.returncode}: {r.stderr[-2000:]}")
        folder = os.path.join(a.dir, f"127.0.0.1_{log.port}")
        for f in os.listdir(folder):
            if f.startswith("ctdl-writer-"):
                os.unlink(os.path.join(folder, f))
        before = {f: open(os.path.join(folder, f), "rb").read() for f in sorted(os.listdir(folder))}
        b = SqliteBackend(tmp, "foreign-b")
        b.args = ["--state", f"sqlite:{b.db}", "--archive", f"dir:{a.dir}"]
        init(b, log)
        w = start_worker(b, log.url, f"{tmp}/foreign-w.log")
        codes = wait_workers([w], timeout=120)
        wlog = open(f"{tmp}/foreign-w.log").read()
        check(codes == [8], f"worker exit {codes} (expected 8, another writer's segments): {wlog[-2000:]}")
        check("adopt-archive" in wlog and "Nothing was deleted" in wlog, f"refusal not explained: {wlog[-2000:]}")
        check("leased chunk" not in wlog and b.chunks(log.url) == [], f"the worker leased a chunk: {wlog[-2000:]}")
        after = {f: open(os.path.join(folder, f), "rb").read() for f in sorted(os.listdir(folder))}
        check(after == before, f"the folder changed: {sorted(set(after) ^ set(before))}")
        print(f"sqlite: {len(before)} foreign objects: the worker refused (exit 8), nothing changed", flush=True)


def run_all(make_backend, tmp):
    expected = ctdltest.expected_entries(ctdltest.built_log(N))
    # Latency makes a chunk take long enough to be shared, killed or paused in the middle.
    with ctdltest.TestLog(entries=N, args=["--cap", "256", "--latency-ms", "30"]) as log:
        test_three_workers(make_backend("three"), log, expected, tmp)
    with ctdltest.TestLog(entries=N, args=["--cap", "256", "--latency-ms", "60"]) as log:
        test_kill9(make_backend("kill"), log, expected, tmp)
    with ctdltest.TestLog(entries=N, args=["--cap", "256", "--latency-ms", "60"]) as log:
        test_sigstop(make_backend("stop"), log, expected, tmp)
    with ctdltest.TestLog(entries=N, args=["--cap", "256", "--latency-ms", "30"]) as log:
        test_plain_owner(make_backend("plain"), log, expected, tmp)
    test_tampered(make_backend("tamper"), tmp)
    test_tiled(make_backend("tiled"), tmp)


def main():
    ctdltest.binary("ctdl")
    ctdltest.binary("ctdl-testlog")
    only = sys.argv[1] if len(sys.argv) > 1 else ""
    with ctdltest.TempDir() as tmp:
        if only in ("", "sqlite"):
            run_all(lambda tag: SqliteBackend(tmp, tag), tmp)
            test_foreign_segments(tmp)
        if only in ("", "aws"):
            from aws_servers import AwsServers
            try:
                with AwsServers(buckets=(AwsBackend.BUCKET,)) as aws:
                    run_all(lambda tag: AwsBackend(aws, tag), tmp)
            except SystemExit as e:  # servers missing: the SQLite half still counts
                if e.code != 77 or only == "aws":
                    raise
                print("dynalite/s3rver not available: AWS half skipped", flush=True)
    print("ok")


if __name__ == "__main__":
    main()
