#!/usr/bin/env python3
"""dkimpy peer driver for the interop matrix (Tests/interop/matrix.py).

sign   --key PEM --domain D --selector S [--canonicalization H/B] [--algorithm A] [--now EPOCH]
       [--identity I] [--length] --out-dir DIR IN...
       Bare LF is turned into CRLF first (RFC 6376 §5.3; dkimpy reads lines as
       CRLF anyway), so the written message is exactly the one signed.
       A = rsa-sha256 (default), rsa-sha1 or ed25519-sha256.
verify --nameserver 127.0.0.1:PORT FILE...
       One JSON line per file: {"file", "result", "signatures": [{"index",
       "result", "reason", "domain", "selector", "algorithm"}]}; dkimpy only
       says valid or not, so result is pass or fail and reason is its error.
       Keys are asked of the given DNS server with dnspython.
version
       Prints the dkimpy version.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import dkimpy_sign  # noqa: E402
import dkimpy_verify  # noqa: E402

import dkim  # noqa: E402
import dns.exception  # noqa: E402
import dns.resolver  # noqa: E402


def dnsfunc_for(nameserver):
    host, _, port = nameserver.partition(":")
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [host]
    resolver.port = int(port or 53)
    resolver.lifetime = 5

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode("ascii")
        try:
            answer = resolver.resolve(name, "TXT")
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return None
        # dkimpy's own lookup joins the strings of the first TXT record (RFC 6376 §3.6.2.2).
        for rdata in answer:
            return b"".join(rdata.strings)
        return None

    return dnsfunc


def sign(argv):
    ap = argparse.ArgumentParser(prog="peer_dkimpy.py sign")
    ap.add_argument("--key", required=True)
    ap.add_argument("--domain", required=True)
    ap.add_argument("--selector", required=True)
    ap.add_argument("--canonicalization", default="relaxed/relaxed")
    ap.add_argument("--algorithm", default="rsa-sha256", choices=["rsa-sha256", "rsa-sha1", "ed25519-sha256"])
    ap.add_argument("--now", type=int)
    ap.add_argument("--identity")
    ap.add_argument("--length", action="store_true")
    ap.add_argument("--out-dir", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    with open(args.key, "rb") as f:
        pem = f.read()
    key = dkimpy_sign.ed25519_seed_b64(pem) if args.algorithm == "ed25519-sha256" else pem
    if args.now is not None:
        dkim.time = dkimpy_sign._FixedClock(args.now)
    header, body = args.canonicalization.split("/")
    failures = 0
    for path in args.files:
        with open(path, "rb") as f:
            message = dkimpy_sign.normalize_crlf(f.read())
        try:
            field = dkim.DKIM(message).sign(
                args.selector.encode("ascii"), args.domain.encode("ascii"), key,
                signature_algorithm=args.algorithm.encode("ascii"),
                canonicalize=(header.encode("ascii"), body.encode("ascii")),
                identity=args.identity.encode("ascii") if args.identity else None,
                length=args.length)
        except dkim.DKIMException as e:
            print("peer_dkimpy.py: %s: %s" % (path, e), file=sys.stderr)
            failures += 1
            continue
        with open(os.path.join(args.out_dir, os.path.basename(path)), "wb") as f:
            f.write(field + message)
    return 1 if failures else 0


def verify(argv):
    ap = argparse.ArgumentParser(prog="peer_dkimpy.py verify")
    ap.add_argument("--nameserver", required=True)
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)
    dnsfunc = dnsfunc_for(args.nameserver)
    for path in args.files:
        with open(path, "rb") as f:
            message = dkimpy_sign.normalize_crlf(f.read())
        sigs = []
        for s in dkimpy_verify.verify_message(message, dnsfunc):
            sigs.append({"index": s["index"], "result": "pass" if s["ok"] else "fail",
                         "reason": None if s["ok"] else s["error"], "domain": s["domain"],
                         "selector": s["selector"], "algorithm": s["algorithm"]})
        result = "none" if not sigs else ("pass" if any(s["result"] == "pass" for s in sigs) else "fail")
        print(json.dumps({"file": path, "result": result, "signatures": sigs}), flush=True)
    return 0


def main(argv):
    if argv[:1] == ["sign"]:
        return sign(argv[1:])
    if argv[:1] == ["verify"]:
        return verify(argv[1:])
    if argv[:1] == ["version"]:
        from importlib.metadata import version
        print("dkimpy " + version("dkimpy"))
        return 0
    print("usage: peer_dkimpy.py sign|verify|version ...", file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
