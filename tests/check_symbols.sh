#!/usr/bin/env bash
# Symbol hygiene of bitcart_events.h: compiles the implementation with gcc (plain,
# BCE_USE_MBEDTLS, BCE_STATIC) and checks with nm that
#   - every defined external symbol starts with bce_ (under BCE_STATIC: there is none), and
#   - those are exactly the functions the header declares with BCE_API, and
#   - every undefined symbol the object needs comes from libc, libpthread or mbedTLS
#     (each one is printed with the library that provides it; symbols the linker itself
#     defines, such as _GLOBAL_OFFSET_TABLE_, are shown as such).
# BCE_STATIC is compiled with -fkeep-static-functions, so that its undefined symbols are those
# of the whole implementation rather than of nothing.
#
# Usage: bash tests/check_symbols.sh       (env: BUILD_DIR, default build/; CC, default gcc; NM)
# Last line: "symbols: N passed, M failed" (three checks for plain and mbedtls, two for static).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 2
BUILD=${BUILD_DIR:-$ROOT/build}
CC=${CC:-gcc}
NM=${NM:-nm}
OUT="$BUILD/check_symbols"
mkdir -p "$OUT"

UNIT="$OUT/impl.c"
printf '#define BITCART_EVENTS_IMPLEMENTATION\n#include "bitcart_events.h"\n' > "$UNIT"

passed=0
failed=0
pass() { echo "ok:   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL: $1"; failed=$((failed + 1)); }

# ---- what the allowed libraries export: "symbol library" lines ----------------------------
PROVIDERS="$OUT/providers.txt"
: > "$PROVIDERS"
lib_symbols() {   # label file...: the defined (dynamic, or for archives static) symbols
    local label=$1 f path
    shift
    for f in "$@"; do
        path=$("$CC" -print-file-name="$f")
        if [ ! -e "$path" ]; then
            echo "note: $f not found (as $path): symbols from it will show as unknown"
            continue
        fi
        case "$f" in
        *.a) "$NM" -g --defined-only "$path" 2>/dev/null | awk -v l="$label" 'NF >= 3 { print $3, l }' ;;
        *)   "$NM" -D --defined-only "$path" 2>/dev/null \
                 | awk -v l="$label" 'NF >= 3 && $2 != "A" { sub(/@.*/, "", $3); print $3, l }' ;;
        esac >> "$PROVIDERS"
    done
}
lib_symbols libc libc.so.6 libc_nonshared.a
lib_symbols libpthread libpthread.so.0
lib_symbols mbedtls libmbedtls.so libmbedx509.so libmbedcrypto.so
for s in _GLOBAL_OFFSET_TABLE_ _DYNAMIC __ehdr_start __dso_handle; do echo "$s linker" >> "$PROVIDERS"; done
sort -u -k1,1 "$PROVIDERS" -o "$PROVIDERS"

# the public functions: every BCE_API declaration of the header
DECLARED="$OUT/declared.txt"
perl -0ne 'while (/BCE_API\s[^;{]*?\b(bce_[A-Za-z0-9_]+)\s*\(/g) { print "$1\n" }' "$ROOT/bitcart_events.h" \
    | sort -u > "$DECLARED"

check_config() {   # name flags...
    local name=$1 obj defined bad undef unknown n extra missing sym lib
    shift
    obj="$OUT/$name.o"
    echo "== $name: $CC -std=c99 -O2 $* -c"
    if ! "$CC" -std=c99 -O2 -I"$ROOT" "$@" -c "$UNIT" -o "$obj"; then
        fail "$name: does not compile"
        fail "$name: (undefined symbols not checked)"
        return
    fi
    # defined external symbols (any type: text, data, bss, read-only, weak, common)
    defined=$("$NM" -g --defined-only "$obj" | awk 'NF >= 3 { print $3 }' | sort)
    n=$(printf '%s' "$defined" | grep -c . || true)
    if [ "$name" = static ]; then
        if [ "$n" -eq 0 ]; then
            pass "$name: no defined external symbols"
        else
            fail "$name: $n defined external symbol(s) under BCE_STATIC:"
            printf '%s\n' "$defined" | sed 's/^/    /'
        fi
    else
        bad=$(printf '%s\n' "$defined" | grep -v '^bce_' | grep . || true)
        if [ "$n" -gt 0 ] && [ -z "$bad" ]; then
            pass "$name: $n defined external symbols, all bce_*"
        elif [ "$n" -eq 0 ]; then
            fail "$name: no defined external symbols at all (the implementation was not compiled?)"
        else
            fail "$name: defined external symbols without the bce_ prefix:"
            printf '%s\n' "$bad" | sed 's/^/    /'
        fi
        extra=$(comm -23 <(printf '%s\n' "$defined" | grep .) "$DECLARED")
        missing=$(comm -13 <(printf '%s\n' "$defined" | grep .) "$DECLARED")
        if [ -z "$extra" ] && [ -z "$missing" ]; then
            pass "$name: exactly the $(wc -l < "$DECLARED") functions declared with BCE_API"
        else
            fail "$name: exports and BCE_API declarations differ"
            [ -n "$extra" ] && printf '%s\n' "$extra" | sed 's/^/    exported, not declared: /'
            [ -n "$missing" ] && printf '%s\n' "$missing" | sed 's/^/    declared, not defined: /'
        fi
    fi
    # undefined symbols, each with the library that provides it
    undef=$("$NM" -u "$obj" | awk '{ print $NF }' | sort -u)
    unknown=""
    if [ -n "$undef" ]; then
        echo "  undefined symbols:"
        while read -r sym; do
            lib=$(awk -v s="$sym" '$1 == s { print $2; exit }' "$PROVIDERS")
            printf '    %-40s %s\n' "$sym" "${lib:-NOT FROM libc/libpthread/mbedTLS}"
            [ -z "$lib" ] && unknown="$unknown $sym"
        done <<< "$undef"
    fi
    n=$(printf '%s' "$undef" | grep -c . || true)
    if [ -z "$unknown" ]; then
        pass "$name: $n undefined symbol(s), all from libc/libpthread/mbedTLS"
    else
        fail "$name: undefined symbol(s) from elsewhere:$unknown"
    fi
}

check_config plain
check_config mbedtls -DBCE_USE_MBEDTLS
check_config static -DBCE_STATIC -fkeep-static-functions

echo "symbols: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
