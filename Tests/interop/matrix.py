#!/usr/bin/env python3
"""The live interop matrix: dkimtool, dkimpy, Mail::DKIM and OpenDKIM sign and verify each other's mail.

1. Every shape in TestVectors/interop/shapes is signed by every signer x key
   {rsa-sha256 2048, ed25519-sha256 where the signer has it} x the four
   canonicalizations; every signed copy is verified by every verifier (one
   process per verifier, in parallel). Keys come from a real DNS server
   (dnsmasq) on 127.0.0.1 at a free port, serving the records of peerkeys.py.
   The signer x verifier table of pass counts is printed; a cell a peer cannot
   do at all (Mail::DKIM 1.20230212 has no Ed25519) is "n/a".
2. The tampered and policy cases of cases.py are signed, changed and verified
   by every verifier; ours must give the verdict the RFCs require, the peers'
   verdicts are printed next to ours.

Exit 0 only when every cell that the peers can do is 100 % and every one of our
case verdicts is the expected one; 1 otherwise; 3 when a peer is missing (run
scripts/install-deps).

Usage: matrix.py [--dkimtool PATH] [--summary FILE.json] [--keep DIR]
    --dkimtool defaults to $DKIMTOOL, then .build/debug/dkimtool.
    --summary writes the machine-readable result (cells, cases, versions).
    --keep DIR keeps the signed copies there instead of a removed temp dir.
"""

import argparse
import concurrent.futures
import json
import os
import platform
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)

import cases  # noqa: E402
import localdns  # noqa: E402
import peerkeys  # noqa: E402
import peers  # noqa: E402

SHAPES = os.path.join(ROOT, "TestVectors", "interop", "shapes")
EDGE = os.path.join(ROOT, "TestVectors", "interop", "edge-shapes")
CANONS = ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"]
KEYS = [("rsa-sha256", "rsa"), ("ed25519-sha256", "ed")]
NOW = 1700000000


def shapes():
    return sorted(os.path.join(SHAPES, n) for n in os.listdir(SHAPES) if n.endswith(".eml"))


def edge_shapes():
    return sorted(os.path.join(EDGE, n) for n in os.listdir(EDGE) if n.endswith(".eml"))


def passed(obj):
    sigs = obj.get("signatures") or []
    return bool(sigs) and all(s.get("result") == "pass" for s in sigs)


def short(sig):
    if sig is None:
        return "no-signature"
    reason = sig.get("reason")
    if reason and len(reason) > 40:
        reason = reason[:37] + "..."
    return sig["result"] + ("/" + reason if reason else "")


def verify_all(verifiers, files_for, nameserver, as_is=False):
    """Run every verifier over its files in parallel; {verifier name: {file: obj}}."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(verifiers)) as pool:
        futures = {v.name: pool.submit(v.verify, files_for(v), nameserver, as_is) for v in verifiers}
        return {name: f.result() for name, f in futures.items()}


def run_matrix(all_peers, work, nameserver, problems):
    inputs = shapes()
    signed = []  # (signer, algorithm, canon, path)
    for signer in all_peers:
        for algorithm, selector in KEYS:
            if algorithm not in signer.sign_algorithms:
                continue
            for canon in CANONS:
                if not signer.can_sign(algorithm, canon):
                    continue
                out = os.path.join(work, "matrix", signer.name, selector + "-" + canon.replace("/", "-"))
                os.makedirs(out)
                problems += signer.sign(selector, algorithm, canon, inputs, out, NOW)
                for path in inputs:
                    target = os.path.join(out, os.path.basename(path))
                    if os.path.exists(target):
                        signed.append((signer.name, algorithm, canon, target))
                    else:
                        problems.append("%s did not sign %s %s %s" % (signer.label, algorithm, canon,
                                                                      os.path.basename(path)))
    verdicts = verify_all(all_peers, lambda v: [p for (_, a, _, p) in signed if a in v.verify_algorithms],
                          nameserver)
    cells = []
    for signer in all_peers:
        for algorithm, _ in KEYS:
            expected = len(inputs) * len([c for c in CANONS if signer.can_sign(algorithm, c)])
            rows = [s for s in signed if s[0] == signer.name and s[1] == algorithm]
            for verifier in all_peers:
                cell = {"signer": signer.name, "verifier": verifier.name, "algorithm": algorithm}
                if algorithm not in signer.sign_algorithms or algorithm not in verifier.verify_algorithms:
                    cell.update(applicable=False)
                    cells.append(cell)
                    continue
                ok = 0
                failures = []
                for (_, _, canon, path) in rows:
                    obj = verdicts[verifier.name].get(path)
                    if obj is not None and passed(obj):
                        ok += 1
                    else:
                        failures.append("%s %s %s: %s" % (canon, os.path.basename(path), algorithm,
                                                          [short(s) for s in (obj or {}).get("signatures", [])]))
                cell.update(applicable=True, passed=ok, total=expected, failures=failures)
                cells.append(cell)
                if ok != expected:
                    problems.append("%s -> %s %s: %d/%d; first: %s" % (signer.label, verifier.label, algorithm, ok,
                                                                     expected, failures[:3]))
    return cells, len(inputs)


def run_cases(all_peers, work, nameserver, problems):
    base = {os.path.splitext(os.path.basename(p))[0]: p for p in shapes() + edge_shapes()}
    made = []  # (case, signer, path)
    rows = []
    for case in cases.CASES:
        cid, title, shape, canon, algorithm, selector, options, signers, tamper, expected, rfc = case
        for signer in all_peers:
            if signer.name not in signers:
                continue
            out = os.path.join(work, "cases", cid, signer.name)
            os.makedirs(out)
            try:
                errors = signer.sign(selector, algorithm, canon, [base[shape]], out, NOW, options)
            except peers.Unsupported as e:
                rows.append({"case": cid, "signer": signer.name, "unsupported": str(e)})
                continue
            path = os.path.join(out, shape + ".eml")
            if errors or not os.path.exists(path):
                rows.append({"case": cid, "signer": signer.name, "unsupported": "; ".join(errors)[:300]})
                continue
            with open(path, "rb") as f:
                data = f.read()
            with open(path, "wb") as f:
                f.write(tamper(data))
            made.append((case, signer.name, path))
    verdicts = verify_all(all_peers, lambda v: [p for (_, _, p) in made], nameserver, as_is=True)
    for case, signer_name, path in made:
        cid, title, _, canon, algorithm, selector, _, _, _, expected, rfc = case
        row = {"case": cid, "title": title, "signer": signer_name, "algorithm": algorithm,
               "canonicalization": canon, "expected": list(expected), "rfc": rfc, "verdicts": {}}
        for verifier in all_peers:
            obj = verdicts[verifier.name].get(path) or {}
            sig = (obj.get("signatures") or [None])[0]
            applicable = algorithm in verifier.verify_algorithms or algorithm == "rsa-sha1"
            row["verdicts"][verifier.name] = {"applicable": applicable, "result": sig and sig.get("result"),
                                              "reason": sig and sig.get("reason"),
                                              "warnings": (sig or {}).get("warnings", [])}
        ours = row["verdicts"]["dkimtool"]
        row["ours_ok"] = ours["result"] is not None and cases.verdict_matches(expected, ours)
        if not row["ours_ok"]:
            problems.append("case %s (signed by %s): expected %s, dkimtool gave %s/%s %s"
                            % (cid, signer_name, expected, ours["result"], ours["reason"], ours["warnings"]))
        rows.append(row)
    return rows


def print_matrix(cells, all_peers, nshapes):
    labels = {p.name: p.label for p in all_peers}
    width = 13
    print("Interop matrix: %d shapes x 4 canonicalizations per cell; pass = every signature passes" % nshapes)
    print("%-28s" % "signer \\ verifier" + "".join("%-*s" % (width, labels[p.name]) for p in all_peers))
    for signer in all_peers:
        for algorithm, _ in KEYS:
            line = "%-28s" % ("%s %s" % (signer.label, algorithm))
            for verifier in all_peers:
                cell = next(c for c in cells if c["signer"] == signer.name and c["verifier"] == verifier.name
                            and c["algorithm"] == algorithm)
                text = "%d/%d" % (cell["passed"], cell["total"]) if cell["applicable"] else "n/a"
                if cell["applicable"] and signer.broken and algorithm in [a for a, _ in signer.broken]:
                    text += "*"
                line += "%-*s" % (width, text)
            print(line)
    for signer in all_peers:
        for algorithm, header in sorted(signer.broken):
            print("* %s signs %s with %s header canonicalization wrongly (every verifier, itself included, "
                  "rejects it: case %s-%s-%s-header below); those cells cover the other canonicalizations."
                  % (signer.label, algorithm, header, signer.name, algorithm.split("-")[0], header))


def print_cases(rows, all_peers):
    print("Tampered and policy cases (expected = what the RFC requires of us; * = our verdict differs):")
    header = "%-31s %-10s %-34s" % ("case", "signer", "expected") + "".join(
        "%-36s" % p.label for p in all_peers)
    print(header)
    for row in rows:
        if "unsupported" in row:
            print("%-31s %-10s (signer cannot: %s)" % (row["case"], row["signer"], row["unsupported"][:80]))
            continue
        exp = row["expected"]
        expected = exp[0] + ("/" + exp[1] if exp[1] else "") + ("+" + exp[2] if exp[2] else "")
        line = "%-31s %-10s %-34s" % (row["case"], row["signer"], expected)
        for p in all_peers:
            v = row["verdicts"][p.name]
            text = (v["result"] or "no-signature") + ("/" + v["reason"] if v["reason"] else "")
            if p.name == "dkimtool" and v["warnings"]:
                text += "+" + ",".join(v["warnings"])
            if p.name == "dkimtool" and not row["ours_ok"]:
                text = "*" + text
            if len(text) > 35:
                text = text[:32] + "..."
            line += "%-36s" % text
        print(line)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dkimtool", default=os.environ.get("DKIMTOOL") or os.path.join(ROOT, ".build", "debug",
                                                                                   "dkimtool"))
    ap.add_argument("--summary")
    ap.add_argument("--keep")
    args = ap.parse_args(argv)

    started = time.monotonic()
    work = args.keep or tempfile.mkdtemp(prefix="dkim-matrix-")
    os.makedirs(work, exist_ok=True)
    all_peers = peers.all_peers(os.path.abspath(args.dkimtool), work)
    try:
        try:
            for p in all_peers:
                p.check()
            localdns.find_dnsmasq()
        except (peers.PeerMissing, localdns.DNSError) as e:
            print("matrix.py: %s" % e, file=sys.stderr)
            return 3
        versions = {p.name: p.version() for p in all_peers}
        print("Peers: " + "; ".join("%s (%s)" % (p.label, versions[p.name]) for p in all_peers))
        problems = []
        with localdns.LocalDNS(peerkeys.records()) as dns:
            print("DNS: dnsmasq on %s serving %d key records" % (dns.nameserver, len(peerkeys.records())))
            cells, nshapes = run_matrix(all_peers, work, dns.nameserver, problems)
            rows = run_cases(all_peers, work, dns.nameserver, problems)
        print_matrix(cells, all_peers, nshapes)
        print()
        print_cases(rows, all_peers)
        elapsed = time.monotonic() - started
        print()
        print("matrix.py finished in %.1f s on %s (%d CPUs)" % (elapsed, platform.platform(), os.cpu_count() or 0))
        if args.summary:
            with open(args.summary, "w") as f:
                json.dump({"versions": versions, "shapes": nshapes, "cells": cells, "cases": rows,
                           "problems": problems, "seconds": round(elapsed, 1),
                           "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "platform": platform.platform()},
                          f, indent=1)
        if problems:
            print("\n%d problem(s):" % len(problems))
            for p in problems[:40]:
                print("  " + p)
            return 1
        print("All applicable cells are 100 %; every case verdict of ours is the expected one.")
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
