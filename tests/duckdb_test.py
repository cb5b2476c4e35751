#!/usr/bin/env python3
"""The archive loads into DuckDB as doc/querying.md says, even when the only record with findings is
past row 50,000 (beyond DuckDB's schema sample).

A 60,000-entry test log holds 12 real certificates spread evenly (ctdl-testlog --certs): 11 that pyca
reads and, last (index 55,000), one with an empty nameConstraints extension, which pyca refuses, so
its record is the archive's only one with `lint`. Every SQL block of doc/querying.md runs against the
mirrored archive (@duckdb/node-api from tests/servers, installed by scripts/install-deps.sh test;
skips when it is missing); the doc's columns must equal the schema object in the archive.
"""
import json
import os
import re
import shutil
import subprocess
import sys

import ctdltest
import pyca_oracle as po
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")
SOURCE = ctdltest.source_dir()
SERVERS = os.path.join(SOURCE, "tests", "servers")
ENTRIES, BAD_INDEX = 60000, 55000


def duckdb(statements):
    """Runs the statements in one DuckDB session; a list of {"ok", "rows"|"error"}."""
    with ctdltest.TempDir() as tmp:
        path = os.path.join(tmp, "sql.json")
        with open(path, "w") as f:
            json.dump(statements, f)
        r = subprocess.run(["node", os.path.join(SERVERS, "duckdb_query.mjs"), path],
                           capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, f"duckdb_query.mjs failed: {r.stderr[-2000:]}")
    return [json.loads(line) for line in r.stdout.splitlines()]


def write_certs(folder):
    """11 certificates pyca reads, then one it refuses (empty NameConstraints): names sort in order."""
    os.makedirs(folder)
    for i in range(12):
        exts = [po.extension("2.5.29.17", po.san_value([(2, b"host%d.example.com" % i)]))]
        if i == 11:
            exts.append(po.extension("2.5.29.30", po.seq(), critical=True))
        subject = po.name([[("2.5.4.3", 0x0C, b"host%d.example.com" % i)]])
        issuer = po.name([[("2.5.4.10", 0x0C, b"DuckDB Test CA")]])
        der = po.build_cert(subject, issuer, po.utc_time("240101000000Z"), po.utc_time("250101000000Z"),
                            exts, serial=1000 + i)
        with open(os.path.join(folder, "c%02d.der" % i), "wb") as f:
            f.write(der)


def sql_blocks(doc):
    return [b.strip() for b in re.findall(r"```sql\n(.*?)```", doc, re.S)]


def main():
    if not shutil.which("node") or not os.path.isdir(os.path.join(SERVERS, "node_modules", "@duckdb", "node-api")):
        ctdltest.skip("@duckdb/node-api is not installed (scripts/install-deps.sh test runs npm ci in tests/servers)")
    doc = open(os.path.join(SOURCE, "doc", "querying.md")).read()
    blocks = sql_blocks(doc)
    check(blocks and blocks[0].startswith("CREATE VIEW certs AS SELECT * FROM read_json("),
          "doc/querying.md must start its SQL with the read_json view")
    with ctdltest.TempDir() as tmp:
        certs = os.path.join(build_cache(), "duckdb-certs")
        if not os.path.isdir(certs):
            write_certs(certs + ".tmp")
            os.rename(certs + ".tmp", certs)
        with ctdltest.TestLog(entries=ENTRIES, seed=3, certs=certs,
                              build_args=["--final-ratio", "0.5"]) as log:
            state = ["--state", f"sqlite:{tmp}/s.db"]
            r = ctdltest.run_ctdl(state + ["init", "--log-list", log.log_list, "--yes"])
            check(r.returncode == 0, f"init failed: {r.stderr}")
            r = ctdltest.run_ctdl(state + ["--archive", f"dir:{tmp}/archive", "download", "--no-progress",
                                           "--fields", "tbs_sha256,leaf_hash,log_id,log", log.url])
            check(r.returncode == 0, f"download failed: {r.stderr}")
        schema = json.load(open(os.path.join(tmp, "archive", "schema", "ctdl-record-v1.json")))
        doc_cols = re.findall(r"'(\w+)': '([A-Z\[\]]+)'", blocks[0])
        check(doc_cols == list(schema["columns"].items()),
              f"doc/querying.md columns differ from the archive's schema:\n{doc_cols}\n{schema['columns']}")
        glob = os.path.join(tmp, "archive", "*", "*.jsonl.gz")
        view = blocks[0].replace("ctdl-archive/*/*.jsonl.gz", glob)
        auto = f"SELECT count(*) AS n FROM read_json_auto('{glob}') WHERE lint IS NOT NULL"
        res = duckdb([auto, view] + blocks[1:] + [
            "SELECT count(*) AS n FROM certs",
            'SELECT "index", validation, lint FROM certs WHERE lint IS NOT NULL',
            "SELECT count(*) AS n FROM certs p JOIN certs c ON p.tbs_sha256 = c.tbs_sha256 "
            "WHERE p.entry_type = 'precert' AND c.entry_type = 'x509'"])
        print("read_json_auto without columns:", res[0].get("error") or res[0]["rows"])
        for sql, r in zip(blocks, res[1:]):
            check(r["ok"], f"doc/querying.md block failed: {r.get('error')}\n{sql}")
        total, linted, pairs = res[-3]["rows"], res[-2]["rows"], res[-1]["rows"]
        check(int(total[0]["n"]) == ENTRIES, f"{total} rows, want {ENTRIES}")
        check(len(linted) == 1 and int(linted[0]["index"]) == BAD_INDEX and linted[0]["validation"] == "Fatal"
              and any("nameConstraints" in x for x in linted[0]["lint"]),
              f"the findings record at {BAD_INDEX}: {linted}")
        check(int(pairs[0]["n"]) > 1000, f"cert/precert pairs by tbs_sha256: {pairs}")
        print(f"OK: {ENTRIES} rows; the only findings record (index {BAD_INDEX}) has its lint column; "
              f"{pairs[0]['n']} cert/precert pairs; {len(blocks)} SQL blocks of doc/querying.md ran")
    return 0


def build_cache():
    d = os.path.join(ctdltest.build_dir(), "testlog-cache")
    os.makedirs(d, exist_ok=True)
    return d


if __name__ == "__main__":
    sys.exit(main())
