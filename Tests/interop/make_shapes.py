#!/usr/bin/env python3
"""Write the interop message shapes as exact-byte .eml files.

The shapes exercise the parts of RFC 6376 that implementations most often get
wrong: line endings (§5.3 bare LF), empty and whitespace-only bodies (§3.4.3,
§3.4.4), header folding and white space (§3.4.1, §3.4.2), repeated header
fields (§5.4.2), 8-bit header text (RFC 6532), long lines, and MIME.

Usage:
    make_shapes.py [--out DIR]       write the committed shapes (default:
                                     TestVectors/interop next to this repo)
    make_shapes.py --big DIR         write only the 5 MB shape (big-5mb.eml)
                                     into DIR; it is generated at test time and
                                     never committed.
    make_shapes.py --check [--out D] exit 1 if a committed file differs from
                                     what this script would write.

Every shape except error-shapes/no-from.eml has a From field; every shape in
shapes/ also has a Subject field, so a tamper test can change a signed header.
"""

import argparse
import os
import sys

CRLF = b"\r\n"
LF = b"\n"

# Fixed header lines shared by most shapes; CRLF is added by crlf()/lf().
FROM = b"From: Alice Example <alice@example.com>"
TO = b"To: Bob Example <bob@example.org>"
DATE = b"Date: Tue, 14 Nov 2023 22:13:20 +0000"


def msgid(name):
    return b"Message-ID: <" + name.encode("ascii") + b"@interop.example.com>"


def crlf(lines):
    """Join lines, each terminated by CRLF."""
    return b"".join(line + CRLF for line in lines)


def lf(lines):
    """Join lines, each terminated by a bare LF."""
    return b"".join(line + LF for line in lines)


def std_header(name, subject=b"Subject: interop shape"):
    return [FROM, TO, subject, DATE, msgid(name)]


def shapes():
    """Return an ordered list of (file name, exact bytes)."""
    out = []

    def add(name, data):
        out.append((name + ".eml", data))

    add("crlf-plain", crlf(std_header("crlf-plain") + [
        b"",
        b"Hello Bob,",
        b"",
        b"this is a plain CRLF message.",
        b"-- ",
        b"Alice",
    ]))

    add("lf-plain", lf(std_header("lf-plain") + [
        b"",
        b"Hello Bob,",
        b"",
        b"this message uses bare LF line endings only.",
    ]))

    # RFC 6376 §3.4.3 / §3.4.4: empty body canonicalizes to CRLF (simple) or
    # nothing (relaxed).
    add("empty-body", crlf(std_header("empty-body") + [b""]))

    # No separator line at all: the message is only a header block.
    add("header-only", crlf(std_header("header-only")))

    add("blank-lines-only-body", crlf(std_header("blank-lines-only-body") + [
        b"", b"", b"", b"", b"",
    ]))

    # Body ends in lines holding only white space: relaxed removes them
    # (§3.4.4: WSP at line end is dropped, then trailing empty lines go);
    # simple keeps them.
    add("trailing-wsp-only-lines", crlf(std_header("trailing-wsp-only-lines") + [
        b"",
        b"text before white-space-only lines",
        b" ",
        b"\t",
        b"  \t  ",
        b"",
        b" ",
    ]))

    add("trailing-wsp-in-lines", crlf(std_header("trailing-wsp-in-lines") + [
        b"",
        b"line with trailing spaces   ",
        b"line with trailing tab\t",
        b"line with mixed \t \t",
        b"  leading spaces stay",
        b"inner   runs \t\t of  white space",
    ]))

    # §3.4.2: relaxed unfolds and removes WSP after the colon; the value here
    # starts on the continuation line.
    add("folded-after-colon", crlf([
        FROM,
        TO,
        b"Subject:",
        b"\tfolded right after the colon",
        DATE,
        msgid("folded-after-colon"),
        b"",
        b"body",
    ]))

    add("no-space-after-colon", crlf([
        b"From:alice@example.com",
        b"To:bob@example.org",
        b"Subject:no space after the colon",
        b"Date:Tue, 14 Nov 2023 22:13:20 +0000",
        msgid("no-space-after-colon"),
        b"",
        b"body",
    ]))

    # RFC 6532: UTF-8 in header values; 8-bit body.
    add("utf8-headers-body", crlf([
        "From: Ålice Ëxample <alice@example.com>".encode("utf-8"),
        "To: Bøb <bob@example.org>".encode("utf-8"),
        "Subject: Grüße aus Köln, 日本語の件名".encode("utf-8"),
        DATE,
        msgid("utf8-headers-body"),
        b"MIME-Version: 1.0",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: 8bit",
        b"",
        "Straße, café, naïve, 中文, emoji \U0001F600".encode("utf-8"),
    ]))

    # One 998-octet line (RFC 5322 §2.1.1 limit), one 999-octet line and one
    # 5000-octet line (over the limit: seen in the wild, must still hash).
    add("long-lines", crlf(std_header("long-lines") + [
        b"",
        b"short line",
        (b"0123456789" * 100)[:998],
        (b"abcdefghij" * 100)[:999],
        (b"Z" * 4999) + b".",
        b"end",
    ]))

    # §5.4.2: repeated fields are signed bottom-up.
    add("duplicate-headers", crlf([
        FROM,
        b"To: first-to@example.org",
        b"Subject: first subject",
        b"To: second-to@example.org",
        b"Subject: second subject",
        DATE,
        msgid("duplicate-headers"),
        b"",
        b"two To and two Subject fields",
    ]))

    add("no-final-crlf", crlf(std_header("no-final-crlf") + [
        b"",
        b"first line",
    ]) + b"last line without line ending")

    add("mime-multipart-base64", crlf(std_header("mime-multipart-base64") + [
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="b1_interop"',
        b"",
        b"This is a multi-part message in MIME format.",
        b"",
        b"--b1_interop",
        b"Content-Type: text/plain; charset=us-ascii",
        b"",
        b"See the attachment.",
        b"",
        b"--b1_interop",
        b"Content-Type: application/octet-stream",
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="data.bin"',
        b"",
        b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1Njc4",
        b"OTo7PD0+P0BBQkNERUZHSElKS0xNTk9QUVJTVFVWV1hZWltcXV5fYGFiY2RlZmdoaWprbG1ub3Bx",
        b"cnN0dXZ3eHl6e3x9fn8=",
        b"",
        b"--b1_interop--",
        b"",
    ]))

    add("tabs-in-headers", crlf([
        b"From:\tAlice\t<alice@example.com>",
        b"To: Bob \t Example\t<bob@example.org>",
        b"Subject:\tsubject\twith\ttabs\t",
        DATE,
        msgid("tabs-in-headers"),
        b"X-Tabbed:\t\t value \t",
        b"",
        b"body",
    ]))

    add("from-display-comment", crlf([
        b'From: "Alice Q. Example" <alice@example.com> (the sender, in a comment)',
        b"To: bob@example.org (Bob)",
        b"Subject: From with display name and comment",
        DATE,
        msgid("from-display-comment"),
        b"",
        b"body",
    ]))

    received = []
    for hop in range(6):
        received += [
            b"Received: from relay%d.example.net (relay%d.example.net [192.0.2.%d])" % (hop, hop, hop + 10),
            b"\tby mx%d.example.org (Postfix) with ESMTPS id 4AB%02dC%02d" % (hop, hop, hop),
            b"\tfor <bob@example.org>; Tue, 14 Nov 2023 22:%02d:20 +0000" % (13 - hop),
        ]
    add("received-chain", crlf(received + std_header("received-chain") + [
        b"",
        b"a message that went through six relays",
    ]))

    # CRLF and bare LF in the same message, in the header block and the body.
    add("mixed-line-endings",
        FROM + CRLF + TO + LF + b"Subject: mixed line endings" + CRLF + DATE + LF
        + msgid("mixed-line-endings") + CRLF + LF
        + b"crlf line" + CRLF + b"lf line" + LF + LF + b"after an empty LF line" + CRLF)

    add("wsp-runs", crlf([
        FROM,
        TO,
        b"Subject:   many    spaces   in\t\tthe  subject   ",
        DATE,
        msgid("wsp-runs"),
        b"",
        b"a  b   c    d",
        b"\t tab and space start",
        b"x \t \t y",
    ]))

    add("inner-and-trailing-blank-lines", crlf(std_header("inner-and-trailing-blank-lines") + [
        b"",
        b"",
        b"para one",
        b"",
        b"",
        b"para two",
        b"",
        b"",
        b"",
    ]))

    add("lf-trailing-blank-lines", lf(std_header("lf-trailing-blank-lines") + [
        b"",
        b"bare LF body with trailing empty lines",
        b"",
        b"",
    ]))

    add("folded-long-subject", crlf([
        FROM,
        TO,
        b"Subject: a long subject that is folded",
        b" over several lines with space and",
        b"\ttab continuation lines",
        DATE,
        msgid("folded-long-subject"),
        b"",
        b"body",
    ]))


    # ---- shapes added for the four-peer matrix (issue #5) ----

    # multipart/alternative inside multipart/mixed; quoted-printable with soft
    # line breaks and =20; a base64 text part.
    add("mime-nested-qp-base64", crlf(std_header("mime-nested-qp-base64") + [
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="outer"',
        b"",
        b"--outer",
        b'Content-Type: multipart/alternative; boundary="inner"',
        b"",
        b"--inner",
        b"Content-Type: text/plain; charset=utf-8",
        b"Content-Transfer-Encoding: quoted-printable",
        b"",
        b"Gr=C3=BC=C3=9Fe, a soft line break follows here =",
        b"and a trailing space encoded as=20",
        b"",
        b"--inner",
        b"Content-Type: text/html; charset=utf-8",
        b"Content-Transfer-Encoding: base64",
        b"",
        b"PGh0bWw+PGJvZHk+PHA+SGVsbG8gQm9iLDwvcD48cD50aGlzIGlzIGh0bWwuPC9wPjwvYm9keT48",
        b"L2h0bWw+",
        b"",
        b"--inner--",
        b"",
        b"--outer",
        b"Content-Type: text/plain; charset=us-ascii",
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="note.txt"',
        b"",
        b"VGhpcyBpcyBhIGJhc2U2NCBlbmNvZGVkIHRleHQgYXR0YWNobWVudC4K",
        b"",
        b"--outer--",
    ]))

    # A 48 KiB base64 attachment in 76-column lines (deterministic octets).
    blob = bytes((i * 7 + 3) % 256 for i in range(36 * 1024))
    import base64 as _b64
    encoded = _b64.b64encode(blob)
    add("mime-attachment-48k", crlf(std_header("mime-attachment-48k") + [
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/mixed; boundary="att"',
        b"",
        b"--att",
        b"Content-Type: text/plain",
        b"",
        b"attached",
        b"--att",
        b"Content-Type: application/octet-stream",
        b"Content-Transfer-Encoding: base64",
        b"",
    ] + [encoded[i:i + 76] for i in range(0, len(encoded), 76)] + [b"--att--"]))

    # Twenty Received fields, each folded over three lines with tabs and
    # spaces, above the usual fields (a long relay chain).
    chain = []
    for hop in range(20):
        chain += [
            b"Received: from hop%02d.relay.example.net (hop%02d.relay.example.net" % (hop, hop),
            b"        [198.51.100.%d]) by hop%02d.mx.example.org (Postfix) with ESMTPS" % (hop + 1, hop + 1),
            b"\tid Q%04dZ; Tue, 14 Nov 2023 22:%02d:%02d +0000" % (hop * 37, 59 - hop, hop),
        ]
    add("received-long-folded-chain", crlf(chain + std_header("received-long-folded-chain") + [b"", b"twenty hops"]))

    # From variants: encoded-word display name, a comment before the address,
    # a quoted display name with a comma, and a plain address in angle brackets.
    add("from-encoded-word", crlf([
        b"From: =?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.com>",
        TO,
        b"Subject: =?UTF-8?B?R3LDvMOfZSBhdXMgS8O2bG4=?=",
        DATE,
        msgid("from-encoded-word"),
        b"",
        b"encoded words in From and Subject",
    ]))
    add("from-comment-first", crlf([
        b"From: (Alice at work) alice@example.com (really)",
        b'Cc: "Example, Carol" <carol@example.org>, (nobody) dave@example.org',
        b"Reply-To: <alice+reply@example.com>",
        b"Subject: comments around the address",
        DATE,
        msgid("from-comment-first"),
        b"",
        b"body",
    ]))

    # Header field names in capitals and mixed case: relaxed lower-cases them,
    # simple keeps them; h= matching is case-insensitive (RFC 6376 §3.5 h=).
    add("uppercase-header-names", crlf([
        b"FROM: Alice Example <alice@example.com>",
        b"tO: Bob Example <bob@example.org>",
        b"Subject: upper-case field names (this one stays as the tamper tests expect it)",
        b"X-MIXED-Case-NAME: value",
        b"DaTe: Tue, 14 Nov 2023 22:13:20 +0000",
        b"MESSAGE-ID: <uppercase-header-names@interop.example.com>",
        b"",
        b"body",
    ]))

    # Empty field values.
    add("empty-header-values", crlf([
        FROM,
        TO,
        b"Subject:",
        b"Cc: ",
        DATE,
        msgid("empty-header-values"),
        b"",
        b"empty Subject and Cc",
    ]))

    # One 900-octet Subject without folding, and a References field folded
    # over many lines.
    refs = [b"References: <ref-0@example.org>"] + [b" <ref-%d@example.org>" % i for i in range(1, 30)]
    add("long-unfolded-subject-references", crlf([
        FROM,
        TO,
        b"Subject: " + (b"long subject " * 70)[:891],
        DATE,
        msgid("long-unfolded-subject-references"),
        b"In-Reply-To: <ref-29@example.org>",
    ] + refs + [b"", b"body"]))

    # Lines that start with dots (SMTP dot-stuffing happens on the wire, not
    # in the message: the signer sees them unstuffed).
    add("dot-lines", crlf(std_header("dot-lines") + [
        b"",
        b".",
        b"..",
        b". leading dot and space",
        b"...three dots",
        b"end",
    ]))

    # Header only, bare LF, without a separator line.
    add("header-only-lf", lf(std_header("header-only-lf")))

    # Bare LF message whose last body line has no line ending.
    add("lf-no-final-newline", lf(std_header("lf-no-final-newline") + [b"", b"first"]) + b"last without newline")

    # A body of one character without a line ending.
    add("body-one-char-no-crlf", crlf(std_header("body-one-char-no-crlf") + [b""]) + b"x")

    return out


def edge_shapes():
    """Shapes on which some peers deviate from RFC 6376 (kept out of shapes/, used by the matrix cases only).

    See docs/interop.md: dkimpy and OpenDKIM refuse a field with white space before the colon, and dkimpy
    canonicalizes a white-space-only last line without CRLF differently under relaxed body canonicalization.
    lone-cr-in-body is not valid RFC 5322 (CR only in CRLF), so only some cases use it.
    """
    out = []

    def add(name, data):
        out.append((name + ".eml", data))

    # White space between the field name and the colon (RFC 5322 obs-syntax;
    # relaxed drops it, RFC 6376 §3.4.2).
    add("wsp-before-colon", crlf([
        FROM,
        TO,
        b"Subject : white space before the colon",
        b"X-Note \t: tab and space before the colon",
        DATE,
        msgid("wsp-before-colon"),
        b"",
        b"body",
    ]))

    # A body of white space only, without a final CRLF: relaxed makes it empty.
    add("body-wsp-only-no-crlf", crlf(std_header("body-wsp-only-no-crlf") + [b""]) + b" \t ")

    # CRs that no LF follows, inside body lines of a CRLF message: data of their lines (RFC 6376 §3.4.3, §3.4.4
    # canonicalize CRLF-delimited lines), not line ends to convert.
    add("lone-cr-in-body", crlf(std_header("lone-cr-in-body") + [
        b"",
        b"line one\rstill line one",
        b"a CR before the line end\r",
        b"end",
    ]))

    return out


def error_shapes():
    """Shapes that must be refused rather than signed (kept apart)."""
    return [("no-from.eml", crlf([
        TO,
        b"Subject: no From field",
        DATE,
        msgid("no-from"),
        b"",
        b"a message without From cannot be signed (RFC 6376 section 5.4)",
    ]))]


BIG_NAME = "big-5mb.eml"
BIG_SIZE = 5 * 1024 * 1024


def big_shape():
    """A 5 MiB body of numbered 76-octet lines, deterministic."""
    head = crlf(std_header("big-5mb") + [b""])
    lines = []
    size = 0
    n = 0
    while size < BIG_SIZE:
        line = b"%08d " % n + (b"the quick brown fox jumps over the lazy dog " * 2)[:67] + CRLF
        lines.append(line)
        size += len(line)
        n += 1
    return head + b"".join(lines)


def default_out():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "TestVectors", "interop"))


def planned(out):
    files = [(os.path.join(out, "shapes", n), d) for n, d in shapes()]
    files += [(os.path.join(out, "error-shapes", n), d) for n, d in error_shapes()]
    files += [(os.path.join(out, "edge-shapes", n), d) for n, d in edge_shapes()]
    return files


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=default_out(), help="TestVectors/interop directory")
    ap.add_argument("--big", metavar="DIR", help="write only the 5 MB shape into DIR")
    ap.add_argument("--check", action="store_true", help="compare instead of writing")
    args = ap.parse_args(argv)

    if args.big:
        os.makedirs(args.big, exist_ok=True)
        path = os.path.join(args.big, BIG_NAME)
        with open(path, "wb") as f:
            f.write(big_shape())
        print(path)
        return 0

    names = [n for n, _ in shapes()]
    if len(names) != len(set(names)):
        print("duplicate shape names", file=sys.stderr)
        return 2

    bad = 0
    for path, data in planned(args.out):
        if args.check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                print("differs: " + path, file=sys.stderr)
                bad += 1
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
    if args.check:
        print("%d shapes checked, %d differ" % (len(planned(args.out)), bad))
    else:
        print("wrote %d shapes under %s" % (len(planned(args.out)), args.out))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
