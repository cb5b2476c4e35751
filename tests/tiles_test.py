#!/usr/bin/env python3
"""Independent check of the static-ct-api tile test data used by src/ct/tile_leaf_test.cc.

Parses testdata/ct/tiles/tesseract-example-tile.gz with its own TileLeaf parser (written from
c2sp.org/static-ct-api, sharing nothing with src/ct) and checks:
  - every pre_certificate loads in pyca/cryptography, has the CT poison extension, and its
    tbs_certificate_bytes minus the poison extension (RFC 6962 3.2) equal the TBSCertificate the tile's
    TimestampedEntry carries (so pre_certificate and the hashed TBS are what we think they are).
    (pyca's tbs_precertificate_bytes only works on final certificates with an SCT list, not here);
  - the golden files the C++ test compares against (leaf hashes as a level-0 hash tile, and the summary
    values in tesseract-example-tile.expected.txt) equal what this parser computes.
`tiles_test.py --write` (re)writes the golden files. Exit 77 (skipped) when pyca is missing.
"""
import gzip
import hashlib
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
import merkle_oracle  # noqa: E402

SRC = os.environ.get("CTDL_SOURCE") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TILES = os.path.join(SRC, "testdata", "ct", "tiles")
TILE = os.path.join(TILES, "tesseract-example-tile.gz")
HASHES = os.path.join(TILES, "tesseract-example-tile.leaf-hashes")
EXPECTED = os.path.join(TILES, "tesseract-example-tile.expected.txt")


def parse_tile(data):
    """Returns a list of dicts, one per TileLeaf; raises ValueError on malformed input."""
    leaves = []
    pos = 0

    def take(n):
        nonlocal pos
        if pos + n > len(data):
            raise ValueError("truncated at %d" % pos)
        out = data[pos:pos + n]
        pos += n
        return out

    def num(n):
        return int.from_bytes(take(n), "big")

    while pos < len(data):
        start = pos
        leaf = {"timestamp": num(8), "entry_type": num(2)}
        if leaf["entry_type"] == 0:
            leaf["cert"] = take(num(3))
        elif leaf["entry_type"] == 1:
            leaf["issuer_key_hash"] = take(32)
            leaf["tbs"] = take(num(3))
        else:
            raise ValueError("entry_type %d" % leaf["entry_type"])
        ext = take(num(2))
        leaf["timestamped_entry"] = data[start:pos]
        if leaf["entry_type"] == 1:
            leaf["cert"] = take(num(3))  # pre_certificate
        fps = take(num(2))
        if len(fps) % 32:
            raise ValueError("fingerprints")
        leaf["chain"] = [fps[i:i + 32] for i in range(0, len(fps), 32)]
        # CtExtensions: uint8 type, opaque data<0..2^16-1>; type 0 = leaf_index (uint40).
        i = 0
        while i < len(ext):
            etype = ext[i]
            elen = int.from_bytes(ext[i + 1:i + 3], "big")
            edata = ext[i + 3:i + 3 + elen]
            if etype == 0:
                leaf["leaf_index"] = int.from_bytes(edata, "big")
            i += 3 + elen
        # RFC 6962: SHA-256(0x00 || MerkleTreeLeaf{version 0, leaf_type 0, TimestampedEntry}).
        leaf["leaf_hash"] = hashlib.sha256(b"\x00" + b"\x00\x00" + leaf["timestamped_entry"]).digest()
        leaves.append(leaf)
    return leaves


def der_read(buf, pos):
    """(tag, header_len, content_len) of the DER TLV at pos."""
    tag, first = buf[pos], buf[pos + 1]
    if first < 0x80:
        return tag, 2, first
    n = first & 0x7F
    return tag, 2 + n, int.from_bytes(buf[pos + 2:pos + 2 + n], "big")


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_children(content):
    out, pos = [], 0
    while pos < len(content):
        tag, hl, cl = der_read(content, pos)
        out.append(content[pos:pos + hl + cl])
        pos += hl + cl
    return out


def der_content(tlv):
    _, hl, cl = der_read(tlv, 0)
    return tlv[hl:hl + cl]


POISON_OID = bytes.fromhex("060a2b06010401d679020403")  # 1.3.6.1.4.1.11129.2.4.3


def tbs_without_poison(tbs):
    """RFC 6962 3.2: the logged TBSCertificate is the pre_certificate's minus the poison extension."""
    fields = der_children(der_content(tbs))
    out = []
    for f in fields:
        if f[0] == 0xA3:  # [3] EXPLICIT Extensions
            exts = [e for e in der_children(der_content(der_content(f)))
                    if not der_content(e).startswith(POISON_OID)]
            inner = b"".join(exts)
            seq = b"\x30" + der_len(len(inner)) + inner
            f = b"\xa3" + der_len(len(seq)) + seq
        out.append(f)
    body = b"".join(out)
    return b"\x30" + der_len(len(body)) + body


def summary(leaves):
    hashes = [l["leaf_hash"] for l in leaves]
    lines = [
        "entries=%d" % len(leaves),
        "first_leaf_index=%d" % leaves[0]["leaf_index"],
        "precerts=%d" % sum(1 for l in leaves if l["entry_type"] == 1),
        "first_timestamp=%d" % leaves[0]["timestamp"],
        "last_timestamp=%d" % leaves[-1]["timestamp"],
        "chain_certs=%d" % sum(len(l["chain"]) for l in leaves),
        # SHA-256 over the SHA-256 of each entry's record DER (pre_certificate), in order.
        "cert_digest=%s" % hashlib.sha256(b"".join(hashlib.sha256(l["cert"]).digest() for l in leaves)).hexdigest(),
        # SHA-256 over all chain fingerprints, in order.
        "chain_digest=%s" % hashlib.sha256(b"".join(b"".join(l["chain"]) for l in leaves)).hexdigest(),
        # MTH of the tile's 256 leaf hashes (the level-8 node above the tile).
        "subtree_root=%s" % merkle_oracle.mth(hashes).hex(),
    ]
    return "\n".join(lines) + "\n", b"".join(hashes)


def main():
    with open(TILE, "rb") as f:
        leaves = parse_tile(gzip.decompress(f.read()))
    text, hashes = summary(leaves)
    if "--write" in sys.argv:
        with open(EXPECTED, "w") as f:
            f.write(text)
        with open(HASHES, "wb") as f:
            f.write(hashes)
        print("wrote", EXPECTED, HASHES)
        return 0
    failures = 0
    with open(EXPECTED) as f:
        if f.read() != text:
            print("FAIL: %s differs from the independent parse:\n%s" % (EXPECTED, text))
            failures += 1
    with open(HASHES, "rb") as f:
        if f.read() != hashes:
            print("FAIL: %s differs from the independent leaf hashes" % HASHES)
            failures += 1
    if [l.get("leaf_index") for l in leaves] != list(range(1024, 1024 + 256)):
        print("FAIL: leaf_index values are not 1024..1279")
        failures += 1
    try:
        from cryptography import x509
    except ImportError:
        print("SKIP: pyca/cryptography is not installed; TBS cross-check not run")
        return 77 if failures == 0 else 1
    checked = 0
    for i, leaf in enumerate(leaves):
        if leaf["entry_type"] != 1:
            continue
        cert = x509.load_der_x509_certificate(leaf["cert"])
        cert.extensions.get_extension_for_class(x509.PrecertPoison)  # raises if it is no precertificate
        if tbs_without_poison(cert.tbs_certificate_bytes) != leaf["tbs"]:
            print("FAIL: entry %d: pyca's TBS of pre_certificate minus poison != tile TBSCertificate" % i)
            failures += 1
        checked += 1
    print("tiles_test: %d entries, %d precert TBS cross-checked with pyca, %d failures"
          % (len(leaves), checked, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
