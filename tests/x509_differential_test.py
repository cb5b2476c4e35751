#!/usr/bin/env python3
"""Differential test: ctdl-record's seed fields against pyca/cryptography 48 (the seed's library);
with an older pyca (Debian 12: 38) only what it prints as pyca 48 does (tests/lib/pyca_oracle.py).
Findings: every certificate pyca refuses in any part gets at least one, counted per cause of refusal;
one pyca reads completely gets none.

Over every certificate in testdata/certs plus a few thousand generated ones (seeded): where pyca
parses the certificate, every seed field must be identical; where pyca refuses it, the record must
still carry the right fingerprint and lint findings or an error. Skips (77) without pyca.
"""
import base64
import json
import os
import random
import subprocess
import sys
import tempfile

import pyca_oracle as po

SEED_FIELDS = ["fingerprint", "issuer", "subject", "not_valid_before", "not_valid_after", "cn"]


def corpus_certs(root):
    """(label, der) for every certificate block in every file (whole file as DER when no PEM)."""
    out = []
    for dirpath, _, files in sorted(os.walk(root)):
        for fn in sorted(files):
            if fn in ("INDEX.tsv", "MANIFEST.sha256"):
                continue
            path = os.path.join(dirpath, fn)
            data = open(path, "rb").read()
            rel = os.path.relpath(path, root)
            blocks = pem_blocks(data)
            if blocks is None:
                out.append((rel, data))
            else:
                for i, b in enumerate(blocks):
                    if b is not None:
                        out.append(("%s#%d" % (rel, i), b))
    return out


def pem_blocks(data):
    begin, end = b"-----BEGIN CERTIFICATE-----", b"-----END CERTIFICATE-----"
    if begin not in data:
        return None
    blocks, pos = [], 0
    while True:
        s = data.find(begin, pos)
        if s < 0:
            break
        e = data.find(end, s)
        if e < 0:
            break
        body = b"".join(data[s + len(begin):e].split())
        try:
            blocks.append(base64.b64decode(body, validate=True))
        except Exception:  # noqa: BLE001 - bad base64: not a certificate we can compare
            blocks.append(None)
        pos = e + len(end)
    return blocks


# ---------- generated certificates ----------
CN, O, OU, C, L, ST, STREET, DC, UID = ("2.5.4.3", "2.5.4.10", "2.5.4.11", "2.5.4.6", "2.5.4.7",
                                        "2.5.4.8", "2.5.4.9", "0.9.2342.19200300.100.1.25",
                                        "0.9.2342.19200300.100.1.1")
ODD_OIDS = ["1.2.840.113549.1.9.1", "2.5.4.5", "2.5.4.97", "1.3.6.1.4.1.311.60.2.1.3",
            "2.999.1", "1.3.6.1.4.1.99999.123456789012345678901234567890.7", "0.0", "1.39.5",
            "2.5.4.46", "2.5.4.12", "2.5.4.42"]
SPECIALS = ['\\', '"', '+', ',', ';', '<', '>', '#', ' ', '\0', '=', '\n', '\t', '\x01', '\x7f']
UNICODE = ["é", "ü", "中", "文", "😀", "\u00a0", "ß", "\u200b", "Ω"]
PRINTABLE = "ABCXYZabcxyz0189 '()+,-./:=?"


def rand_text(rng, alphabet_kind):
    n = rng.choice([0, 1, 1, 2, 3, 5, 8, 12, 30])
    chars = []
    for _ in range(n):
        r = rng.random()
        if alphabet_kind == "printable":
            chars.append(rng.choice(PRINTABLE))
        elif alphabet_kind == "ascii" or r < 0.5:
            chars.append(rng.choice("abcxyz019-." if r < 0.35 else "".join(SPECIALS)))
        else:
            chars.append(rng.choice(UNICODE + SPECIALS))
    # Leading/trailing specials on purpose now and then.
    if n and rng.random() < 0.2:
        chars[0] = rng.choice(["#", " "])
    if n and rng.random() < 0.2:
        chars[-1] = " "
    s = "".join(chars)
    if alphabet_kind in ("printable",):
        s = "".join(ch for ch in s if ch in PRINTABLE)
    return s


def rand_value(rng, attr_oid):
    kind = rng.choice(["utf8", "utf8", "printable", "ia5", "t61", "visible", "numeric", "bmp",
                       "universal", "octet"])
    if kind == "utf8":
        return 0x0C, rand_text(rng, "any").encode()
    if kind == "printable":
        return 0x13, rand_text(rng, "printable").encode()
    if kind == "ia5":
        return 0x16, rand_text(rng, "ascii").encode()
    if kind == "t61":
        return 0x14, rand_text(rng, "any").encode()
    if kind == "visible":
        return 0x1A, rand_text(rng, "ascii").encode()
    if kind == "numeric":
        return 0x12, "".join(rng.choice("0123456789 ") for _ in range(rng.randint(0, 6))).encode()
    if kind == "bmp":
        return 0x1E, rand_text(rng, "any").encode("utf-16-be")
    if kind == "universal":
        return 0x1C, rand_text(rng, "any").encode("utf-32-be")
    return 0x04, rand_text(rng, "ascii").encode()


def rand_name(rng):
    if rng.random() < 0.07:
        return po.name([])
    rdns = []
    for _ in range(rng.choice([1, 1, 2, 3, 4, 6])):
        k = 1 if rng.random() < 0.75 else rng.choice([2, 3])
        oids = rng.sample([CN, O, OU, C, L, ST, STREET, DC, UID] + ODD_OIDS, k)
        attrs = []
        for o in oids:
            if o == "2.5.4.45":
                attrs.append((o, 0x03, b"\x00" + bytes(rng.randrange(256) for _ in range(3))))
            else:
                t, v = rand_value(rng, o)
                attrs.append((o, t, v))
        if rng.random() < 0.05:
            attrs.append(("2.5.4.45", 0x03, b"\x00\xab\xcd"))
        # DER SET OF order: sort by encoding (pyca refuses other orders).
        attrs.sort(key=lambda a: po.atv(*a))
        rdns.append(attrs)
    return po.name(rdns)


def rand_time(rng):
    if rng.random() < 0.6:
        y = rng.randint(1950, 2049)
        s = "%02d%02d%02d%02d%02d%02dZ" % (y % 100, rng.randint(1, 12), rng.randint(1, 28),
                                           rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        if rng.random() < 0.05:
            s = "%02d0229120000Z" % rng.choice([0, 4, 20, 96, 1])  # leap days (2001 is not)
        return po.utc_time(s)
    y = rng.choice([rng.randint(2050, 9999), rng.randint(1, 1949), rng.randint(1950, 2049)])
    return po.gen_time("%04d%02d%02d%02d%02d%02dZ" % (y, rng.randint(1, 12), rng.randint(1, 28),
                                                     rng.randint(0, 23), rng.randint(0, 59),
                                                     rng.randint(0, 59)))


def rand_exts(rng):
    exts = []
    if rng.random() < 0.8:
        names = []
        for _ in range(rng.choice([0, 1, 2, 5, 20, 100])):
            r = rng.random()
            if r < 0.7:
                names.append((2, rng.choice(["a.example.com", "*.x.org", "", "xn--bcher-kva.de",
                                             "é.fr", "a b", "UPPER.Case"]).encode()))
            elif r < 0.8:
                names.append((1, b"user@example.com"))
            elif r < 0.9:
                names.append((6, b"https://example.com/x"))
            else:
                names.append((7, bytes(rng.randrange(256) for _ in range(rng.choice([4, 16])))))
        exts.append(po.extension("2.5.29.17", po.san_value(names), rng.random() < 0.2))
    if rng.random() < 0.2:
        exts.append(po.extension("1.3.6.1.4.1.11129.2.4.3", b"\x05\x00", True))  # precert poison
    if rng.random() < 0.3:
        exts.append(po.extension("2.5.29.19", po.seq(po.tlv(0x01, b"\xff")), True))
    rng.shuffle(exts)
    return exts


def mutate(rng, der):
    """Structural damage pyca usually refuses (and sometimes accepts): the second half of the test."""
    r = rng.random()
    b = bytearray(der)
    if r < 0.4:
        for _ in range(rng.randint(1, 3)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif r < 0.6:
        b = b[:rng.randrange(len(b))]
    elif r < 0.7:
        b += bytes([rng.randrange(256) for _ in range(rng.randint(1, 4))])
    elif r < 0.85:
        i = rng.randrange(len(b))
        b = b[:i] + bytes([rng.randrange(256)]) + b[i:]
    else:
        i = rng.randrange(len(b))
        del b[i]
    return bytes(b)


BAD_NAMES = [
    [[(CN, 0x13, b"a*b")]], [[(CN, 0x0C, b"\xff\xfe")]], [[(CN, 0x14, b"\xe9t\xe9")]],
    [[(CN, 0x1E, b"\x00a\x00")]], [[(CN, 0x1C, b"\x00\x00\xd8\x00")]], [[(CN, 0x02, b"\x01")]],
    [[(CN, 0x03, b"\x00\xab")]], [[(CN, 0x0C, b"a"), (CN, 0x0C, b"a")]],
    [[(O, 0x0C, b"a"), (CN, 0x0C, b"b")]], [[(CN, 0x30, b"")]], [[(CN, 0x16, b"\x80")]],
]
BAD_TIMES = ["2001010000Z", "200101000000+0000", "210229000000Z", "200101240000Z", "201301000000Z",
             "200100000000Z"]


# One odd extension (or version, or key) per certificate: values pyca refuses and values it accepts,
# so both directions of the finding rule are exercised for each kind.
NC, KU, EKU, PCONS, BC, IAN, SKI = ("2.5.29.30", "2.5.29.15", "2.5.29.37", "2.5.29.36", "2.5.29.19",
                                    "2.5.29.18", "2.5.29.14")
DNS = po.tlv(0x82, b"example.com")
ODD_EXTENSIONS = [
    [po.extension(NC, po.seq())],                                             # neither subtree
    [po.extension(NC, po.seq(po.tlv(0xA0, b"")))],                            # empty permitted
    [po.extension(NC, po.seq(po.tlv(0xA0, po.seq(DNS))))],                    # fine
    [po.extension(NC, po.seq(po.tlv(0xA1, po.seq(po.tlv(0x87, b"\x0a\0\0\0\xff\0\0\0")))))],
    [po.extension(NC, po.seq(po.tlv(0xA0, po.seq(po.tlv(0x87, b"\x0a\0\0\x01")))))],  # address
    [po.extension(NC, po.seq(po.tlv(0xA0, po.seq(DNS, po.tlv(0x80, b"\x01")))))],  # minimum 1
    [po.extension(NC, po.tlv(0x04, b""))],                                    # not a SEQUENCE
    [po.extension(KU, po.tlv(0x03, b"\x00"))], [po.extension(KU, po.tlv(0x03, b"\x07\x80"))],
    [po.extension(KU, po.tlv(0x03, b"\x07\x81"))],                            # unused bit set
    [po.extension(EKU, po.seq())], [po.extension(EKU, po.seq(po.oid("1.3.6.1.5.5.7.3.1")))],
    [po.extension(PCONS, po.seq())], [po.extension(PCONS, po.seq(po.tlv(0x80, b"\x00")))],
    [po.extension(BC, po.seq(po.tlv(0x02, b"\x01")))],                         # pathLen without cA
    [po.extension(BC, po.seq(po.tlv(0x01, b"\xff"), po.tlv(0x02, b"\x00")))],
    [po.extension(IAN, po.seq())], [po.extension(IAN, po.seq(po.tlv(0x82, b"\xff")))],
    [po.extension(SKI, po.tlv(0x04, b""))], [po.extension(SKI, po.tlv(0x03, b"\x00"))],
    [po.extension("2.5.29.17", po.seq())],                                    # empty SAN
    [po.extension("2.5.29.17", po.seq(po.tlv(0x82, b"")))],
    [po.extension("2.5.29.17", po.seq(po.tlv(0x82, b"\xe9t\xe9.example"), po.tlv(0x81, b"\xff@x")))],
]
ODD_KEYS = [  # (SPKI) EC points on / off the curve, Ed25519 lengths
    po.EC_SPKI, po.EC_SPKI[:-1] + bytes([po.EC_SPKI[-1] ^ 1]), po.EC_SPKI[:26] + b"\x00" * 66,
    po.seq(po.seq(po.oid("1.3.101.112")), po.tlv(0x03, b"\x00" + b"\x11" * 32)),
    po.seq(po.seq(po.oid("1.3.101.112")), po.tlv(0x03, b"\x00" + b"\x11" * 31)),
]


def generated_certs(count, seed=4):
    rng = random.Random(seed)
    out = []
    for i in range(count):
        der = po.build_cert(rand_name(rng), rand_name(rng), rand_time(rng), rand_time(rng),
                            rand_exts(rng), serial=rng.choice([1, 0, -5, 2**159 + 7, 255, 128]),
                            version=rng.choice([2, 2, 2, 0]) if True else 2)
        out.append(("gen#%d" % i, der))
    for i, rdns in enumerate(BAD_NAMES):
        for which in (0, 1):
            subj, iss = (po.name(rdns), po.name([])) if which else (po.name([]), po.name(rdns))
            out.append(("bad-name#%d.%d" % (i, which),
                        po.build_cert(subj, iss, po.utc_time("200101000000Z"),
                                      po.utc_time("300101000000Z"))))
    for i, t in enumerate(BAD_TIMES):
        out.append(("bad-time#%d" % i, po.build_cert(po.name([]), po.name([]), po.utc_time(t),
                                                     po.utc_time("300101000000Z"))))
    out.append(("bad-time-gen0", po.build_cert(po.name([]), po.name([]),
                                               po.gen_time("00000101000000Z"),
                                               po.gen_time("20500101000000Z"))))
    for i, exts in enumerate(ODD_EXTENSIONS):
        out.append(("odd-ext#%d" % i, po.build_cert(po.name([]), po.name([]), po.utc_time("200101000000Z"),
                                                   po.utc_time("300101000000Z"), exts)))
    for v in (0, 1, 2, 3):
        out.append(("version#%d" % v, po.build_cert(po.name([]), po.name([]), po.utc_time("200101000000Z"),
                                                    po.utc_time("300101000000Z"), version=v)))
    for i, spki in enumerate(ODD_KEYS):
        out.append(("odd-key#%d" % i, po.build_cert(po.name([]), po.name([]), po.utc_time("200101000000Z"),
                                                    po.utc_time("300101000000Z"), spki=spki)))
    base = [d for _, d in out[:count]]
    for i in range(count // 2):
        out.append(("mut#%d" % i, mutate(rng, rng.choice(base))))
    out.append(("empty", b""))
    out.append(("text", b"hello, world\n"))
    return out


def pyca_built_certs(count, seed):
    """Certificates written by pyca's own CertificateBuilder (standard extensions, EC/Ed25519 keys)."""
    import datetime
    import ipaddress
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    import pyca_compat
    rng = random.Random(seed)
    # Keys and signatures derived from the seed, so every run writes the same bytes.
    keys = [ec.derive_private_key(rng.randrange(1, 2**200), ec.SECP256R1()),
            ec.derive_private_key(rng.randrange(1, 2**300), ec.SECP384R1()),
            ed25519.Ed25519PrivateKey.from_private_bytes(bytes(rng.randrange(256) for _ in range(32)))]
    types = [_ASN1Type.UTF8String, _ASN1Type.PrintableString, _ASN1Type.IA5String,
             _ASN1Type.T61String, _ASN1Type.BMPString, _ASN1Type.UniversalString,
             _ASN1Type.VisibleString]
    out = []
    for i in range(count):
        attrs = []
        for oid in rng.sample([NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME,
                               NameOID.ORGANIZATIONAL_UNIT_NAME, NameOID.LOCALITY_NAME,
                               NameOID.EMAIL_ADDRESS, NameOID.SERIAL_NUMBER,
                               NameOID.BUSINESS_CATEGORY], rng.randint(0, 4)):
            t = rng.choice(types)
            v = rand_text(rng, "printable" if t == _ASN1Type.PrintableString else
                          "ascii" if t in (_ASN1Type.IA5String, _ASN1Type.VisibleString) else "any")
            attrs.append(x509.NameAttribute(oid, v or "x", t, _validate=False))
        key = rng.choice(keys)
        nb = datetime.datetime(rng.randint(1951, 2100), rng.randint(1, 12), rng.randint(1, 28),
                               rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))
        b = (x509.CertificateBuilder().subject_name(x509.Name(attrs))
             .issuer_name(x509.Name(attrs[::-1])).public_key(key.public_key())
             .serial_number(rng.randint(1, 2**159)).not_valid_before(nb)
             .not_valid_after(nb + datetime.timedelta(days=rng.randint(1, 20000))))
        names = [x509.DNSName("h%d.example.com" % k) for k in range(rng.randint(0, 5))]
        names += [x509.IPAddress(ipaddress.ip_address("10.0.0.%d" % rng.randint(0, 255)))] * rng.randint(0, 1)
        names += [x509.RFC822Name("a@b.c")] * rng.randint(0, 1)
        if names:
            b = b.add_extension(x509.SubjectAlternativeName(names), critical=False)
        b = b.add_extension(x509.BasicConstraints(ca=rng.random() < 0.3, path_length=None), True)
        b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
        b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False,
                                          False), True)
        b = b.add_extension(x509.CertificatePolicies([x509.PolicyInformation(
            x509.ObjectIdentifier("2.23.140.1.2.1"), ["https://cps.example/", x509.UserNotice(
                x509.NoticeReference("Org", [1, 2]), "explicit text")])]), False)
        b = b.add_extension(x509.CRLDistributionPoints([x509.DistributionPoint(
            [x509.UniformResourceIdentifier("http://crl.example/x.crl")], None, None, None)]), False)
        b = b.add_extension(x509.AuthorityInformationAccess([x509.AccessDescription(
            x509.oid.AuthorityInformationAccessOID.OCSP,
            x509.UniformResourceIdentifier("http://ocsp.example"))]), False)
        if rng.random() < 0.2:
            b = b.add_extension(x509.PrecertPoison(), True)
        if rng.random() < 0.2:
            b = b.add_extension(x509.NameConstraints(
                [x509.DNSName("example.com"), x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))],
                None), True)
        algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
        out.append(("pyca#%d" % i, pyca_compat.sign_reproducibly(b, key, algorithm, (seed, i))))
    return out


def run_records(binary, certs):
    """Runs ctdl-record once over a PEM file holding every certificate; one record per block."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "all.pem")
        with open(path, "wb") as f:
            for _, der in certs:
                f.write(b"-----BEGIN CERTIFICATE-----\n")
                f.write(base64.encodebytes(der) if der else b"")
                f.write(b"-----END CERTIFICATE-----\n")
        res = subprocess.run([binary, path], capture_output=True, timeout=600)
    if res.returncode != 0:
        raise SystemExit("ctdl-record failed (rc=%d): %s" % (res.returncode, res.stderr[:500]))
    lines = res.stdout.split(b"\n")
    assert lines[-1] == b"", "output does not end with a newline"
    return [json.loads(line.decode("utf-8")) for line in lines[:-1]]  # strict UTF-8 + JSON


def check_findings(label, der, rec, stats, causes, failures):
    """Where pyca refuses any part of the certificate (pyca_oracle.pyca_refusal: load, version, serial,
    names, validity, extensions, signature algorithm, public key), the record must carry a finding
    (lint or error) and the certificate's fingerprint; where pyca reads it completely, none.
    causes[cause] = [refused with a finding, refused without]. With an older pyca (see
    pyca_oracle.SEED_PYCA) a refusal without a finding is allowed only for a known difference from
    pyca 48 (pyca_oracle.older_pyca_only_refusal), counted apart; findings on a certificate that pyca
    reads are counted, not failed (pyca 48, which ctdl follows, may refuse it)."""
    exact = po.SEED_PYCA
    # Bytes that are not UTF-8 are shown the same way in every field: latin-1, never U+FFFD (which
    # may only appear where the certificate itself holds it, or in a hex-free error message).
    if "\ufffd" in json.dumps(rec, ensure_ascii=False) and b"\xef\xbf\xbd" not in der:
        failures.append("%s: U+FFFD in the record: %s" % (label, json.dumps(rec)[:300]))
    cause = po.pyca_refusal(der)
    finding = bool(rec.get("lint") or rec.get("error"))
    if cause is None:
        if finding:
            stats["read_but_finding"] += 1
            if exact:
                failures.append("%s: pyca reads it completely, yet the record has findings %s"
                                % (label, rec.get("lint") or rec.get("error")))
        return
    counts = causes.setdefault(cause, [0, 0, 0])
    if finding and rec.get("fingerprint") == po.fingerprint(der):
        counts[0] += 1
        return
    known = None if exact else po.older_pyca_only_refusal(der, cause)
    if known:
        counts[2] += 1
        return
    counts[1] += 1
    failures.append("%s: pyca refuses (%s) but the record has no finding: %s"
                    % (label, cause, json.dumps(rec)[:300]))


def compare(label, der, rec, stats, failures):
    """Seed fields against pyca. With pyca 48 every field is exact. With an older pyca (see
    pyca_oracle.SEED_PYCA) a field is compared only where that pyca is known to print it as pyca 48
    does; stats["not_compared"] counts the fields left out."""
    exact = po.SEED_PYCA
    try:
        exp = po.seed_fields(der)
    except Exception:  # noqa: BLE001 - pyca refuses the certificate (check_findings counts it)
        stats["pyca_rejects"] += 1
        return
    stats["pyca_parses"] += 1
    fields = SEED_FIELDS
    if not exact:  # a linted record is one pyca 48 reads only in part: compare what is not names
        fields = [k for k in SEED_FIELDS if exp.get(k + "_as_by_seed", True) and
                  (k not in ("issuer", "subject", "cn") or not rec.get("lint"))]
        stats["not_compared"] += len(SEED_FIELDS) - len(fields)
    bad = [k for k in fields if rec.get(k, "<missing>") != exp[k]]
    if "subjectAltName" in exp:
        stats["san_compared"] += 1
        if rec.get("subjectAltName") != exp["subjectAltName"]:
            bad.append("subjectAltName")
    if bad:
        failures.append("%s: fields differ %s\n    pyca: %s\n    ctdl: %s" % (
            label, bad, {k: exp.get(k) for k in bad}, {k: rec.get(k) for k in bad}))
    else:
        stats["agree"] += 1


def print_causes(causes):
    """One line per cause of refusal: with a finding / without / (older pyca only)."""
    width = max([len(c) for c in causes] + [5])
    print("  %-*s %6s %7s %s" % (width, "pyca refuses at", "linted", "without",
                                  "" if po.SEED_PYCA else " older-pyca-only"))
    for c in sorted(causes, key=lambda k: (-sum(causes[k]), k)):
        w, wo, old = causes[c]
        print("  %-*s %6d %7d %s" % (width, c, w, wo, "" if po.SEED_PYCA else " %d" % old))


def main():
    if not po.HAVE_PYCA:
        print("SKIP: python3 'cryptography' (pyca) is not installed; it is the oracle of this test")
        return 77
    build = os.environ.get("CTDL_BUILD", "build")
    source = os.environ.get("CTDL_SOURCE", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    binary = os.path.join(build, "ctdl-record")
    if not os.path.exists(binary):
        print("FAIL: %s not built" % binary)
        return 1
    n_gen = int(os.environ.get("CTDL_X509_GENERATED", "3000"))
    seed = int(os.environ.get("CTDL_X509_SEED", "4"))
    corpus = corpus_certs(os.path.join(source, "testdata", "certs"))
    pyca_built = pyca_built_certs(n_gen // 10, seed)
    rng = random.Random(seed)
    real = [d for _, d in corpus if d[:1] == b"\x30"] + [d for _, d in pyca_built]
    mutated = [("mut-corpus#%d" % i, mutate(rng, rng.choice(real))) for i in range(n_gen // 2)]
    sets = [("corpus", corpus), ("generated", generated_certs(n_gen, seed) + pyca_built),
            ("mutated-corpus", mutated)]
    failures = []
    for set_name, certs in sets:
        recs = run_records(binary, certs)
        if len(recs) != len(certs):
            print("FAIL: %s: %d certificates but %d records" % (set_name, len(certs), len(recs)))
            return 1
        stats = {k: 0 for k in ["pyca_parses", "agree", "pyca_rejects", "san_compared",
                                "not_compared", "read_but_finding"]}
        causes = {}
        for (label, der), rec in zip(certs, recs):
            compare(set_name + ":" + label, der, rec, stats, failures)
            check_findings(set_name + ":" + label, der, rec, stats, causes, failures)
        refused = sum(sum(v) for v in causes.values())
        print("%s: %d certificates; seed fields: pyca parses %d, agree on %d (%.2f%%), SAN compared on "
              "%d; pyca refuses some part of %d: with a finding %d, without %d; pyca reads completely "
              "%d, of which with findings %d" % (
                  set_name, len(certs), stats["pyca_parses"], stats["agree"],
                  100.0 * stats["agree"] / max(1, stats["pyca_parses"]), stats["san_compared"], refused,
                  sum(v[0] for v in causes.values()), sum(v[1] for v in causes.values()),
                  len(certs) - refused, stats["read_but_finding"]))
        print_causes(causes)
        if not po.SEED_PYCA:
            print("  pyca %s is not the seed's pyca 48 (see tests/lib/pyca_oracle.py): %d fields not "
                  "compared; refusals pyca 48 does not make: %d (known differences); findings on "
                  "certificates this pyca reads: %d (counted, not failed)" % (
                      po.pyca_compat.VERSION_TEXT, stats["not_compared"],
                      sum(v[2] for v in causes.values()), stats["read_but_finding"]))
    for f in failures[:40]:
        print("FAIL:", f)
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
