#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/corpus/<target>/ from the files under TestVectors/ (run from anywhere)."""
import glob
import hashlib
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
VECTORS = os.path.join(ROOT, "TestVectors")
OUT = os.path.join(ROOT, "Fuzz", "corpus")
MAX = 64 * 1024


def read(path):
    with open(path, "rb") as handle:
        return handle.read()


def put(target, data):
    if len(data) > MAX:
        return
    folder = os.path.join(OUT, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, hashlib.sha1(data).hexdigest()), "wb") as handle:
        handle.write(data)


def txt_values():
    """Record values of every txt-records file (quoted strings joined) and of keys/*.p.txt."""
    values = []
    for path in glob.glob(os.path.join(VECTORS, "**", "txt-records"), recursive=True):
        for line in read(path).split(b"\n"):
            parts = line.strip().split(None, 1)
            if len(parts) != 2 or parts[0].startswith(b"#"):
                continue
            quoted = re.findall(rb'"((?:[^"\\]|\\.)*)"', parts[1])
            values.append(b"".join(quoted) if quoted else parts[1])
    for path in glob.glob(os.path.join(VECTORS, "keys", "*.p.txt")):
        values.append(b"v=DKIM1; k=rsa; p=" + read(path).strip())
    return values


def signature_values(message):
    """The values of the DKIM-Signature fields of a message (folding kept)."""
    head = message.split(b"\r\n\r\n", 1)[0]
    fields = re.split(rb"\r\n(?=[^ \t])", head)
    return [f.split(b":", 1)[1] for f in fields if f.lower().startswith(b"dkim-signature")]


messages = [read(p) for p in sorted(glob.glob(os.path.join(VECTORS, "**", "*.eml"), recursive=True))]
for message in messages:
    put("message", message)
    for value in signature_values(message):
        put("signature", value)
        put("taglist", value)
for path in glob.glob(os.path.join(VECTORS, "signatures", "*")):
    value = read(path)
    put("signature", value.split(b":", 1)[1] if value.lower().startswith(b"dkim-signature") else value)
records = txt_values()
for value in records:
    put("keyrecord", value)
    put("taglist", value)
for path in glob.glob(os.path.join(VECTORS, "keys", "*.b64")):
    put("codecs", read(path))
for text in [b"=0D=0A", b"a=3Db|c", b"=ZZ", b"AAAA", b"A===", b"QUJD\r\n RA==", b"@example.com"]:
    put("codecs", text)
for path in glob.glob(os.path.join(VECTORS, "canonicalization", "*.body")):
    for header in [b"\x00\x00\x07", b"\x01\x00\x2a", b"\x03\x10\x99", b"\x02\x00\x01"]:
        put("body", header + read(path))
good = [r for r in records if r.startswith(b"v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvH0")]
for message in messages:
    for record in good[:1] + records[:3]:
        put("verifier", len(record).to_bytes(2, "big") + record + message)
for target in sorted(os.listdir(OUT)):
    print(target, len(os.listdir(os.path.join(OUT, target))))
