#!/usr/bin/env python3
"""Converts the RFC 7208 test suite (rfc7208-tests.yml, from pyspf 2.0.14) into rfc7208-tests.json.

Run once: python3 convert.py (needs PyYAML). The JSON keeps every scenario and test case; the zone data is
reduced to what an RFC 7208 evaluator can ask (A, AAAA, MX, PTR, TXT):
- `SPF` (type 99) records are served as TXT when the name has no TXT entry of its own, the convention of the
  suite's header comment; `TXT: NONE` means the name has no TXT record.
- CNAMEs are resolved here: an alias carries its target's records (a loop leaves the alias with none).
- `TIMEOUT`: every query type without a record at that name times out (`TXT: NONE` included), the
  suite's reading in its "Record lookup" scenario (`timeouts`: name -> the types that still answer).
- TXT strings are lists of byte values (the YAML writes raw octets as \\xNN escapes).
"""
import json
import os

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))


def octets(text):
    return [ord(c) if ord(c) < 256 else None for c in text]


def convert_zone(zonedata):
    raw = {name.lower().rstrip("."): entries for name, entries in zonedata.items()}
    zone, cnames, timeouts = {}, {}, {}
    for name, entries in raw.items():
        records, spf, has_txt, timeout, types = [], [], False, False, set()
        for entry in entries:
            if entry == "TIMEOUT":
                timeout = True
                continue
            ((kind, value),) = entry.items()
            if value != "NONE":
                types.add(kind)
            if kind in ("TXT", "SPF"):
                strings = [value] if isinstance(value, str) else list(value)
                if kind == "TXT":
                    has_txt = True
                    if strings != ["NONE"]:
                        records.append({"type": "TXT", "strings": [octets(s) for s in strings]})
                else:
                    spf.append({"type": "TXT", "strings": [octets(s) for s in strings]})
            elif kind in ("A", "AAAA", "PTR"):
                records.append({"type": kind, "value": str(value).rstrip(".")})
            elif kind == "MX":
                records.append({"type": "MX", "preference": int(value[0]), "exchange": str(value[1]).rstrip(".")})
            elif kind == "CNAME":
                cnames[name] = str(value).lower().rstrip(".")
            else:
                raise SystemExit(f"unknown record type {kind} at {name}")
        if not has_txt:
            records += spf
            if spf:
                types.add("TXT")
        zone[name] = records
        if timeout:
            timeouts[name] = sorted(t for t in types if t in ("A", "AAAA", "MX", "PTR", "TXT"))
    for alias in cnames:
        target, seen = cnames[alias], {alias}
        while target in cnames and target not in seen:
            seen.add(target)
            target = cnames[target]
        zone[alias] = [] if target in seen else list(zone.get(target, []))
    return zone, timeouts


def main():
    scenarios = []
    with open(os.path.join(HERE, "rfc7208-tests.yml"), "rb") as source:
        for document in yaml.safe_load_all(source):
            zone, timeouts = convert_zone(document.get("zonedata") or {})
            tests = []
            for name, case in document["tests"].items():
                results = case["result"] if isinstance(case["result"], list) else [case["result"]]
                tests.append({
                    "name": name,
                    "spec": str(case.get("spec", "")),
                    "helo": case["helo"],
                    "host": case["host"],
                    "mailfrom": case["mailfrom"],
                    "results": results,
                    "explanation": case.get("explanation"),
                })
            scenarios.append({"description": document["description"], "zone": zone, "timeouts": timeouts,
                              "tests": tests})
    with open(os.path.join(HERE, "rfc7208-tests.json"), "w") as output:
        json.dump({"source": "pyspf 2.0.14 test/rfc7208-tests.yml (openspf.org suite, release 2014.04)",
                   "scenarios": scenarios}, output, indent=1, sort_keys=True)
        output.write("\n")
    print(sum(len(s["tests"]) for s in scenarios), "test cases in", len(scenarios), "scenarios")


if __name__ == "__main__":
    main()
