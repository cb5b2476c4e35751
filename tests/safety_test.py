"""The archive outlives its state (issue 12): ctdl never deletes or duplicates committed data,
whatever the state says. Folder archive + SQLite, then fresh_state, second_process, two_state_stores
and race again on S3 (s3rver) + DynamoDB (dynalite) when those are installed. Every scenario ends
with an exactly-once check of the archive over [0, committed) and a check that nothing committed
before was lost.

  fresh_state       a second state store on a full archive: refused (exit 8), nothing deleted;
                    adopt-archive takes the segments over and the download continues
  pending_adopted_elsewhere  a state's recorded unfinished write that another state store adopted
                    and wrote on from is not deleted by the first state's next run (exit 8)
  second_process    two downloads of one log: the second refuses (lease), never writes an object
  pending_adopted_exactly  issue 12's (b): another state store adopted exactly up to a state's
                    unfinished write and wrote nothing after it: that state's restart refuses (the
                    folder's writer claim is not its own) and the segment is kept
  two_state_stores  two downloads of one log, each with its own state store, into one archive: the
                    second refuses (writer claim) before writing; adopt-archive takes over, the first
                    then stops and refuses
  state_stores_start_together  both start on a fresh folder at once: exactly one claims it
  url_forms         HTTP:// vs http://, slug collisions, hostile log-list URLs
  foreign_manifest  a folder whose manifest names another log is refused
  bounds            numeric flags, stale temp files, verify-archive failing on a duplicate
  signals           SIGHUP and a closed stderr pipe stop gracefully (exit 0, committed == written)
  state_deleted     the SQLite file deleted mid-run: an error, not "complete"
  exit_codes        5 unwritable archive, 4 locked state, 3 unknown log, 2 usage; 6 unresolvable
                    log, 7 altered entry, 130 second signal (1 and 9: tests/cli_test.py)
  race              2-3 processes started at random moments, the running one killed (-9, or SIGTERM),
                    then one final run: every index exactly once, foreign objects intact
"""
import gzip
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time

import ctdltest
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")

N = 3000


class Dir:
    """Folder archive + SQLite state under tmp."""
    name = "dir+sqlite"

    def __init__(self, tmp):
        self.tmp = tmp
        self.env = None

    def args(self, state="s"):
        return ["--state", f"sqlite:{self.tmp}/{state}.db", "--archive", f"dir:{self.tmp}/archive"]

    def objects(self, log):
        """{file name: bytes} of the log's archive folder (segments, manifest, anything)."""
        return snapshot(os.path.join(self.tmp, "archive", slug(log)))

    def interrupt(self, log, state, position, pending):
        """As if the state's download was killed after the Put of `pending` ("<key> <sha256>"):
        position and pending write set, no Merkle state."""
        import sqlite3
        db = sqlite3.connect(f"{self.tmp}/{state}.db")
        db.execute("UPDATE logs SET position=?, verified_size=?, compact_range='', "
                   "pending_write=? WHERE url=?", (position, position, pending, log.url))
        db.commit()
        db.close()


class Aws:
    """S3 (s3rver) archive + DynamoDB (dynalite) state; tables and prefixes unique per use."""
    name = "s3+dynamodb"
    count = 0

    def __init__(self, aws):
        Aws.count += 1
        self.aws = aws
        self.env = aws.env()
        self.tag = f"safety{Aws.count}"

    def args(self, state="s"):
        return ["--state", f"dynamodb:{self.tag}_{state}", "--archive", f"s3://ctdl-test/{self.tag}"]

    def interrupt(self, log, state, position, pending):
        self.aws.ddb("UpdateItem", {
            "TableName": f"{self.tag}_{state}", "Key": {"url": {"S": log.url}},
            "UpdateExpression": "SET current_position = :p, verified_size = :p, pending_write = :w "
                                "REMOVE compact_range",
            "ExpressionAttributeValues": {":p": {"N": str(position)}, ":w": {"S": pending}}})

    def objects(self, log):
        root = os.path.join(self.aws.tmp, "s3", "ctdl-test", self.tag, slug(log))
        out = {}
        suffix = "._S3rver_object"
        if os.path.isdir(root):
            for f in sorted(os.listdir(root)):
                if f.endswith(suffix):
                    with open(os.path.join(root, f), "rb") as fh:
                        out[f[:-len(suffix)]] = fh.read()
        return out


def claims(objs):
    """[(generation, claim)] of a folder snapshot's writer claims, by generation."""
    out = []
    for k, v in objs.items():
        m = re.match(r"ctdl-writer-(\d+)\.json$", k)
        if m:
            out.append((int(m.group(1)), json.loads(v)))
    return sorted(out, key=lambda c: c[0])


def data(objs):
    """A folder snapshot without its writer claims (which adopt-archive adds)."""
    return {k: v for k, v in objs.items() if not k.startswith("ctdl-writer-")}


def snapshot(path):
    out = {}
    if os.path.isdir(path):
        for f in sorted(os.listdir(path)):
            with open(os.path.join(path, f), "rb") as fh:
                out[f] = fh.read()
    return out


def ctdl(be, argv, state="s"):
    return ctdltest.run_ctdl(be.args(state) + argv, env=be.env)


def init(be, log, state="s"):
    r = ctdl(be, ["init", "--log-list", log.log_list, "--yes"], state)
    check(r.returncode == 0, f"init failed: {r.stderr}")


def dl_argv(log, extra=(), seg="500"):
    return ["download", log.url, "--no-progress", "--segment-entries", seg] + list(extra)


def download(be, log, state="s", extra=(), check_ok=True):
    r = ctdl(be, dl_argv(log, extra), state)
    if check_ok:
        check(r.returncode == 0, f"download failed ({r.returncode}): {r.stderr[-3000:]}")
    return r


def spawn(be, log, state="s", extra=(), seg="500", stderr=subprocess.PIPE):
    env = dict(os.environ)
    if be.env:
        env.update(be.env)
    return subprocess.Popen([ctdltest.binary("ctdl")] + be.args(state) + dl_argv(log, extra, seg),
                            env=env, stdout=subprocess.DEVNULL, stderr=stderr)


def slug(log):
    return f"127.0.0.1_{log.port}"


def position(be, log, state="s"):
    r = ctdl(be, ["status", "--json"], state)
    for line in r.stdout.splitlines():
        o = json.loads(line)
        if o["url"] == log.url:
            return o["current_position"]
    return None


def exactly_once(be, log, committed, expected, what):
    """The log's segments tile [0, committed) exactly once and match the served entries."""
    objs = be.objects(log)
    segs = sorted(k for k in objs if re.match(r"\d+-\d+\.jsonl\.(gz|zst)$", k))
    for k in objs:
        check(k in segs or k == "ctdl-manifest.json" or not k.endswith((".gz", ".zst")),
              f"{what}: unexpected object {k}")
    nxt = 0
    recs = []
    for k in segs:
        first, last = map(int, re.match(r"(\d+)-(\d+)", k).groups())
        if first >= committed:
            continue
        check(first == nxt, f"{what}: segment {k} starts at {first}, expected {nxt} (gap or "
              f"duplicate); segments: {segs}")
        nxt = last + 1
        data = gzip.decompress(objs[k]) if k.endswith(".gz") else None
        check(data is not None, f"{what}: cannot read {k}")
        recs.extend(json.loads(line) for line in data.splitlines())
    check(nxt == committed, f"{what}: segments cover [0, {nxt}), committed is {committed}")
    for i, r in enumerate(recs):
        et, ts, fp = expected[i]
        check(r["index"] == i and r["fingerprint"] == fp and r["timestamp"] == ts,
              f"{what}: record {i} does not match entry {i}")
    return len(recs)


def test_fresh_state(be, expected):
    with ctdltest.TestLog(entries=N) as log:
        init(be, log)
        download(be, log)
        check(position(be, log) == N, "first download incomplete")
        before = be.objects(log)
        check("ctdl-manifest.json" in before, f"no manifest written: {sorted(before)}")
        manifest = json.loads(before["ctdl-manifest.json"])
        check(manifest["log_url"] == log.url and manifest["format"] == 1 and manifest["key"],
              f"manifest: {manifest}")
        # A fresh state (lost file, other team, re-created table) on the same archive.
        init(be, log, state="other")
        r = download(be, log, state="other", extra=["--end", "10"], check_ok=False)
        check(r.returncode == 8, f"fresh state: exit {r.returncode}, want 8: {r.stderr[-2000:]}")
        check("adopt-archive" in r.stderr and "Nothing was deleted" in r.stderr, r.stderr[-2000:])
        check("claimed by another state store" in r.stderr, r.stderr[-2000:])
        cl = claims(before)
        check(len(cl) == 1 and cl[0][1]["generation"] == 1 and cl[0][1]["log_url"] == log.url
              and cl[0][1]["state_id"].startswith("st-"), f"claims after the first download: {cl}")
        check("removing" not in r.stderr, f"something was removed: {r.stderr[-2000:]}")
        check(be.objects(log) == before, "the archive changed under a fresh state")
        check(position(be, log, "other") == 0, "the fresh state advanced")
        # verify-archive: the first state matches; the fresh one has the segments beyond position 0.
        r = ctdl(be, ["verify-archive", log.url])
        check(r.returncode == 0 and "exactly once" in r.stdout, f"verify-archive: {r.stdout}{r.stderr}")
        r = ctdl(be, ["verify-archive", log.url], "other")
        check(r.returncode == 0 and "beyond the committed position 0" in r.stdout, r.stdout + r.stderr)
        # Adopt, then continue: nothing downloaded twice, nothing lost.
        r = ctdl(be, ["adopt-archive", log.url], "other")
        check(r.returncode == 0 and f"-> {N}" in r.stdout and "took the archive folder over" in r.stdout,
              f"adopt: {r.stdout}{r.stderr}")
        check(position(be, log, "other") == N, "adopt did not set the position")
        download(be, log, state="other")
        after = be.objects(log)
        check(data(after) == data(before), "the download after adopt changed the archive")
        cl = claims(after)
        check([g for g, _ in cl] == [1, 2] and cl[1][1]["state_id"] != cl[0][1]["state_id"]
              and cl[1][1]["by"] == "adopt-archive" and after["ctdl-writer-000001.json"]
              == before["ctdl-writer-000001.json"], f"claims after adopt: {cl}")
        # The first state store no longer writes there; it refuses and changes nothing.
        r = download(be, log, check_ok=False)
        check(r.returncode == 8 and "claimed by another state store" in r.stderr, r.stderr[-2000:])
        check(be.objects(log) == after, "the old state store changed the archive")
        exactly_once(be, log, N, expected, "fresh state")
        print(f"fresh_state ({be.name}): refused (exit 8), nothing deleted; adopted, continued",
              flush=True)


def test_pending_adopted_elsewhere(be, expected):
    """A state killed between a Put and its Advance, whose object another state store then adopted
    and wrote on from: the first state's next run must not delete it (same bytes prove nothing)."""
    import hashlib
    with ctdltest.TestLog(entries=N) as log:
        init(be, log, state="a")
        download(be, log, state="a", extra=["--end", "1500"])
        # As if killed after the Put of [1000, 1499]: position 1000, that object recorded as pending.
        key = f"{slug(log)}/000000001000-000000001499.jsonl.gz"
        digest = hashlib.sha256(be.objects(log)[key.split("/")[1]]).hexdigest()
        be.interrupt(log, "a", 1000, f"{key} {digest}")
        # Another team's state store finds the archive, adopts it and downloads the rest.
        init(be, log, state="b")
        r = ctdl(be, ["adopt-archive", log.url], "b")
        check(r.returncode == 0 and "-> 1500" in r.stdout, f"adopt: {r.stdout}{r.stderr}")
        download(be, log, state="b")
        exactly_once(be, log, N, expected, "adopted elsewhere, before")
        r = download(be, log, state="a", check_ok=False)
        check(r.returncode == 8 and "claimed by another state store" in r.stderr
              and "removing" not in r.stderr, f"exit {r.returncode}: {r.stderr[-2000:]}")
        exactly_once(be, log, N, expected, "adopted elsewhere: the other state's archive")
        print("pending_adopted_elsewhere: the recorded write is kept once another state wrote on",
              flush=True)


def test_pending_adopted_exactly(be, expected):
    """Issue 12's scenario (b): state A killed between the Put of [1000, 1499] and its Advance;
    state B adopts the archive exactly up to that segment and writes nothing after it. A's pending
    record and the object's bytes match, so without the writer claim A's restart deleted it: B's
    position 1500 then covered a hole. A must refuse and keep it."""
    import hashlib
    with ctdltest.TestLog(entries=N) as log:
        init(be, log, state="a")
        download(be, log, state="a", extra=["--end", "1500"])
        name = "000000001000-000000001499.jsonl.gz"
        digest = hashlib.sha256(be.objects(log)[name]).hexdigest()
        be.interrupt(log, "a", 1000, f"{slug(log)}/{name} {digest}")
        init(be, log, state="b")
        r = ctdl(be, ["adopt-archive", log.url], "b")
        check(r.returncode == 0 and "0 -> 1500" in r.stdout
              and "took the archive folder over" in r.stdout, f"adopt: {r.stdout}{r.stderr}")
        before = be.objects(log)
        r = download(be, log, state="a", check_ok=False)
        check(r.returncode == 8 and "claimed by another state store" in r.stderr
              and "removing" not in r.stderr, f"A's restart: exit {r.returncode}: {r.stderr[-2000:]}")
        check(be.objects(log) == before, "A's restart changed the archive")
        check(name in be.objects(log), "B's segment was deleted")
        r = ctdl(be, ["verify-archive", log.url], "b")
        check(r.returncode == 0 and "[0, 1500) exactly once" in r.stdout, f"verify b: {r.stdout}{r.stderr}")
        exactly_once(be, log, 1500, expected, "adopted exactly up to A's pending write")
        download(be, log, state="b")
        exactly_once(be, log, N, expected, "B continued")
        print(f"pending_adopted_exactly ({be.name}): A refused (exit 8), B's segment kept", flush=True)


def slow_log(**kw):
    # 60 requests of 50 entries at >= 200 ms each, one at a time: a download of about 12 s.
    return ctdltest.TestLog(entries=N, args=["--cap", "50", "--latency-ms", "200"], **kw)


SLOW = ["--max-inflight", "1"]


def test_second_process(be, expected):
    with slow_log() as log:
        init(be, log)
        first = spawn(be, log, extra=SLOW)
        ctdltest.wait_until(lambda: (position(be, log) or 0) > 0, timeout=120, interval=0.3,
                            what="the first download to commit a segment")
        # Same state and archive, another segment size: an object it wrote would be misaligned.
        r = ctdl(be, dl_argv(log, seg="300"))
        check(r.returncode == 8, f"second process: exit {r.returncode}, want 8: {r.stderr[-2000:]}")
        check("owned by another ctdl process" in r.stderr and "nothing was written" in r.stderr,
              r.stderr[-2000:])
        _, err = first.communicate(timeout=300)
        check(first.returncode == 0, f"first download failed: {err[-2000:]}")
        for k in be.objects(log):
            m = re.match(r"(\d+)-(\d+)\.jsonl\.gz$", k)
            check(not m or int(m.group(1)) % 500 == 0, f"an object of the second process: {k}")
        exactly_once(be, log, N, expected, "second process")
        print(f"second_process ({be.name}): refused with exit 8, wrote nothing", flush=True)


def test_two_state_stores(be, expected):
    """Two downloads of one log into one archive at once, each with its own state store (two teams,
    one bucket): their leases cannot see each other, so the archive's writer claim must. The second
    refuses before it writes any segment; adopt-archive takes the folder over explicitly, after
    which the first stops at its next segment and refuses on restart; every index exactly once."""
    with slow_log() as log:
        for st in ("x", "y"):
            init(be, log, state=st)
        x = spawn(be, log, state="x", extra=SLOW, seg="500")
        ctdltest.wait_until(lambda: (position(be, log, "x") or 0) > 0, timeout=120, interval=0.2,
                            what="x to commit a segment")
        r = ctdl(be, dl_argv(log, SLOW, seg="300"), "y")
        check(r.returncode == 8 and "claimed by another state store" in r.stderr
              and "Nothing was deleted or written" in r.stderr, f"y: exit {r.returncode}: {r.stderr[-2000:]}")
        for k in be.objects(log):
            m = re.match(r"(\d+)-(\d+)\.jsonl\.gz$", k)
            check(not m or int(m.group(1)) % 500 == 0, f"an object of the second state store: {k}")
        check(position(be, log, "y") == 0, "y advanced")
        # y takes the folder over while x still runs: x commits nothing more and stops (exit 8).
        r = ctdl(be, ["adopt-archive", log.url], "y")
        check(r.returncode == 0 and "took the archive folder over" in r.stdout, f"adopt: {r.stdout}{r.stderr}")
        adopted = position(be, log, "y")
        _, err = x.communicate(timeout=300)
        err = err.decode(errors="replace")
        check(x.returncode == 8 and "took the archive folder" in err, f"x: exit {x.returncode}: {err[-2000:]}")
        check(position(be, log, "x") < N, "x completed after the take-over")
        download(be, log, state="y", extra=SLOW)
        exactly_once(be, log, N, expected, "two state stores: y after the take-over")
        after = be.objects(log)
        r = download(be, log, state="x", check_ok=False)
        check(r.returncode == 8 and "claimed by another state store" in r.stderr, f"x restart: {r.stderr[-2000:]}")
        check(be.objects(log) == after, "x's restart changed the archive")
        print(f"two_state_stores ({be.name}): the second refused before writing; adopt-archive took "
              f"over at position {adopted}, x stopped (exit 8) and refuses", flush=True)


def test_state_stores_start_together(be, expected):
    """Two state stores starting on one fresh folder at the same instant: the claim of generation 1
    is create-exclusive, so exactly one writes. On the folder the loser writes no segment (another
    segment size makes any of its objects visible); on s3rver, whose PUT is not create-exclusive,
    the loser may find out only at its first check (doc/segments.md "Writer claim"), so both use one
    segment size there and the check is: one completes, the other stops, every index once."""
    seg_y = "300" if be.name == "dir+sqlite" else "500"
    with slow_log() as log:
        for st in ("x", "y"):
            init(be, log, state=st)
        x = spawn(be, log, state="x", extra=SLOW, seg="500")
        y = spawn(be, log, state="y", extra=SLOW, seg=seg_y)
        codes, errs = [], []
        for p in (x, y):
            _, err = p.communicate(timeout=300)
            codes.append(p.returncode)
            errs.append(err.decode(errors="replace"))
        check(sorted(codes) == [0, 8], f"exits {codes}: {[e[-1500:] for e in errs]}")
        loser = codes.index(8)
        check("another state store" in errs[loser], errs[loser][-2000:])
        winner = ("x", "y")[1 - loser]
        if be.name == "dir+sqlite":
            size = 500 if winner == "x" else 300
            for k in be.objects(log):
                m = re.match(r"(\d+)-(\d+)\.jsonl\.gz$", k)
                check(not m or int(m.group(1)) % size == 0, f"an object of the loser: {k}")
        cl = claims(be.objects(log))
        check(len(cl) == 1, f"claims: {cl}")
        exactly_once(be, log, N, expected, "state stores started together")
        print(f"state_stores_start_together ({be.name}): exits {codes}, one claim, exactly once",
              flush=True)


def test_race(be, expected, rounds=8):
    rng = random.Random(12)
    # About 9 s for the whole log (60 requests of >= 150 ms, one at a time): rounds end mid-download.
    with ctdltest.TestLog(entries=N, args=["--cap", "50", "--latency-ms", "150"]) as log:
        init(be, log)
        kills = refused = 0
        for rnd in range(rounds):
            procs = []
            for _ in range(rng.choice([2, 3])):
                procs.append(spawn(be, log, extra=SLOW,
                                   seg=rng.choice(["300", "500", "700"])))
                time.sleep(rng.uniform(0, 0.4))
            time.sleep(rng.uniform(0.2, 1.0))
            for p in procs:  # the running one is killed with -9, or sometimes stopped with SIGTERM
                if p.poll() is None:
                    if rng.random() < 0.75:
                        p.kill()
                        kills += 1
                    else:
                        p.terminate()
            for p in procs:
                _, err = p.communicate(timeout=300)
                err = err.decode(errors="replace")
                if p.returncode == 8:
                    refused += 1
                    check("owned by another ctdl process" in err, err[-1500:])
                elif p.returncode not in (0, -9):
                    ctdltest.fail(f"round {rnd}: exit {p.returncode}: {err[-2000:]}")
            exactly_once(be, log, position(be, log), expected, f"race round {rnd}")
        download(be, log)
        exactly_once(be, log, N, expected, "race final")
        print(f"race ({be.name}): {rounds} rounds, {kills} kill -9, {refused} refused by the lease; "
              "every index exactly once", flush=True)
        check(kills >= max(2, rounds // 3) and refused >= 3,
              "the race did not race (too few kills or refusals)")
        return log


def write_list(path, logs):
    with open(path, "w") as f:
        json.dump({"version": "1", "operators": [{"name": "T", "logs": logs}]}, f)


def listed(base, url, description):
    e = dict(base)
    e["url"] = url
    e["description"] = description
    return e


def registered(be, state):
    r = ctdl(be, ["status", "--json"], state)
    return sorted(json.loads(l)["url"] for l in r.stdout.splitlines() if l.strip())


def test_url_forms(be):
    tmp = be.tmp
    with ctdltest.TestLog(entries=100) as log:
        with open(log.log_list) as f:
            base = json.load(f)["operators"][0]["logs"][0]
        # Two spellings of one log: one registered log, one archive folder.
        write_list(f"{tmp}/two.json", [listed(base, log.url.replace("http://", "HTTP://"), "upper"),
                                       listed(base, f"http://127.0.0.1:{log.port}", "lower")])
        r = ctdl(be, ["init", "--log-list", f"{tmp}/two.json", "--yes"])
        check(r.returncode == 0 and "listed twice" in r.stderr, f"{r.returncode}: {r.stderr}")
        check(registered(be, "s") == [log.url], f"registered: {registered(be, 's')}")
        # Different URLs, one folder: refused, nothing registered.
        write_list(f"{tmp}/collide.json", [listed(base, f"http://127.0.0.1:{log.port}/a_b/", "x"),
                                           listed(base, f"http://127.0.0.1:{log.port}/a/b/", "y")])
        r = ctdl(be, ["init", "--log-list", f"{tmp}/collide.json", "--yes"], "c")
        check(r.returncode == 3 and "share the archive folder" in r.stderr, f"{r.returncode}: {r.stderr}")
        check(registered(be, "c") == [], f"collision registered: {registered(be, 'c')}")
        # Hostile URLs: skipped with escaped warnings, no password shown; metadata address warned.
        write_list(f"{tmp}/hostile.json", [
            listed(base, "file:///etc/passwd", "f"), listed(base, "ftp://x.example/", "ftp"),
            listed(base, "https://x.example/log/\r\nwarning: injected", "crlf"),
            listed(base, "https://alice:hunter2@x.example/log/", "creds"),
            listed(base, "http://169.254.169.254/latest/", "metadata"), listed(base, log.url, "good")])
        r = ctdl(be, ["init", "--log-list", f"{tmp}/hostile.json", "--yes"], "h")
        check(r.returncode == 0, f"hostile list: {r.returncode} {r.stderr}")
        check("\r" not in r.stderr and "\nwarning: injected" not in r.stderr, repr(r.stderr))
        check("hunter2" not in r.stderr + r.stdout, "the password was printed")
        check(r.stderr.count("skipping") == 4, f"want 4 skipped: {r.stderr}")
        check("metadata address" in r.stderr, r.stderr)
        check(registered(be, "h") == sorted([log.url, "http://169.254.169.254/latest/"]),
              f"registered: {registered(be, 'h')}")
        # download finds a log by another spelling; a URL with credentials is refused unechoed.
        r = ctdl(be, ["download", f"HTTP://127.0.0.1:{log.port}", "--no-progress"])
        check(r.returncode == 0, f"download by another spelling: {r.stderr}")
        r = ctdl(be, ["download", "https://u:pw@x.example/", "--no-progress"])
        check(r.returncode == 3 and "pw@" not in r.stderr, f"{r.returncode}: {r.stderr}")
        print("url_forms: one form per log, collisions refused, hostile URLs skipped", flush=True)


def test_foreign_manifest(be):
    with ctdltest.TestLog(entries=200) as log:
        init(be, log)
        path = os.path.join(be.tmp, "archive", slug(log))
        os.makedirs(path)
        with open(os.path.join(path, "ctdl-manifest.json"), "w") as f:
            json.dump({"format": 1, "log_url": "https://other.example/log/", "segment_entries": 100}, f)
        r = download(be, log, check_ok=False)
        check(r.returncode == 8 and "belongs to another log" in r.stderr, f"{r.returncode}: {r.stderr}")
        check(sorted(os.listdir(path)) == ["ctdl-manifest.json"], "something was written")
        print("foreign_manifest: refused, nothing written", flush=True)


def test_bounds(be, expected):
    with ctdltest.TestLog(entries=N) as log:
        init(be, log)
        for bad in (["--end", "-1"], ["--end", "18446744073709551616"], ["--end", "4611686018427387905"],
                    ["--max-rps", "nan"], ["--max-rps", "inf"], ["--max-rps", "-1"],
                    ["--segment-entries", "0"], ["--segment-entries", "-5"], ["--max-inflight", "0"],
                    ["--max-inflight", "1e3"], ["--chunk-entries", "-9223372036854775808"],
                    ["--chunk-entries", "384"]):
            r = ctdl(be, ["download", log.url, "--no-progress"] + bad)
            check(r.returncode == 2, f"{bad}: exit {r.returncode}, want 2: {r.stderr}")
        check(position(be, log) == 0, "a refused flag downloaded something")
        # Temp files of a process that no longer runs are removed; other dot files are kept.
        path = os.path.join(be.tmp, "archive", slug(log))
        os.makedirs(path)
        dead = subprocess.Popen(["true"])
        dead.wait()
        stale = f".000000000000-000000000499.jsonl.gz.tmp-{dead.pid}-0"
        live = f".000000000000-000000000499.jsonl.gz.tmp-{os.getpid()}-7"
        for name in (stale, live, ".keep-me"):
            with open(os.path.join(path, name), "w") as f:
                f.write("partial")
        download(be, log, extra=["--fields", "leaf_hash"])
        left = os.listdir(path)
        check(stale not in left, "a stale temp file survived")
        check(live in left and ".keep-me" in left, f"a file that is not a stale temp was removed: {left}")
        exactly_once(be, log, N, expected, "bounds")
        # verify-archive recomputes the Merkle root from the records' leaf hashes...
        r = ctdl(be, ["verify-archive", log.url])
        check(r.returncode == 0 and "leaf_hash matches" in r.stdout, f"verify-archive: {r.stdout}{r.stderr}")
        # ...so an altered record is found even when every count still adds up.
        seg = os.path.join(path, "000000001000-000000001499.jsonl.gz")
        original = open(seg, "rb").read()
        lines = gzip.decompress(original).splitlines()
        rec = json.loads(lines[7])
        rec["leaf_hash"] = json.loads(lines[8])["leaf_hash"]
        lines[7] = json.dumps(rec, separators=(",", ":")).encode()
        with open(seg, "wb") as f:
            f.write(gzip.compress(b"\n".join(lines) + b"\n"))
        r = ctdl(be, ["verify-archive", log.url])
        check(r.returncode == 7 and "DOES NOT match" in r.stdout, f"verify-archive: {r.returncode} {r.stdout}")
        with open(seg, "wb") as f:
            f.write(original)
        # verify-archive fails on a duplicated segment inside [0, committed) and names it.
        shutil.copy(os.path.join(path, "000000000500-000000000999.jsonl.gz"),
                    os.path.join(path, "000000000500-000000000999.jsonl.zst"))
        r = ctdl(be, ["verify-archive", log.url])
        check(r.returncode == 7 and "overlaps" in r.stdout, f"verify-archive: {r.returncode} {r.stdout}")
        print("bounds: bad flags exit 2, stale temp removed, duplicate found", flush=True)


def test_signals(be, expected):
    for how in ("SIGHUP", "broken stderr pipe"):
        with slow_log() as log:
            init(be, log, state=how[:3])
            p = spawn(be, log, state=how[:3], extra=SLOW, seg="200")
            ctdltest.wait_until(lambda: (position(be, log, how[:3]) or 0) > 0, timeout=120,
                                interval=0.3, what="a first commit")
            if how == "SIGHUP":
                p.send_signal(signal.SIGHUP)
                _, err = p.communicate(timeout=120)
                err = err.decode(errors="replace")
                check("stopping after the segments in flight" in err, f"no graceful stop message: {err}")
            else:
                p.stderr.close()  # the next progress line (every 5 s) raises SIGPIPE
                p.wait(timeout=120)
                err = ""
            check(p.returncode == 0, f"{how}: exit {p.returncode}, want 0 (graceful): {err[-1500:]}")
            committed = position(be, log, how[:3])
            check(0 < committed < N, f"{how}: committed {committed}; the download was not stopped")
            exactly_once(be, log, committed, expected, how)
            segs = [k for k in be.objects(log) if k.endswith(".jsonl.gz")]
            last = max(int(re.match(r"\d+-(\d+)", k).group(1)) for k in segs)
            check(last + 1 == committed, f"{how}: objects beyond the committed {committed}")
            print(f"signals: {how} stopped gracefully at {committed}", flush=True)
            shutil.rmtree(os.path.join(be.tmp, "archive"))


def test_state_deleted(be):
    with slow_log() as log:
        init(be, log)
        p = spawn(be, log, extra=SLOW, seg="200")
        ctdltest.wait_until(lambda: (position(be, log) or 0) > 0, timeout=120, interval=0.3,
                            what="a first commit")
        for f in os.listdir(be.tmp):
            if f.startswith("s.db"):
                os.unlink(os.path.join(be.tmp, f))
        _, err = p.communicate(timeout=300)
        err = err.decode(errors="replace")
        check(p.returncode == 4, f"state deleted: exit {p.returncode}, want 4: {err[-2000:]}")
        check("deleted or replaced" in err, err[-2000:])
        print("state_deleted: exit 4, not complete", flush=True)


def test_exit_codes(be):
    """The codes of doc/exit-codes.md that the scenarios above do not already reach."""
    import sqlite3
    with ctdltest.TestLog(entries=200) as log:
        init(be, log)
        # 5: the archive cannot be written (its folder path is a file).
        with open(os.path.join(be.tmp, "not-a-folder"), "w") as f:
            f.write("x")
        r = ctdltest.run_ctdl(["--state", f"sqlite:{be.tmp}/s.db", "--archive",
                               f"dir:{be.tmp}/not-a-folder", "download", log.url, "--no-progress"])
        check(r.returncode == 5, f"unwritable archive: exit {r.returncode}, want 5: {r.stderr[-1500:]}")
        # 4: the state database is locked past the busy timeout (5 s) by another writer.
        db = sqlite3.connect(f"{be.tmp}/s.db", isolation_level=None, timeout=1)
        db.execute("BEGIN EXCLUSIVE")
        try:
            r = download(be, log, check_ok=False)
        finally:
            db.execute("ROLLBACK")
            db.close()
        check(r.returncode == 4, f"locked state: exit {r.returncode}, want 4: {r.stderr[-1500:]}")
        # 3: a URL that is not registered; 2: download without a URL.
        r = ctdl(be, ["download", "https://not-registered.example/", "--no-progress"])
        check(r.returncode == 3, f"unregistered: exit {r.returncode}: {r.stderr}")
        r = ctdl(be, ["download", "--no-progress"])
        check(r.returncode == 2, f"no URL: exit {r.returncode}: {r.stderr}")
        download(be, log)  # and 0 once nothing is in the way
        print("exit_codes: 5 unwritable archive, 4 locked state, 3 unknown log, 2 usage, 0", flush=True)


def test_exit_codes_log(be, expected):
    """The codes that come from the log itself: 6 (unreachable for good), 7 (an entry that does not
    match the signed tree), 130 (a second signal); after each, nothing beyond the committed position."""
    with ctdltest.TestLog(entries=200) as log:
        # 6: a registered log whose host does not resolve (a DNS failure is permanent: no retries).
        with open(log.log_list) as f:
            base = json.load(f)["operators"][0]["logs"][0]
        lst = os.path.join(be.tmp, "unresolvable.json")
        write_list(lst, [listed(base, "https://ctdl-unresolvable.invalid/log/", "nowhere")])
        r = ctdl(be, ["init", "--log-list", lst, "--yes"], "dns")
        check(r.returncode == 0, f"init of an unresolvable log: {r.returncode}: {r.stderr[-1500:]}")
        r = ctdl(be, ["download", "https://ctdl-unresolvable.invalid/log/", "--no-progress"], "dns")
        check(r.returncode == 6, f"unresolvable log: exit {r.returncode}, want 6: {r.stderr[-1500:]}")
    with ctdltest.TestLog(entries=N, args=["--corrupt-entry", "1234"]) as log:
        # 7: the entry at 1234 is altered: nothing at or past its segment is committed.
        init(be, log)
        r = download(be, log, check_ok=False)
        check(r.returncode == 7, f"corrupt entry: exit {r.returncode}, want 7: {r.stderr[-1500:]}")
        pos = position(be, log)
        check(pos is not None and pos <= 1000, f"position {pos} past the altered entry's segment")
        objs = be.objects(log)
        check(not any(re.match(r"0*(1\d{3}|[2-9]\d{3})-", k) for k in objs),
              f"a segment at or past the altered entry was written: {sorted(objs)}")
    # 130: a second SIGINT exits at once; the next run still ends exactly once. The log answers
    # after 1.5 s and two requests are always in flight, so the graceful stop the first signal
    # starts (it waits up to about a second for the requests in flight) is still under way when
    # the second comes; with the 200 ms log a stop between two requests could end within the 50 ms.
    with ctdltest.TestLog(entries=N, args=["--cap", "50", "--latency-ms", "1500"]) as log:
        init(be, log)
        p = spawn(be, log, extra=["--max-inflight", "2"])
        ctdltest.wait_until(lambda: (position(be, log) or 0) > 0, timeout=120, interval=0.3,
                            what="a first commit")
        p.send_signal(signal.SIGINT)
        time.sleep(0.05)
        p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=60)
        check(p.returncode == 130, f"second SIGINT: exit {p.returncode}, want 130: {err[-1500:]}")
        exactly_once(be, log, position(be, log), expected, "after exit 130")
        download(be, log)
        exactly_once(be, log, N, expected, "after exit 130, resumed")
    print("exit_codes_log: 6 unresolvable log, 7 altered entry, 130 second signal", flush=True)


def test_race_foreign_objects(be, expected):
    """The race with objects that are not ctdl's in and beside the log's folder: all survive."""
    path = os.path.join(be.tmp, "archive")
    other = os.path.join(path, "someone-else")
    os.makedirs(other)
    with open(os.path.join(other, "000000000000-000000000099.jsonl.gz"), "wb") as f:
        f.write(b"foreign")
    test_race(be, expected)
    check(open(os.path.join(other, "000000000000-000000000099.jsonl.gz"), "rb").read() == b"foreign",
          "another folder's object changed")


def main():
    expected = ctdltest.expected_entries(ctdltest.built_log(N))
    for t in (test_url_forms, test_foreign_manifest):
        with ctdltest.TempDir() as tmp:
            t(Dir(tmp))
    for t in (test_bounds, test_fresh_state, test_pending_adopted_elsewhere, test_pending_adopted_exactly,
              test_second_process, test_state_stores_start_together,
              test_two_state_stores, test_signals, test_race_foreign_objects, test_exit_codes_log):
        with ctdltest.TempDir() as tmp:
            t(Dir(tmp), expected)
    for t in (test_state_deleted, test_exit_codes):
        with ctdltest.TempDir() as tmp:
            t(Dir(tmp))
    # The same scenarios on S3 + DynamoDB (skipped, with a note, when node or the modules are missing).
    import aws_servers
    if not aws_servers.available():
        print("SKIP part: s3rver/dynalite not installed (npm ci in tests/servers)", flush=True)
    else:
        with aws_servers.AwsServers() as aws:
            test_fresh_state(Aws(aws), expected)
            test_pending_adopted_exactly(Aws(aws), expected)
            test_second_process(Aws(aws), expected)
            test_two_state_stores(Aws(aws), expected)
            test_state_stores_start_together(Aws(aws), expected)
            test_race(Aws(aws), expected, rounds=6)
    print("safety_test: all passed", flush=True)


if __name__ == "__main__":
    main()
