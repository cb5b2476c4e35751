"""pyca/cryptography as the oracle for certificate records, plus a tiny DER builder.

seed_fields(der) returns the seed's fields exactly as the seed prints them with pyca (or raises when
pyca rejects the certificate). build_cert(...) assembles certificate DER from raw parts so tests can make
odd names, times and extensions that pyca's CertificateBuilder refuses to write. The signature is junk:
pyca does not verify it when loading.
"""
import hashlib
import re
import warnings

try:
    from cryptography import x509
    from cryptography.x509.oid import NameOID, ExtensionOID
    import pyca_compat
    HAVE_PYCA = True
except ImportError:  # the caller skips (exit 77)
    HAVE_PYCA = False

# ctdl reproduces the seed's library, pyca 48. Older pyca (Debian 12's /usr/bin/python3 has 38) differs
# in three known ways, so with it only what they do not touch is compared exactly:
#   - it refuses some names pyca 48 reads (strings its older ASN.1 parser rejects);
#   - it lists the attributes of a multi-valued RDN (CN=a+O=b) in another order;
#   - it escapes a value that is a single space as two backslashes and a space (pyca 48: one).
SEED_PYCA = HAVE_PYCA and pyca_compat.VERSION >= (48, 0)


def formatted_as_by_seed(name):
    """True when this pyca prints name exactly as pyca 48 does (always true with pyca 48)."""
    if SEED_PYCA:
        return True
    return all(len(rdn) == 1 and all(a.value != " " for a in rdn) for rdn in name.rdns)


# ---------- DER builder ----------
def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def set_of(*items):
    return tlv(0x31, b"".join(items))


def oid(dotted):
    parts = [int(p) for p in dotted.split(".")]
    body = bytearray()
    first = parts[0] * 40 + parts[1]
    for v in [first] + parts[2:]:
        chunk = [v & 0x7F]
        v >>= 7
        while v:
            chunk.append(0x80 | (v & 0x7F))
            v >>= 7
        body += bytes(reversed(chunk))
    return tlv(0x06, bytes(body))


def integer(v):
    n = max(1, (v.bit_length() + 8) // 8)
    return tlv(0x02, v.to_bytes(n, "big", signed=True))


def atv(oid_dotted, tag, value_bytes):
    """One AttributeTypeAndValue with a raw value (tag + bytes)."""
    return seq(oid(oid_dotted), tlv(tag, value_bytes))


def name(rdns):
    """rdns: list of lists of (oid, tag, bytes); each inner list is one RDN (SET)."""
    return seq(*[set_of(*[atv(o, t, v) for (o, t, v) in rdn]) for rdn in rdns])


def utc_time(s):
    return tlv(0x17, s.encode())


def gen_time(s):
    return tlv(0x18, s.encode())


def extension(oid_dotted, value, critical=False):
    parts = [oid(oid_dotted)]
    if critical:
        parts.append(tlv(0x01, b"\xff"))
    parts.append(tlv(0x04, value))
    return seq(*parts)


def san_value(names):
    """names: list of (context tag number, bytes) GeneralNames; dNSName is 2, email 1, URI 6, IP 7."""
    return seq(*[tlv(0x80 | t, v) for (t, v) in names])


EC_SPKI = bytes.fromhex(
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004288e8ad1445551a09e1f011bfbdc735881"
    "54e3048381f95dc4422ecfc52dbd38b3f981469a0b6856e069090a853e5829f42b63547f6add22ef06163ac9"
    "b02592")
ECDSA_SHA256 = seq(oid("1.2.840.10045.4.3.2"))


def build_cert(subject, issuer, not_before, not_after, extensions=None, serial=1, version=2,
               spki=EC_SPKI):
    """subject/issuer: Name DER (see name()); not_before/not_after: Time DER (utc_time/gen_time)."""
    tbs = []
    if version != 0:
        tbs.append(tlv(0xA0, integer(version)))
    tbs += [integer(serial), ECDSA_SHA256, issuer, seq(not_before, not_after), subject, spki]
    if extensions:
        tbs.append(tlv(0xA3, seq(*extensions)))
    sig = tlv(0x03, b"\x00" + tlv(0x30, integer(1) + integer(2)))
    return seq(seq(*tbs), ECDSA_SHA256, sig)


# ---------- the seed's fields via pyca ----------
def fingerprint(der):
    return ":".join("%02x" % b for b in hashlib.sha1(der).digest())


def seed_fields(der):
    """The seed's fields as pyca prints them. Raises when pyca rejects the certificate (load, names,
    times). 'subjectAltName' is absent from the result when pyca cannot read the extensions (the key
    'extensions_error' then holds why). 'issuer_as_by_seed' / 'subject_as_by_seed': whether this
    pyca formats that name as pyca 48 does (see SEED_PYCA)."""
    with warnings.catch_warnings():  # pyca's advice on odd names (country length, ...): expected here
        warnings.simplefilter("ignore")
        return _seed_fields(der)


def _seed_fields(der):
    cert = x509.load_der_x509_certificate(der)
    out = {
        "fingerprint": fingerprint(der),
        "issuer": cert.issuer.rfc4514_string(),
        "subject": cert.subject.rfc4514_string(),
        "not_valid_before": str(pyca_compat.valid_from(cert)),
        "not_valid_after": str(pyca_compat.valid_until(cert)),
        "issuer_as_by_seed": formatted_as_by_seed(cert.issuer),
        "subject_as_by_seed": formatted_as_by_seed(cert.subject),
    }
    cns = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    out["cn"] = cns[0].value if cns else None
    try:
        exts = cert.extensions
    except Exception as e:  # noqa: BLE001 - pyca raises many types here
        out["extensions_error"] = "%s: %s" % (type(e).__name__, e)
        return out
    try:
        san = exts.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        out["subjectAltName"] = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        out["subjectAltName"] = []
    return out


# ---------- an independent TBS dedup key (plain Python DER walking, no ctdl code) ----------
def read_tlv(buf, pos):
    """(tag, content_start, end) of the DER TLV at buf[pos]; raises ValueError when malformed."""
    if pos + 2 > len(buf):
        raise ValueError("truncated TLV")
    tag, first = buf[pos], buf[pos + 1]
    pos += 2
    if first < 0x80:
        n = first
    else:
        k = first & 0x7F
        if k == 0 or pos + k > len(buf):
            raise ValueError("bad length")
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    if pos + n > len(buf):
        raise ValueError("length overrun")
    return tag, pos, pos + n


def tbs_of(cert_der):
    """The TBSCertificate TLV of a certificate."""
    _, c0, _ = read_tlv(cert_der, 0)
    _, _, t1 = read_tlv(cert_der, c0)
    return cert_der[c0:t1]


CT_OIDS = {oid("1.3.6.1.4.1.11129.2.4.2"), oid("1.3.6.1.4.1.11129.2.4.3")}


def tbs_no_ct(tbs):
    """The TBSCertificate with the SCT list and poison extensions removed, lengths re-encoded (the
    [3] field left out when nothing remains)."""
    _, c0, end = read_tlv(tbs, 0)
    fields, pos = [], c0
    while pos < end:
        tag, v0, v1 = read_tlv(tbs, pos)
        if tag == 0xA3:
            _, e0, e1 = read_tlv(tbs, v0)
            kept, p = [], e0
            while p < e1:
                _, x0, x1 = read_tlv(tbs, p)
                _, o0, o1 = read_tlv(tbs, x0)
                if tbs[x0:o1] not in CT_OIDS:
                    kept.append(tbs[p:x1])
                p = x1
            if kept:
                fields.append(tlv(0xA3, seq(*kept)))
        else:
            fields.append(tbs[pos:v1])
        pos = v1
    return seq(*fields)


def tbs_no_ct_sha256(tbs):
    return hashlib.sha256(tbs_no_ct(tbs)).hexdigest()


# ---------- does pyca read the whole certificate? ----------
def _cause(step, e):
    """A short, stable cause label: the step and the exception's first words (no offsets/values)."""
    msg = re.sub(r"(?<![A-Za-z])\d+", "N", str(e).split("\n")[0])
    for cut in (" (", ": ", " at ", ", location"):
        if cut in msg:
            msg = msg.split(cut)[0]
    return "%s: %s: %s" % (step, type(e).__name__, msg[:60])


def pyca_refusal(der):
    """None when pyca reads every part of the certificate a record describes (load, version, serial,
    names, validity, every extension, signature algorithm, public key); else a short cause
    "step: ExceptionType: message". A public key of an algorithm pyca does not implement
    (UnsupportedAlgorithm) is not a refusal: pyca reads the certificate, it just cannot use the key."""
    from cryptography.exceptions import UnsupportedAlgorithm
    with warnings.catch_warnings():  # pyca's advice on odd serials and names: expected here
        warnings.simplefilter("ignore")
        try:
            cert = x509.load_der_x509_certificate(der)
        except Exception as e:  # noqa: BLE001
            return _cause("load", e)
    steps = [
        ("version", lambda: cert.version),
        ("serial", lambda: cert.serial_number),
        ("issuer", lambda: cert.issuer.rfc4514_string()),
        ("subject", lambda: cert.subject.rfc4514_string()),
        ("not_valid_before", lambda: pyca_compat.valid_from(cert)),
        ("not_valid_after", lambda: pyca_compat.valid_until(cert)),
        ("extensions", lambda: [e.value for e in cert.extensions]),
        ("signature_algorithm", lambda: cert.signature_algorithm_oid),
        ("public_key", cert.public_key),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for step, f in steps:
            try:
                f()
            except UnsupportedAlgorithm:
                if step != "public_key":
                    return _cause(step, "unsupported algorithm")
            except ValueError as e:
                # pyca 38 says ValueError where pyca 48 says UnsupportedAlgorithm (explicit EC curves)
                if not (step == "public_key" and "unsupported" in str(e)):
                    return _cause(step, e)
            except Exception as e:  # noqa: BLE001 - pyca raises many types here
                return _cause(step, e)
    return None


def _oids(der, depth=0):
    """Every OID contents anywhere in der (walking constructed values and OCTET STRINGs)."""
    out, pos = [], 0
    while pos < len(der) and depth < 40:
        try:
            tag, v0, v1 = read_tlv(der, pos)
        except ValueError:
            return out
        if tag == 0x06:
            out.append(der[v0:v1])
        elif tag & 0x20 or tag == 0x04:
            out += _oids(der[v0:v1], depth + 1)
        pos = v1
    return out


def older_pyca_only_refusal(der, cause):
    """Why an older pyca refuses a certificate pyca 48 reads, when that is a known difference:
    pyca 38 refuses an OID whose sub-identifier takes more than 4 octets (an arc of 2^28 or more), and
    RSA keys pyca 48 loads leniently (a negative modulus, a BER RSAPublicKey)."""
    if cause.startswith("public_key: ValueError: Could not deserialize key data"):
        if oid("1.2.840.113549.1.1.1") in _oids(der):
            return "RSA key only pyca 48 loads"
    for o in _oids(der):
        run = 0
        for b in o:
            run = run + 1 if b & 0x80 else 0
            if run >= 4:
                return "OID arc of 2^28 or more"
    return None
