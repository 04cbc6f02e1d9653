"""The four DKIM implementations of the interop matrix, behind one interface.

    peer.sign(selector, algorithm, canonicalization, inputs, out_dir, now, options) -> [error lines]
    peer.verify(files, nameserver, as_is=False) -> {file: {"result", "signatures": [{"result", "reason",
                                                            "warnings"}]}}

Signers: dkimtool, dkimpy, Mail::DKIM, OpenDKIM. options is a dict with any of
identity (i=), length (l=), expire_after (x= = t= + N), oversign (names listed
once more in h=); a peer that cannot do one raises Unsupported.

The peer drivers (peer_dkimpy.py, peer_mail_dkim.pl, peer_opendkim.c) live
next to this file; peer_opendkim.c is compiled with gcc into a scratch
directory on first use.
"""

import json
import os
import shutil
import subprocess
import sys
import threading

import peerkeys

HERE = os.path.dirname(os.path.abspath(__file__))
INSTALL_HINT = "run scripts/install-deps (as root) to install dkimpy, Mail::DKIM, OpenDKIM and dnsmasq"

KEY_FOR_SELECTOR = {
    "rsa": peerkeys.RSA_KEY, "revoked": peerkeys.RSA_KEY, "sha1only": peerkeys.RSA_KEY,
    "strict": peerkeys.RSA_KEY, "ed": peerkeys.ED_KEY, "small": peerkeys.SMALL_KEY,
}


class Unsupported(Exception):
    """The peer cannot produce what was asked (e.g. Ed25519 in Mail::DKIM 1.20230212)."""


class PeerMissing(RuntimeError):
    pass


def _run(args, timeout=600):
    return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)


def _json_lines(out):
    result = {}
    for line in out.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line:
            obj = json.loads(line)
            result[obj["file"]] = obj
    return result


def _chunks(items, size=400):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class Peer:
    name = "?"
    label = "?"
    sign_algorithms = ()
    verify_algorithms = ()
    options = ()
    broken = set()  # (algorithm, header canonicalization) the peer signs wrongly

    def can_sign(self, algorithm, canonicalization):
        return (algorithm in self.sign_algorithms
                and (algorithm, canonicalization.split("/")[0]) not in self.broken)

    def check(self):
        """Raise PeerMissing when the peer is not installed."""

    def version(self):
        return "?"

    def _check_options(self, options):
        for k in options:
            if k not in self.options:
                raise Unsupported("%s cannot sign with %s" % (self.label, k))

    def sign(self, selector, algorithm, canonicalization, inputs, out_dir, now, options=None):
        options = options or {}
        if algorithm not in self.sign_algorithms:
            raise Unsupported("%s cannot sign %s" % (self.label, algorithm))
        self._check_options(options)
        args = self._sign_command(KEY_FOR_SELECTOR[selector], selector, algorithm, canonicalization,
                                  now, options, out_dir)
        errors = []
        for chunk in _chunks(inputs):
            r = _run(args + chunk)
            if r.returncode != 0:
                errors.append("%s sign exited %d: %s" % (self.label, r.returncode,
                                                         r.stderr.decode("utf-8", "replace")[:2000]))
        return errors

    def verify(self, files, nameserver, as_is=False):
        out = {}
        for chunk in _chunks(files):
            r = _run(self._verify_command(nameserver, as_is) + chunk)
            if r.returncode not in (0, 1):
                raise RuntimeError("%s verify exited %d: %s" % (self.label, r.returncode,
                                                               r.stderr.decode("utf-8", "replace")[:2000]))
            out.update(self._normalise(_json_lines(r.stdout)))
        return out

    def _normalise(self, objs):
        return objs


class Dkimtool(Peer):
    name, label = "dkimtool", "dkimtool"
    sign_algorithms = ("rsa-sha256", "ed25519-sha256")
    verify_algorithms = ("rsa-sha256", "ed25519-sha256")
    options = ("identity", "length", "expire_after", "oversign")

    def __init__(self, path):
        self.path = path

    def check(self):
        if not (self.path and os.access(self.path, os.X_OK)):
            raise PeerMissing("dkimtool not found at %r (run `swift build`, or pass --dkimtool)" % self.path)

    def version(self):
        return _run([self.path, "--version"]).stdout.decode().strip() or "?"

    def _sign_command(self, key, selector, algorithm, canonicalization, now, options, out_dir):
        args = [self.path, "sign", "--domain", peerkeys.DOMAIN, "--selector", selector, "--key", key,
                "--algorithm", algorithm, "--canonicalization", canonicalization, "--now", str(now),
                "--output-dir", out_dir, "--force"]
        if "identity" in options:
            args += ["--identity", options["identity"]]
        if options.get("length"):
            args += ["--body-length"]
        if "expire_after" in options:
            args += ["--expire-after", str(options["expire_after"])]
        if "oversign" in options:
            args += ["--oversign", options["oversign"]]
        return args

    def _verify_command(self, nameserver, as_is):
        return [self.path, "verify", "--format", "json", "--nameserver", nameserver]

    def _normalise(self, objs):
        for obj in objs.values():
            for s in obj["signatures"]:
                s["warnings"] = [w.get("code", w) if isinstance(w, dict) else w for w in s.get("warnings", [])]
        return objs


class Dkimpy(Peer):
    name, label = "dkimpy", "dkimpy"
    sign_algorithms = ("rsa-sha256", "rsa-sha1", "ed25519-sha256")
    verify_algorithms = ("rsa-sha256", "rsa-sha1", "ed25519-sha256")
    options = ("identity", "length", "oversign")
    script = os.path.join(HERE, "peer_dkimpy.py")

    def _check_options(self, options):
        # dkimpy always lists From once more than present (its "frozen" header), and nothing else.
        if options.get("oversign", "from") != "from":
            raise Unsupported("dkimpy oversigns only From")
        Peer._check_options(self, options)

    def check(self):
        r = _run([sys.executable, "-c", "import dkim, nacl, dns.resolver, cryptography"])
        if r.returncode != 0:
            raise PeerMissing("dkimpy (with PyNaCl, dnspython, cryptography) is missing for %s: %s"
                              % (sys.executable, INSTALL_HINT))

    def version(self):
        return _run([sys.executable, self.script, "version"]).stdout.decode().strip()

    def _sign_command(self, key, selector, algorithm, canonicalization, now, options, out_dir):
        args = [sys.executable, self.script, "sign", "--key", key, "--domain", peerkeys.DOMAIN,
                "--selector", selector, "--algorithm", algorithm, "--canonicalization", canonicalization,
                "--now", str(now), "--out-dir", out_dir]
        if "identity" in options:
            args += ["--identity", options["identity"]]
        if options.get("length"):
            args += ["--length"]
        return args

    def _verify_command(self, nameserver, as_is):
        return [sys.executable, self.script, "verify", "--nameserver", nameserver]


class MailDKIM(Peer):
    name, label = "mail-dkim", "Mail::DKIM"
    sign_algorithms = ("rsa-sha256", "rsa-sha1")
    verify_algorithms = ("rsa-sha256", "rsa-sha1")
    options = ("identity", "expire_after", "oversign")
    script = os.path.join(HERE, "peer_mail_dkim.pl")

    def check(self):
        r = _run(["perl", "-MMail::DKIM::Verifier", "-MNet::DNS::Resolver", "-MJSON::PP", "-e", "1"])
        if r.returncode != 0:
            raise PeerMissing("Perl Mail::DKIM (libmail-dkim-perl) is missing: " + INSTALL_HINT)

    def version(self):
        return _run(["perl", self.script, "version"]).stdout.decode().strip()

    def _sign_command(self, key, selector, algorithm, canonicalization, now, options, out_dir):
        args = ["perl", self.script, "sign", "--key", key, "--domain", peerkeys.DOMAIN, "--selector", selector,
                "--algorithm", algorithm, "--canonicalization", canonicalization, "--now", str(now),
                "--out-dir", out_dir]
        if "identity" in options:
            args += ["--identity", options["identity"]]
        if "expire_after" in options:
            args += ["--expire-after", str(options["expire_after"])]
        if "oversign" in options:
            args += ["--oversign", options["oversign"]]
        return args

    def _verify_command(self, nameserver, as_is):
        return ["perl", self.script, "verify", "--nameserver", nameserver] + (["--as-is"] if as_is else [])


class OpenDKIM(Peer):
    name, label = "opendkim", "OpenDKIM"
    sign_algorithms = ("rsa-sha256", "rsa-sha1", "ed25519-sha256")
    verify_algorithms = ("rsa-sha256", "rsa-sha1", "ed25519-sha256")
    options = ("identity", "length", "oversign", "expire_after")
    # libopendkim 2.11.0~beta2 makes Ed25519 signatures that no verifier (itself included) accepts when the
    # header canonicalization is simple; see docs/interop.md. The matrix signs Ed25519 with relaxed headers only.
    broken = {("ed25519-sha256", "simple")}
    source = os.path.join(HERE, "peer_opendkim.c")
    _lock = threading.Lock()

    def __init__(self, build_dir):
        self.binary = os.path.join(build_dir, "peer_opendkim")

    def check(self):
        with self._lock:
            if os.access(self.binary, os.X_OK):
                return
            if shutil.which("gcc") is None or shutil.which("pkg-config") is None:
                raise PeerMissing("gcc and pkg-config are needed to build the OpenDKIM driver: " + INSTALL_HINT)
            flags = _run(["pkg-config", "--cflags", "--libs", "opendkim"])
            if flags.returncode != 0:
                raise PeerMissing("libopendkim-dev (pkg-config opendkim) is missing: " + INSTALL_HINT)
            r = _run(["gcc", "-O1", "-Wall", "-o", self.binary, self.source]
                     + flags.stdout.decode().split() + ["-lresolv"])
            if r.returncode != 0:
                raise PeerMissing("cannot build peer_opendkim.c: " + r.stderr.decode("utf-8", "replace")[:2000])

    def version(self):
        return _run([self.binary, "version"]).stdout.decode().strip()

    def _sign_command(self, key, selector, algorithm, canonicalization, now, options, out_dir):
        args = [self.binary, "sign", "--key", key, "--domain", peerkeys.DOMAIN, "--selector", selector,
                "--algorithm", algorithm, "--canonicalization", canonicalization, "--now", str(now),
                "--out-dir", out_dir]
        if "identity" in options:
            args += ["--identity", options["identity"]]
        if options.get("length"):
            args += ["--length"]
        if "oversign" in options:
            args += ["--oversign", options["oversign"]]
        if "expire_after" in options:
            args += ["--expire-after", str(options["expire_after"])]
        return args

    def _verify_command(self, nameserver, as_is):
        return [self.binary, "verify", "--nameserver", nameserver] + (["--as-is"] if as_is else [])


def all_peers(dkimtool_path, build_dir):
    return [Dkimtool(dkimtool_path), Dkimpy(), MailDKIM(), OpenDKIM(build_dir)]
