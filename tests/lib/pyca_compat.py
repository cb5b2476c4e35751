"""The few pyca/cryptography calls whose spelling changed between Debian 12's pyca 38 and pyca 48.

The tests must pass with both: Debian 12's /usr/bin/python3 ships pyca 38, and PyPI may be out of reach.
  - not_valid_before_utc / not_valid_after_utc (pyca >= 42): older versions only have the naive
    not_valid_before / not_valid_after, which are UTC; valid_from() / valid_until() give aware UTC.
  - CertificateBuilder.sign(..., ecdsa_deterministic=True) (pyca >= 42): sign_reproducibly() uses it
    where it exists and otherwise replaces the random ECDSA signature by one derived from a seed, so
    a seeded test writes the same bytes on every run (nothing here verifies those signatures).
Import only where pyca is installed (the callers skip with exit 77 otherwise).
"""
import datetime
import hashlib
import inspect

import cryptography
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

VERSION_TEXT = cryptography.__version__
VERSION = tuple(int(p) for p in cryptography.__version__.split(".")[:2] if p.isdigit())
HAVE_UTC_ACCESSORS = hasattr(x509.Certificate, "not_valid_after_utc")
HAVE_DETERMINISTIC_ECDSA = "ecdsa_deterministic" in inspect.signature(
    x509.CertificateBuilder.sign).parameters


def _utc(naive_or_aware):
    if naive_or_aware.tzinfo is None:
        return naive_or_aware.replace(tzinfo=datetime.timezone.utc)
    return naive_or_aware


def valid_from(cert):
    """notBefore as an aware UTC datetime (pyca 48's not_valid_before_utc)."""
    return cert.not_valid_before_utc if HAVE_UTC_ACCESSORS else _utc(cert.not_valid_before)


def valid_until(cert):
    """notAfter as an aware UTC datetime (pyca 48's not_valid_after_utc)."""
    return cert.not_valid_after_utc if HAVE_UTC_ACCESSORS else _utc(cert.not_valid_after)


def _tlv(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + content


def _der_children(der):
    """The encoded children of one DER SEQUENCE (definite lengths only: pyca writes DER)."""
    def header(buf, pos):
        first = buf[pos + 1]
        if first < 0x80:
            return pos + 2, first
        k = first & 0x7F
        return pos + 2 + k, int.from_bytes(buf[pos + 2:pos + 2 + k], "big")
    start, length = header(der, 0)
    out, pos = [], start
    while pos < start + length:
        body, n = header(der, pos)
        out.append(der[pos:body + n])
        pos = body + n
    return out


def sign_reproducibly(builder, key, algorithm, seed):
    """The certificate's DER, identical on every run for the same builder, key and seed.

    Ed25519/Ed448 and RSA PKCS#1 v1.5 are deterministic anyway. For ECDSA, pyca >= 42 signs
    deterministically (RFC 6979); older pyca signs with a random k, so the signature value is replaced
    by an ECDSA-Sig-Value with r and s derived from seed (the certificate then does not verify, which no
    caller checks)."""
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        return builder.sign(key, algorithm).public_bytes(Encoding.DER)
    if HAVE_DETERMINISTIC_ECDSA:
        return builder.sign(key, algorithm, ecdsa_deterministic=True).public_bytes(Encoding.DER)
    tbs, sig_alg, _ = _der_children(builder.sign(key, algorithm).public_bytes(Encoding.DER))
    digest = hashlib.sha512(repr(seed).encode()).digest()
    r, s = (int.from_bytes(digest[:32], "big") | 1, int.from_bytes(digest[32:], "big") | 1)

    def integer(v):
        return _tlv(0x02, v.to_bytes((v.bit_length() + 8) // 8, "big"))
    signature = _tlv(0x03, b"\x00" + _tlv(0x30, integer(r) + integer(s)))
    return _tlv(0x30, tbs + sig_alg + signature)
