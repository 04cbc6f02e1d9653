#!/usr/bin/env python3
"""A stand-in for `dkimtool sign` / `dkimtool verify` built on dkimpy.

Only for proving the Swift interop harness itself before (or apart from) our
own signer and verifier:
    DKIMTOOL=$PWD/Tests/interop/dkimpy_as_dkimtool.py swift test --filter InteropDkimpyTests
It implements just the slice of the CLI contract (ARCHITECTURE.md §5) that
InteropDkimpyTests.swift uses. It is never used by a normal test run.

sign:   --domain D --selector S --key PEM [--canonicalization H/B] [--now EPOCH] [--output FILE] FILE
        The key type picks the algorithm. The new field uses the input's own
        line endings (bare LF when the first line ends in bare LF). A message
        without From exits 65 (RFC 6376 §5.4: From MUST be signed).
verify: [--format json] [--txt-records FILE] [--now EPOCH] FILE...
        JSON Lines: file, result, signatures[index, result, reason, domain,
        selector, algorithm]; exit 0 if every message passes, else 1.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dkimpy_sign  # noqa: E402
import dkimpy_verify  # noqa: E402
import txtrecords  # noqa: E402

import dkim  # noqa: E402

EX_USAGE, EX_DATAERR, EX_NOINPUT = 64, 65, 66


def sign(argv):
    ap = argparse.ArgumentParser(prog="dkimtool sign")
    ap.add_argument("--domain", required=True)
    ap.add_argument("--selector", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--canonicalization", default="relaxed/relaxed")
    ap.add_argument("--now", type=int)
    ap.add_argument("--output")
    ap.add_argument("file")
    args = ap.parse_args(argv)
    with open(args.key, "rb") as f:
        pem = f.read()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519
    if isinstance(serialization.load_pem_private_key(pem, password=None), ed25519.Ed25519PrivateKey):
        algorithm, key = "ed25519-sha256", dkimpy_sign.ed25519_seed_b64(pem)
    else:
        algorithm, key = "rsa-sha256", pem
    if args.now is not None:
        dkim.time = dkimpy_sign._FixedClock(args.now)
    try:
        with open(args.file, "rb") as f:
            message = f.read()
    except OSError as e:
        print(e, file=sys.stderr)
        return EX_NOINPUT
    try:
        signed = dkimpy_sign.sign_bytes(message, key, args.domain, args.selector, algorithm,
                                        args.canonicalization.split("/"), False)
    except dkim.DKIMException as e:
        print(e, file=sys.stderr)
        return EX_DATAERR
    field = signed[:len(signed) - len(message)]
    first = message.split(b"\n", 1)[0]
    if b"\n" in message and not first.endswith(b"\r"):
        field = field.replace(b"\r\n", b"\n")
    with open(args.output, "wb") if args.output else os.fdopen(1, "wb", closefd=False) as out:
        out.write(field + message)
    return 0


def verify(argv):
    ap = argparse.ArgumentParser(prog="dkimtool verify")
    ap.add_argument("--format", default="text")
    ap.add_argument("--txt-records", required=True)
    ap.add_argument("--now", type=int)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    dnsfunc = txtrecords.dnsfunc_for(txtrecords.load(args.txt_records))
    all_pass = True
    for path in args.files:
        with open(path, "rb") as f:
            sigs = dkimpy_verify.verify_message(f.read(), dnsfunc)
        out = []
        for s in sigs:
            reason = None
            if not s["ok"]:
                reason = "body-hash-mismatch" if "body hash mismatch" in (s["error"] or "") else "signature-mismatch"
            out.append({"index": s["index"], "result": "pass" if s["ok"] else "fail", "reason": reason,
                        "domain": s["domain"], "selector": s["selector"], "algorithm": s["algorithm"]})
        result = "none" if not out else ("pass" if any(s["result"] == "pass" for s in out) else "fail")
        all_pass = all_pass and result == "pass"
        print(json.dumps({"file": path, "result": result, "signatures": out, "authenticationResults": ""}))
    return 0 if all_pass else 1


def main(argv):
    if not argv or argv[0] not in ("sign", "verify"):
        print("usage: dkimpy_as_dkimtool.py sign|verify ...", file=sys.stderr)
        return EX_USAGE
    return sign(argv[1:]) if argv[0] == "sign" else verify(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
