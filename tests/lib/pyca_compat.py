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
    import pyca_oracle as po  # its DER helpers (imported here: it imports this module)
    der = builder.sign(key, algorithm).public_bytes(Encoding.DER)
    _, start, _ = po.read_tlv(der, 0)
    _, _, tbs_end = po.read_tlv(der, start)
    _, _, alg_end = po.read_tlv(der, tbs_end)
    digest = hashlib.sha512(repr(seed).encode()).digest()
    r, s = int.from_bytes(digest[:32], "big"), int.from_bytes(digest[32:], "big")
    signature = po.tlv(0x03, b"\x00" + po.seq(po.integer(r), po.integer(s)))
    return po.seq(der[start:alg_end], signature)
