"""Read a `--txt-records` file and serve it to dkimpy as its DNS lookup.

File format (the dkimtool CLI contract, ARCHITECTURE.md §5):
    one record per line: NAME<whitespace>VALUE
    VALUE is either the rest of the line (trailing white space dropped), or a
    sequence of double-quoted character-strings as in a zone file, which are
    concatenated (RFC 6376 §3.6.2.2: a TXT record's strings are joined with
    nothing between them). Inside quotes, backslash escapes a following
    character, and \\DDD is a decimal octet (RFC 1035 §5.1).
    Empty lines and lines whose first non-blank character is '#' are ignored.
    A name may appear on several lines: each line is one TXT record.

No network is ever used: a name without a line here has no record.
"""

import re

_WSP = b" \t"


class TxtRecordsError(ValueError):
    """The file does not follow the format above."""


def _parse_quoted(value, lineno):
    """Parse `"a" "b" ...` into the concatenation of the strings."""
    out = bytearray()
    i = 0
    n = len(value)
    while i < n:
        if value[i] in _WSP:
            i += 1
            continue
        if value[i] != 0x22:  # '"'
            raise TxtRecordsError("line %d: text outside quotes after a quoted string" % lineno)
        i += 1
        closed = False
        while i < n:
            c = value[i]
            if c == 0x22:
                closed = True
                i += 1
                break
            if c == 0x5C:  # backslash
                if i + 1 >= n:
                    raise TxtRecordsError("line %d: backslash at end of line" % lineno)
                digits = value[i + 1:i + 4]
                if len(digits) == 3 and all(0x30 <= d <= 0x39 for d in digits):
                    octet = int(digits)
                    if octet > 255:
                        raise TxtRecordsError("line %d: \\DDD escape over 255" % lineno)
                    out.append(octet)
                    i += 4
                else:
                    out.append(value[i + 1])
                    i += 2
                continue
            out.append(c)
            i += 1
        if not closed:
            raise TxtRecordsError("line %d: unterminated quoted string" % lineno)
    return bytes(out)


def _normalise_name(name):
    """Lower-case, drop one trailing dot: DNS names compare case-insensitively."""
    if isinstance(name, str):
        name = name.encode("ascii")
    name = name.lower()
    if name.endswith(b"."):
        name = name[:-1]
    return name


def parse(data):
    """Parse the file's bytes into {name: [record bytes, ...]}."""
    records = {}
    for lineno, raw in enumerate(re.split(rb"\r?\n", data), start=1):
        line = raw.strip(_WSP)
        if not line or line.startswith(b"#"):
            continue
        m = re.match(rb"([^ \t]+)[ \t]+(.*)$", line)
        if m is None:
            raise TxtRecordsError("line %d: expected NAME<whitespace>VALUE" % lineno)
        name, value = m.group(1), m.group(2)
        if value.startswith(b'"'):
            value = _parse_quoted(value, lineno)
        records.setdefault(_normalise_name(name), []).append(value)
    return records


def load(path):
    """Parse the file at `path`."""
    with open(path, "rb") as f:
        return parse(f.read())


def dnsfunc_for(records):
    """Return a dkimpy-compatible `dnsfunc(name, timeout=5)` over `records`.

    dkimpy asks for e.g. b"sel._domainkey.example.com." and wants the TXT
    record's joined strings as bytes, or None when there is none. With several
    records for a name, the first one in file order is returned (dkimpy's own
    DNS helper also returns the first TXT record of an answer).
    """

    def dnsfunc(name, timeout=5):
        found = records.get(_normalise_name(name))
        if not found:
            return None
        return found[0]

    return dnsfunc
