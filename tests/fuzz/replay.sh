#!/usr/bin/env bash
# tests/fuzz/replay.sh: the fuzz targets as regression tests, without libFuzzer. Builds each
# target with tests/fuzz/replay_main.c (gcc, C99, ASan + UBSan, -DBCE_FUZZ_REPLAY) and runs it
# over tests/fuzz/corpus/<target>/ and tests/fuzz/regressions/<target>/. A target passes when
# every input runs without a failed check, a sanitizer report or a leak.
# Ends with "fuzz replay: N passed, M failed" and exits non-zero when any target failed.
# Environment: CC (default gcc), BUILD_DIR (default $BUILD, else build), FUZZ_TARGETS (a subset). FUZZ_DEBUG=1 makes some targets print
# what each input did (FUZZ_DEBUG=2: the session target traces every read).
set -u
cd "$(dirname "$0")/../.." || exit 2
CC=${CC:-gcc}
OUT=${BUILD_DIR:-${BUILD:-build}}/fuzz
TARGETS=${FUZZ_TARGETS:-"json json_nosimd updates http ws_frames handshake url session cert"}
declare -A LIBS=([cert]="-lmbedtls -lmbedx509 -lmbedcrypto")     # targets that need more than libc
# variants: another build of a target, on its corpus (json_nosimd: the portable scanners)
declare -A SRC=([json_nosimd]=json) DEFS=([json_nosimd]="-DBCE_NO_SIMD")
CFLAGS="-std=c99 -Wall -Wextra -I. -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -DBCE_FUZZ_REPLAY"

mkdir -p "$OUT"
pass=0
fail=0
for t in $TARGETS; do
    bin="$OUT/replay_$t"
    log="$OUT/replay_$t.log"
    src=${SRC[$t]:-$t}
    if ! $CC $CFLAGS ${DEFS[$t]:-} "tests/fuzz/fuzz_$src.c" tests/fuzz/replay_main.c -o "$bin" ${LIBS[$t]:-} > "$OUT/replay_$t.build.log" 2>&1 \
       || [ -s "$OUT/replay_$t.build.log" ]; then
        echo "replay_$t: FAILED to build cleanly:"
        sed 's/^/    /' "$OUT/replay_$t.build.log" | head -20
        fail=$((fail + 1))
        continue
    fi
    if ( "$bin" "tests/fuzz/corpus/$src" "tests/fuzz/regressions/$src" ) > "$log" 2>&1; then
        echo "replay_$t: $(tail -1 "$log")"
        pass=$((pass + 1))
    else
        echo "replay_$t: FAILED"
        grep -E '^replay: ' "$log" | tail -1 | sed 's/^/    last input: /'
        grep -m 5 -E 'ERROR: |fuzz check failed|runtime error|SUMMARY|#[0-9] ' "$log" | sed 's/^/    /'
        echo "    log: $log"
        fail=$((fail + 1))
    fi
done
echo "fuzz replay: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
