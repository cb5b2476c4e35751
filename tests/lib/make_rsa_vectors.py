#!/usr/bin/env python3
"""Writes testdata/ct/rsa/: an RSA-2048 test log key (log list style), a get-sth body and a
static-ct-api checkpoint signed with it (PKCS#1 v1.5, SHA-256), made with pyca/cryptography so the
C++ verifier (OpenSSL) is checked against an independent signer. No real log uses RSA for tree heads
in our corpus. The private key is thrown away. Run once: python3 tests/lib/make_rsa_vectors.py OUTDIR
"""
import base64, hashlib, json, os, struct, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

out = sys.argv[1]
key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                     serialization.PublicFormat.SubjectPublicKeyInfo)
log_id = hashlib.sha256(spki).digest()
b64 = lambda b: base64.b64encode(b).decode()
size, ts = 1000, 1767139200123
root = hashlib.sha256(b"rsa test root").digest()
msg = struct.pack(">BBQQ", 0, 1, ts, size) + root
sig = key.sign(msg, padding.PKCS1v15(), hashes.SHA256())
ds = bytes([4, 1]) + struct.pack(">H", len(sig)) + sig
origin = "rsa.example.org/test"
with open(os.path.join(out, "log.json"), "w") as f:
    json.dump({"key": b64(spki), "log_id": b64(log_id), "origin": origin}, f, indent=1)
    f.write("\n")
with open(os.path.join(out, "sth.json"), "w") as f:
    json.dump({"tree_size": size, "timestamp": ts, "sha256_root_hash": b64(root),
               "tree_head_signature": b64(ds)}, f)
    f.write("\n")
key_id = hashlib.sha256(origin.encode() + b"\n\x05" + log_id).digest()[:4]
note = "%s\n%d\n%s\n\n\u2014 %s %s\n" % (origin, size, b64(root), origin,
                                         b64(key_id + struct.pack(">Q", ts) + ds))
with open(os.path.join(out, "checkpoint.txt"), "w", encoding="utf-8") as f:
    f.write(note)
