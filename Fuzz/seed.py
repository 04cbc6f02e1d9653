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
# dnsresponse: DNS answers built by hand (RFC 1035 §4.1): header, question, answers with compressed names.
def wire_name(name):
    return b"".join(bytes([len(label)]) + label for label in name.split(b".") if label) + b"\x00"


def rr(owner, rtype, rdata):
    return owner + rtype.to_bytes(2, "big") + b"\x00\x01\x00\x00\x0e\x10" + len(rdata).to_bytes(2, "big") + rdata


def answer(qtype, answers, flags=0x8180, question=b"example.com"):
    header = b"\x12\x34" + flags.to_bytes(2, "big") + b"\x00\x01" + len(answers).to_bytes(2, "big") + b"\x00\x00" * 2
    return header + wire_name(question) + qtype.to_bytes(2, "big") + b"\x00\x01" + b"".join(answers)


HERE = b"\xc0\x0c"  # a pointer to the question name
TYPE_INDEX = {1: 0, 28: 1, 15: 2, 12: 3, 16: 4}  # byte 0 of the input picks the type, in FuzzTargets' order
dns = [
    (1, [rr(HERE, 1, b"\xc0\x00\x02\x01"), rr(HERE, 1, b"\xc6\x33\x64\x07")]),
    (28, [rr(HERE, 28, bytes.fromhex("20010db8000000000000000000000001"))]),
    (15, [rr(HERE, 15, b"\x00\x0a" + wire_name(b"mx")[:-1] + HERE),
          rr(HERE, 15, b"\x00\x14" + wire_name(b"mx2.example.net"))]),
    (12, [rr(HERE, 12, wire_name(b"host.example.org"))]),
    (16, [rr(HERE, 16, b"\x0cv=spf1 -all"), rr(HERE, 16, b"\x07v=DKIM1\x06; p=ab\x00")]),
    # a CNAME chain inside the answer: example.com -> alias.example.com (compressed) -> its TXT record
    (16, [rr(HERE, 5, b"\x05alias" + HERE), rr(b"\x05alias" + HERE, 16, b"\x05hello")]),
    (1, [rr(HERE, 5, wire_name(b"other.example")), rr(wire_name(b"other.example"), 1, b"\x7f\x00\x00\x01")]),
]
for qtype, answers in dns:
    put("dnsresponse", bytes([TYPE_INDEX[qtype]]) + answer(qtype, answers))
put("dnsresponse", b"\x04" + answer(16, [], flags=0x8183))  # NXDOMAIN
put("dnsresponse", b"\x04" + answer(16, [], flags=0x8380))  # truncated
put("dnsresponse", b"\x0c\x0dmail.Example.C" + answer(16, [rr(HERE, 16, b"\x01x")], question=b"mail.example.c"))

# spf: byte 0 = flags, then TXT records of example.com, a.example, b.example, c.example, d.example, mx.example.com
# separated by 0xFF (0xFE separates records at one name, 0xFD the strings of one record).
spf_records = set()
suite = __import__("json").load(open(os.path.join(VECTORS, "spf", "rfc7208-tests.json")))
for scenario in suite["scenarios"]:
    for records in scenario["zone"].values():
        for record in records:
            if isinstance(record, dict) and record.get("type") in ("TXT", "SPF"):
                spf_records.add(b"".join(bytes(s) for s in record["strings"]))
for record in sorted(spf_records):
    put("spf", b"\x00" + record)
    put("spf", b"\x01" + record + b"\xffv=spf1 a -all")
for parts in [
    [b"v=spf1 include:a.example redirect=b.example", b"v=spf1 mx:mx.example.com -all", b"v=spf1 mx -all"],
    [b"v=spf1 a mx ptr ip4:192.0.2.0/24 ip6:2001:db8::/32 -all exp=d.example", b"", b"", b"",
     b"%{i} is not one of %{d}'s designated mail servers (%{l}@%{o} via %{h}, %{c} %{r} %{t} %{v} %{p})"],
    [b"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} include:c.example ~all", b"", b"",
     b"v=spf1 a/64 ip6:2001:db8::7 -all"],
    [b"v=spf1 ptr:example.com a:a.example/24//64 ?all", b"v=spf1 include:b.example", b"v=spf1 include:a.example"],
    [b"v=spf1 redirect=%{d2}", b"v=spf1 -all\xfev=spf1 +all", b"v=spf1 \xfd-all"],
]:
    for flags in (b"\x00", b"\x01", b"\x0e"):
        put("spf", flags + b"\xff".join(parts))

# dmarc: byte 0 = flags, then TXT records of the names in FuzzTargets.dmarcNames separated by 0xFF; records from
# Tests/MailAuthRecordsTests.
dmarc_records = [
    b"v=DMARC1; p=none", b"v=DMARC1; p=reject; sp=quarantine; np=none", b"v=DMARC1; p=reject; psd=y",
    b"v=DMARC1; p=none; psd=n", b"v=DMARC1; p=bogus; rua=mailto:d@example.com",
    b"v=DMARC1; p=none; rua = mailto:d@Example.COM!10m , https://R.example.net/x ,",
    b"v=DMARC1; p=none; RUA=mailto:a@b.example; rua=mailto:c@d.example",
    b"v=DMARC1; p=reject; pct=50; rf=afrf; ri=86400", b"v=DMARC1; p=reject; sp=nope; rua=mailto:d@example.com",
    b"v=DMARC1; rua=mailto:d@example.com; p=quarantine; pct=25; ri=3600", b"v=DMARC1;; p=none; junk; 9x=1; =v;",
    b"v=DMARC1; v=DMARC1; p=none", b"v=DMARC1; p=none; ruf=mailto:f@example.com; fo=1:d:s",
    b"v=DMARC1; p=reject; adkim=s; aspf=s; t=y; rua=mailto:x@reports.example.net,mailto:y@example.net",
]
for record in dmarc_records:
    put("dmarc", b"\x00" + record)
    put("dmarc", b"\x00\xff\xff" + record + b"\xfev=DMARC1; p=none")
for parts in [
    [b"", b"v=DMARC1; p=reject; sp=none; rua=mailto:r@reports.example.net", b"", b"", b"", b"", b"v=DMARC1"],
    [b"v=DMARC1; p=quarantine; rua=mailto:r@reports.example.net; ruf=mailto:f@mail.sub.example.com",
     b"", b"", b"", b"v=DMARC1; p=none", b"", b"", b"", b"v=DMARC1;"],
    [b"", b"", b"v=DMARC1; p=reject; rua=mailto:a@reports.example.net", b"v=DMARC1; p=none; psd=y"],
]:
    for flags in (b"\x00", b"\x01", b"\x02"):
        put("dmarc", flags + b"\xff".join(parts))

for target in sorted(os.listdir(OUT)):
    print(target, len(os.listdir(os.path.join(OUT, target))))
