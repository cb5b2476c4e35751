"""Cross-checks ctdl-testlog's encodings against independent implementations: pyca/cryptography parses
every certificate and precert TBS, a pure-python Merkle tree recomputes roots and proofs, pyca verifies
the STH and checkpoint signatures with the key from the written log list, and the faults happen at
the configured rates."""

import base64
import email.utils
import gzip
import hashlib
import json
import os
import struct
import sys
import time
import urllib.error

import ctdltest
from ctdltest import check
from merkle_oracle import leaf_hash, mth, verify_consistency

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    import pyca_compat
except ImportError:
    ctdltest.skip("python3 cannot import cryptography (pyca); needed as the independent oracle")


# ---- TLS / CT decoding (independent of ctdl) ----

class Reader:
    def __init__(self, b):
        self.b, self.p = b, 0

    def uint(self, n):
        check(self.p + n <= len(self.b), "short read")
        v = int.from_bytes(self.b[self.p:self.p + n], "big")
        self.p += n
        return v

    def bytes(self, n):
        check(self.p + n <= len(self.b), "short read")
        v = self.b[self.p:self.p + n]
        self.p += n
        return v

    def vec(self, lenbytes):
        return self.bytes(self.uint(lenbytes))

    def done(self):
        return self.p == len(self.b)


def parse_leaf(leaf):
    r = Reader(leaf)
    check(r.uint(1) == 0 and r.uint(1) == 0, "MerkleTreeLeaf version/leaf type")
    e = {"timestamp": r.uint(8), "type": r.uint(2)}
    if e["type"] == 0:
        e["cert"] = r.vec(3)
    else:
        check(e["type"] == 1, "entry type")
        e["issuer_key_hash"] = r.bytes(32)
        e["tbs"] = r.vec(3)
    e["extensions"] = r.vec(2)
    check(r.done(), "trailing bytes in MerkleTreeLeaf")
    return e


def parse_chain(r):
    inner = Reader(r.vec(3))
    chain = []
    while not inner.done():
        chain.append(inner.vec(3))
    return chain


def parse_extra(extra, etype):
    r = Reader(extra)
    out = {}
    if etype == 1:
        out["pre_certificate"] = r.vec(3)
    out["chain"] = parse_chain(r)
    check(r.done(), "trailing bytes in extra_data")
    return out


def parse_tile(data):
    """static-ct-api data tile → list of (merkle_leaf_bytes, pre_certificate|None, [fingerprints])."""
    r = Reader(data)
    out = []
    while not r.done():
        start = r.p
        r.uint(8)
        etype = r.uint(2)
        if etype == 0:
            r.vec(3)
        else:
            r.bytes(32)
            r.vec(3)
        r.vec(2)
        leaf = b"\x00\x00" + data[start:r.p]
        pre = r.vec(3) if etype == 1 else None
        fps = r.vec(2)
        check(len(fps) % 32 == 0, "fingerprint list length")
        out.append((leaf, pre, [fps[i:i + 32] for i in range(0, len(fps), 32)]))
    return out


# ---- minimal DER (to strip the poison independently of the C++ code) ----

def der_read(b, p):
    tag, l = b[p], b[p + 1]
    p += 2
    if l & 0x80:
        nb = l & 0x7F
        l = int.from_bytes(b[p:p + nb], "big")
        p += nb
    return tag, b[p:p + l], p + l


def der_elems(content):
    out, p = [], 0
    while p < len(content):
        start = p
        tag, val, p = der_read(content, p)
        out.append((tag, val, content[start:p]))
    return out


def der_tlv(tag, content):
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    nb = (n.bit_length() + 7) // 8
    return bytes([tag, 0x80 | nb]) + n.to_bytes(nb, "big") + content


POISON_OID = bytes.fromhex("060a2b06010401d679020403")


def strip_poison(tbs):
    _, content, _ = der_read(tbs, 0)
    parts = []
    for tag, val, whole in der_elems(content):
        if tag == 0xA3:
            _, exts, _ = der_read(val, 0)
            kept = [w for _, v, w in der_elems(exts) if not v.startswith(POISON_OID)]
            whole = der_tlv(0xA3, der_tlv(0x30, b"".join(kept)))
        parts.append(whole)
    return der_tlv(0x30, b"".join(parts))


# ---- Merkle (RFC 6962 section 2.1): the independent python implementation in tests/lib ----


# ---- helpers ----

def load_log_list(path):
    with open(path) as f:
        ll = json.load(f)
    op = ll["operators"][0]
    return ll, op["logs"][0], op["tiled_logs"][0]


def tree_head_input(ts, size, root):
    return struct.pack(">BBQQ", 0, 1, ts, size) + root


def verify_ds(pub, ds, msg):
    r = Reader(ds)
    check(r.uint(1) == 4 and r.uint(1) == 3, "DigitallySigned must be SHA-256/ECDSA")
    sig = r.vec(2)
    check(r.done(), "trailing bytes after DigitallySigned")
    try:
        pub.verify(sig, msg, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def get_all_entries(log, size, step=1000):
    out = []
    while len(out) < size:
        j = log.get_json(f"ct/v1/get-entries?start={len(out)}&end={size - 1}")
        check(j["entries"], "empty get-entries reply")
        out.extend(j["entries"])
    return out


def sth(log):
    return log.get_json("ct/v1/get-sth")


def parse_checkpoint(text):
    body, sigs = text.split("\n\n", 1)
    lines = body.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2]), body + "\n", sigs


def status_of(log, path, headers=None):
    try:
        log.get(path, headers=headers)
        return 200, None
    except urllib.error.HTTPError as e:
        return e.code, e.headers
    except Exception as e:  # truncated replies
        return -1, str(e)


# ---- tests ----

def test_encodings_and_merkle(log, n, full_mix=True, leaf_index=False):
    _, rfc, tiled = load_log_list(log.log_list)
    spki = base64.b64decode(rfc["key"])
    check(base64.b64decode(rfc["log_id"]) == hashlib.sha256(spki).digest(), "log_id = SHA-256(key)")
    check(rfc["url"] == log.url and tiled["monitoring_url"] == log.static_url, "log list URLs")
    check(tiled["submission_url"] == log.static_url, "submission_url")
    pub = serialization.load_der_public_key(spki)
    check(isinstance(pub.curve, ec.SECP256R1), "log key must be P-256")

    head = sth(log)
    check(head["tree_size"] == n, f"tree_size {head['tree_size']} != {n}")
    root = base64.b64decode(head["sha256_root_hash"])
    check(verify_ds(pub, base64.b64decode(head["tree_head_signature"]),
                    tree_head_input(head["timestamp"], n, root)), "get-sth signature must verify")

    roots = [base64.b64decode(c) for c in log.get_json("ct/v1/get-roots")["certificates"]]
    issuers = {r: x509.load_der_x509_certificate(r) for r in roots}
    spki_of = {r: c.public_key().public_bytes(serialization.Encoding.DER,
                                              serialization.PublicFormat.SubjectPublicKeyInfo)
               for r, c in issuers.items()}

    entries = get_all_entries(log, n)
    check(len(entries) == n, "entry count")
    hashes_, leaves, stats = [], [], {"x509": 0, "precert": 0, "rsa": 0, "ecdsa": 0, "gt": 0,
                                      "multi_rdn": 0, "ip": 0}
    for i, e in enumerate(entries):
        leaf = base64.b64decode(e["leaf_input"])
        leaves.append(leaf)
        hashes_.append(leaf_hash(leaf))
        p = parse_leaf(leaf)
        want_ext = b"\x00\x00\x05" + i.to_bytes(5, "big") if leaf_index else b""
        check(p["extensions"] == want_ext, f"{i}: extensions {p['extensions'].hex()}")
        extra = parse_extra(base64.b64decode(e["extra_data"]), p["type"])
        check(len(extra["chain"]) >= 1 and extra["chain"][0] in issuers, f"{i}: chain issuer")
        issuer = extra["chain"][0]
        if p["type"] == 0:
            stats["x509"] += 1
            cert = x509.load_der_x509_certificate(p["cert"])
        else:
            stats["precert"] += 1
            cert = x509.load_der_x509_certificate(extra["pre_certificate"])
            check(cert.extensions.get_extension_for_oid(
                x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.3")).critical, f"{i}: poison critical")
            # pyca's tbs_precertificate_bytes works on final certificates (it strips the SCT list),
            # so: strip the poison from pyca's TBS in python, and let pyca parse the leaf's TBS.
            check(strip_poison(cert.tbs_certificate_bytes) == p["tbs"], f"{i}: precert TBS")
            sig = der_tlv(0x30, bytes.fromhex("06082a8648ce3d040302"))
            leaf_cert = x509.load_der_x509_certificate(der_tlv(0x30, p["tbs"] + sig + b"\x03\x01\x00"))
            want = [e for e in cert.extensions if e.oid.dotted_string != "1.3.6.1.4.1.11129.2.4.3"]
            check(list(leaf_cert.extensions) == want, f"{i}: leaf TBS extensions")
            check(leaf_cert.subject == cert.subject and leaf_cert.serial_number == cert.serial_number,
                  f"{i}: leaf TBS subject/serial")
            check(p["issuer_key_hash"] == hashlib.sha256(spki_of[issuer]).digest(),
                  f"{i}: issuer_key_hash")
        # Force pyca to parse everything it parses lazily.
        cert.subject.rfc4514_string()
        cert.issuer.rfc4514_string()
        for ext in cert.extensions:
            pass
        cert.serial_number
        pyca_compat.valid_until(cert)
        key = cert.public_key()
        stats["ecdsa" if isinstance(key, ec.EllipticCurvePublicKey) else "rsa"] += 1
        if pyca_compat.valid_until(cert).year >= 2050:
            stats["gt"] += 1
        if any(len(rdn) > 1 for rdn in cert.subject.rdns):
            stats["multi_rdn"] += 1
        try:
            san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
            if san.get_values_for_type(x509.IPAddress):
                stats["ip"] += 1
        except x509.ExtensionNotFound:
            pass
    print("entry mix:", stats)
    for k, v in stats.items():
        check(v > 0 or not full_mix, f"generated log lacks {k} entries: {stats}")

    check(mth(hashes_) == root, "recomputed Merkle root != signed root")

    # Consistency proofs for a few pairs.
    for m in [1, 2, 7, 256, n // 3, n - 1, n]:
        j = log.get_json(f"ct/v1/get-sth-consistency?first={m}&second={n}")
        proof = [base64.b64decode(x) for x in j["consistency"]]
        check(verify_consistency(m, n, mth(hashes_[:m]), root, proof),
              f"consistency proof {m}->{n} does not verify")

    # Checkpoint: signed note with an RFC6962NoteSignature.
    text = log.get("static/checkpoint").decode()
    origin, size, croot, body, sigs = parse_checkpoint(text)
    check(origin == f"127.0.0.1:{log.port}/static", f"origin {origin}")
    check(size == n and croot == root, "checkpoint size/root")
    line = sigs.strip().split("\n")[0]
    check(line.startswith("\u2014 " + origin + " "), "signature line")
    blob = base64.b64decode(line.split(" ")[2])
    keyid = hashlib.sha256(origin.encode() + b"\n\x05" + hashlib.sha256(spki).digest()).digest()[:4]
    check(blob[:4] == keyid, "note key ID")
    ts = struct.unpack(">Q", blob[4:12])[0]
    check(verify_ds(pub, blob[12:], tree_head_input(ts, n, root)), "checkpoint signature")

    # Data tiles decode to the same entries; hash tiles hold the right hashes.
    ntiles = (n + 255) // 256
    fp_issuer = {hashlib.sha256(r).digest(): r for r in roots}
    for t in range(ntiles):
        w = min(256, n - t * 256)
        path = f"{t:03d}" if t < 1000 else None
        suffix = "" if w == 256 else f".p/{w}"
        tile = parse_tile(log.get(f"static/tile/data/{path}{suffix}"))
        check(len(tile) == w, f"data tile {t} has {len(tile)} leaves, want {w}")
        for k, (leaf, pre, fps) in enumerate(tile):
            i = t * 256 + k
            check(leaf == leaves[i], f"tile leaf {i} differs from get-entries")
            extra = parse_extra(base64.b64decode(entries[i]["extra_data"]), leaf[10] * 256 + leaf[11])
            if pre is not None:
                check(pre == extra["pre_certificate"], f"tile pre_certificate {i}")
            check([fp_issuer.get(f) for f in fps] == extra["chain"], f"tile fingerprints {i}")
        h = log.get(f"static/tile/0/{path}{suffix}")
        check(h == b"".join(hashes_[t * 256:t * 256 + w]), f"level-0 hash tile {t}")
    for f, der in fp_issuer.items():
        check(log.get("static/issuer/" + f.hex()) == der, "issuer endpoint")
    if n >= 512:
        lvl1 = log.get(f"static/tile/1/000.p/{n // 256}") if n < 65536 else None
        if lvl1 is not None:
            want = b"".join(mth(hashes_[i * 256:(i + 1) * 256]) for i in range(n // 256))
            check(lvl1 == want, "level-1 hash tile")
    # tlog path encoding: index 1234067 → x001/x234/067 (beyond the log: 404, not 400/500).
    code, _ = status_of(log, "static/tile/data/x001/x234/067")
    check(code == 404, f"tile beyond the log: {code}")
    print(f"encodings ok: {n} entries, root {root.hex()[:16]}…")


def test_cap_align(log):
    j = log.get_json("ct/v1/get-entries?start=150&end=400")
    check(len(j["entries"]) == 50, f"--align --cap 100: want 50 entries, got {len(j['entries'])}")
    j = log.get_json("ct/v1/get-entries?start=200&end=250")
    check(len(j["entries"]) == 51, "within cap")
    code, _ = status_of(log, "ct/v1/get-entries?start=5&end=2")
    check(code == 400, "start > end must be 400")


def test_keep_alive_replies_are_not_delayed(log):
    """Requests one after another on one kept-alive connection: each reply comes at once. Without
    TCP_NODELAY the server's reply waited for the client's delayed ACK (~40 ms from the second
    request on), which the benchmarks then counted against whichever client sent requests one by
    one (ctdl's tree head, cap probe and proofs)."""
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", log.port, timeout=10)
    took = []
    for _ in range(8):
        t0 = time.monotonic()
        conn.request("GET", "/ct/v1/get-entries?start=0&end=31")
        r = conn.getresponse()
        check(r.status == 200, f"get-entries: HTTP {r.status}")
        r.read()
        took.append(time.monotonic() - t0)
    conn.close()
    took = sorted(took[1:])  # the first request is not the one that waited
    # --latency-ms 20: each reply ~20 ms; one held for the delayed ACK ~60 ms
    check(took[-1] < 0.045, f"replies on a kept-alive connection took {took} s (Nagle?)")
    print(f"keep-alive replies: {[round(t * 1000, 1) for t in took]} ms")


def rate(xs, pred):
    return sum(1 for x in xs if pred(x)) / len(xs)


def test_faults(n):
    k = 400
    with ctdltest.TestLog(entries=n, args=["--seed", "7", "--p429", "0.3", "--p5xx", "0.1",
                                           "--retry-after", "3"]) as log:
        codes = []
        for _ in range(k):
            c, h = status_of(log, "ct/v1/get-sth")
            if c == 429:
                check(h.get("Retry-After") == "3", f"Retry-After {h.get('Retry-After')}")
            codes.append(c)
        r429, r5xx = rate(codes, lambda c: c == 429), rate(codes, lambda c: c >= 500)
        print(f"429 rate {r429:.3f} (want 0.3), 5xx rate {r5xx:.3f} (want 0.07)")
        check(0.22 < r429 < 0.38, f"429 rate {r429}")
        check(0.03 < r5xx < 0.12, f"5xx rate {r5xx}")
        s = log.stats()
        check(s["429"] == codes.count(429), f"stats 429 {s['429']}")
    with ctdltest.TestLog(entries=n, args=["--p429", "1", "--retry-after-date",
                                           "--retry-after", "5"]) as log:
        c, h = status_of(log, "ct/v1/get-sth")
        when = email.utils.parsedate_to_datetime(h["Retry-After"])
        check(c == 429 and 2 < when.timestamp() - time.time() < 8, "Retry-After as HTTP-date")
    with ctdltest.TestLog(entries=n, args=["--pshort", "0.5", "--ptruncate", "0.2",
                                           "--fault-scope", "data"]) as log:
        short = trunc = 0
        for _ in range(200):
            try:
                j = json.loads(log.get("ct/v1/get-entries?start=0&end=99"))
                if len(j["entries"]) < 100:
                    short += 1
            except Exception:
                trunc += 1
        for _ in range(20):
            sth(log)  # scope "data": tree heads are never faulted
        print(f"short {short}/200 (want ~80), truncated {trunc}/200 (want ~40)")
        check(50 < short < 115, f"short replies {short}")
        check(20 < trunc < 62, f"truncated replies {trunc}")
    with ctdltest.TestLog(entries=n, args=["--rate", "1", "--burst", "3"]) as log:
        codes = [status_of(log, "ct/v1/get-sth")[0] for _ in range(30)]
        check(codes.count(429) >= 18, f"rate limit: only {codes.count(429)} of 30 got 429")
        check(log.stats()["rate_limited"] == codes.count(429), "rate_limited counter")
    with ctdltest.TestLog(entries=n, args=["--lag", "10", "--lag-ms", "3000"]) as log:
        c1, _ = status_of(log, f"ct/v1/get-entries?start={n - 5}&end={n - 1}")
        c2, _ = status_of(log, f"ct/v1/get-entries?start={n - 50}&end={n - 40}")
        time.sleep(3.2)
        c3, _ = status_of(log, f"ct/v1/get-entries?start={n - 5}&end={n - 1}")
        check((c1, c2, c3) == (400, 200, 200), f"lag: {(c1, c2, c3)}")
    with ctdltest.TestLog(entries=n, args=["--pslow", "0.5", "--slow-ms", "300", "--seed", "3"]) as log:
        slow = 0
        for _ in range(16):
            t = time.time()
            sth(log)
            slow += time.time() - t >= 0.3
        injected = log.stats()["slow"]
        print(f"slow {injected}/16 injected (want ~8), {slow} took >= 0.3 s")
        # Every injected delay must be visible; a loaded machine may make other replies slow too.
        check(3 <= injected <= 13 and slow >= injected, f"slow replies {injected}/{slow}")
    with ctdltest.TestLog(entries=n, args=["--latency-ms", "200"]) as log:
        t = time.time()
        sth(log)
        check(time.time() - t >= 0.2, "latency")
    stderr = log.stop()
    check("ctdl-testlog stats:" in stderr, "stats line on exit")


def test_growth_and_verification_faults(n):
    with ctdltest.TestLog(entries=n, args=["--grow-per-sec", "400", "--initial-size", "100"]) as log:
        _, rfc, _ = load_log_list(log.log_list)
        pub = serialization.load_der_public_key(base64.b64decode(rfc["key"]))
        sizes = []
        for _ in range(4):
            h = sth(log)
            root = base64.b64decode(h["sha256_root_hash"])
            check(verify_ds(pub, base64.b64decode(h["tree_head_signature"]),
                            tree_head_input(h["timestamp"], h["tree_size"], root)), "grown STH sig")
            sizes.append((h["tree_size"], root))
            time.sleep(0.3)
        check(sizes[0][0] >= 100 and sizes[-1][0] > sizes[0][0], f"tree did not grow: {sizes}")
        entries = get_all_entries(log, sizes[-1][0])
        hs = [leaf_hash(base64.b64decode(e["leaf_input"])) for e in entries]
        for size, root in sizes:
            check(mth(hs[:size]) == root, f"grown root at {size}")
        code, _ = status_of(log, f"static/tile/data/{(n - 1) // 256:03d}")
        check(code == 404 or sizes[-1][0] >= n, "full tile beyond the current size must be 404")

    with ctdltest.TestLog(entries=n, args=["--corrupt-entry", "5", "--bad-signature"]) as log:
        _, rfc, _ = load_log_list(log.log_list)
        pub = serialization.load_der_public_key(base64.b64decode(rfc["key"]))
        h = sth(log)
        root = base64.b64decode(h["sha256_root_hash"])
        check(not verify_ds(pub, base64.b64decode(h["tree_head_signature"]),
                            tree_head_input(h["timestamp"], n, root)), "--bad-signature verified")
        hs = [leaf_hash(base64.b64decode(e["leaf_input"])) for e in get_all_entries(log, n)]
        check(mth(hs) != root, "--corrupt-entry: root still matches")
        tile = parse_tile(log.get("static/tile/data/000"))
        check(leaf_hash(tile[5][0]) != log.get("static/tile/0/000")[5 * 32:6 * 32],
              "corrupt data tile leaf must not match the hash tile")
        check(leaf_hash(tile[4][0]) == log.get("static/tile/0/000")[4 * 32:5 * 32], "others intact")

    fork = n // 2
    with ctdltest.TestLog(entries=n, args=["--fork-after", str(fork), "--grow-per-sec", "1000000",
                                           "--initial-size", str(fork)]) as log:
        hs = [leaf_hash(base64.b64decode(e["leaf_input"])) for e in get_all_entries(log, n)]
        h = sth(log)
        root = base64.b64decode(h["sha256_root_hash"])
        check(h["tree_size"] == n and mth(hs) != root, "fork: big head must not match the entries")
        for m in (1, fork // 2, fork):
            proof = [base64.b64decode(x) for x in
                     log.get_json(f"ct/v1/get-sth-consistency?first={m}&second={n}")["consistency"]]
            check(not verify_consistency(m, n, mth(hs[:m]), root, proof),
                  f"fork: consistency proof {m}->{n} must not verify")

    with ctdltest.TestLog(entries=n, args=["--fork-after", str(fork), "--grow-per-sec", "20",
                                           "--initial-size", str(fork - 20)]) as log:
        first = sth(log)
        check(first["tree_size"] <= fork, f"fork: first head {first['tree_size']} already forked")
        entries = log.all_entries(first["tree_size"])
        hs = [leaf_hash(base64.b64decode(e["leaf_input"])) for e in entries]
        check(mth(hs) == base64.b64decode(first["sha256_root_hash"]), "fork: heads <= S are real")

    with ctdltest.TestLog(entries=n, args=["--remove-partial-tiles", "--gzip-tiles"]) as log:
        last = n // 256
        code, _ = status_of(log, f"static/tile/data/{last:03d}.p/{n % 256}")
        check(n % 256 == 0 or code == 200, "partial tile of the current size must exist")
        code, _ = status_of(log, "static/tile/data/000.p/10")
        check(code == 404, f"partial tile with a full tile must be 404, got {code}")
        import urllib.request
        with urllib.request.urlopen(log.url + "static/tile/data/000") as r:
            check(r.headers.get("Content-Encoding") == "gzip", "gzip header")
            check(len(parse_tile(gzip.decompress(r.read()))) == 256, "gzip tile decodes")


def main():
    ctdltest.binary("ctdl-testlog")
    n = 1300  # five full tiles + a partial one
    with ctdltest.TestLog(entries=n) as log:
        test_encodings_and_merkle(log, n)
    with ctdltest.TestLog(entries=600, build_args=["--leaf-index-ext"]) as log:
        test_encodings_and_merkle(log, 600, leaf_index=True)
    certs = os.path.join(ctdltest.source_dir(), "testdata", "certs", "luct")
    with ctdltest.TestLog(entries=300, certs=certs) as log:
        with open(os.path.join(log.dir, "meta.json")) as f:
            meta = json.load(f)
        check(meta["real_certs"] >= 6, f"real certificates not included: {meta}")
        test_encodings_and_merkle(log, 300, full_mix=False)
        first = parse_leaf(base64.b64decode(log.all_entries(1)[0]["leaf_input"]))
        check(first["type"] == 0 and b"geomys.org" in first["cert"], "entry 0 is the first real cert")
    with ctdltest.TestLog(entries=n, args=["--cap", "100", "--align"]) as log:
        test_cap_align(log)
    with ctdltest.TestLog(entries=n, args=["--latency-ms", "20"]) as log:
        test_keep_alive_replies_are_not_delayed(log)
    test_faults(n)
    test_growth_and_verification_faults(n)
    print("PASS")


if __name__ == "__main__":
    main()
