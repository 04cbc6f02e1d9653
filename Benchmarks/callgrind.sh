#!/bin/sh
# Instruction counts per message (valgrind --tool=callgrind), repeatable on a busy machine where timings are not.
#
#   Benchmarks/callgrind.sh [OP ALG CANON SIZE COUNT]...
#   e.g. Benchmarks/callgrind.sh verify rsa relaxed-relaxed 2000 200 sign ed relaxed-relaxed 2000 200
#   OP limit counts what the bench calls the limit: a ready-key verification of a digest plus SHA-256 over SIZE bytes.
#   NO_BUILD=1 skips the release build (measure the objects already built).
#
# For each cell: runs the harness with 0 and COUNT operations and prints (Ir(COUNT) - Ir(0)) / COUNT, split into
# instructions in libcrypto (the floor) and everywhere else (ours, the Swift runtime, libc). Output files stay in
# $CALLGRIND_DIR (default /tmp/dkim-callgrind) for callgrind_annotate.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=${CALLGRIND_DIR:-/tmp/dkim-callgrind}
mkdir -p "$out"
cd "$root"
[ -n "${NO_BUILD:-}" ] || swift build -c release --product dkimtool >/dev/null
bin=$(swift build -c release --show-bin-path)
[ -f "$out/corpus/txt-records" ] || "$bin/dkimtool" bench --seconds 0.01 --rounds 1 --sizes 2000,20000,200000,2000000 \
    --operations sign --algorithms ed25519-sha256 --corpus "$out/corpus" >/dev/null
objects=$(ls "$bin"/DKIMCore.build/*.o "$bin"/CDKIMSIMD.build/*.o)
swiftc -O -parse-as-library -I "$bin/Modules" -I "$root/Sources/CDKIMOpenSSL" -I "$root/Sources/CDKIMResolv" \
    -I "$root/Sources/CDKIMSIMD/include" "$root/Benchmarks/Callgrind/Harness.swift" $objects -lcrypto -lresolv \
    -o "$out/harness" 2>/dev/null \
    || swiftc -O -I "$bin/Modules" -I "$root/Sources/CDKIMOpenSSL" -I "$root/Sources/CDKIMResolv" \
        -I "$root/Sources/CDKIMSIMD/include" \
        "$root/Benchmarks/Callgrind/Harness.swift" $objects -lcrypto -lresolv -o "$out/harness"
# Valgrind 3.19 gives up on some DWARF 5 forms the Swift 6 compiler emits; the symbol table is enough for
# per-function counts.
objcopy --strip-debug "$out/harness"
split() {  # total and libcrypto self cost of one callgrind output
    callgrind_annotate --threshold=100 "$1" 2>/dev/null | awk '
        /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 }
        /libcrypto/ { v = $1; gsub(",", "", v); crypto += v }
        END { printf "%d %d\n", total, crypto }'
}
while [ $# -ge 5 ]; do
    op=$1 alg=$2 canon=$3 size=$4 count=$5
    shift 5
    name="$op-$alg-$canon-$size"
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.0" "$out/harness" "$out/corpus" \
        "$op" "$alg" "$canon" "$size" 0 >/dev/null 2>&1
    valgrind --tool=callgrind --callgrind-out-file="$out/$name.n" "$out/harness" "$out/corpus" \
        "$op" "$alg" "$canon" "$size" "$count" >/dev/null 2>&1
    set -- "$@"
    base=$(split "$out/$name.0")
    full=$(split "$out/$name.n")
    echo "$base $full" | awk -v name="$name" -v n="$count" '{
        total = ($3 - $1) / n; crypto = ($4 - $2) / n
        printf "%-36s %12.0f Ir/op  libcrypto %12.0f  other %12.0f\n", name, total, crypto, total - crypto }'
done
