#!/usr/bin/env python3
"""Generates the hostile-input corpus: exact-byte .eml files, expected.json and txt-records.

Valid signatures are made by dkimpy (an independent implementation) with TestVectors/keys/rsa2048-pkcs8.pem;
the clock is pinned so the output is reproducible. Expected outcomes are written by hand from RFC 6376 /
RFC 8301 and the bounds documented in README.md "Limits"; they are never taken from dkimtool's output.

Run from anywhere: python3 TestVectors/hostile/generate.py  (needs: pip install dkimpy)
"""
import base64
import json
import os
import time

SIGN_TIME = 1_700_000_000
VERIFY_TIME = 1_700_000_100
time.time = lambda: float(SIGN_TIME)  # dkimpy writes t= from time.time()

import dkim  # noqa: E402  (imported after pinning the clock)

HERE = os.path.dirname(os.path.abspath(__file__))
KEYS = os.path.join(HERE, "..", "keys")
PRIVATE = open(os.path.join(KEYS, "rsa2048-pkcs8.pem"), "rb").read()
SPKI = open(os.path.join(KEYS, "rsa2048-pkcs8.spki.b64")).read().strip()
SPKI512 = open(os.path.join(KEYS, "rsa512.spki.b64")).read().strip()
SPKI9000 = open(os.path.join(KEYS, "rsa9000-synthetic.spki.b64")).read().strip()
ED25519 = open(os.path.join(KEYS, "ed25519.spki.b64")).read().strip()
GOOD = "v=DKIM1; k=rsa; p=" + SPKI

D = "example.com"
BODY = b"Hello,\r\n\r\nThis is a test message.\r\n"
HEADER = (b"From: Alice <alice@example.com>\r\n"
          b"To: Bob <bob@example.org>\r\n"
          b"Subject: hostile corpus\r\n"
          b"Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
          b"Message-ID: <hostile@example.com>\r\n")
PLAIN = HEADER + b"\r\n" + BODY
SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id"]

# name (relative to ._domainkey.example.com unless it contains "._domainkey.") -> list of TXT values (a value is
# a str, or a list of str for a record of several strings), or the str "~~..." / "NXDOMAIN".
RECORDS = {
    "sel": [GOOD],
    "split": [[GOOD[:40], GOOD[40:250], GOOD[250:]]],
    "garbage": ["hello world, this is no key"],
    "huge": [GOOD + "; n=" + "x" * 9000],
    "multiple": [GOOD, "v=DKIM1; k=rsa; t=y; p=" + SPKI],
    "twice": [GOOD, [GOOD[:100], GOOD[100:300], GOOD[300:]]],
    "withspf": ["v=spf1 -all", GOOD],
    "revoked": ["v=DKIM1; k=rsa; p="],
    "ktype": ["v=DKIM1; k=ed25519; p=" + ED25519],
    "kunknown": ["v=DKIM1; k=dsa; p=" + SPKI],
    "hsha1": ["v=DKIM1; k=rsa; h=sha1; p=" + SPKI],
    "service": ["v=DKIM1; k=rsa; s=tlsrpt; p=" + SPKI],
    "strict": ["v=DKIM1; k=rsa; t=s; p=" + SPKI],
    "testing": ["v=DKIM1; k=rsa; t=y; p=" + SPKI],
    "badp": ["v=DKIM1; k=rsa; p=!!!notbase64!!!"],
    "small": ["v=DKIM1; k=rsa; p=" + SPKI512],
    "toolarge": ["v=DKIM1; k=rsa; p=" + SPKI9000],
    "v2": ["v=DKIM2; k=rsa; p=" + SPKI],
    "dup": ["v=DKIM1; k=rsa; k=rsa; p=" + SPKI],
    "many": ["not a key %d" % n for n in range(16)] + [GOOD],
    "servfail": "~~SERVFAIL~~",
    "nxdomain": "NXDOMAIN",
    "nul": ["v=DKIM1; k=rsa; p=" + SPKI[:20] + "\\000" + SPKI[20:]],
}

CASES = []


def sign(message, selector=b"sel", domain=b"example.com", **options):
    """A DKIM-Signature field (bytes, CRLF-terminated) made by dkimpy over `message`."""
    options.setdefault("canonicalize", (b"relaxed", b"relaxed"))
    options.setdefault("include_headers", SIGNED_HEADERS)
    return dkim.sign(message, selector, domain, PRIVATE, **options)


def signed(message=PLAIN, **options):
    return sign(message, **options) + message


def sig(tags):
    """A hand-made DKIM-Signature field from (name, value-bytes) pairs, joined with "; "."""
    parts = []
    for name, value in tags:
        parts.append(name.encode() + b"=" + (value if isinstance(value, bytes) else value.encode()))
    return b"DKIM-Signature: " + b"; ".join(parts) + b"\r\n"


BASE_TAGS = [("v", "1"), ("a", "rsa-sha256"), ("c", "relaxed/relaxed"), ("d", D), ("s", "sel"),
             ("h", "from:to:subject"), ("bh", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
             ("b", "AAAAAAAAAAAA")]


def tags_with(**changes):
    """BASE_TAGS with some values replaced (None removes the tag)."""
    out = []
    for name, value in BASE_TAGS:
        if name in changes:
            if changes[name] is not None:
                out.append((name, changes[name]))
        else:
            out.append((name, value))
    for name, value in changes.items():
        if name not in dict(BASE_TAGS) and value is not None:
            out.append((name, value))
    return out


def case(name, message, result=None, signatures=None, error=None, description=""):
    CASES.append({"name": name, "message": message, "result": result, "signatures": signatures,
                  "error": error, "description": description})


def one(result, reason):
    return [[result, reason]]


MALFORMED = ("permerror", "malformed-signature")


def malformed_case(name, field, description, reason="malformed-signature"):
    case(name, field + PLAIN, "permerror", [["permerror", reason]], description=description)


# --- Good signatures ----------------------------------------------------------------------------------------
case("good-relaxed", signed(), "pass", [["pass", None]], description="dkimpy relaxed/relaxed signature")
case("good-simple", signed(canonicalize=(b"simple", b"simple")), "pass", [["pass", None]],
     description="dkimpy simple/simple signature")
case("good-split-record", signed(selector=b"split"), "pass", [["pass", None]],
     description="key record split into three strings (RFC 6376 §3.6.2.2)")
case("good-record-beside-spf", signed(selector=b"withspf"), "pass", [["pass", None]],
     description="an SPF TXT record beside the key record is ignored")
case("good-testing-key", signed(selector=b"testing"), "pass", [["pass", None]],
     description="t=y key: pass with a warning")
case("nul-in-body-signed", signed(HEADER + b"\r\nNUL\x00byte\x00\r\n"), "pass", [["pass", None]],
     description="NUL bytes in the body are ordinary octets")
case("invalid-utf8-subject-signed",
     signed(HEADER.replace(b"hostile corpus", b"\xff\xfe\xc3(") + b"\r\n" + BODY), "pass", [["pass", None]],
     description="invalid UTF-8 in a signed header value")
folded = (b"From: Alice <alice@example.com>\r\nSubject: start" + b"\r\n x" * 100_000 + b"\r\n\r\n" + BODY)
case("subject-folded-100000-times", signed(folded, include_headers=[b"from", b"subject"]), "pass",
     [["pass", None]], description="a signed Subject folded 100,000 times (linear work)")

# --- Tampering; one signature's input must not change another's verdict ----------------------------------------
good_field = sign(PLAIN)
case("tampered-body", good_field + PLAIN.replace(b"test message", b"best message"), "fail",
     [["fail", "body-hash-mismatch"]], description="body changed after signing")
case("tampered-header", good_field + PLAIN.replace(b"hostile corpus", b"hostile c0rpus"), "fail",
     [["fail", "signature-mismatch"]], description="signed Subject changed after signing")
forged = sign(PLAIN.replace(b"test message", b"other message"))
case("bad-next-to-good", forged + good_field + PLAIN, "pass", [["fail", "body-hash-mismatch"], ["pass", None]],
     description="a failing signature above a good one: the good one still passes")
case("good-next-to-bad", good_field + forged + PLAIN, "pass", [["pass", None], ["fail", "body-hash-mismatch"]],
     description="a failing signature below a good one")
case("malformed-and-temperror-and-good",
     sig(tags_with(d=None)) + sign(PLAIN, selector=b"servfail") + good_field + PLAIN, "pass",
     [list(MALFORMED), ["temperror", "dns-temporary-failure"], ["pass", None]],
     description="malformed, temporary and good signatures side by side")
case("fifty-signatures", good_field * 50 + PLAIN, "pass",
     [["pass", None]] * 10 + [["neutral", "not-checked"]] * 40,
     description="50 signatures: only the first 10 are evaluated")
case("huge-signature-field-next-to-good",
     sig(tags_with(z="x" * (100 * 1024))) + good_field + PLAIN, "pass",
     [["permerror", "limit-exceeded"], ["pass", None]],
     description="a 100 KB DKIM-Signature field (bound 64 KiB) beside a good one")
case("huge-signature-field-alone", sig(tags_with(z="x" * (100 * 1024))) + PLAIN, "permerror",
     [["permerror", "limit-exceeded"]], description="a 100 KB DKIM-Signature field")

# --- Algorithms ---------------------------------------------------------------------------------------------------
case("rsa-sha1", signed(signature_algorithm=b"rsa-sha1"), "permerror", [["permerror", "algorithm-forbidden"]],
     description="dkimpy rsa-sha1 signature (RFC 8301 §3.1)")
malformed_case("a-unknown", sig(tags_with(a="rsa-md5")), "unknown a=rsa-md5", reason="algorithm-unsupported")
malformed_case("a-sha512", sig(tags_with(a="rsa-sha512")), "a=rsa-sha512", reason="algorithm-unsupported")
malformed_case("a-empty", sig(tags_with(a="")), "empty a=")
malformed_case("a-non-ascii", sig(tags_with(a="rsa-sh\u00e4256")), "non-ASCII a=")

# --- Tag-list syntax ----------------------------------------------------------------------------------------------
malformed_case("tag-without-equals", sig(BASE_TAGS) .replace(b"; b=", b"; oops; b="), "a tag without '='")
malformed_case("tag-name-digit", sig(BASE_TAGS + [("1x", "y")]), "a tag name starting with a digit")
malformed_case("tag-name-empty", sig(BASE_TAGS).replace(b"; b=", b"; =x; b="), "an empty tag name")
malformed_case("tag-name-non-ascii", sig(BASE_TAGS + [("\u00e9", "y")]), "a non-ASCII tag name")
malformed_case("tag-value-control", sig(BASE_TAGS + [("foo", "a\x01b")]), "a control byte in a tag value")
malformed_case("tag-value-del", sig(BASE_TAGS + [("foo", "a\x7fb")]), "DEL in a tag value")
for name in ["v", "a", "b", "bh", "d", "h", "s", "c", "i", "l", "q", "t", "x", "z"]:
    value = dict(BASE_TAGS).get(name, {"i": "@example.com", "l": "1", "q": "dns/txt", "t": "1",
                                         "x": "1800000000", "z": "From:a"}.get(name))
    malformed_case("duplicate-%s" % name, sig(tags_with(**{name: value}) + [(name, value)]),
                   "tag %s= appears twice (RFC 6376 §3.2)" % name)
for name in ["v", "a", "b", "bh", "d", "h", "s"]:
    malformed_case("missing-%s" % name, sig(tags_with(**{name: None})), "required tag %s= missing" % name)
malformed_case("empty-field", b"DKIM-Signature:\r\n", "an empty DKIM-Signature field")
malformed_case("only-semicolons", b"DKIM-Signature: ;;;;\r\n", "a field of empty tag-specs")

# --- v= / c= / q= --------------------------------------------------------------------------------------------------
malformed_case("v-2", sig(tags_with(v="2")), "v=2")
malformed_case("v-empty", sig(tags_with(v="")), "v= empty")
malformed_case("c-unknown", sig(tags_with(c="loose/simple")), "c=loose/simple")
malformed_case("c-three-parts", sig(tags_with(c="relaxed/relaxed/simple")), "c= with three parts")
malformed_case("q-http", sig(tags_with(q="http/json")), "q= without dns/txt")

# --- base64 -------------------------------------------------------------------------------------------------------
for label, value in [("garbage", "!!!!"), ("short", "A"), ("inner-padding", "AAAA=AAA"), ("too-much-padding",
                     "A==="), ("empty", ""), ("nul", b"AA\x00AA"), ("non-ascii", "AA\u00e9A")]:
    malformed_case("b-" + label, sig(tags_with(b=value)), "b= base64 " + label)
    malformed_case("bh-" + label, sig(tags_with(bh=value)), "bh= base64 " + label)

# --- d= / s= / i= hostile values -------------------------------------------------------------------------------
for tag in ["d", "s"]:
    for label, value in [("paren", "ex(ample).com"), ("quote", 'ex"ample.com'), ("space", "ex ample.com"),
                         ("long", ".".join(["a" * 60] * 5)), ("long-label", "a" * 64 + ".com"),
                         ("invalid-utf8", b"ex\xff\xfeample.com"), ("backslash", "ex\\ample.com"),
                         ("empty-label", "example..com"), ("folded", "exa\r\n mple.com"),
                         ("at", "a@example.com")]:
        malformed_case("%s-%s" % (tag, label), sig(tags_with(**{tag: value})), "%s= %s" % (tag, label))
malformed_case("d-single-label", sig(tags_with(d="com")), "d= with one label")
malformed_case("d-semicolon-injection", sig(tags_with(d="evil.com; x")), "d=evil.com; x (a tag without =)")
case("d-non-ascii", sig(tags_with(d="ex\u00e4mple.com")) + PLAIN, "permerror", [["permerror", "key-not-found"]],
     description="a U-label d= (RFC 8616) whose key does not exist")
case("s-non-ascii", sig(tags_with(s="s\u00e9l")) + PLAIN, "permerror", [["permerror", "key-not-found"]],
     description="a U-label s= whose key does not exist")
case("d-line-separator", sig(tags_with(d="evil\u2028X-Injected.example.com")) + PLAIN, "permerror",
     [["permerror", "key-not-found"]], description="U+2028 LINE SEPARATOR inside a U-label of d=")
case("s-bidi-override", sig(tags_with(s="\u202emoc")) + PLAIN, "permerror", [["permerror", "key-not-found"]],
     description="U+202E RIGHT-TO-LEFT OVERRIDE in s=")
case("i-crlf-injection", sig(tags_with(i="=0D=0AX-Injected:=20yes=3B(x)\"@example.com")) + PLAIN, "fail",
     [["fail", "body-hash-mismatch"]], description="i= decoding to CR LF ; ( \" in its local part")
case("i-non-ascii", sig(tags_with(i="j\u00f6rg@example.com")) + PLAIN, "fail", [["fail", "body-hash-mismatch"]],
     description="a UTF-8 local part in i= (RFC 8616)")
malformed_case("i-outside-domain", sig(tags_with(i="@evil.com")), "i= outside d=", reason="identity-outside-domain")
malformed_case("i-suffix-not-subdomain", sig(tags_with(i="@notexample.com")), "i=@notexample.com",
               reason="identity-outside-domain")
malformed_case("i-no-at", sig(tags_with(i="example.com")), "i= without @")
malformed_case("i-bad-qp", sig(tags_with(i="a=ZZ@example.com")), "i= with a bad =XX escape")
malformed_case("i-invalid-utf8", sig(tags_with(i=b"\xff@example.com")), "i= invalid UTF-8")
malformed_case("i-semicolon-qp", sig(tags_with(i="a;b@example.com")), "i= containing ';' ends the tag")

# --- h= ---------------------------------------------------------------------------------------------------------
malformed_case("h-without-from", sig(tags_with(h="to:subject")), "h= without From", reason="from-not-signed")
malformed_case("h-empty", sig(tags_with(h="")), "h= empty")
malformed_case("h-empty-item", sig(tags_with(h="from::to")), "h= with an empty item")
malformed_case("h-space-in-name", sig(tags_with(h="from:sub ject")), "h= with a space inside a name")
malformed_case("h-non-ascii", sig(tags_with(h="from:subj\u00e9ct")), "h= with a non-ASCII name")
malformed_case("h-257-names", sig(tags_with(h=":".join(["from"] * 257))), "h= of 257 names (bound 256)",
               reason="limit-exceeded")

# --- l= / t= / x= -----------------------------------------------------------------------------------------------
body_length = signed(length=True)
case("l-exact", body_length, "pass", [["pass", None]], description="dkimpy signature with l= the body length")
case("l-beyond-body", body_length.replace(b"l=%d" % len(BODY), b"l=%d" % (len(BODY) + 1)), "permerror",
     [["permerror", "body-length-exceeds-body"]], description="l= one octet more than the body")
malformed_case("l-77-digits", sig(tags_with(l="9" * 77)), "l= with 77 digits")
malformed_case("l-overflow", sig(tags_with(l="99999999999999999999")), "l= beyond 64 bits")
malformed_case("l-negative", sig(tags_with(l="-1")), "l=-1")
malformed_case("l-hex", sig(tags_with(l="0x10")), "l=0x10")
malformed_case("t-13-digits", sig(tags_with(t="1234567890123")), "t= with 13 digits")
malformed_case("x-13-digits", sig(tags_with(x="1234567890123")), "x= with 13 digits")
malformed_case("t-negative", sig(tags_with(t="-1")), "t=-1")
malformed_case("x-negative", sig(tags_with(x="-5")), "x=-5")
malformed_case("t-overflow", sig(tags_with(t="99999999999999999999999")), "t= beyond 64 bits")
malformed_case("x-before-t", sig(tags_with(t="1700000000", x="1600000000")), "x= before t=")
malformed_case("x-expired", sig(tags_with(t="1500000000", x="1600000000")), "x= in the past",
               reason="signature-expired")
malformed_case("t-future", sig(tags_with(t="1800000000")), "t= far in the future", reason="timestamp-in-future")
malformed_case("z-bad", sig(tags_with(z="nocolon")), "z= entry without a colon")

# --- invalid UTF-8 / NUL in every tag -----------------------------------------------------------------------------
for name in ["v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t", "x"]:
    extra = {"i": "@example.com", "l": "1", "q": "dns/txt", "t": "1", "x": "2"}
    base = dict(BASE_TAGS)[name] if name in dict(BASE_TAGS) else extra[name]
    malformed_case("invalid-utf8-in-%s" % name, sig(tags_with(**{name: base.encode()[:1] + b"\xc3\x28"})),
                   "invalid UTF-8 in %s=" % name)
    malformed_case("nul-in-%s" % name, sig(tags_with(**{name: base.encode()[:1] + b"\x00"})), "NUL in %s=" % name)

# --- Key records --------------------------------------------------------------------------------------------------
for selector, result, reason, text in [
    ("garbage", "permerror", "key-malformed", "a TXT record that is not a key record"),
    ("huge", "permerror", "limit-exceeded", "a 9 KB key record (bound 8 KiB)"),
    ("multiple", "permerror", "key-ambiguous", "two different key records at one name (RFC 6376 §3.6.2.2)"),
    ("twice", "pass", None, "one key record published twice, split differently (RFC 6376 §6.1.2: pick one)"),
    ("revoked", "permerror", "key-revoked", "empty p="),
    ("ktype", "permerror", "key-type-mismatch", "k=ed25519 for an rsa-sha256 signature"),
    ("kunknown", "permerror", "key-malformed", "k=dsa"),
    ("hsha1", "permerror", "key-hash-not-allowed", "h=sha1 only"),
    ("service", "permerror", "key-service-not-email", "s=tlsrpt"),
    ("badp", "permerror", "key-malformed", "p= not base64"),
    ("small", "permerror", "key-too-small", "a 512-bit key (RFC 8301 §3.2)"),
    ("toolarge", "permerror", "key-too-large", "a 9000-bit key (bound 8192)"),
    ("v2", "permerror", "key-malformed", "v=DKIM2"),
    ("dup", "permerror", "key-malformed", "k= twice in the key record"),
    ("many", "permerror", "limit-exceeded", "17 TXT records at the key name (bound 16)"),
    ("servfail", "temperror", "dns-temporary-failure", "SERVFAIL (~~ in the txt-records file)"),
    ("nxdomain", "permerror", "key-not-found", "NXDOMAIN"),
    ("absent", "permerror", "key-not-found", "no record at all"),
    ("nul", "permerror", "key-malformed", "a NUL byte inside p="),
]:
    case("key-" + selector, signed(selector=selector.encode()), result, [[result, reason]], description=text)
case("key-strict-subdomain", signed(selector=b"strict", identity=b"@mail.example.com"), "permerror",
     [["permerror", "key-strict-identity"]], description="t=s key with i= in a subdomain")
case("key-strict-same-domain", signed(selector=b"strict", identity=b"@example.com"), "pass", [["pass", None]],
     description="t=s key with i= exactly d=")

# --- Message-level errors -------------------------------------------------------------------------------------------
for name, message, error, text in [
    ("nul-in-field-name", b"X-\x00: v\r\n" + PLAIN, "malformed-message", "NUL in a field name"),
    ("non-ascii-field-name", b"X-\xc3\xa9: v\r\n" + PLAIN, "malformed-message", "non-ASCII field name"),
    ("bare-cr-in-header", b"Subject: a\rb\r\n" + PLAIN, "malformed-message", "bare CR in the header"),
    ("bare-lf-in-header", b"Subject: a\nb\r\n" + PLAIN, "malformed-message", "bare LF in the header"),
    ("cr-in-d", sig(tags_with(d="exa\rmple.com")) + PLAIN, "malformed-message", "bare CR inside d="),
    ("lf-in-s", sig(tags_with(s="se\nl")) + PLAIN, "malformed-message", "bare LF inside s="),
    ("fold-without-wsp-in-value", sig(tags_with(h="from:\r\nto")) + PLAIN, "malformed-message",
     "a line break inside h= not followed by WSP: the next line has no colon"),
    ("line-without-colon", b"This is not a header\r\n" + PLAIN, "malformed-message", "a line without a colon"),
    ("leading-fold", b" folded first\r\n" + PLAIN, "malformed-message", "a fold with no field above"),
    ("empty-field-name", b": value\r\n" + PLAIN, "malformed-message", "an empty field name"),
    ("header-over-1mib", (b"X-Filler: " + b"a" * 1000 + b"\r\n") * 1050 + PLAIN, "limit-exceeded",
     "a 1.05 MB header section (bound 1 MiB)"),
    ("header-10001-fields", b"A: b\r\n" * 10_001 + PLAIN, "limit-exceeded", "10,001 header fields (bound 10,000)"),
    ("header-one-million-fields", b"A:\r\n" * 1_000_000 + b"\r\n", "limit-exceeded",
     "a one-million-field header (4 MB)"),
    ("header-no-empty-line-2mib", b"Subject: " + b"x" * (2 << 20), "limit-exceeded",
     "a 2 MiB header line with no end"),
]:
    case(name, message, error=error, description=text)

# --- Messages that parse but are not signed ------------------------------------------------------------------------
case("no-signature", PLAIN, "none", [], description="an unsigned message")
case("empty-message", b"", "none", [], description="zero bytes")
case("only-body", b"\r\nbody only\r\n", "none", [], description="no header fields at all")
case("header-without-final-crlf", b"From: a@example.com", "none", [], description="a header with no CRLF")
case("nul-in-unsigned-value", b"Subject: a\x00b\r\n" + PLAIN, "none", [], description="NUL in a field value")
case("dkim-signature-name-case", sig(tags_with(d=None)).replace(b"DKIM-Signature", b"dKiM-sIgNaTuRe") + PLAIN,
     "permerror", [list(MALFORMED)], description="field name in mixed case is still a DKIM-Signature")
case("dkim-signature-space-before-colon", sig(tags_with(d=None)).replace(b"DKIM-Signature:", b"DKIM-Signature :")
     + PLAIN, "permerror", [list(MALFORMED)], description="obs-optional WSP before the colon")


def write():
    names = set()
    for old in os.listdir(HERE):
        if old.endswith(".eml"):
            os.remove(os.path.join(HERE, old))
    entries = []
    for number, item in enumerate(CASES, 1):
        assert item["name"] not in names, item["name"]
        names.add(item["name"])
        filename = "%s.eml" % item["name"]
        with open(os.path.join(HERE, filename), "wb") as handle:
            handle.write(item["message"])
        entry = {"file": filename, "description": item["description"]}
        if item["error"]:
            entry["error"] = item["error"]
        else:
            entry["result"] = item["result"]
            entry["signatures"] = [{"result": r, "reason": why} for r, why in item["signatures"]]
        entries.append(entry)
    with open(os.path.join(HERE, "expected.json"), "w") as handle:
        json.dump({"now": VERIFY_TIME, "cases": entries}, handle, indent=1)
        handle.write("\n")
    lines = ["# Key records for the hostile corpus; generated by generate.py."]
    for name, values in RECORDS.items():
        full = name + "._domainkey." + D
        if isinstance(values, str):
            lines.append("%s %s" % (full, values))
            continue
        for value in values:
            strings = value if isinstance(value, list) else [value[i:i + 255] for i in range(0, len(value), 255)]
            quoted = " ".join('"%s"' % s.replace("\\", "\\\\").replace('"', '\\"') if "\\000" not in s
                              else '"%s"' % s for s in strings)
            lines.append("%s %s" % (full, quoted))
    with open(os.path.join(HERE, "txt-records"), "w") as handle:
        handle.write("\n".join(lines) + "\n")
    print("%d cases" % len(entries))


write()
