#!/usr/bin/env python3
"""Compute facts about the Mail::DKIM corpus: per DKIM-Signature, the tags, the key record,
key size, body-hash match and whether the crypto verifies (independently of the verdict order),
plus dkimpy's opinion. Prints JSON to stdout."""
import base64, hashlib, json, os, re, sys, logging, io

from cryptography.hazmat.primitives.asymmetric import padding, rsa, ed25519
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.exceptions import InvalidSignature

ROOT = sys.argv[1]
NOW = 1700000000

# ---------- FAKE_DNS ----------
def load_dns(path):
    recs = {}
    for line in open(path, 'rb').read().split(b'\n'):
        line = line.rstrip(b'\r')
        if not line.strip() or re.match(rb'^\s*[#;]', line):
            continue
        k, v = re.split(rb'\s+', line, maxsplit=1)
        recs[k.decode().lower()] = v
    return recs

DNS = load_dns(os.path.join(ROOT, 'FAKE_DNS.dat'))

def lookup(name):
    """('records', [bytes]) | ('notFound',) | ('temp', text)"""
    v = DNS.get(name.lower())
    if v is None:
        return ('notFound', 'no entry')
    m = re.match(rb'^~~(.*)~~$', v)
    if m:
        return ('temp', m.group(1).decode())
    if v == b'NXDOMAIN':
        return ('notFound', 'NXDOMAIN')
    if v == b'""':
        return ('records', [b''])
    return ('records', [v])

# ---------- message ----------
def normalize(raw):
    return re.sub(rb'(?<!\r)\n', b'\r\n', raw)

def split(msg):
    i = msg.find(b'\r\n\r\n')
    if i < 0:
        return msg, b''  # no body
    return msg[:i + 2], msg[i + 4:]

def fields(header):
    out = []
    for m in re.finditer(rb'([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)\r\n', header):
        line = m.group(1)
        if not line:
            continue
        name, _, value = line.partition(b':')
        out.append((name, value, line + b'\r\n'))
    return out

# ---------- tag list (RFC 6376 §3.2) ----------
FWS = rb'(?:[ \t]*\r\n)?[ \t]+'
def parse_tags(value):
    tags = []
    parts = value.split(b';')
    for n, p in enumerate(parts):
        if re.fullmatch(rb'[ \t\r\n]*', p):
            if n == len(parts) - 1 and n > 0:
                continue  # trailing ';'
            raise ValueError('empty tag-spec')
        m = re.fullmatch(rb'[ \t\r\n]*([A-Za-z][A-Za-z0-9_]*)[ \t\r\n]*=[ \t\r\n]*(.*?)[ \t\r\n]*', p, re.S)
        if not m:
            raise ValueError('tag-spec without name=value: %r' % p)
        name = m.group(1).decode()
        if any(t[0] == name for t in tags):
            raise ValueError('duplicate tag ' + name)
        tags.append((name, m.group(2)))
    return dict(tags), [t[0] for t in tags]

def nows(b):
    return re.sub(rb'[ \t\r\n]+', b'', b)

# ---------- canonicalization ----------
def body_simple(b):
    b = re.sub(rb'(\r\n)*$', b'', b)
    return b + b'\r\n'  # empty body -> CRLF (RFC 6376 §3.4.3)

def body_relaxed(b):
    b = re.sub(rb'[ \t]+\r\n', b'\r\n', b)
    b = re.sub(rb'[ \t]+', b' ', b)
    b = re.sub(rb'(\r\n)*$', b'', b)
    return b + b'\r\n' if b else b''  # RFC 6376 §3.4.4 + errata 3192? (empty -> empty)

def hdr_simple(raw):
    return raw

def hdr_relaxed(raw):
    name, _, value = raw.partition(b':')
    name = name.lower().rstrip(b' \t')
    value = re.sub(rb'\r\n', b'', value)
    value = re.sub(rb'[ \t]+', b' ', value)
    value = value.strip(b' \t')
    return name + b':' + value + b'\r\n'

# ---------- key record (RFC 6376 §3.6.1) ----------
def parse_key(rec):
    try:
        tags, order = parse_tags(rec)
    except ValueError as e:
        return None, 'tag list: %s' % e
    if 'v' in tags and (order[0] != 'v' or tags['v'] != b'DKIM1'):
        return None, 'v= not DKIM1 or not first'
    if 'p' not in tags:
        return None, 'no p='
    k = tags.get('k', b'rsa').decode()
    if k not in ('rsa', 'ed25519'):
        return None, 'unknown k=' + k
    return tags, None

def key_bits(tags):
    p = nows(tags['p'])
    k = tags.get('k', b'rsa').decode()
    der = base64.b64decode(p, validate=True)
    if k == 'ed25519':
        if len(der) != 32:
            raise ValueError('ed25519 p= is %d octets, not 32 (RFC 8463 §4.2)' % len(der))
        return ed25519.Ed25519PublicKey.from_public_bytes(der), 256
    try:
        pub = serialization.load_der_public_key(der)
    except Exception:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicNumbers
        raise
    return pub, pub.key_size

# ---------- per-signature facts ----------
def crypto_facts(sigtags, raw_field, hdrs, body, alg):
    f = {}
    c = sigtags.get('c', b'simple').decode().lower()
    hc, _, bc = c.partition('/')
    bc = bc or 'simple'
    if hc not in ('simple', 'relaxed') or bc not in ('simple', 'relaxed'):
        f['crypto'] = 'unknown canonicalization'
        return f
    cb = body_simple(body) if bc == 'simple' else body_relaxed(body)
    f['canonicalBodyLength'] = len(cb)
    if 'l' in sigtags:
        l = int(sigtags['l'])
        f['l'] = l
        if l > len(cb):
            f['lExceedsBody'] = True
        cb = cb[:l]
    hname = 'sha1' if alg == 'rsa-sha1' else 'sha256'
    bh = hashlib.new(hname, cb).digest()
    try:
        f['bodyHashMatches'] = bh == base64.b64decode(nows(sigtags['bh']))
    except Exception:
        f['bodyHashMatches'] = False
    f['computedBodyHash'] = base64.b64encode(bh).decode()
    # headers, bottom-up selection (RFC 6376 §5.4.2)
    canon = hdr_simple if hc == 'simple' else hdr_relaxed
    used = {}
    data = b''
    for n in [x.strip() for x in re.split(rb'[ \t\r\n]*:[ \t\r\n]*', nows(sigtags['h']))]:
        key = n.lower()
        cands = [h for h in hdrs if h[0].strip().lower() == key]
        k = used.get(key, 0)
        if k < len(cands):
            data += canon(cands[len(cands) - 1 - k][2])
            used[key] = k + 1
    # the signature field itself, b= blanked, without trailing CRLF
    assert raw_field.endswith(b'\r\n')
    val = raw_field[:-2].partition(b':')[2]
    m = re.search(rb'(^|;)([ \t\r\n]*b[ \t\r\n]*=)([^;]*)', val)
    start = m.start(3)
    end = m.end(3)
    blanked = raw_field.partition(b':')[0] + b':' + val[:start] + val[end:]
    data += canon(blanked + b'\r\n')[:-2]
    f['signedDataSha'] = hashlib.sha256(data).hexdigest()[:16]
    f['_data'] = data
    return f

def verify_crypto(pub, alg, data, sig):
    try:
        if alg == 'ed25519-sha256':
            pub.verify(sig, hashlib.sha256(data).digest())
        else:
            h = hashes.SHA1() if alg == 'rsa-sha1' else hashes.SHA256()
            pub.verify(sig, data, padding.PKCS1v15(), h)
        return True
    except InvalidSignature:
        return False
    except Exception as e:
        return 'error: %s' % e

# ---------- dkimpy ----------
import dkim
dkim.time.time = lambda: NOW  # same clock as ours

def dkimpy_dns(name, timeout=5):
    n = name.decode() if isinstance(name, bytes) else name
    r = lookup(n.rstrip('.'))
    if r[0] == 'temp':
        raise dkim.DnsTimeoutError(r[1])
    if r[0] == 'notFound':
        return None
    return r[1][0]

def dkimpy_opinion(msg, idx, minkey):
    stream = io.StringIO()
    log = logging.getLogger('dk%d%d' % (idx, minkey))
    log.handlers = [logging.StreamHandler(stream)]
    log.setLevel(logging.ERROR)
    log.propagate = False
    d = dkim.DKIM(msg, logger=log, minkey=minkey)
    try:
        ok = d.verify(idx=idx, dnsfunc=dkimpy_dns)
        text = 'pass' if ok else 'fail'
        extra = stream.getvalue().strip()
        return text + (': ' + extra.splitlines()[-1] if extra and not ok else '')
    except dkim.DKIMException as e:
        return 'error: %s: %s' % (type(e).__name__, e)
    except Exception as e:
        return 'exception: %s: %s' % (type(e).__name__, e)

# ---------- main ----------
out = {}
for fn in sorted(os.listdir(os.path.join(ROOT, 'messages'))):
    raw = open(os.path.join(ROOT, 'messages', fn), 'rb').read()
    msg = normalize(raw)
    header, body = split(msg)
    hdrs = fields(header)
    sigs = []
    for idx, (name, value, rawf) in enumerate([h for h in hdrs if h[0].strip().lower() == b'dkim-signature']):
        s = {'index': idx}
        try:
            tags, order = parse_tags(value)
            s['tags'] = {k: nows(v).decode('latin1') if k in ('b', 'bh', 'h') else v.decode('latin1')
                         for k, v in tags.items()}
        except ValueError as e:
            s['tagListError'] = str(e)
            s['dkimpy'] = dkimpy_opinion(msg, idx, 1024)
            s['dkimpyMinkey512'] = dkimpy_opinion(msg, idx, 512)
            sigs.append(s)
            continue
        alg = tags.get('a', b'').decode().lower()
        if 'd' in tags and 's' in tags:
            name = '%s._domainkey.%s' % (tags['s'].decode(), tags['d'].decode())
            s['keyName'] = name
            r = lookup(name)
            s['dns'] = r[0] if r[0] != 'records' else 'records'
            if r[0] == 'temp':
                s['dnsText'] = r[1]
            if r[0] == 'records':
                ktags, kerr = parse_key(r[1][0])
                s['keyRecord'] = r[1][0].decode('latin1')
                if kerr:
                    s['keyRecordError'] = kerr
                else:
                    s['keyTags'] = {k: v.decode('latin1') for k, v in ktags.items() if k != 'p'}
                    if ktags['p'] == b'':
                        s['keyRevoked'] = True
                    else:
                        try:
                            pub, bits = key_bits(ktags)
                            s['keyBits'] = bits
                        except Exception as e:
                            s['keyDecodeError'] = str(e)
                            pub = None
                        if pub is not None and alg in ('rsa-sha1', 'rsa-sha256', 'ed25519-sha256') \
                                and 'bh' in tags and 'h' in tags and 'b' in tags:
                            cf = crypto_facts(tags, rawf, hdrs, body, alg)
                            data = cf.pop('_data', None)
                            s.update(cf)
                            if data is not None:
                                try:
                                    sig = base64.b64decode(nows(tags['b']), validate=True)
                                    s['cryptoVerifies'] = verify_crypto(pub, alg, data, sig)
                                except Exception as e:
                                    s['cryptoVerifies'] = 'b= not base64: %s' % e
        if 'bh' in tags and 'computedBodyHash' not in s and alg in ('rsa-sha1', 'rsa-sha256', 'ed25519-sha256'):
            cf = crypto_facts(tags, rawf, hdrs, body, alg)
            cf.pop('_data', None)
            s.update({k: v for k, v in cf.items() if k != 'signedDataSha'})
        s['dkimpy'] = dkimpy_opinion(msg, idx, 1024)
        s['dkimpyMinkey512'] = dkimpy_opinion(msg, idx, 512)
        sigs.append(s)
    out[fn] = {'lineEndings': 'CRLF' if b'\r\n' in raw else 'LF',
               'bodyLength': len(body),
               'domainKeySignatures': sum(1 for h in hdrs if h[0].strip().lower() == b'domainkey-signature'),
               'signatures': sigs}
json.dump(out, sys.stdout, indent=1)
