#!/usr/bin/env python3
"""Records the public API surface of the libraries and checks that every public symbol has documentation.

For each library (DKIMCore, MailAuthRecords), reads the symbol graphs that
`swift package generate-documentation --target MODULE` extracts (under .build), and
    - writes docs/api/MODULE.symbols.txt (one line per public symbol: kind, path, declaration) with --write;
    - otherwise compares them with that file and fails on any difference, so a change to the public API is
      deliberate: rerun with --write and commit the new list with the change;
    - fails when a public symbol declared in the module has no documentation comment of its own.
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = ["DKIMCore", "MailAuthRecords"]


def record_path(module):
    return os.path.join(ROOT, "docs", "api", f"{module}.symbols.txt")


def symbols(module):
    files = glob.glob(os.path.join(ROOT, ".build", "*", "extracted-symbols", "*", module, f"{module}*.symbols.json"))
    if not files:
        sys.exit(f"api-surface: no {module} symbol graph under .build; "
                 f"run swift package generate-documentation --target {module} first")
    lines, undocumented = set(), []
    for path in files:
        graph = json.load(open(path))
        for symbol in graph["symbols"]:
            if symbol.get("accessLevel") not in ("public", "open"):
                continue
            ident = symbol["identifier"]["precise"]
            declaration = "".join(f["spelling"] for f in symbol.get("declarationFragments", []))
            name = ".".join(symbol["pathComponents"])
            kind = symbol["kind"]["identifier"].removeprefix("swift.")
            # Members a type gets from a standard protocol's default implementation are not ours to document.
            synthesized = "::SYNTHESIZED::" in ident
            # Declared by the compiler, not in our source (an enum's init(rawValue:)): nothing to attach docs to.
            implicit = "location" not in symbol
            if not synthesized:
                lines.add(f"{kind}\t{name}\t{' '.join(declaration.split())}")
            doc = symbol.get("docComment")
            own = doc is not None and doc.get("module", module) == module and any(
                line["text"].strip() for line in doc.get("lines", []))
            if not own and not synthesized and not implicit:
                undocumented.append(f"{kind} {name}")
    return sorted(lines), sorted(undocumented)


def check(module):
    record = record_path(module)
    lines, undocumented = symbols(module)
    text = "\n".join(lines) + "\n"
    status = 0
    if undocumented:
        print(f"api-surface: {module}: public symbols without documentation:", *undocumented, sep="\n  ")
        status = 1
    if "--write" in sys.argv:
        open(record, "w").write(text)
        print(f"api-surface: wrote {len(lines)} symbols to {os.path.relpath(record, ROOT)}")
    else:
        recorded = open(record).read() if os.path.exists(record) else ""
        if recorded != text:
            old, new = set(recorded.splitlines()), set(lines)
            for line in sorted(old - new):
                print("api-surface: removed:", line)
            for line in sorted(new - old):
                print("api-surface: added:  ", line)
            print(f"api-surface: the public API differs from {os.path.relpath(record, ROOT)}; if deliberate, run "
                  "docs/api/api-surface.py --write and commit the list")
            status = 1
        else:
            print(f"api-surface: {module}: {len(lines)} public symbols, all documented, as recorded")
    return status


def main():
    return max(check(module) for module in MODULES)


if __name__ == "__main__":
    sys.exit(main())
