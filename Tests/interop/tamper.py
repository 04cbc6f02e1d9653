"""Byte-level helpers shared by the interop self-check (mirrored in
Tests/dkimtoolTests/InteropDkimpyTests.swift; keep the two in step).

Tampered copies of a CRLF message whose first field is a DKIM-Signature:
  body     "X" inserted as the first body octet (a body is created when the
           message has none). The body hash no longer matches (RFC 6376 §6.1.3).
           Skipped when the signature has l=0: then no body octet is signed
           and a change is, by design, not detected (§3.5 l=, §8.2).
  subject  "X" inserted right after the colon of the first Subject field.
           dkimpy signs every Subject instance, so the header hash changes and
           the signature fails (§6.1.3 step 4), body hash intact.
  from     an extra "From:" field prepended above everything. dkimpy signs
           `from` twice in h= (one more than present, §5.4.2); a verifier
           picks instances bottom-up, so the second `from` now selects the
           added field instead of the null string the signer hashed: the
           signature fails while the body hash still matches.
"""

import re

EXTRA_FROM = b"From: Mallory <mallory@example.net>\r\n"


def first_field_length(data):
    """Octets of the first header field, folded lines and line ending included."""
    end = data.find(b"\n")
    if end < 0:
        return len(data)
    end += 1
    while end < len(data) and data[end] in (0x20, 0x09):
        nxt = data.find(b"\n", end)
        end = len(data) if nxt < 0 else nxt + 1
    return end


def strip_first_field(data):
    return data[first_field_length(data):]


def signed_length(data):
    """The l= value of the first field (the DKIM-Signature), or None."""
    field = data[:first_field_length(data)]
    m = re.search(rb"(?:^|[;\s])l\s*=\s*(\d+)", field.split(b":", 1)[1])
    return int(m.group(1)) if m else None


def body_changed(data):
    sep = data.find(b"\r\n\r\n")
    if sep >= 0:
        at = sep + 4
        return data[:at] + b"X" + data[at:]
    return data + b"\r\nX\r\n"


def subject_changed(data):
    at = data.find(b"\nSubject:")
    if at < 0:
        raise ValueError("no Subject field to tamper with")
    at += len(b"\nSubject:")
    return data[:at] + b"X" + data[at:]


def from_prepended(data):
    return EXTRA_FROM + data


def tampered_copies(data, with_length):
    """Yield (kind, bytes) for each applicable tamper of a signed CRLF message."""
    if not (with_length and signed_length(data) == 0):
        yield "body", body_changed(data)
    yield "subject", subject_changed(data)
    yield "from", from_prepended(data)
