#!/usr/bin/env python3
"""Write the frozen peer vectors under TestVectors/peers/ (exact bytes, checked by PeerVectorTests.swift).

Each peer that can sign (dkimpy, Mail::DKIM, OpenDKIM) signs, with t=1700000000:
  * every shape of TestVectors/interop/shapes (except the 48 KiB one, to keep the set small) with
    rsa-sha256 under two canonicalizations and, where the peer has Ed25519, ed25519-sha256 under a third
    (OpenDKIM: relaxed header only, see docs/interop.md), expected: pass;
  * every tampered/policy case of cases.py it can sign, with the verdict cases.py gives from the RFCs.
The expected verdicts come from the shape (untampered: pass) or the case definition, never from our verifier.
Files: TestVectors/peers/<peer>/<name>.eml, TestVectors/peers/txt-records (the key records of peerkeys.py),
TestVectors/peers/expected.json ({"now", "peers": {peer: version}, "vectors": {path: {result, signatures}}}).

Usage: make_peer_vectors.py   (needs the peers; run scripts/install-deps first)
"""

import json
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import cases  # noqa: E402
import matrix  # noqa: E402
import peerkeys  # noqa: E402
import peers  # noqa: E402

OUT = os.path.join(matrix.ROOT, "TestVectors", "peers")
NOW = 1800000000  # the verification clock: after t= and after the expired case's x=
SKIP = {"mime-attachment-48k"}


def main():
    work = tempfile.mkdtemp(prefix="dkim-peer-vectors-")
    try:
        signers = [p for p in peers.all_peers("", work) if p.name != "dkimtool"]
        for p in signers:
            p.check()
        if os.path.isdir(OUT):
            shutil.rmtree(OUT)
        os.makedirs(OUT)
        with open(os.path.join(OUT, "txt-records"), "wb") as f:
            f.write(peerkeys.txt_records_file(peerkeys.records()))
        vectors = {}
        shapes = [s for s in matrix.shapes() if os.path.basename(s)[:-4] not in SKIP]
        base = {os.path.basename(p)[:-4]: p for p in matrix.shapes() + matrix.edge_shapes()}
        for peer in signers:
            dest = os.path.join(OUT, peer.name)
            os.makedirs(dest)
            for i, shape in enumerate(shapes):
                name = os.path.basename(shape)[:-4]
                plan = [("rsa-sha256", "rsa", matrix.CANONS[i % 4]), ("rsa-sha256", "rsa", matrix.CANONS[(i + 2) % 4])]
                if "ed25519-sha256" in peer.sign_algorithms:
                    canon = matrix.CANONS[(i + 1) % 4]
                    if not peer.can_sign("ed25519-sha256", canon):
                        canon = "relaxed/" + canon.split("/")[1]
                    plan.append(("ed25519-sha256", "ed", canon))
                for algorithm, selector, canon in plan:
                    tmp = tempfile.mkdtemp(dir=work)
                    errors = peer.sign(selector, algorithm, canon, [shape], tmp, matrix.NOW)
                    if errors:
                        raise SystemExit("\n".join(errors))
                    target = "%s/%s.%s.%s.eml" % (peer.name, name, selector, canon.replace("/", "-"))
                    shutil.move(os.path.join(tmp, name + ".eml"), os.path.join(OUT, target))
                    vectors[target] = {"result": "pass", "signatures": [{"result": "pass", "reason": None}],
                                       "source": "shape %s" % name}
            for case in cases.CASES:
                cid, title, shape, canon, algorithm, selector, options, who, tamper, expected, rfc = case
                if peer.name not in who:
                    continue
                tmp = tempfile.mkdtemp(dir=work)
                try:
                    errors = peer.sign(selector, algorithm, canon, [base[shape]], tmp, matrix.NOW, options)
                except peers.Unsupported:
                    continue
                path = os.path.join(tmp, shape + ".eml")
                if errors or not os.path.exists(path):
                    continue
                with open(path, "rb") as f:
                    data = tamper(f.read())
                target = "%s/case-%s.eml" % (peer.name, cid)
                with open(os.path.join(OUT, target), "wb") as f:
                    f.write(data)
                result, reason, warning = expected
                sig = {"result": result, "reason": reason}
                if warning:
                    sig["warning"] = warning
                vectors[target] = {"result": result, "signatures": [sig], "source": "case %s (%s)" % (cid, rfc)}
        with open(os.path.join(OUT, "expected.json"), "w") as f:
            json.dump({"now": NOW, "peers": {p.name: p.version() for p in signers}, "vectors": vectors}, f,
                      indent=1, sort_keys=True)
            f.write("\n")
        print("wrote %d vectors under %s" % (len(vectors), OUT))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
