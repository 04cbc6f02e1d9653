#!/usr/bin/env python3
"""Prove the interop harness with dkimpy on both sides (no dkimtool needed).

It runs the same matrix as Tests/dkimtoolTests/InteropDkimpyTests.swift, with
dkimpy standing in for dkimtool:

  A. sign side: every shape (+ the generated 5 MB one) x {rsa-sha256,
     ed25519-sha256} x 4 canonicalizations is signed by dkimpy_sign.py (the
     field's line endings rewritten to the input's own style, as dkimtool sign
     promises); the first field is stripped again and must give back the input
     byte-for-byte; then dkimpy_verify.py must pass every file.
  B. verify side: every CRLF-normalised shape x 2 algorithms x 4
     canonicalizations x {no l=, l=} is signed by dkimpy_sign.py and must pass
     dkimpy_verify.py; tampered copies (body changed, Subject changed, extra
     From prepended) must all fail.

Usage: selfcheck.py [--no-big]
Exit 0 when every expectation holds. Prints the counts.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
SHAPES = os.path.join(ROOT, "TestVectors", "interop", "shapes")
TXT = os.path.join(ROOT, "TestVectors", "interop", "txt-records")
KEYS = {
    "rsa-sha256": ("rsa", os.path.join(ROOT, "TestVectors", "keys", "interop-rsa2048.pem")),
    "ed25519-sha256": ("ed", os.path.join(ROOT, "TestVectors", "keys", "interop-ed25519.pem")),
}
CANONS = ["simple/simple", "simple/relaxed", "relaxed/simple", "relaxed/relaxed"]
NOW = "1700000000"

sys.path.insert(0, HERE)
import tamper  # noqa: E402


def run(args):
    return subprocess.run([sys.executable] + args, capture_output=True)


def sign(alg, canon, files, out_dir, extra=()):
    selector, key = KEYS[alg]
    r = run([os.path.join(HERE, "dkimpy_sign.py"), "--key", key, "--domain", "example.com",
             "--selector", selector, "--algorithm", alg, "--canonicalization", canon, "--now", NOW,
             "--out-dir", out_dir] + list(extra) + files)
    if r.returncode != 0:
        raise SystemExit("dkimpy_sign.py failed: " + r.stderr.decode())


def verify(files, show_failures=True):
    """Return {file: passed} from dkimpy_verify.py --json, in batches."""
    result = {}
    for i in range(0, len(files), 200):
        r = run([os.path.join(HERE, "dkimpy_verify.py"), "--txt-records", TXT, "--json"] + files[i:i + 200])
        if r.returncode not in (0, 1):
            raise SystemExit("dkimpy_verify.py failed: " + r.stderr.decode())
        for line in r.stdout.decode("utf-8").splitlines():
            obj = json.loads(line)
            result[obj["file"]] = obj["pass"]
            if show_failures and not obj["pass"]:
                print("   FAIL %s: %s" % (obj["file"], [s["error"] for s in obj["signatures"]]))
    return result


def to_own_line_style(field, message):
    """Rewrite dkimpy's CRLF-folded field to LF when the input's first line ends in bare LF."""
    first = message.split(b"\n", 1)[0]
    if b"\n" in message and not first.endswith(b"\r"):
        return field.replace(b"\r\n", b"\n")
    return field


def main(argv):
    tmp = tempfile.mkdtemp(prefix="interop-selfcheck-")
    try:
        inputs = sorted(os.path.join(SHAPES, n) for n in os.listdir(SHAPES) if n.endswith(".eml"))
        if "--no-big" not in argv:
            big_dir = os.path.join(tmp, "big")
            subprocess.run([sys.executable, os.path.join(HERE, "make_shapes.py"), "--big", big_dir],
                           check=True, capture_output=True)
            inputs.append(os.path.join(big_dir, "big-5mb.eml"))
        failures = 0

        # A. sign side
        signed = []
        for alg in KEYS:
            for canon in CANONS:
                out = os.path.join(tmp, "A", alg, canon.replace("/", "-"))
                os.makedirs(out)
                sign(alg, canon, inputs, out)
                for src in inputs:
                    dst = os.path.join(out, os.path.basename(src))
                    with open(src, "rb") as f:
                        original = f.read()
                    with open(dst, "rb") as f:
                        data = f.read()
                    field = data[:len(data) - len(original)]
                    data = to_own_line_style(field, original) + original
                    with open(dst, "wb") as f:
                        f.write(data)
                    if tamper.strip_first_field(data) != original:
                        print("   strip mismatch: " + dst)
                        failures += 1
                    signed.append(dst)
        res = verify(signed)
        ok_a = sum(1 for v in res.values() if v)
        print("A. dkimpy signed (input's own line endings) -> dkimpy verified %d/%d" % (ok_a, len(signed)))
        failures += len(signed) - ok_a

        # B. verify side
        good, bad = [], []
        for alg in KEYS:
            for canon in CANONS:
                for length in (False, True):
                    out = os.path.join(tmp, "B", alg, canon.replace("/", "-") + ("-l" if length else ""))
                    os.makedirs(out)
                    sign(alg, canon, inputs, out, ["--normalize-crlf"] + (["--length"] if length else []))
                    for src in inputs:
                        dst = os.path.join(out, os.path.basename(src))
                        good.append(dst)
                        with open(dst, "rb") as f:
                            data = f.read()
                        for kind, mutated in tamper.tampered_copies(data, with_length=length):
                            t = dst[:-4] + "." + kind + ".eml"
                            with open(t, "wb") as f:
                                f.write(mutated)
                            bad.append(t)
        res = verify(good)
        ok_b = sum(1 for v in res.values() if v)
        print("B. dkimpy signed (CRLF, with and without l=) -> dkimpy verified %d/%d" % (ok_b, len(good)))
        failures += len(good) - ok_b
        res = verify(bad, show_failures=False)
        rejected = sum(1 for v in res.values() if not v)
        for path, passed in res.items():
            if passed:
                print("   tampered copy passed: " + path)
        print("B. tampered copies rejected by dkimpy %d/%d" % (rejected, len(bad)))
        failures += len(bad) - rejected
        print("selfcheck: %d passed, %d failed" % (ok_a + ok_b + rejected, failures))
        return 0 if failures == 0 else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
