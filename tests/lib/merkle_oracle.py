#!/usr/bin/env python3
"""Independent RFC 6962 Merkle tree oracle (python3 stdlib only).

Written straight from RFC 6962 section 2.1 (MTH, PATH, PROOF/SUBPROOF) with the recursive definitions,
on purpose sharing no code or structure with src/ct. Used by src/ct/merkle_test.cc (which runs
`merkle_oracle.py vectors SEED COUNT MAXSIZE` at test time and checks every vector) and by integration
tests that want roots/proofs of their own.

Usage:
  merkle_oracle.py vectors SEED COUNT MAXSIZE  one vector per line (text, see below) on stdout
  merkle_oracle.py root FILE                   MTH (hex) of a file of concatenated 32-byte leaf hashes

Vector lines (space separated, hashes in lowercase hex, proofs as comma-joined hex or "-" if empty):
  root SIZE ROOT
  incl INDEX SIZE LEAF_HASH ROOT PROOF
  cons SIZE1 SIZE2 ROOT1 ROOT2 PROOF
The leaves of every vector are leaf i = HashLeaf(b"leaf-" + str(i)), i.e. SHA-256(0x00 || "leaf-<i>"),
so the C++ test can rebuild the same leaves.
"""
import hashlib
import random
import sys


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(n: int) -> int:
    """Largest power of two strictly less than n (n >= 2)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves):
    """MTH(D[n]) of a list of leaf *hashes* (RFC 6962 2.1)."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = split_point(n)
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m, leaves):
    """PATH(m, D[n]): audit path for leaf m (RFC 6962 2.1.1)."""
    n = len(leaves)
    if n == 1:
        return []
    k = split_point(n)
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, b):
    """SUBPROOF(m, D[n], b) (RFC 6962 2.1.2)."""
    n = len(leaves)
    if m == n:
        return [] if b else [mth(leaves)]
    k = split_point(n)
    if m <= k:
        return subproof(m, leaves[:k], b) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def proof(m, leaves):
    """PROOF(m, D[n]) for 0 < m <= n; empty for m == n."""
    return subproof(m, leaves, True)


# Verification, written from RFC 9162 2.1.3.2 / 2.1.4.2, for checking real proofs from logs.
def verify_inclusion(index, size, leaf, proof_hashes, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof_hashes:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(size1, size2, root1, root2, proof_hashes):
    if size1 > size2:
        return False
    if size1 == size2:
        return not proof_hashes and root1 == root2
    if size1 == 0:
        return not proof_hashes
    p = list(proof_hashes)
    if size1 & (size1 - 1) == 0:
        p = [root1] + p
    if not p:
        return False
    fn, sn = size1 - 1, size2 - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = p[0]
    for c in p[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == root1 and sr == root2 and sn == 0


def test_leaf(i):
    return leaf_hash(b"leaf-%d" % i)


def _h(b):
    return b.hex()


def _p(hs):
    return ",".join(h.hex() for h in hs) if hs else "-"


def vectors(seed, count, maxsize):
    rng = random.Random(seed)
    sizes = sorted({rng.randint(1, maxsize) for _ in range(count)} | {1, 2, 3, 4, 5, 7, 8, 9, 16, 17})
    sizes = [s for s in sizes if s <= maxsize]
    leaves = [test_leaf(i) for i in range(max(sizes) + 1)]
    out = ["root 0 " + _h(mth([]))]
    for n in sizes:
        d = leaves[:n]
        root = mth(d)
        out.append("root %d %s" % (n, _h(root)))
        for m in {0, n - 1, rng.randrange(n), rng.randrange(n)}:
            pr = path(m, d)
            assert verify_inclusion(m, n, d[m], pr, root)
            out.append("incl %d %d %s %s %s" % (m, n, _h(d[m]), _h(root), _p(pr)))
        for m in {1, n, rng.randint(1, n), rng.randint(1, n), 1 << (n.bit_length() - 1)}:
            if m > n:
                continue
            pr = proof(m, d)
            r1 = mth(d[:m])
            assert verify_consistency(m, n, r1, root, pr)
            out.append("cons %d %d %s %s %s" % (m, n, _h(r1), _h(root), _p(pr)))
    return out


def main(argv):
    if len(argv) == 5 and argv[1] == "vectors":
        for line in vectors(int(argv[2]), int(argv[3]), int(argv[4])):
            print(line)
        return 0
    if len(argv) == 3 and argv[1] == "root":
        data = open(argv[2], "rb").read()
        if len(data) % 32:
            print("file length is not a multiple of 32", file=sys.stderr)
            return 2
        print(mth([data[i:i + 32] for i in range(0, len(data), 32)]).hex())
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
