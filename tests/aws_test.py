"""ctdl against local AWS-compatible servers: dynalite (DynamoDB) and s3rver (S3), from npm
(tests/servers, `npm ci` via `make test`). Skips (77) when node or the modules are missing.

  1. The StateStore and Archive contract suites (store_test, sink_test) against the servers, through
     a proxy that verifies every SigV4 signature independently of libcurl.
  2. init -> download -> status with --state dynamodb: and --archive s3:// against ctdl-testlog,
     every record checked in the objects; AWS CLI cross-check (s3 ls, dynamodb scan).
  3. A table written in the seed's layout (current_position > 0): ctdl continues from there.
  4. S3 failing mid-run: one failed UploadPart is retried; S3 down for good stops ctdl without
     committing past the last confirmed object, and a rerun completes with every index exactly once.
     DynamoDB throttling + S3 SlowDown + kill -9 several times: every index exactly once.
  5. Wrong credentials, missing bucket/table, endpoint down: clear messages; no secret in any output.
"""
import gzip
import json
import os
import re
import shutil
import subprocess

import ctdltest
from ctdltest import check
from aws_servers import ACCESS_KEY, SECRET_KEY, AwsServers, free_port
from aws_proxy import AwsProxy

BUCKET = "ctdl-test"
SESSION_TOKEN = "FQoGZXIvYXdzEXAMPLE/sessionTOKEN+" + "t0k" * 10
OUTPUTS = []  # every stdout/stderr we saw, checked for secrets at the end


def run(cmd, env, timeout=600):
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    OUTPUTS.append((" ".join(cmd[:4]), r.stdout + r.stderr))
    return r


def ctdl(args, env, timeout=600):
    return run([ctdltest.binary("ctdl")] + args, env, timeout)


def gtest(name, filt, env, min_tests):
    exe = os.path.join(ctdltest.build_dir(), "src", name.split("_")[0], name)
    if not os.access(exe, os.X_OK):
        ctdltest.skip(f"{exe} is not built")
    r = run([exe, f"--gtest_filter={filt}"], env)
    m = re.search(r"\[  PASSED  \] (\d+) tests?", r.stdout)
    check(r.returncode == 0 and m, f"{name} {filt} failed:\n{r.stdout[-4000:]}\n{r.stderr[-2000:]}")
    check("SKIPPED" not in r.stdout, f"{name} {filt}: tests were skipped:\n{r.stdout[-2000:]}")
    # The suites grow as backends gain features: require at least the cases known when this was written.
    check(int(m.group(1)) >= min_tests, f"{name} {filt}: {m.group(1)} tests ran, expected >= {min_tests}")
    return r


expected_entries = ctdltest.expected_entries


# ---- independent access to the servers (no ctdl code) ----

def s3_objects(aws, prefix):
    """{key: bytes} of the segments of BUCKET under prefix, read from s3rver's storage folder
    (each log folder's ctdl-manifest.json and writer claims ctdl-writer-*.json are left out)."""
    return {k: v for k, v in aws.s3_objects(BUCKET, prefix).items()
            if not k.endswith("/ctdl-manifest.json") and "/ctdl-writer-" not in k}


def ddb(aws, op, body):
    """One DynamoDB call to dynalite (which checks that a SigV4 header is present, not its value)."""
    return aws.ddb(op, body)


def ddb_item(aws, table, url):
    return ddb(aws, "GetItem", {"TableName": table, "Key": {"url": {"S": url}},
                                "ConsistentRead": True}).get("Item")


def records_by_index(objects, what):
    """Records of segment objects {key: gz bytes}, checking names match contents; {index: record}."""
    out = {}
    for key in sorted(objects):
        m = re.search(r"/(\d{12})-(\d{12})\.jsonl\.gz$", key)
        check(m, f"{what}: unexpected object {key}")
        first, last = int(m.group(1)), int(m.group(2))
        recs = [json.loads(l) for l in gzip.decompress(objects[key]).splitlines() if l.strip()]
        check([r["index"] for r in recs] == list(range(first, last + 1)),
              f"{what}: {key} does not hold exactly indexes {first}..{last}")
        for r in recs:
            check(r["index"] not in out, f"{what}: index {r['index']} appears twice")
            out[r["index"]] = r
    return out


def check_records(recs, expected, first, what):
    check(sorted(recs) == list(range(first, len(expected))),
          f"{what}: indexes {min(recs, default=None)}..{max(recs, default=None)} ({len(recs)}), "
          f"expected {first}..{len(expected) - 1}")
    for i, r in recs.items():
        et, ts, fp = expected[i]
        check(r.get("entry_type") == et and r.get("timestamp") == ts and r.get("fingerprint") == fp,
              f"{what}: record {i} does not match the entry: {r} vs {expected[i]}")


def status_position(out, url):
    for line in out.splitlines():
        cols = line.split()
        if cols and cols[-1] == url:
            return int(cols[1])
    ctdltest.fail(f"{url} not in status output:\n{out}")


# ---- the tests ----

def test_contracts(aws):
    secrets = {ACCESS_KEY: SECRET_KEY}
    with AwsProxy(aws.s3_port, secrets=secrets) as s3p, AwsProxy(aws.dynamodb_port, secrets=secrets) as ddbp:
        # With a session token too: it must be signed (x-amz-security-token) and never printed.
        env = aws.env(AWS_ENDPOINT_URL_S3=s3p.endpoint, AWS_ENDPOINT_URL_DYNAMODB=ddbp.endpoint,
                      AWS_SESSION_TOKEN=SESSION_TOKEN,
                      CTDL_TEST_S3_URI=f"s3://{BUCKET}/contract", CTDL_TEST_DYNAMODB_TABLE="ctdl_contract")
        gtest("sink_test", "S3/ArchiveContract.*/s3", env, 11)
        gtest("store_test", "DynamoDb/StateStoreContract.*", env, 9)
        for p, name in ((s3p, "S3"), (ddbp, "DynamoDB")):
            check(p.signed_headers_seen.get("x-amz-security-token", 0) > 0,
                  f"{name}: the session token was not sent as a signed header")
            check(not p.signature_errors, f"{name} SigV4 signatures do not verify:\n" +
                  "\n".join(p.signature_errors[:3]))
            check(len(p.requests) > 20, f"{name}: too few requests went through the proxy")
        print(f"contracts: ok through SigV4-checking proxies ({len(s3p.requests)} S3, "
              f"{len(ddbp.requests)} DynamoDB requests)", flush=True)
    # The multipart path ran (LargeObjectRoundTrips uses a 256 KiB threshold).
    check(any(m == "POST" for m, _, _ in s3p.requests), "no multipart upload happened in the S3 contract")


def test_end_to_end(aws, n=3000):
    expected = expected_entries(ctdltest.built_log(n))
    with ctdltest.TestLog(entries=n) as log:
        env = aws.env()
        base = ["--state", "dynamodb:ctdl_e2e", "--archive", f"s3://{BUCKET}/e2e"]
        r = ctdl(base + ["init", "--log-list", log.log_list, "--yes"], env)
        check(r.returncode == 0, f"init failed: {r.stderr}")
        r = ctdl(base + ["download", "--no-progress", "--segment-entries", "700", log.url], env)
        check(r.returncode == 0, f"download failed ({r.returncode}): {r.stderr}")
        r = ctdl(base + ["status"], env)
        check(r.returncode == 0, f"status failed: {r.stderr}")
        check(status_position(r.stdout, log.url) == n, f"status does not show {n}:\n{r.stdout}")
        slug = f"127.0.0.1_{log.port}"
        objs = s3_objects(aws, f"e2e/{slug}/")
        check(len(objs) == 5, f"expected 5 segments of <=700 entries, got {sorted(objs)}")
        check_records(records_by_index(objs, "e2e"), expected, 0, "e2e")
        item = ddb_item(aws, "ctdl_e2e", log.url)
        check(item and item["current_position"]["N"] == str(n), f"DynamoDB item: {item}")
        check(item["ct_log_type"]["S"] == "rfc6962" and int(item["tree_size"]["N"]) == n,
              f"seed attributes wrong: {item}")
        print(f"end to end: {n} records in {len(objs)} S3 objects, position {n} in DynamoDB", flush=True)
        aws_cli_crosscheck(aws, env, slug, n)
        # -vv traces HTTP: signed headers must show up redacted (the leak check in main() covers the rest).
        r = ctdl(["-vv"] + base + ["status"], aws.env(AWS_SESSION_TOKEN=SESSION_TOKEN))
        check(r.returncode == 0 and "[redacted]" in r.stderr, f"-vv status: {r.returncode} {r.stderr[-2000:]}")
        # "dynamodb:" alone means the seed's default table, CT_STATE_TABLE.
        r = ctdl(["--state", "dynamodb:", "status"], env)
        check("CT_STATE_TABLE" in r.stdout + r.stderr, f"dynamodb: default table: {r.stdout} {r.stderr}")


def aws_cli_crosscheck(aws, env, slug, n):
    if not shutil.which("aws"):
        print("SKIP part: the AWS CLI (`aws`, Debian package awscli) is not installed; "
              "no cross-check with an independent client", flush=True)
        return
    r = run(["aws", "--endpoint-url", aws.s3_endpoint, "s3", "ls", "--recursive",
             f"s3://{BUCKET}/e2e/{slug}/"], env, timeout=120)
    check(r.returncode == 0, f"aws s3 ls failed: {r.stderr}")
    keys = [l.split()[-1] for l in r.stdout.splitlines() if l.strip()]
    check(keys == [f"e2e/{slug}/{a:012d}-{min(a + 699, n - 1):012d}.jsonl.gz" for a in range(0, n, 700)]
          + [f"e2e/{slug}/ctdl-manifest.json", f"e2e/{slug}/ctdl-writer-000001.json"],
          f"aws s3 ls shows {keys}")
    with ctdltest.TempDir() as tmp:
        last_segment = [k for k in keys if k.endswith(".jsonl.gz")][-1]
        r = run(["aws", "--endpoint-url", aws.s3_endpoint, "s3", "cp", f"s3://{BUCKET}/{last_segment}",
                 f"{tmp}/last.gz"], env, timeout=120)
        check(r.returncode == 0, f"aws s3 cp failed: {r.stderr}")
        with gzip.open(f"{tmp}/last.gz") as f:
            last = [json.loads(l) for l in f if l.strip()]
        check(last[-1]["index"] == n - 1, "last object's last record is not the last index")
    r = run(["aws", "--endpoint-url", aws.dynamodb_endpoint, "dynamodb", "scan", "--table-name",
             "ctdl_e2e", "--output", "json"], env, timeout=120)
    check(r.returncode == 0, f"aws dynamodb scan failed: {r.stderr}")
    items = json.loads(r.stdout)["Items"]
    # The state store's id (doc/state.md "State id") is a lease-only item, not a log.
    ids = [i for i in items if i["url"]["S"] == "ctdl:state-id"]
    check(len(ids) == 1 and ids[0]["item_kind"]["S"] == "lease"
          and ids[0]["lease_owner"]["S"].startswith("st-"), f"state id item: {ids}")
    items = [i for i in items if i not in ids]
    check(len(items) == 2, f"scan shows {len(items)} log items, expected 2 (rfc6962 + tiled)")
    pos = sorted(int(i["current_position"]["N"]) for i in items)
    check(pos == [0, n], f"scan positions {pos}")
    print("AWS CLI: s3 ls, s3 cp and dynamodb scan agree", flush=True)


def test_seed_table(aws, n=3000, seed_position=1234):
    """A table as the seed leaves it (only its attributes, current_position > 0): ctdl continues."""
    expected = expected_entries(ctdltest.built_log(n))
    table = "ctdl_seed_layout"
    ddb(aws, "CreateTable", {"TableName": table,
                             "AttributeDefinitions": [{"AttributeName": "url", "AttributeType": "S"}],
                             "KeySchema": [{"AttributeName": "url", "KeyType": "HASH"}],
                             "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}})
    with ctdltest.TestLog(entries=n) as log:
        ctdltest.wait_until(lambda: ddb(aws, "DescribeTable", {"TableName": table})["Table"]["TableStatus"]
                            == "ACTIVE", what="table ACTIVE")
        ddb(aws, "PutItem", {"TableName": table, "Item": {
            "url": {"S": log.url}, "description": {"S": "Seed's test log"}, "ct_log_type": {"S": "rfc6962"},
            "tree_size": {"N": "2000"}, "current_position": {"N": str(seed_position)}}})
        env = aws.env()
        base = ["--state", f"dynamodb:{table}", "--archive", f"s3://{BUCKET}/seed"]
        r = ctdl(base + ["status"], env)
        check(r.returncode == 0 and status_position(r.stdout, log.url) == seed_position,
              f"status of the seed's table: {r.returncode}\n{r.stdout}\n{r.stderr}")
        r = ctdl(base + ["download", "--no-progress", "--segment-entries", "1000", log.url], env)
        if r.returncode != 0:
            # The seed's items carry no log key; init adds the metadata and keeps positions.
            print(f"download straight from the seed's item failed ({r.stderr.strip()[-300:]}); "
                  "running init first", flush=True)
            r = ctdl(base + ["init", "--log-list", log.log_list, "--yes"], env)
            check(r.returncode == 0, f"init on the seed's table failed: {r.stderr}")
            item = ddb_item(aws, table, log.url)
            check(item["current_position"]["N"] == str(seed_position), f"init reset the position: {item}")
            r = ctdl(base + ["download", "--no-progress", "--segment-entries", "1000", log.url], env)
        check(r.returncode == 0, f"download from the seed's position failed: {r.stderr}")
        objs = s3_objects(aws, f"seed/127.0.0.1_{log.port}/")
        check(re.search(rf"/{seed_position:012d}-\d{{12}}\.jsonl\.gz$", min(objs)),
              f"first object should start at the seed's position: {sorted(objs)}")
        check_records(records_by_index(objs, "seed"), expected, seed_position, "seed table")
        item = ddb_item(aws, table, log.url)
        check(item["current_position"]["N"] == str(n) and item["description"]["S"] == "Seed's test log",
              f"item after download: {item}")
        print(f"seed layout: continued from {seed_position} to {n}", flush=True)


def test_s3_faults(aws, n=3000):
    expected = expected_entries(ctdltest.built_log(n))
    with ctdltest.TestLog(entries=n) as log:
        slug = f"127.0.0.1_{log.port}"
        seen = {"part2": 0}

        def one_bad_part(method, path, q, count, headers):
            if method == "PUT" and q.get("partNumber") == "2":
                seen["part2"] += 1
                if seen["part2"] == 1:
                    return 500, b"<Error><Code>InternalError</Code><Message>injected</Message></Error>"
            return None

        base = ["--state", "dynamodb:ctdl_faults", "--archive", f"s3://{BUCKET}/faults"]
        with AwsProxy(aws.s3_port, fault=one_bad_part) as p:
            env = aws.env(AWS_ENDPOINT_URL_S3=p.endpoint, CTDL_S3_MULTIPART_THRESHOLD="32768",
                          CTDL_S3_PART_SIZE="16384")
            r = ctdl(base + ["init", "--log-list", log.log_list, "--yes"], env)
            check(r.returncode == 0, f"init failed: {r.stderr}")
            r = ctdl(base + ["download", "--no-progress", "--segment-entries", "500", "--end", "1500",
                             log.url], env)
            check(r.returncode == 0, f"download with one failed part: {r.stderr}")
            check(len(p.injected) == 1 and seen["part2"] >= 2, f"fault did not fire: {p.injected}")
        objs = s3_objects(aws, f"faults/{slug}/")
        check_records(records_by_index(objs, "after a failed part"), expected[:1500], 0, "after a failed part")
        print(f"S3 multipart: one UploadPart failed with 500, retried, {len(objs)} objects intact", flush=True)

        # Now S3 breaks for good after two more segments: ctdl must stop without committing past them.
        puts = {"n": 0}

        def dies(method, path, q, count, headers):
            if method == "PUT" and "partNumber" not in q:
                puts["n"] += 1
                if puts["n"] > 2:
                    return 500, b"<Error><Code>InternalError</Code><Message>down</Message></Error>"
            return None

        with AwsProxy(aws.s3_port, fault=dies) as p:
            env = aws.env(AWS_ENDPOINT_URL_S3=p.endpoint)
            r = ctdl(base + ["download", "--no-progress", "--segment-entries", "250", log.url], env,
                     timeout=900)
            check(r.returncode != 0, "download succeeded although S3 failed every upload")
            check("InternalError" in r.stderr or "S3" in r.stderr, f"no clear S3 message: {r.stderr}")
        item = ddb_item(aws, "ctdl_faults", log.url)
        pos = int(item["current_position"]["N"])
        objs = s3_objects(aws, f"faults/{slug}/")
        recs = records_by_index(objs, "S3 down")
        check(pos >= 1500 and pos <= 2000, f"position {pos} after S3 failed (2 segments of 250 could land)")
        check(set(range(pos)) <= set(recs), f"committed position {pos} but objects miss indexes")
        print(f"S3 down: ctdl stopped ({r.stderr.strip().splitlines()[-1][:160]}), committed {pos}", flush=True)
        env = aws.env()
        r = ctdl(base + ["download", "--no-progress", "--segment-entries", "250", log.url], env)
        check(r.returncode == 0, f"rerun failed: {r.stderr}")
        check_records(records_by_index(s3_objects(aws, f"faults/{slug}/"), "rerun"), expected, 0,
                      "after S3 came back")
        print("S3 back: rerun completed, every index exactly once", flush=True)


def test_throttling_and_kill9(aws, n=4000):
    """DynamoDB throttles every 2nd UpdateItem, S3 answers SlowDown to every 3rd PUT, and ctdl is
    killed with SIGKILL several times: in the end every index is in S3 exactly once."""
    import random
    import signal
    import time
    expected = expected_entries(ctdltest.built_log(n))
    counts = {"update": 0, "put": 0, "throttled": 0, "slowdown": 0}

    def ddb_throttle(method, path, q, count, headers):
        if headers.get("x-amz-target", "").endswith(".UpdateItem"):
            counts["update"] += 1
            if counts["update"] % 2 == 0:
                counts["throttled"] += 1
                return 400, (b'{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",'
                             b'"message":"injected"}')
        return None

    def s3_slowdown(method, path, q, count, headers):
        if method == "PUT":
            counts["put"] += 1
            if counts["put"] % 3 == 0:
                counts["slowdown"] += 1
                return 503, b"<Error><Code>SlowDown</Code><Message>injected</Message></Error>"
        return None

    rng = random.Random(int(os.environ.get("CTDL_KILL_SEED", "77")))
    with ctdltest.TestLog(entries=n, args=["--cap", "100", "--latency-ms", "50"]) as log, \
            AwsProxy(aws.dynamodb_port, fault=ddb_throttle) as dp, AwsProxy(aws.s3_port, fault=s3_slowdown) as sp:
        env = aws.env(AWS_ENDPOINT_URL_DYNAMODB=dp.endpoint, AWS_ENDPOINT_URL_S3=sp.endpoint)
        base = ["--state", "dynamodb:ctdl_kill", "--archive", f"s3://{BUCKET}/kill"]
        r = ctdl(base + ["init", "--log-list", log.log_list, "--yes"], env)
        check(r.returncode == 0, f"init failed: {r.stderr}")
        cmd = [ctdltest.binary("ctdl")] + base + ["download", "--no-progress", "--max-inflight", "2",
                                                  "--segment-entries", "300", log.url]
        kills = 0
        for _ in range(4):
            p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            time.sleep(rng.uniform(0.5, 2.0))
            if p.poll() is not None:
                OUTPUTS.append(("ctdl download (kill loop)", p.stderr.read()))
                break
            p.send_signal(signal.SIGKILL)
            p.wait()
            OUTPUTS.append(("ctdl download (killed)", p.stderr.read()))
            kills += 1
            pos = int(ddb_item(aws, "ctdl_kill", log.url)["current_position"]["N"])
            recs = records_by_index(s3_objects(aws, f"kill/127.0.0.1_{log.port}/"), "after kill -9")
            check(set(range(pos)) <= set(recs), f"after kill -9: position {pos} but objects miss indexes")
        r = ctdl(base + ["download", "--no-progress", "--segment-entries", "300", log.url], env)
        check(r.returncode == 0, f"final download failed: {r.stderr}")
        check_records(records_by_index(s3_objects(aws, f"kill/127.0.0.1_{log.port}/"), "kill loop"),
                      expected, 0, "kill loop")
        check(int(ddb_item(aws, "ctdl_kill", log.url)["current_position"]["N"]) == n, "final position")
        check(counts["throttled"] > 0 and counts["slowdown"] > 0, f"faults did not fire: {counts}")
        check(kills >= 2, f"only {kills} kill -9 happened before the download finished")
        print(f"throttling + kill -9: {kills} kills, {counts['throttled']} DynamoDB throttles, "
              f"{counts['slowdown']} S3 SlowDowns; every index exactly once", flush=True)


def test_errors(aws):
    with ctdltest.TestLog(entries=100) as log:
        good = aws.env()
        r = ctdl(["--state", "dynamodb:ctdl_err", "--archive", f"s3://{BUCKET}/err", "init", "--log-list",
                  log.log_list, "--yes"], good)
        check(r.returncode == 0, f"init failed: {r.stderr}")

        def expect(what, args, env, *needles):
            r = ctdl(args + ["download", "--no-progress", log.url], env, timeout=300)
            check(r.returncode != 0, f"{what}: ctdl succeeded")
            for n in needles:
                check(n in r.stderr, f"{what}: message lacks {n!r}:\n{r.stderr}")
            print(f"{what}: {r.stderr.strip().splitlines()[-1][:220]}", flush=True)

        state = ["--state", "dynamodb:ctdl_err"]
        s3 = ["--archive", f"s3://{BUCKET}/err"]
        expect("wrong S3 access key", state + s3, aws.env(AWS_ACCESS_KEY_ID="AKIAWRONGKEY0000"),
               "AWS_ACCESS_KEY_ID", "InvalidAccessKeyId")
        expect("missing bucket", state + ["--archive", "s3://no-such-bucket/x"], good,
               "no-such-bucket", "does not exist")
        down = f"http://127.0.0.1:{free_port()}"
        expect("S3 endpoint down", state + s3, aws.env(AWS_ENDPOINT_URL_S3=down), "cannot reach S3 endpoint",
               down)
        expect("DynamoDB endpoint down", ["--state", "dynamodb:ctdl_err"] + s3,
               aws.env(AWS_ENDPOINT_URL_DYNAMODB=down), "cannot reach DynamoDB endpoint", down)
        # Wrong secret: the servers do not check signatures, the proxy does.
        with AwsProxy(aws.s3_port, secrets={ACCESS_KEY: "another-secret"}) as p, \
                AwsProxy(aws.dynamodb_port, secrets={ACCESS_KEY: "another-secret"}) as d:
            expect("wrong S3 secret", state + s3, aws.env(AWS_ENDPOINT_URL_S3=p.endpoint),
                   "AWS_SECRET_ACCESS_KEY", "SignatureDoesNotMatch")
            expect("wrong DynamoDB secret", state + s3, aws.env(AWS_ENDPOINT_URL_DYNAMODB=d.endpoint),
                   "AWS_SECRET_ACCESS_KEY", "403")
        expect("missing credentials", state + s3, aws.env(AWS_SECRET_ACCESS_KEY=None), "AWS_SECRET_ACCESS_KEY")
        r = ctdl(["--state", "dynamodb:ctdl_no_such_table", "status"], good)
        print(f"status on a missing table: exit {r.returncode}: {(r.stdout + r.stderr).strip()[-200:]}",
              flush=True)


def main():
    ctdltest.binary("ctdl")
    ctdltest.binary("ctdl-testlog")
    with AwsServers(buckets=(BUCKET,)) as aws:
        test_contracts(aws)
        test_end_to_end(aws)
        test_seed_table(aws)
        test_s3_faults(aws)
        test_throttling_and_kill9(aws)
        test_errors(aws)
    leaks = [what for what, out in OUTPUTS
             if SECRET_KEY in out or "another-secret" in out or SESSION_TOKEN in out]
    check(not leaks, f"a secret appeared in the output of: {leaks}")
    print(f"no secret in {len(OUTPUTS)} outputs; all AWS tests passed", flush=True)


if __name__ == "__main__":
    main()
