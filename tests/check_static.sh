#!/usr/bin/env bash
# Static analysis of bitcart_events.h: cppcheck and clang-tidy (with the checked-in .clang-tidy)
# on a translation unit that instantiates the implementation, once plain and once with
# BCE_USE_MBEDTLS. Every finding is printed; the run fails when any tool reports anything.
#
# Usage: bash tests/check_static.sh        (env: BUILD_DIR, default build/; CPPCHECK, CLANG_TIDY;
#                                            MBEDTLS_INCLUDE, default /usr/include)
# Last line: "static analysis: N passed, M failed", one count per tool and configuration.
#
# Suppressing a finding that is not a bug: in the header, `// cppcheck-suppress <id>` on the line
# before (cppcheck runs with --inline-suppr) or `// NOLINT(<check>)` on the line (clang-tidy),
# with the reason beside it. Real bugs are fixed, never suppressed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD_DIR:-$ROOT/build}
CPPCHECK=${CPPCHECK:-cppcheck}
CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
MBEDTLS_INCLUDE=${MBEDTLS_INCLUDE:-/usr/include}
mkdir -p "$BUILD"

UNIT="$BUILD/check_impl.c"
printf '#define BITCART_EVENTS_IMPLEMENTATION\n#include "bitcart_events.h"\n' > "$UNIT"

# cppcheck reads the header with its own preprocessor and without the system headers
# (missingIncludeSystem): the POSIX library file supplies what it knows of the libc and socket
# API, and the -D/-U flags pin the one configuration a Linux gcc/clang build sees, so that it
# neither guesses at (nor gives up on: "too many #ifdef configurations") other combinations.
# For the TLS run it does read the mbedTLS headers, through a directory that holds only them,
# so that mbedTLS types, error codes and MBEDTLS_VERSION_NUMBER are the real ones.
CPPCHECK_INC="$BUILD/cppcheck_include"
mkdir -p "$CPPCHECK_INC"
for d in mbedtls psa; do
    [ -d "$MBEDTLS_INCLUDE/$d" ] && ln -sfn "$MBEDTLS_INCLUDE/$d" "$CPPCHECK_INC/$d"
done
CPPCHECK_FLAGS=(
    --enable=warning,style,performance,portability --error-exitcode=1 --inline-suppr --std=c99 -q
    --library=posix -I.
    --suppress=missingIncludeSystem
    # the file declares a function's working variables together at the top of the function or
    # block (its C89-compatible habit); moving them inward changes no behaviour
    --suppress=variableScope
    -D__linux__ -D__GNUC__=12 -D__BYTE_ORDER__=1234 -D__ORDER_LITTLE_ENDIAN__=1234
    -D__ORDER_BIG_ENDIAN__=4321 -DCHAR_BIT=8 -DMSG_NOSIGNAL=0x4000
    -U__cplusplus -U_WIN32 -USO_NOSIGPIPE -UBCE_STATIC -UBCE_NO_STDIO -UBCE_MALLOC -UBCE_FREE
)

passed=0
failed=0
LOGS="$BUILD/check_static"
mkdir -p "$LOGS"

# Findings are lines "file:line:col: severity: text [id]" (cppcheck) or
# "file:line:col: warning|error: text [check]" (clang-tidy); notes and source excerpts follow them.
count_findings() {
    grep -Ec '^[^ ]+:[0-9]+:[0-9]+: (error|warning|style|performance|portability|information): ' "$1"
}

# The four runs go in parallel (the static analyzer needs most of a minute per configuration);
# their reports are printed afterwards, in order.
NAMES=()
start_tool() {   # name log command...
    local name=$1 log=$2
    shift 2
    NAMES+=("$name|$log")
    rm -f "$log" "$log.rc"
    if ! command -v "$1" >/dev/null 2>&1; then
        echo "$1 is not installed" >"$log"
        echo 127 >"$log.rc"
        return
    fi
    ( "$@" >"$log" 2>&1; echo $? >"$log.rc" ) &
}

report_tool() {   # name log
    local name=$1 log=$2 rc n
    rc=$(cat "$log.rc" 2>/dev/null || echo 1)
    echo "== $name"
    # drop clang-tidy's bookkeeping lines; keep every diagnostic with its notes and excerpts
    grep -Ev '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$|^Suppressed [0-9]+ warnings|^Use -header-filter|^Error while processing' "$log" \
        | sed "s|^$ROOT/||; s|^\./||"
    n=$(count_findings "$log")
    if [ "$rc" -eq 0 ] && [ "$n" -eq 0 ]; then
        echo "$name: clean"
        passed=$((passed + 1))
    else
        echo "$name: $n finding(s), exit status $rc"
        failed=$((failed + 1))
    fi
}

start_tool "cppcheck (plain)" "$LOGS/cppcheck_plain.log" \
    "$CPPCHECK" "${CPPCHECK_FLAGS[@]}" "$UNIT"
start_tool "cppcheck (BCE_USE_MBEDTLS)" "$LOGS/cppcheck_mbedtls.log" \
    "$CPPCHECK" "${CPPCHECK_FLAGS[@]}" -DBCE_USE_MBEDTLS -I"$CPPCHECK_INC" "$UNIT"
# .clang-tidy holds the checks, the header filter and the analyzer's analyze-headers switch
start_tool "clang-tidy (plain)" "$LOGS/clang_tidy_plain.log" \
    "$CLANG_TIDY" --quiet --config-file="$ROOT/.clang-tidy" "$UNIT" -- -std=c99 -I.
start_tool "clang-tidy (BCE_USE_MBEDTLS)" "$LOGS/clang_tidy_mbedtls.log" \
    "$CLANG_TIDY" --quiet --config-file="$ROOT/.clang-tidy" "$UNIT" -- -std=c99 -I. -DBCE_USE_MBEDTLS
wait
for entry in "${NAMES[@]}"; do report_tool "${entry%%|*}" "${entry#*|}"; done

echo "static analysis: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
