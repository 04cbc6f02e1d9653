"""A real DNS server (dnsmasq) on 127.0.0.1 at a free port, serving TXT records.

The Python twin of Tests/DNSTestServer/DNSServerFixture.swift, with the same
flags: foreground, no config file, no upstream, no /etc/hosts, every name not
given answers NXDOMAIN (--local=/./), one --txt-record=NAME,S1,S2 per record
(dnsmasq keeps each comma-separated string byte-exact as one
character-string). It is stopped by PID, also when the caller fails.

    with LocalDNS([("s._domainkey.example.com", ["v=DKIM1; p=..."])]) as dns:
        dns.nameserver   # "127.0.0.1:PORT"
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


class DNSError(RuntimeError):
    pass


def find_dnsmasq():
    for path in ("/usr/sbin/dnsmasq", "/usr/bin/dnsmasq", "/sbin/dnsmasq", shutil.which("dnsmasq") or ""):
        if path and os.access(path, os.X_OK):
            return path
    raise DNSError("dnsmasq is not installed: run scripts/install-deps (as root) first")


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _listening(port):
    """True once the server answers a TCP connect on the port."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class LocalDNS:
    def __init__(self, records):
        for name, strings in records:
            for s in strings:
                if len(s) > 255 or any(c in s for c in ',"\\') or not s.isprintable():
                    raise DNSError("TXT string for %s cannot be served by dnsmasq: %r" % (name, s))
        self.records = records
        self.process = None
        self.port = None
        self.log = None

    @property
    def nameserver(self):
        return "127.0.0.1:%d" % self.port

    def start(self):
        binary = find_dnsmasq()
        self.log = tempfile.NamedTemporaryFile(prefix="dkim-matrix-dnsmasq-", suffix=".log", delete=False)
        last = ""
        for _ in range(5):
            port = free_port()
            args = [binary, "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
                    "--no-poll", "--port=%d" % port, "--listen-address=127.0.0.1", "--bind-interfaces",
                    "--pid-file=", "--log-facility=-", "--local=/./"]
            args += ["--txt-record=%s,%s" % (name, ",".join(strings)) for name, strings in self.records]
            process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and process.poll() is None:
                if _listening(port):
                    self.process, self.port = process, port
                    return self
                time.sleep(0.05)
            self._kill(process)
            with open(self.log.name, "r", errors="replace") as f:
                last = f.read()
        raise DNSError("dnsmasq did not start: " + last)

    @staticmethod
    def _kill(process):
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=3)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()

    def stop(self):
        if self.process is not None:
            self._kill(self.process)
            self.process = None
        if self.log is not None:
            self.log.close()
            try:
                os.unlink(self.log.name)
            except OSError:
                pass
            self.log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
