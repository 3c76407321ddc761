#!/usr/bin/env bash
# test_install.sh - make install / make uninstall into a temporary DESTDIR: the files land
# under PREFIX, a program builds with pkg-config's flags from there (plain and TLS), the
# installed bitcart-listen runs, the man page renders, and uninstall leaves no file behind.
#
# Usage: bash tests/test_install.sh   (env: BUILD_DIR, default build/)
# Last line: "install: N passed, M failed"; exit status non-zero on any failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD_DIR:-build}
PASS=0
FAIL=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

LIB_TMP=$T
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"
check() {
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

D=$T/root
PREFIX=/opt/bce-test
m() { make -s --no-print-directory -C "$ROOT" BUILD="$BUILD" PREFIX="$PREFIX" DESTDIR="$D" "$@"; }

check "make install (PREFIX=$PREFIX, DESTDIR)" m install
for f in include/bitcart_events.h bin/bitcart-listen share/man/man1/bitcart-listen.1 \
    lib/pkgconfig/bitcart_events.pc lib/pkgconfig/bitcart_events_tls.pc; do
    check "installed $PREFIX/$f" test -s "$D$PREFIX/$f"
done
check "bitcart-listen is executable" test -x "$D$PREFIX/bin/bitcart-listen"
check "the header is the repository's" cmp -s "$ROOT/bitcart_events.h" "$D$PREFIX/include/bitcart_events.h"
check "nothing installed outside PREFIX" test -z "$(cd "$D" && find . -type f ! -path ".$PREFIX/*")"
check "the .pc file names the prefix, not DESTDIR" grep -qx "prefix=$PREFIX" "$D$PREFIX/lib/pkgconfig/bitcart_events.pc"
check "the installed bitcart-listen runs (--version)" "$D$PREFIX/bin/bitcart-listen" --version

# pkg-config from the DESTDIR: the sysroot is put in front of -I paths
pc() { PKG_CONFIG_PATH='' PKG_CONFIG_LIBDIR="$D$PREFIX/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$D" pkg-config "$@"; }
pcw() { local out; out=$(pc "$@") && echo $out; }   # words joined by one space, no trailing one
if command -v pkg-config >/dev/null; then
    check "pkg-config --modversion matches BCE_VERSION_STRING" \
        test "$(pc --modversion bitcart_events)" = "$(awk '/define BCE_VERSION_STRING/ { gsub(/"/, "", $3); print $3 }' "$ROOT/bitcart_events.h")"
    check "pkg-config --cflags: -I<DESTDIR>$PREFIX/include" test "$(pcw --cflags bitcart_events)" = "-I$D$PREFIX/include"
    check "pkg-config (tls): -DBCE_USE_MBEDTLS and the mbedTLS libraries" \
        test "$(pcw --cflags --libs bitcart_events_tls)" = "-I$D$PREFIX/include -DBCE_USE_MBEDTLS -lmbedtls -lmbedx509 -lmbedcrypto"
    cat >"$T/prog.c" <<'EOF'
#define BITCART_EVENTS_IMPLEMENTATION
#include <bitcart_events.h>
#include <stdio.h>
static int calls;
static void on_block(const bce_event_t *ev, void *ud) { (void)ev; (void)ud; calls++; }
int main(void) {
    static const char json[] = "[{\"event\":\"new_block\",\"height\":1}]";
    bce_coin_t *coin = bce_coin_create(NULL);
    if (!coin) return 1;
    bce_on(coin, "new_block", on_block, NULL);
    bce_process_updates(coin, json, sizeof json - 1);
    bce_coin_destroy(coin);
    printf("%s %d\n", BCE_VERSION_STRING, calls);
    return calls == 1 ? 0 : 1;
}
EOF
    # shellcheck disable=SC2046
    check "a program builds with \$(pkg-config --cflags --libs bitcart_events) and runs" \
        bash -c "cc -std=c99 -Wall -Werror \"$T/prog.c\" -o \"$T/prog\" $(pc --cflags --libs bitcart_events) -I/nonexistent && \"$T/prog\" >/dev/null"
    check "the same with bitcart_events_tls" \
        bash -c "cc -std=c99 -Wall -Werror \"$T/prog.c\" -o \"$T/prog_tls\" $(pc --cflags --libs bitcart_events_tls) && \"$T/prog_tls\" >/dev/null"
else
    bad "pkg-config is not installed (tests/deps.sh installs it)"
fi

# the man page renders without warnings
MANPAGE=$D$PREFIX/share/man/man1/bitcart-listen.1
if command -v man >/dev/null; then
    MANWIDTH=80 man -l "$MANPAGE" >"$T/man.txt" 2>"$T/man.err" </dev/null
    how="man -l"
elif command -v groff >/dev/null; then
    groff -man -Tutf8 "$MANPAGE" >"$T/man.txt" 2>"$T/man.err"
    how="groff -man"
else
    how=none
fi
if [ "$how" = none ]; then
    bad "neither man nor groff is installed (tests/deps.sh installs groff-base)"
else
    check "$how renders the page (NAME, EXIT STATUS, --exec)" \
        bash -c "grep -q 'bitcart-listen - print the events' '$T/man.txt' && grep -q 'EXIT STATUS' '$T/man.txt' && grep -q -- '--exec' '$T/man.txt'"
    check "$how: no warnings" test ! -s "$T/man.err"
    if command -v groff >/dev/null; then
        check "groff -ww finds nothing to warn about" \
            bash -c "[ -z \"\$(groff -man -Tutf8 -ww -z '$MANPAGE' 2>&1)\" ]"
    else
        bad "groff is not installed (tests/deps.sh installs groff-base)"
    fi
fi

check "make uninstall" m uninstall
left=$(cd "$D" && find . ! -type d)
check "uninstall leaves no file behind" test -z "$left"
[ -n "$left" ] && echo "$left" | sed 's/^/    left: /'

# without PREFIX: /usr/local
make -s --no-print-directory -C "$ROOT" BUILD="$BUILD" DESTDIR="$D" install
check "the default PREFIX is /usr/local" \
    bash -c "test -s '$D/usr/local/include/bitcart_events.h' && grep -qx 'prefix=/usr/local' '$D/usr/local/lib/pkgconfig/bitcart_events.pc'"
make -s --no-print-directory -C "$ROOT" BUILD="$BUILD" DESTDIR="$D" uninstall
check "and uninstalls from there" test -z "$(cd "$D" && find . ! -type d)"

echo "install: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
