#!/usr/bin/env python3
"""Sign messages with dkimpy, as the reference signer for interop tests.

Usage:
    dkimpy_sign.py --key PEM --domain D --selector S
                   [--canonicalization HEADER/BODY] [--algorithm rsa-sha256|ed25519-sha256]
                   [--length] [--now EPOCH] [--normalize-crlf]
                   IN OUT
    dkimpy_sign.py ... --out-dir DIR IN...     (batch: DIR/<basename of IN>)

The output is the input with dkimpy's DKIM-Signature field prepended and
otherwise byte-for-byte unchanged. dkimpy folds its field with CRLF.

dkimpy parses every message as if its lines ended in CRLF (it splits on
\\r?\\n), so a bare-LF input is signed as its CRLF form. --normalize-crlf first
rewrites every bare LF of the input to CRLF (RFC 6376 §5.3: the signer works on
the CRLF form), so that the written message is exactly what was signed.

dkimpy's default header selection is used: the RFC 6376 §5.4.1 recommended
fields that are present, each instance listed, plus `from` once more
(dkimpy "frozen" header: an added From breaks the signature, §5.4.2).

Keys: --key takes a PKCS#8 PEM (as `openssl genpkey` writes) for both
algorithms.
  * RSA: dkimpy parses PKCS#1 and PKCS#8 PEM itself.
  * Ed25519: dkimpy wants the base64 of the 32-octet private key (the RFC 8032
    seed), not PEM. It is taken from the PEM with the `cryptography` package:
        load_pem_private_key(pem, None).private_bytes(Raw, Raw, NoEncryption())
    The same 32 octets are the last 32 of the 48-octet PKCS#8 DER (RFC 8410 §7:
    OCTET STRING wrapped in OCTET STRING), i.e. with the openssl CLI:
        openssl pkey -in key.pem -outform DER | tail -c 32 | base64

--now EPOCH fixes dkimpy's t= (it reads time.time()), so signatures are
reproducible (RSA PKCS#1 v1.5 and Ed25519 are deterministic).
"""

import argparse
import base64
import os
import sys
import time as _time


def _die(msg, code=2):
    print("dkimpy_sign.py: " + msg, file=sys.stderr)
    sys.exit(code)


try:
    import dkim
except ImportError:
    _die("dkimpy is not installed (pip install -r Tests/interop/requirements.txt; scripts/install-deps does it)", 3)


def ed25519_seed_b64(pem):
    """Base64 of the raw 32-octet Ed25519 private key from a PKCS#8 PEM."""
    try:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError:
        _die("the cryptography package is needed to read an Ed25519 PEM key", 3)
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, ed25519.Ed25519PrivateKey):
        _die("--key is not an Ed25519 private key")
    raw = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                            serialization.NoEncryption())
    return base64.b64encode(raw)


def normalize_crlf(data):
    """Turn every bare LF into CRLF; existing CRLF stays."""
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class _FixedClock:
    """Stands in for the `time` module inside dkimpy to pin t=."""

    def __init__(self, now):
        self._now = now

    def time(self):
        return float(self._now)

    def __getattr__(self, name):
        return getattr(_time, name)


def sign_bytes(message, key, domain, selector, algorithm, canonicalization, length):
    header, body = canonicalization
    d = dkim.DKIM(message)
    field = d.sign(selector.encode("ascii"), domain.encode("ascii"), key,
                   signature_algorithm=algorithm.encode("ascii"),
                   canonicalize=(header.encode("ascii"), body.encode("ascii")),
                   length=length)
    return field + message


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--key", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--selector", required=True)
    ap.add_argument("--canonicalization", default="relaxed/simple")
    ap.add_argument("--algorithm", default="rsa-sha256", choices=["rsa-sha256", "ed25519-sha256"])
    ap.add_argument("--length", action="store_true", help="add l= (body length)")
    ap.add_argument("--now", type=int, help="pin t= to EPOCH")
    ap.add_argument("--normalize-crlf", action="store_true", help="rewrite bare LF to CRLF before signing")
    ap.add_argument("--out-dir", help="batch mode: write DIR/<basename of each input>")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)

    parts = args.canonicalization.split("/")
    if len(parts) == 1:
        parts.append("simple")  # RFC 6376 §3.5 c=: a missing body part means simple
    if len(parts) != 2 or any(p not in ("simple", "relaxed") for p in parts):
        _die("bad --canonicalization %r" % args.canonicalization)

    with open(args.key, "rb") as f:
        pem = f.read()
    key = ed25519_seed_b64(pem) if args.algorithm == "ed25519-sha256" else pem

    if args.now is not None:
        dkim.time = _FixedClock(args.now)

    if args.out_dir:
        pairs = [(p, os.path.join(args.out_dir, os.path.basename(p))) for p in args.files]
    else:
        if len(args.files) != 2:
            _die("expected IN OUT (or --out-dir DIR IN...)")
        pairs = [(args.files[0], args.files[1])]

    for src, dst in pairs:
        with open(src, "rb") as f:
            message = f.read()
        if args.normalize_crlf:
            message = normalize_crlf(message)
        try:
            signed = sign_bytes(message, key, args.domain, args.selector, args.algorithm, parts, args.length)
        except dkim.DKIMException as e:
            _die("%s: %s" % (src, e), 1)
        with open(dst, "wb") as f:
            f.write(signed)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
