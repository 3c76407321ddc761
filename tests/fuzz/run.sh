#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: builds every libFuzzer target with ASan + UBSan and runs each for
# SECONDS (default 60) on a copy of its seed corpus and regressions, so that the committed
# corpora stay as they are. Prints, per target, the executions and whether it found a crash,
# a leak, a timeout or an out-of-memory; the inputs that did are kept in
# build/fuzz/artifacts-<target>/ (copy the interesting ones to tests/fuzz/regressions/<target>/).
# Ends with "fuzz: N passed, M failed" and exits non-zero when any target failed.
# Needs clang with libFuzzer (Debian: clang and libclang-rt-14-dev), and libmbedtls-dev for cert.
# Environment: CLANG (default clang), BUILD_DIR (default $BUILD, else build), FUZZ_FLAGS (extra libFuzzer flags),
# FUZZ_TARGETS (a subset, e.g. "url session").
set -u
cd "$(dirname "$0")/../.." || exit 2
SECS=${1:-60}
CLANG=${CLANG:-clang}
OUT=${BUILD_DIR:-${BUILD:-build}}/fuzz
TARGETS=${FUZZ_TARGETS:-"json updates http ws_frames handshake url session cert"}
declare -A MAXLEN=([json]=8192 [updates]=8192 [http]=8192 [ws_frames]=16384 [handshake]=4096
                   [url]=1200 [session]=16384 [cert]=4096)
declare -A LIBS=([cert]="-lmbedtls -lmbedx509 -lmbedcrypto")     # targets that need more than libc
CFLAGS="-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -Wall -Wextra -I."

mkdir -p "$OUT"
pass=0
fail=0
for t in $TARGETS; do
    bin="$OUT/fuzz_$t"
    log="$OUT/fuzz_$t.log"
    if ! $CLANG $CFLAGS "tests/fuzz/fuzz_$t.c" -o "$bin" ${LIBS[$t]:-} > "$OUT/fuzz_$t.build.log" 2>&1; then
        echo "fuzz_$t: FAILED to build:"
        sed 's/^/    /' "$OUT/fuzz_$t.build.log" | head -20
        fail=$((fail + 1))
        continue
    fi
    corpus="$OUT/corpus-$t"
    arts="$OUT/artifacts-$t"
    rm -rf "$corpus" "$arts"
    mkdir -p "$corpus" "$arts"
    for d in "tests/fuzz/corpus/$t" "tests/fuzz/regressions/$t"; do
        [ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp {} "$corpus/" \;
    done
    start=$(date +%s)
    "$bin" -max_total_time="$SECS" -max_len="${MAXLEN[$t]}" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$arts/" ${FUZZ_FLAGS:-} "$corpus" > "$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    found=$(find "$arts" -type f | head -5)
    if [ "$rc" -eq 0 ] && [ -z "$found" ]; then
        echo "fuzz_$t: ${execs:-?} executions in ${took} s, no crash"
        pass=$((pass + 1))
    else
        kind=$(for f in $found; do basename "$f" | cut -d- -f1; done | sort -u | tr '\n' ' ')
        echo "fuzz_$t: FAILED after ${execs:-?} executions in ${took} s (exit $rc): ${kind:-no artifact}"
        for f in $found; do echo "    input: $f"; done
        grep -m 3 -E 'ERROR: |fuzz check failed|runtime error|SUMMARY' "$log" | sed 's/^/    /'
        echo "    log: $log"
        fail=$((fail + 1))
    fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
