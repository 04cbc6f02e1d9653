#!/usr/bin/env bash
# Builds the example and runs its two programs on message.eml: sign with a test key, then verify through the
# system resolver asking a dnsmasq on 127.0.0.1 that serves the key record (no other network is used).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
swift build
bin="$(swift build --show-bin-path)"
key="$root/TestVectors/keys/rsa2048-pkcs8.pem"
work="$(mktemp -d)"
dns_pid=""
cleanup() { if [ -n "$dns_pid" ]; then kill "$dns_pid" 2>/dev/null || true; fi; rm -rf "$work"; }
trap cleanup EXIT

# The key record, from the key by openssl (not by the library under test), split into strings of <= 255 octets.
p="$(openssl pkey -in "$key" -pubout -outform DER | base64 -w0)"
strings="v=DKIM1; k=rsa; ,p=${p:0:240},${p:240:240},${p:480}"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll --port="$port" \
    --listen-address=127.0.0.1 --bind-interfaces --pid-file= --log-facility=- --local=/./ \
    "--txt-record=mail._domainkey.example.com,${strings%,}" >"$work/dnsmasq.log" 2>&1 &
dns_pid=$!
sleep 0.5

"$bin/dkim-sign" --domain example.com --selector mail --key "$key" < message.eml > "$work/signed.eml"
head -c 200 "$work/signed.eml"; echo " ..."
"$bin/dkim-verify" --nameserver "127.0.0.1:$port" "$work/signed.eml" | tee "$work/verified.txt"
grep -q "dkim=pass header.d=example.com header.s=mail header.a=rsa-sha256" "$work/verified.txt"

# A changed body must fail, with exit status 1.
sed 's/hungry/thirsty/' "$work/signed.eml" > "$work/changed.eml"
status=0
"$bin/dkim-verify" --nameserver "127.0.0.1:$port" "$work/changed.eml" > "$work/changed.txt" || status=$?
cat "$work/changed.txt"
[ "$status" -eq 1 ] && grep -q "dkim=fail" "$work/changed.txt"
# `import DKIMCore` must not bring OpenSSL's or libresolv's C names into the consumer's namespace.
modules=(-I "$bin/Modules" -Xcc "-fmodule-map-file=$root/Sources/CDKIMOpenSSL/module.modulemap"
         -Xcc "-fmodule-map-file=$root/Sources/CDKIMResolv/module.modulemap"
         -Xcc "-fmodule-map-file=$root/Sources/CDKIMSIMD/include/module.modulemap")
printf 'import DKIMCore\nlet key: OpaquePointer? = EVP_PKEY_new()\nlet state = __res_state()\n' > "$work/leak.swift"
if swiftc -typecheck "${modules[@]}" "$work/leak.swift" > "$work/leak.txt" 2>&1; then
    echo "OpenSSL or libresolv names are visible through import DKIMCore" >&2
    exit 1
fi
grep -q "cannot find 'EVP_PKEY_new' in scope" "$work/leak.txt"
grep -q "cannot find '__res_state' in scope" "$work/leak.txt"
# Control: importing the C module on purpose makes the same name visible, so the check above can fail.
printf 'import CDKIMOpenSSL\nlet key: OpaquePointer? = EVP_PKEY_new()\n' > "$work/control.swift"
swiftc -typecheck "${modules[@]}" "$work/control.swift"
echo "example smoke test: signed message verified (pass), changed message refused (fail)"
