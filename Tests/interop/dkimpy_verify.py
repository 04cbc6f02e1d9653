#!/usr/bin/env python3
"""Verify every DKIM-Signature of each message with dkimpy, offline.

Usage:
    dkimpy_verify.py --txt-records FILE [--json] FILE...

Keys come only from the --txt-records file (format: see txtrecords.py); no DNS
query is ever sent. Every signature is checked (dkimpy's DKIM.verify(idx=i)),
not only the first one.

Output: one line per message, on stdout.
    text:  "PASS file (2/2)" or "FAIL file (0/1): <dkimpy error>"
    json:  {"file": ..., "pass": bool, "signatures": [{"index": i, "ok": bool,
            "domain": ..., "selector": ..., "algorithm": ..., "error": str|null}]}
A summary "dkimpy verified P/N messages (S/T signatures)" goes to stderr.

Exit status: 0 only if every message has at least one signature and every
signature of every message verifies; 1 otherwise; 2 on bad usage; 3 when dkimpy
is missing.
"""

import argparse
import json
import logging
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import txtrecords  # noqa: E402

try:
    import dkim
except ImportError:
    print("dkimpy_verify.py: dkimpy is not installed (pip install -r Tests/interop/requirements.txt; "
          "scripts/install-deps does it)", file=sys.stderr)
    sys.exit(3)


class _Capture(logging.Handler):
    """Collects dkimpy's log records: it reports many failures only there."""

    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.messages = []

    def emit(self, record):
        if record.levelno >= logging.WARNING:
            self.messages.append(record.getMessage())


def _text(value):
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def verify_message(message, dnsfunc):
    """Return a list of per-signature dicts for one message's bytes."""
    logger = logging.getLogger("dkimpy_verify")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    results = []
    try:
        count = len([1 for name, _ in dkim.DKIM(message).headers if name.lower() == b"dkim-signature"])
    except dkim.DKIMException as e:
        return [{"index": 0, "ok": False, "domain": None, "selector": None, "algorithm": None,
                 "error": "unparsable message: %s" % e}]
    for idx in range(count):
        capture = _Capture()
        logger.handlers = [capture]
        d = dkim.DKIM(message, logger=logger)
        error = None
        try:
            ok = bool(d.verify(idx=idx, dnsfunc=dnsfunc))
        except dkim.DKIMException as e:
            ok = False
            error = "%s: %s" % (type(e).__name__, e)
        if not ok and error is None:
            error = "; ".join(capture.messages) or "signature did not verify"
        sig = d.signature_fields or {}
        results.append({
            "index": idx,
            "ok": ok,
            "domain": _text(sig.get(b"d")),
            "selector": _text(sig.get(b"s")),
            "algorithm": _text(sig.get(b"a")),
            "error": error,
        })
    return results


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--txt-records", required=True)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args(argv)

    try:
        dnsfunc = txtrecords.dnsfunc_for(txtrecords.load(args.txt_records))
    except (OSError, txtrecords.TxtRecordsError) as e:
        print("dkimpy_verify.py: %s" % e, file=sys.stderr)
        return 2

    passed = 0
    sig_ok = 0
    sig_total = 0
    for path in args.files:
        try:
            with open(path, "rb") as f:
                message = f.read()
        except OSError as e:
            sigs = [{"index": 0, "ok": False, "domain": None, "selector": None, "algorithm": None,
                     "error": "unreadable: %s" % e}]
        else:
            sigs = verify_message(message, dnsfunc)
        good = len([s for s in sigs if s["ok"]])
        ok = bool(sigs) and good == len(sigs)
        passed += ok
        sig_ok += good
        sig_total += len(sigs)
        if args.json:
            print(json.dumps({"file": path, "pass": ok, "signatures": sigs}, ensure_ascii=False))
        else:
            line = "%s %s (%d/%d)" % ("PASS" if ok else "FAIL", path, good, len(sigs))
            if not ok:
                errors = [s["error"] for s in sigs if not s["ok"]] or ["no DKIM-Signature field"]
                line += ": " + " | ".join(errors)
            print(line)
    print("dkimpy verified %d/%d messages (%d/%d signatures)" % (passed, len(args.files), sig_ok, sig_total),
          file=sys.stderr)
    return 0 if passed == len(args.files) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
