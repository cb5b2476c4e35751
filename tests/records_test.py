#!/usr/bin/env python3
"""Dedup keys in records: tbs_sha256, leaf_hash, log_id, log (doc/record-format.md, --fields).

A test log where most precertificates are followed by their final certificate (ctdl-testlog
--final-ratio) is mirrored over both APIs with --fields all. Checked against computations that share
no code with ctdl: tbs_sha256 against a plain-Python DER walk (pyca_oracle.tbs_no_ct) of the
certificate (x509) or of the leaf's TBS (precert), and against pyca's own tbs_precertificate_bytes for
final certificates (pyca 38 and 48); every precert/final pair shares its tbs_sha256 and no other two
records do; leaf_hash = SHA-256(0x00 || leaf_input); log_id and log as in the log list.
"""
import base64
import hashlib
import json
import os
import struct
import sys

import ctdltest
import pyca_oracle as po
from ctdltest import check

ctdltest.binary("ctdl")
ctdltest.binary("ctdl-testlog")


def log_entries(log_dir):
    """[(leaf_input bytes, record DER, signed TBS or None)] from the built log's own files."""
    out = []
    for leaf, extra in ctdltest.raw_entries(log_dir):
        if struct.unpack(">H", leaf[10:12])[0] == 0:
            n = int.from_bytes(leaf[12:15], "big")
            out.append((leaf, leaf[15:15 + n], None))
        else:
            n = int.from_bytes(leaf[44:47], "big")
            m = int.from_bytes(extra[0:3], "big")
            out.append((leaf, extra[3:3 + m], leaf[47:47 + n]))
    return out


def main():
    entries = 600
    with ctdltest.TestLog(entries=entries, seed=16, precert_ratio=0.5,
                          build_args=["--final-ratio", "0.8"]) as log, ctdltest.TempDir() as tmp:
        meta = json.load(open(os.path.join(log.dir, "meta.json")))
        finals = meta.get("final_certs", 0)
        check(finals > 50, f"the test log should hold cert/precert pairs: {meta}")
        ll = json.load(open(log.log_list))
        log_ids = {}
        for op in ll["operators"]:
            for l in op.get("logs", []):
                log_ids[l["url"]] = l["log_id"]
            for l in op.get("tiled_logs", []):
                log_ids[l["monitoring_url"]] = l["log_id"]
        state = ["--state", f"sqlite:{tmp}/s.db"]
        r = ctdltest.run_ctdl(state + ["init", "--log-list", log.log_list, "--yes"])
        check(r.returncode == 0, f"init failed: {r.stderr}")
        r = ctdltest.run_ctdl(state + ["--archive", f"dir:{tmp}/archive", "download", "--no-progress",
                                       "--fields", "all", log.url, log.static_url])
        check(r.returncode == 0, f"download failed: {r.stderr}")
        by_log = ctdltest.read_archive_by_log(f"{tmp}/archive")
        check(len(by_log) == 2, f"expected two logs in the archive, got {list(by_log)}")
        want = log_entries(log.dir)
        per_api = []
        pyca_checked = 0
        for slug, recs in by_log.items():
            url = log.static_url if "static" in slug else log.url
            check(len(recs) == entries, f"{slug}: {len(recs)} records")
            for i, rec in enumerate(recs):
                leaf, der, signed_tbs = want[i]
                where = f"{slug} #{i}"
                check(rec["index"] == i, f"{where}: index {rec['index']}")
                check(rec["log"] == url, f"{where}: log {rec['log']} != {url}")
                check(rec["log_id"] == log_ids[url], f"{where}: log_id {rec['log_id']}")
                check(rec["leaf_hash"] == base64.b64encode(hashlib.sha256(b"\0" + leaf).digest()).decode(),
                      f"{where}: leaf_hash")
                tbs = signed_tbs if signed_tbs is not None else po.tbs_of(der)
                check(rec["tbs_sha256"] == po.tbs_no_ct_sha256(tbs),
                      f"{where}: tbs_sha256 {rec['tbs_sha256']} != {po.tbs_no_ct_sha256(tbs)}")
                if po.HAVE_PYCA and signed_tbs is None:
                    c = po.x509.load_der_x509_certificate(der)
                    try:
                        pre = c.tbs_precertificate_bytes  # pyca: the TBS without the SCT list
                    except ValueError:
                        pre = None  # no SCT list: nothing to compare
                    if pre is not None:
                        check(rec["tbs_sha256"] == hashlib.sha256(pre).hexdigest(),
                              f"{where}: tbs_sha256 differs from pyca's tbs_precertificate_bytes")
                        pyca_checked += 1
            per_api.append([r["tbs_sha256"] for r in recs])
            # Pairs: a precert and the final certificate right after it share the key; nothing else does.
            seen = {}
            pairs = 0
            for rec in recs:
                k = rec["tbs_sha256"]
                if k in seen:
                    a = recs[seen[k]]
                    check(a["entry_type"] == "precert" and rec["entry_type"] == "x509" and
                          rec["index"] == a["index"] + 1, f"{slug}: unexpected duplicate key {a} {rec}")
                    pairs += 1
                seen[k] = rec["index"]
            check(pairs == finals, f"{slug}: {pairs} cert/precert pairs, the log has {finals}")
        check(per_api[0] == per_api[1], "get-entries and tiles disagree on tbs_sha256")
        if po.HAVE_PYCA:
            check(pyca_checked == 2 * finals, f"pyca compared {pyca_checked}, want {2 * finals}")
        print(f"OK: {entries} entries per API, {finals} cert/precert pairs found by tbs_sha256, "
              f"{pyca_checked} compared with pyca's tbs_precertificate_bytes"
              + ("" if po.HAVE_PYCA else " (pyca not installed)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
