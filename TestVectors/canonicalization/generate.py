#!/usr/bin/env python3
"""Writes the canonicalization and message test vectors of swift-dkim.

Independent of the Swift code: a line-based reading of RFC 6376 §3.4 written directly from the RFC text,
plus hashlib for the SHA-256 values. Run from the repository root: python3 TestVectors/canonicalization/generate.py
"""
import base64
import hashlib
import os
import random
import re

ROOT = os.path.dirname(os.path.abspath(__file__))
MESSAGES = os.path.join(os.path.dirname(ROOT), "messages")


def split_lines(body):
    """Lines ended by CRLF, plus the unterminated rest (b"" when the body ends in CRLF)."""
    parts = body.split(b"\r\n")
    return parts[:-1], parts[-1]


def simple_body(body):
    # RFC 6376 §3.4.3: drop empty lines at the end; add CRLF if missing; empty body -> CRLF.
    lines, rest = split_lines(body)
    if rest:
        lines.append(rest)
    while lines and lines[-1] == b"":
        lines.pop()
    if not lines:
        return b"\r\n"
    return b"".join(line + b"\r\n" for line in lines)


def relaxed_body(body):
    # RFC 6376 §3.4.4: WSP at line end removed, WSP runs -> SP, empty lines at end removed,
    # CRLF added to a non-empty body lacking it, empty body stays empty.
    lines, rest = split_lines(body)
    lines.append(rest)
    lines = [re.sub(rb"[ \t]+", b" ", line) for line in lines]
    lines = [re.sub(rb" \Z", b"", line) for line in lines]
    if lines[-1] == b"":
        lines.pop()
    while lines and lines[-1] == b"":
        lines.pop()
    return b"".join(line + b"\r\n" for line in lines)


def header_fields(section):
    """Splits a CRLF header section into whole fields (folds kept)."""
    fields = []
    for line in re.split(rb"(?<=\r\n)", section):
        if not line:
            continue
        if line[:1] in (b" ", b"\t"):
            fields[-1] += line
        else:
            fields.append(line)
    return fields


def relaxed_header(field):
    # RFC 6376 §3.4.2 steps 1-5.
    name, value = field.split(b":", 1)
    name = name.rstrip(b" \t").lower()
    if value.endswith(b"\r\n"):
        value = value[:-2]
    value = re.sub(rb"\r\n(?=[ \t])", b"", value)
    value = re.sub(rb"[ \t]+", b" ", value)
    value = value.strip(b" ")
    return name + b":" + value + b"\r\n"


def split_message(message):
    if message.startswith(b"\r\n"):
        return b"", message[2:]
    if b"\r\n\r\n" in message:
        head, body = message.split(b"\r\n\r\n", 1)
        return head + b"\r\n", body
    return message, b""


def b64sha256(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def write(path, data):
    with open(path, "wb") as handle:
        handle.write(data)


def random_body(seed, size):
    rng = random.Random(seed)
    pieces = [b"word", b"x", b"\xc3\xa4", b" ", b"  ", b"\t", b" \t ", b"\r\n", b"\r\n\r\n", b"\r", b"\n",
              b"\r\n \r\n", b"\t\r\n", b"-", b"Zeile"]
    out = b""
    while len(out) < size:
        out += rng.choice(pieces)
    return out


BODIES = {
    "empty": b"",
    "crlf-only": b"\r\n",
    "blank-lines": b"\r\n\r\n\r\n",
    "wsp-lines": b" \r\n\t\r\n  \t \r\n",
    "trailing-wsp-lines": b"line one\r\nline two \t\r\n \r\n\t\r\n\r\n",
    "no-final-crlf": b"Hello  world\t!",
    "no-final-crlf-trailing-wsp": b"abc\r\n  ",
    "only-wsp-no-crlf": b"  \t",
    "internal-blank-lines": b"a\r\n\r\n\r\n b\r\n\r\n",
    "leading-blank-lines": b"\r\n\r\nabc",
    "rfc6376-3.4.5": b" C \r\nD \t E\r\n\r\n\r\n",
    "mixed-wsp": b"a \t b\t\tc  \r\n  d\r\n",
    "bare-cr-lf": b"a\rb\nc \r\n\r \n\r\r\n\n",
    "cr-at-end": b"abc\r",
    "utf8": "Grüße  aus\tKöln \r\n".encode(),
    "random-1": random_body(1, 3000),
    "random-2": random_body(2, 3000),
    "many-trailing-blank-lines": b"first line of text\r\n" + b"\r\n" * 40,
    "blank-runs": b"x" * 20 + b"\r\n" * 30 + b"y z\r\n" + b"\r\n" * 30 + b" \r\n" * 9,
    "long-line": b"x" * 70000 + b"  y \t" + b"z" * 30000 + b"\r\n" + b" " * 20000 + b"\r\n" * 5 + b"tail",
}

MESSAGES_IN = {
    "rfc6376-3.4.5": b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n",
    "folded-after-colon": b"Subject:\r\n\tfoo  bar\r\nFrom:a@example.com\r\nTo :  b@example.com \r\n"
                          b"X-Obs:\r\n \r\n end\r\n\r\nbody\r\n",
    "utf8-header": "Subject: Grüße   aus Köln\r\nFrom: Jöran <j@example.com>\r\n\r\nHallo\r\n".encode(),
    "no-body": b"From: a@example.com\r\nSubject: no blank line\r\n",
    "empty-body": b"From: a@example.com\r\n\r\n",
    "duplicates": b"Received: one\r\nFrom: a@example.com\r\nReceived: two\r\nSUBJECT: s1\r\nsubject: s2\r\n"
                  b"received: three\r\n\r\nx\r\n",
}

LINE_ENDINGS_IN = {
    "lf-only": b"From: a@example.com\nSubject: lf\n\nbody\n\n",
    "cr-only": b"From: a@example.com\rSubject: cr\r\rbody\r",
    "mixed": b"From: a@example.com\r\nSubject: mixed\n\rbody\r\r\n\n\r",
}


def main():
    hashes = []
    for name, body in BODIES.items():
        write(os.path.join(ROOT, name + ".body"), body)
        for algo, func in (("simple", simple_body), ("relaxed", relaxed_body)):
            canon = func(body)
            write(os.path.join(ROOT, name + "." + algo), canon)
            hashes.append("%s %s %s" % (name, algo, b64sha256(canon)))
    write(os.path.join(ROOT, "sha256.txt"), ("\n".join(hashes) + "\n").encode())

    for name, message in MESSAGES_IN.items():
        write(os.path.join(MESSAGES, name + ".eml"), message)
        head, body = split_message(message)
        write(os.path.join(MESSAGES, name + ".body"), body)
        fields = header_fields(head)
        write(os.path.join(MESSAGES, name + ".headers.simple"), b"".join(fields))
        write(os.path.join(MESSAGES, name + ".headers.relaxed"), b"".join(relaxed_header(f) for f in fields))

    for name, message in LINE_ENDINGS_IN.items():
        write(os.path.join(MESSAGES, name + ".eml"), message)
        write(os.path.join(MESSAGES, name + ".crlf.eml"), re.sub(rb"\r\n|\r|\n", b"\r\n", message))


if __name__ == "__main__":
    main()
