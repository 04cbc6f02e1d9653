#!/usr/bin/env python3
"""Records DKIMCore's public API surface and checks that every public symbol has documentation.

Reads the symbol graphs that `swift package generate-documentation --target DKIMCore` extracts (under .build), and
    - writes docs/api/DKIMCore.symbols.txt (one line per public symbol: kind, path, declaration) with --write;
    - otherwise compares them with that file and fails on any difference, so a change to the public API is
      deliberate: rerun with --write and commit the new list with the change;
    - fails when a public symbol declared in DKIMCore has no documentation comment of its own.
"""
import glob
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RECORD = os.path.join(ROOT, "docs", "api", "DKIMCore.symbols.txt")


def symbols():
    files = glob.glob(os.path.join(ROOT, ".build", "*", "extracted-symbols", "*", "DKIMCore", "DKIMCore*.symbols.json"))
    if not files:
        sys.exit("api-surface: no DKIMCore symbol graph under .build; run swift package generate-documentation first")
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
            own = doc is not None and doc.get("module", "DKIMCore") == "DKIMCore" and any(
                line["text"].strip() for line in doc.get("lines", []))
            if not own and not synthesized and not implicit:
                undocumented.append(f"{kind} {name}")
    return sorted(lines), sorted(undocumented)


def main():
    lines, undocumented = symbols()
    text = "\n".join(lines) + "\n"
    status = 0
    if undocumented:
        print("api-surface: public symbols without documentation:", *undocumented, sep="\n  ")
        status = 1
    if "--write" in sys.argv:
        open(RECORD, "w").write(text)
        print(f"api-surface: wrote {len(lines)} symbols to {os.path.relpath(RECORD, ROOT)}")
    else:
        recorded = open(RECORD).read() if os.path.exists(RECORD) else ""
        if recorded != text:
            old, new = set(recorded.splitlines()), set(lines)
            for line in sorted(old - new):
                print("api-surface: removed:", line)
            for line in sorted(new - old):
                print("api-surface: added:  ", line)
            print("api-surface: the public API differs from docs/api/DKIMCore.symbols.txt; if deliberate, run "
                  "docs/api/api-surface.py --write and commit the list")
            status = 1
        else:
            print(f"api-surface: {len(lines)} public symbols, all documented, as recorded")
    return status


if __name__ == "__main__":
    sys.exit(main())
