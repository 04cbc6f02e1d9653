#!/usr/bin/env python3
"""Apply the verification order to the computed facts and write expected.json."""
import json, re, sys, base64, collections

facts = json.load(open(sys.argv[1]))
NOW = 1700000000

# Mail::DKIM's own t/verifier.t expectations (message level). ed25519 files are absent from the copy consulted.
HISTORIC = {}
for line in """good_ietf00_1 pass(skipped) good_ietf00_2 pass(skipped) good_ietf00_3 pass(skipped) good_ietf00_4 pass(skipped)
good_ietf00_5 pass(skipped) mine_ietf01_1 pass mine_ietf01_2 pass mine_ietf01_3 pass mine_ietf01_4 pass mine_ietf05_1 pass
good_ietf01_1 pass good_ietf01_2 pass good_rfc4871_3 pass good_rfc4871_4 pass good_1878523 pass good_83176 pass
multiple_1 pass multiple_2 pass good_qp_1 pass good_qp_2 pass good_qp_3 pass bad_ietf01_1 fail bad_ietf01_2 fail
bad_ietf01_3 fail bad_1 fail bad_1878954 fail good_dk_gmail pass good_dk_yahoo pass good_dk_1 pass good_dk_2 pass
good_dk_3 pass good_dk_4 pass good_dk_5 pass good_dk_6 pass good_dk_7 pass dk_headers_1 pass dk_headers_2 pass
bad_dk_1 invalid bad_dk_2 invalid bad_dk_3 invalid(skipped) bad_dk_4 invalid bad_dk_5 invalid dk_multiple_1 pass
no_body_1 pass no_body_2 pass no_body_3 pass ignore_1 invalid ignore_2 invalid ignore_3 invalid ignore_4 invalid
ignore_5 invalid ignore_6 invalid ignore_7 invalid ignore_8 invalid goodkey_1 pass goodkey_2 pass goodkey_3 pass
goodkey_4 pass badkey_1 invalid badkey_2 invalid badkey_3 invalid badkey_4 invalid badkey_5 invalid badkey_6 invalid
badkey_7 invalid badkey_8 invalid badkey_9 invalid badkey_10 invalid badkey_11 invalid badkey_12 invalid
badkey_13 invalid badkey_14 invalid badkey_15 invalid""".split('\n'):
    toks = line.split()
    for name, verdict in zip(toks[0::2], toks[1::2]):
        HISTORIC[name + '.txt'] = verdict

def hdr_list(h):
    return [x for x in re.split(r':', h)]

def qp_decode(v):
    return re.sub(r'=([0-9A-Fa-f]{2})', lambda m: chr(int(m.group(1), 16)), v)

def same_or_sub(name, dom):
    name, dom = name.lower(), dom.lower()
    return name == dom or name.endswith('.' + dom)

def b64ok(v):
    try:
        return len(base64.b64decode(v, validate=True)) > 0
    except Exception:
        return False

def validate(t):
    """RFC 6376 §3.5 / §6.1.1 checks that need neither DNS nor clock; returns a fault sentence or None."""
    for n in ['v', 'a', 'b', 'bh', 'd', 'h', 's']:
        if n not in t:
            return 'the required tag %s= is missing (RFC 6376 §3.5, §6.1.1)' % n
    if t['v'] != '1':
        return 'v=%s is not 1 (RFC 6376 §3.5; §6.1.1: incompatible version)' % t['v']
    if not b64ok(t['b']) or not b64ok(t['bh']):
        return 'b= or bh= is not base64 (RFC 6376 §3.5)'
    if 'c' in t:
        parts = t['c'].lower().split('/')
        if len(parts) > 2 or any(p not in ('simple', 'relaxed') for p in parts):
            return 'c=%s names an unknown canonicalization (RFC 6376 §3.5: simple or relaxed)' % t['c']
    if 'from' not in [x.strip().lower() for x in t['h'].split(':')]:
        return ('from-not-signed', 'h= does not include From (RFC 6376 §5.4, §6.1.1)')
    if 'i' in t:
        ident = qp_decode(t['i'])
        dom = ident.rpartition('@')[2]
        if not same_or_sub(dom, t['d']):
            return ('identity-outside-domain',
                    'i=%s is not in d=%s or a subdomain of it (RFC 6376 §3.5, §6.1.1)' % (ident, t['d']))
    if 'q' in t:
        methods = [m.strip().lower() for m in t['q'].split(':')]
        if 'dns/txt' not in methods:
            return ('q=%s offers no recognised query method: unrecognised methods are ignored and dns/txt '
                    'is the only one defined (RFC 6376 §3.5), so no key can be fetched' % t['q'])
    for n in ('t', 'x'):
        if n in t and not re.fullmatch(r'\d{1,12}', t[n]):
            return '%s= is not 1*12DIGIT (RFC 6376 §3.5)' % n
    if 't' in t and 'x' in t and int(t['x']) <= int(t['t']):
        return 'x= is not after t= (RFC 6376 §3.5)'
    return None

def key_checks(s, alg):
    """Steps after the DNS answer, in our order. Returns (result, reason, why) or None to continue."""
    if 'keyRecordError' in s:
        return ('permerror', 'key-malformed',
                'the key record %r does not parse as a DKIM key record: %s (RFC 6376 §3.6.1, §6.1.2)'
                % (s['keyRecord'], s['keyRecordError']))
    kt = s['keyTags']
    if s.get('keyRevoked'):
        return ('permerror', 'key-revoked', 'the key record has an empty p= (revoked, RFC 6376 §3.6.1, §6.1.2)')
    k = kt.get('k', 'rsa')
    if (k == 'rsa') != alg.startswith('rsa-'):
        return ('permerror', 'key-type-mismatch', 'k=%s does not match a=%s (RFC 6376 §6.1.2)' % (k, alg))
    if 'h' in kt:
        hs = [x.strip().lower() for x in kt['h'].split(':')]
        if 'sha256' not in hs:
            return ('permerror', 'key-hash-not-allowed',
                    'the key record h=%s does not list sha256, the hash of a=%s (RFC 6376 §3.6.1 h=, §6.1.2: '
                    'inappropriate hash algorithm)' % (kt['h'], alg))
    if 's' in kt:
        ss = [x.strip().lower() for x in kt['s'].split(':')]
        if 'email' not in ss and '*' not in ss:
            return ('permerror', 'key-service-not-email',
                    'the key record s=%s lists neither email nor * (RFC 6376 §3.6.1 s=)' % kt['s'])
    return None


DKIMPY_NOTES = {
    ('bad_1878954.txt', 0): 'dkimpy accepts rsa-sha1 and so reaches the body hash, which does not match; RFC 8301 '
                            '§3.1 stops us at a= first',
    ('badkey_14.txt', 0): 'dkimpy accepts rsa-sha1, looks the key up and reports the DNS timeout; we reject a=rsa-sha1 '
                          '(RFC 8301 §3.1) before any lookup, so the temporary failure is never reached',
    ('badkey_15.txt', 0): 'dkimpy accepts rsa-sha1, looks the key up and reports the SERVFAIL; we reject a=rsa-sha1 '
                          '(RFC 8301 §3.1) before any lookup, so the temporary failure is never reached',
    ('multiple_2.txt', 1): 'dkimpy passes it: it still accepts rsa-sha1 and the key has 1024 bits; RFC 8301 §3.1 says '
                           'verifiers MUST NOT consider rsa-sha1 signatures valid',
    ('multiple_2.txt', 2): 'dkimpy fails it on the altered b= (signature mismatch); we stop earlier at a=rsa-sha1',
    ('goodkey_2.txt', 0): 'dkimpy discards this key because it compares the key s= tag as one string '
                          '("email:web:fine" is not "email"), whereas RFC 6376 §3.6.1 makes s= a colon-separated list',
    ('badkey_11.txt', 0): 'dkimpy discards this key because it compares the key s= tag as one string '
                          '("email:web:fine" is not "email"), whereas RFC 6376 §3.6.1 makes s= a colon-separated list '
                          'containing email; the record is refused for its h= instead',
    ('good_qp_2.txt', 0): 'dkimpy does not decode i= as DKIM-Quoted-Printable (RFC 6376 §3.5), so it thinks i= lies '
                          'outside d=; decoded, i=jlong@messiah.edu is inside d=',
    ('good_qp_3.txt', 0): 'dkimpy does not decode i= as DKIM-Quoted-Printable (RFC 6376 §3.5), so it finds no "@" '
                          'domain in d=; decoded, i=jlong@messiah.edu is inside d=',
    ('good_83176.txt', 0): 'dkimpy refuses any q= other than exactly "dns/txt"; RFC 6376 §3.5 says unrecognised '
                           'query methods are ignored, and this q= includes dns/txt',
}

def historic_note(fn, hist, verdict, sigs):
    reasons = sorted(set(x['reason'] for x in sigs if x['reason']))
    h = hist.replace('(skipped)', '')
    if hist.startswith('not in'):
        return None
    same = (h == verdict) or (h == 'invalid' and verdict in ('permerror', 'none') and sigs)
    if same:
        return None
    why = {'malformed-signature': 'pre-RFC draft or broken signature fields (RFC 6376 §3.5, §6.1.1)',
           'algorithm-forbidden': 'rsa-sha1 (RFC 8301 §3.1)',
           'key-hash-not-allowed': 'key h= excludes sha256 (RFC 6376 §3.6.1)'}
    if not sigs:
        return ('Mail::DKIM expected %s because it also verifies DomainKeys (RFC 4870) signatures; this verifier '
                'checks DKIM-Signature fields only, and there are none' % hist)
    return 'Mail::DKIM expected %s; by RFC 6376 + RFC 8301 today: %s (%s)' % (
        hist, verdict, '; '.join(why.get(r, r) for r in reasons))

out = {'now': NOW, 'source': 'Mail::DKIM t/corpus (fastmail/mail-dkim f9e8b55); see README.md', 'messages': {}}
for fn, m in facts.items():
    sigs = []
    for s in m['signatures']:
        e = {'index': s['index']}
        notes = []
        if 'tagListError' in s:
            e.update(result='permerror', reason='malformed-signature',
                     why='the field value is not a tag-list (%s; RFC 6376 §3.2, §6.1.1)' % s['tagListError'])
        else:
            t = s['tags']
            alg = t.get('a', '').lower()
            fault = validate(t)
            if isinstance(fault, tuple):
                e.update(result='permerror', reason=fault[0], why=fault[1])
            elif fault:
                e.update(result='permerror', reason='malformed-signature', why=fault)
            elif alg == 'rsa-sha1':
                e.update(result='permerror', reason='algorithm-forbidden',
                         why='a=rsa-sha1: verifiers MUST NOT consider rsa-sha1 signatures valid (RFC 8301 §3.1)')
            elif alg not in ('rsa-sha256', 'ed25519-sha256'):
                e.update(result='permerror', reason='algorithm-unsupported',
                         why='a=%s is not an algorithm we implement (RFC 6376 §3.3, §6.1.1)' % t['a'])
            elif 'x' in t and int(t['x']) < NOW:
                e.update(result='permerror', reason='signature-expired', why='x=%s is before now' % t['x'])
            elif 't' in t and int(t['t']) > NOW + 300:
                e.update(result='permerror', reason='timestamp-in-future', why='t= after now + 300 s')
            elif s['dns'] == 'temp':
                e.update(result='temperror', reason='dns-temporary-failure',
                         why='the key query for %s fails temporarily (FAKE_DNS "~~%s~~"; RFC 6376 §6.1.2: '
                             'TEMPFAIL, key unavailable)' % (s['keyName'], s['dnsText']))
            elif s['dns'] == 'notFound':
                e.update(result='permerror', reason='key-not-found',
                         why='no TXT record at %s (absent from FAKE_DNS.dat; RFC 6376 §6.1.2: PERMFAIL, no key '
                             'for signature)' % s['keyName'])
            else:
                r = key_checks(s, alg)
                if r:
                    e.update(result=r[0], reason=r[1], why=r[2])
                elif 'keyDecodeError' in s:
                    e.update(result='permerror', reason='key-malformed',
                             why='p= does not decode to a public key: %s (RFC 6376 §6.1.2)' % s['keyDecodeError'])
                elif alg.startswith('rsa-') and s['keyBits'] < 1024:
                    e.update(result='permerror', reason='key-too-small',
                             why='the RSA key has %d bits; verifiers MUST NOT consider signatures with keys under '
                                 '1024 bits valid (RFC 8301 §3.2)' % s['keyBits'])
                elif s.get('lExceedsBody'):
                    e.update(result='permerror', reason='body-length-exceeds-body', why='l= > canonical body')
                elif not s['bodyHashMatches']:
                    e.update(result='fail', reason='body-hash-mismatch',
                             why='the canonical body hashes to %s, not bh=%s (RFC 6376 §6.1.3)'
                                 % (s['computedBodyHash'], t['bh']))
                elif s['cryptoVerifies'] is not True:
                    e.update(result='fail', reason='signature-mismatch',
                             why='the body hash matches but the signature does not verify over the signed header '
                                 'fields (RFC 6376 §6.1.3)')
                else:
                    e.update(result='pass', reason=None,
                             why='body hash and signature verify (RFC 6376 §6.1.3, RFC 8463 for ed25519)')
            # facts beyond the first fault, for the reader
            later = []
            if e['reason'] not in ('algorithm-forbidden',) and alg == 'rsa-sha1':
                later.append('also a=rsa-sha1 (RFC 8301 §3.1)')
            if 'x' in t and int(t['x']) < NOW and e['reason'] != 'signature-expired':
                later.append('x=%s is before now (signature-expired)' % t['x'])
            if 'keyBits' in s and alg.startswith('rsa-') and s['keyBits'] < 1024 and e['reason'] != 'key-too-small':
                later.append('the key has %d bits' % s['keyBits'])
            if 'cryptoVerifies' in s and e['result'] != 'pass':
                later.append('computed: body hash %s, signature %s' % (
                    'matches' if s.get('bodyHashMatches') else 'differs',
                    'verifies' if s['cryptoVerifies'] is True else 'does not verify'))
            if later:
                e['why'] += '. Later checks, not reached: ' + '; '.join(later)
        if (fn, s['index']) in DKIMPY_NOTES:
            e['why'] += '. dkimpy differs: ' + DKIMPY_NOTES[(fn, s['index'])]
        e['peer'] = {'dkimpy': s.get('dkimpy'), 'dkimpyMinkey512': s.get('dkimpyMinkey512')}
        sigs.append(e)
    rs = [x['result'] for x in sigs]
    verdict = ('pass' if 'pass' in rs else 'temperror' if 'temperror' in rs else 'fail' if 'fail' in rs
               else 'permerror' if 'permerror' in rs else 'none')
    entry = {'result': verdict}
    if not sigs:
        entry['why'] = ('no DKIM-Signature field; %d DomainKey-Signature field(s) (pre-DKIM DomainKeys, RFC 4870) '
                        'are not DKIM signatures and are ignored' % m['domainKeySignatures']
                        if m['domainKeySignatures'] else 'no DKIM-Signature field')
    hn = historic_note(fn, HISTORIC.get(fn, 'not in'), verdict, sigs)
    if hn:
        entry['why'] = (entry['why'] + '. ' if 'why' in entry else '') + hn
    entry['signatures'] = sigs
    entry['peer'] = {'mailDKIM': HISTORIC.get(fn, 'not in the t/verifier.t copy consulted')}
    out['messages'][fn] = entry

json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
print()
