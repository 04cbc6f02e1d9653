#!/bin/sh
# 1 core against 2 (or N) cores for `dkimtool sign --output-dir` over 1,000 2 KB messages, RSA-2048, then for
# `dkimtool verify` over the 1,000 signed files (keys from --txt-records, so no DNS is timed).
#
#   Benchmarks/batch-speedup.sh [DKIMTOOL] [CORES]      (defaults: .build/release/dkimtool, 0,1)
#   ROUNDS=N (default 3): rounds per setting; the last line of each part is the median speedup.
#
# Build the binary the way it is deployed: `swift build -c release --static-swift-stdlib` (the Swift runtime
# inside the binary). A dynamically linked dkimtool spends a few ms more of each start loading and linking the
# runtime's libraries (a one-message sign: 18.8-22.7 ms against 17.1-20.2 ms), and that start is the serial
# part of a batch; the script measures whichever binary it is given and prints how it is linked.
#
# The messages and key come from `dkimtool bench --corpus`; the output goes to /dev/shm when it exists, so the
# per-file fsync of the output does not turn the measurement into one of the disk. The inputs are given as a
# directory: 1,000 file arguments cost swift-argument-parser about 40 ms of serial parsing. Each setting runs
# ROUNDS times, alternating.
#
# The control (Benchmarks/batch_control.c, compiled here with $CC, default cc) runs in the same rounds: the same
# 1,000 RSA-2048 signatures with OpenSSL alone, threads sharing one key, timed by the wall clock like the batch,
# with no files and no process start. On a machine shared with other work it shows how much a second core gives
# OpenSSL itself; `openssl speed -multi` does not, since it counts CPU time. A batch also pays its serial start
# (process start, argument parsing, key import: about 15 ms), so its speedup is below the control's.
set -eu
tool=${1:-.build/release/dkimtool}
cores=${2:-0,1}
count=$(echo "$cores" | tr ',' '\n' | wc -l)
work=$(mktemp -d)
out_root=/dev/shm
[ -d "$out_root" ] || out_root=$work
out=$(mktemp -d "$out_root/dkim-batch-XXXXXX")
trap 'rm -rf "$work" "$out"' EXIT
if ldd "$tool" 2>/dev/null | grep -q libswiftCore; then
    echo "$tool: Swift runtime linked dynamically"
else
    echo "$tool: Swift runtime linked statically"
fi
"$tool" bench --corpus "$work/corpus" --sizes 2k --operations none --algorithms none >/dev/null
control_bin=""
if "${CC:-cc}" -O2 -o "$work/batch_control" "$(dirname "$0")/batch_control.c" -lcrypto -lpthread 2>/dev/null; then
    control_bin=$work/batch_control
else
    echo "no control: ${CC:-cc} could not build Benchmarks/batch_control.c (set CC to a C compiler)"
fi
mkdir "$work/in"
i=1
while [ $i -le 1000 ]; do cp "$work/corpus/msg-2000.eml" "$work/in/m$i.eml"; i=$((i + 1)); done
sign() {
    rm -rf "$out"/*
    start=$(date +%s.%N)
    taskset -c "$1" "$tool" sign --domain example.com --selector rsa --key "$work/corpus/rsa.private" \
        --output-dir "$out" --jobs "$2" "$work/in"
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
verify() {
    start=$(date +%s.%N)
    taskset -c "$1" "$tool" verify --txt-records "$work/corpus/txt-records" --jobs "$2" --no-summary "$out" \
        >/dev/null
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}
control() {  # control CORES THREADS: elapsed seconds of 1,000 signatures by OpenSSL alone
    taskset -c "$1" "$control_bin" "$work/corpus/rsa.private" 1000 "$2"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
compare() {  # compare sign|verify: ROUNDS alternating rounds on one core and on $cores, then the median speedup
    speedups=""
    controls=""
    for round in $(seq 1 "${ROUNDS:-3}"); do
        one=$("$1" 0 1)
        many=$("$1" "$cores" "$count")
        speedup=$(echo "scale=2; $one / $many" | bc)
        speedups="$speedups $speedup"
        line="$1 round $round: 1 core ${one} s, $count cores ${many} s, speedup $speedup"
        if [ "$1" = sign ] && [ -n "$control_bin" ]; then
            c_one=$(control 0 1)
            c_many=$(control "$cores" "$count")
            c_speedup=$(echo "scale=2; $c_one / $c_many" | bc)
            controls="$controls $c_speedup"
            line="$line; control $c_one s / $c_many s = $c_speedup"
        fi
        echo "$line"
    done
    echo "$1 median speedup: $(echo "$speedups" | tr ' ' '\n' | grep . | median)"
    if [ -n "$controls" ]; then
        echo "control median speedup (OpenSSL alone, same rounds): $(echo "$controls" | tr ' ' '\n' | grep . | median)"
    fi
}
compare sign
compare verify
