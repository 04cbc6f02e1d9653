#!/usr/bin/env python3
"""Side-by-side throughput: dkimtool against dkimpy, Mail::DKIM and libopendkim, in one run.

    Benchmarks/peers.py [--dkimtool PATH] [--seconds 0.2] [--rounds 3] [--sizes 2k,20k,200k,2m]
                        [--canonicalizations relaxed/relaxed,simple/simple] [--markdown]

1. `dkimtool bench --corpus DIR --format json` measures OpenSSL's own rates and every dkimtool cell, and writes the
   messages, keys and key records it used into DIR.
2. Each peer signs and verifies exactly those bytes, looping inside its own process (start-up excluded), with the
   same time per round and the same best-of-rounds rule:
   dkimpy in this Python process; Mail::DKIM in Benchmarks/peer_bench_mail_dkim.pl; libopendkim in
   Benchmarks/peer_bench_opendkim.c (compiled here with gcc).
   Keys come from the corpus's record file, never from DNS.
3. Prints one row per cell: msgs/s of each implementation and dkimtool's ratio to each.
   With --passes N the whole sequence runs N times, alternating, and each implementation keeps its best figure
   per cell, so a burst of load on a shared machine hurts no implementation more than another.

The peers run one after the other on a shared machine; repeat the run and compare ratios, not absolute numbers.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SELECTOR = {"rsa-sha256": "rsa", "ed25519-sha256": "ed"}


def parse_sizes(text):
    sizes = []
    for item in text.split(","):
        item = item.strip().lower()
        scale = 1
        if item.endswith("k"):
            scale, item = 1000, item[:-1]
        elif item.endswith("m"):
            scale, item = 1000000, item[:-1]
        sizes.append(int(item) * scale)
    return sizes


def best_rate(work, seconds, rounds):
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        count = 0
        while True:
            work()
            count += 1
            elapsed = time.perf_counter() - start
            if elapsed >= seconds:
                break
        best = max(best, count / elapsed)
    return best


def read(path):
    with open(path, "rb") as f:
        return f.read()


def dkimpy_cells(corpus, seconds, rounds, sizes, canons):
    try:
        import dkim
    except ImportError:
        return [], "dkimpy is not installed"
    sys.path.insert(0, os.path.join(ROOT, "Tests", "interop"))
    import dkimpy_sign  # the PKCS#8 -> raw Ed25519 seed conversion dkimpy needs

    records = {}
    for line in read(os.path.join(corpus, "txt-records")).decode().splitlines():
        name, value = line.split(" ", 1)
        records[name.lower()] = value.encode()

    def dnsfunc(name, timeout=5):
        if isinstance(name, bytes):
            name = name.decode()
        return records.get(name.rstrip(".").lower())

    cells = []
    for canon in canons:
        header, body = canon.split("/")
        for op in ("sign", "verify"):
            for alg in ("rsa-sha256", "ed25519-sha256"):
                sel = SELECTOR[alg]
                pem = read(os.path.join(corpus, sel + ".private"))
                key = dkimpy_sign.ed25519_seed_b64(pem) if alg == "ed25519-sha256" else pem
                for size in sizes:
                    if op == "sign":
                        message = read(os.path.join(corpus, "msg-%d.eml" % size))

                        def work():
                            dkim.DKIM(message).sign(sel.encode(), b"example.com", key,
                                                    signature_algorithm=alg.encode(),
                                                    canonicalize=(header.encode(), body.encode()))
                    else:
                        signed = read(os.path.join(corpus, "signed-%s-%s-%d.eml" % (sel, canon.replace("/", "-"),
                                                                                  size)))

                        def work():
                            if not dkim.verify(signed, dnsfunc=dnsfunc):
                                raise RuntimeError("dkimpy did not verify")
                    error = ""
                    try:
                        work()
                        rate = best_rate(work, seconds, rounds)
                    except Exception as exc:  # a peer's failure is reported in its cell, not fatal
                        rate, error = None, str(exc)
                    cells.append({"op": op, "algorithm": alg, "c": canon, "bytes": size, "msgsPerSecond": rate,
                                  "error": error})
    return cells, ""


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def run_mail_dkim(corpus, seconds, rounds, sizes, canons):
    command = ["perl", os.path.join(HERE, "peer_bench_mail_dkim.pl"), corpus, str(seconds), str(rounds),
               ",".join(map(str, sizes)), ",".join(canons)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        return [], result.stderr.strip()
    return json_lines(result.stdout), ""


def run_opendkim(corpus, seconds, rounds, sizes, canons, workdir):
    binary = os.path.join(workdir, "peer_bench_opendkim")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "opendkim"], capture_output=True, text=True)
    if flags.returncode != 0:
        return [], "libopendkim-dev is not installed"
    build = subprocess.run(["gcc", "-O2", "-o", binary, os.path.join(HERE, "peer_bench_opendkim.c")]
                           + flags.stdout.split(), capture_output=True, text=True)
    if build.returncode != 0:
        return [], build.stderr.strip()
    result = subprocess.run([binary, corpus, str(seconds), str(rounds), ",".join(map(str, sizes)), ",".join(canons)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return [], result.stderr.strip()
    return json_lines(result.stdout), ""


def key(cell):
    return (cell["op"], cell["algorithm"], cell["c"], int(cell["bytes"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dkimtool", default=os.path.join(ROOT, ".build", "release", "dkimtool"))
    ap.add_argument("--seconds", type=float, default=0.2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="2k,20k,200k,2m")
    ap.add_argument("--canonicalizations", default="relaxed/relaxed,simple/simple")
    ap.add_argument("--passes", type=int, default=1,
                    help="run dkimtool and every peer this many times, alternating; keep each one's best")
    ap.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = ap.parse_args()
    sizes = parse_sizes(args.sizes)
    canons = args.canonicalizations.split(",")

    best_ours = {}
    peers = {}
    notes = {}
    openssl = {}
    for _ in range(max(1, args.passes)):
        with tempfile.TemporaryDirectory(prefix="dkim-peers-") as workdir:
            corpus = os.path.join(workdir, "corpus")
            bench = subprocess.run([args.dkimtool, "bench", "--format", "json", "--corpus", corpus,
                                    "--seconds", str(args.seconds), "--rounds", str(args.rounds),
                                    "--sizes", args.sizes, "--canonicalizations", args.canonicalizations],
                                   capture_output=True, text=True)
            if bench.returncode != 0:
                sys.exit("dkimtool bench failed: " + bench.stderr)
            lines = json_lines(bench.stdout)
            # dkimtool's cells carry the message's exact size; the corpus names files by the requested size.
            for c in lines[1:]:
                nearest = min(sizes, key=lambda s: abs(s - int(c["bytes"])))
                cell_key = (c["op"], c["algorithm"], c["c"], nearest)
                if cell_key not in best_ours or c["msgsPerSecond"] > best_ours[cell_key]["msgsPerSecond"]:
                    best_ours[cell_key] = c
                    openssl = lines[0].get("openssl", {})
            runners = (
                ("dkimpy", lambda: dkimpy_cells(corpus, args.seconds, args.rounds, sizes, canons)),
                ("Mail::DKIM", lambda: run_mail_dkim(corpus, args.seconds, args.rounds, sizes, canons)),
                ("libopendkim", lambda: run_opendkim(corpus, args.seconds, args.rounds, sizes, canons, workdir)),
            )
            for name, runner in runners:
                cells, note = runner()
                table = peers.setdefault(name, {})
                for c in cells:
                    old = table.get(key(c))
                    if old is None or (c.get("msgsPerSecond") or 0) > (old.get("msgsPerSecond") or 0):
                        table[key(c)] = c
                notes[name] = note
    ours_by_request = best_ours

    names = list(peers)
    print("OpenSSL (same run, one core; the pass of the last best dkimtool cell): " + json.dumps(openssl))
    for name in names:
        if notes[name]:
            print("%s: %s" % (name, notes[name]))
    header = ["op", "algorithm", "c", "size", "dkimtool", "of limit"]
    for name in names:
        header += [name, "ratio"]
    rows = []
    for cell_key in sorted(ours_by_request, key=lambda k: (k[2] != "relaxed/relaxed", k[0], k[1], k[3])):
        mine = ours_by_request[cell_key]
        row = [cell_key[0], cell_key[1], cell_key[2], str(cell_key[3]), "%.0f" % mine["msgsPerSecond"],
               "%.1f %%" % (100 * mine["fraction"])]
        for name in names:
            peer = peers[name].get(cell_key)
            rate = peer and peer.get("msgsPerSecond")
            if rate:
                row += ["%.0f" % rate, "%.2f×" % (mine["msgsPerSecond"] / rate)]
            else:
                row += ["—", (peer or {}).get("error", "")[:30] or "—"]
        rows.append(row)
    if args.markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
    else:
        widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
        for row in [header] + rows:
            print("  ".join(cell.rjust(width) for cell, width in zip(row, widths)))


if __name__ == "__main__":
    main()
