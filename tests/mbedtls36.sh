#!/usr/bin/env bash
# tests/mbedtls36.sh [BUILD_DIR [small]]: mbedTLS 3.6 LTS, built once into BUILD_DIR/mbedtls-3.6
# (include/ and lib/ with the three static libraries) for the second run of the TLS tests; with
# "small", a second build of the same source into BUILD_DIR/mbedtls-3.6-small with
# bench/mbedtls_small_config.h appended to its configuration (the embedded TLS profile); with
# "mingw", a Windows build of the same source with mingw-w64 into BUILD_DIR/mbedtls-3.6-mingw; with
# "arm", a Cortex-M4 build (arm-none-eabi-gcc, picolibc, Thumb, -Os, the libraries only) into
# BUILD_DIR/mbedtls-3.6-arm with bench/mbedtls_small_config.h and tests/embedded/
# mbedtls_arm_config.h appended (no file system, no platform entropy, no sockets). Debian 12 has
# only mbedTLS 2.28, so the source comes from the next Debian release's source package, fetched
# with the ordinary `apt-get source` from the same archive the machine's apt already uses: a
# deb-src entry (source only, so no binary package of that release can ever be installed through
# it) is derived from the existing entries for the current release, written to a file of ours in
# /etc/apt/sources.list.d/ for the fetch and removed again afterwards. Idempotent: with the
# libraries built it only says so (Makefile: the rule for $(BUILD)/mbedtls-3.6/lib/libmbedtls.a).
# Fetching needs root (apt-get update) and dpkg-dev (tests/deps.sh installs it); building needs
# only make and a C compiler (mbedTLS's own Makefile, no cmake, no python: the release sources
# carry their generated files).
set -euo pipefail

BUILD=${1:-${BUILD_DIR:-build}}
FLAVOUR=${2:-}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NEXT=trixie                 # the Debian release after 12 (bookworm), whose mbedtls is 3.6 LTS
WANT=3.6                    # the upstream series we insist on
OUT=$BUILD/mbedtls-3.6${FLAVOUR:+-$FLAVOUR}
SRC=$BUILD/mbedtls-3.6-src
LIST=/etc/apt/sources.list.d/bitcart-events-mbedtls36.sources

say() { echo "mbedtls36: $*"; }

if [ -f "$OUT/lib/libmbedtls.a" ] && [ -f "$OUT/lib/libmbedx509.a" ] &&
   [ -f "$OUT/lib/libmbedcrypto.a" ] && [ -f "$OUT/include/mbedtls/ssl.h" ]; then
    say "cached: $OUT ($(cat "$OUT/VERSION" 2>/dev/null || echo '?')), nothing to do"
    exit 0
fi
mkdir -p "$BUILD"

# ---- fetch (once): the source tree lands in $SRC/mbedtls-3.6.*/ --------------------------------
srcdir() { find "$SRC" -mindepth 1 -maxdepth 1 -type d -name "mbedtls-$WANT.*" 2>/dev/null | sort | tail -n 1; }
if [ -z "$(srcdir)" ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "mbedtls36: the mbedTLS $WANT source is not in $SRC and fetching it needs root (apt-get update);" >&2
        echo "mbedtls36: run once as root: bash tests/mbedtls36.sh $BUILD" >&2
        exit 1
    fi
    command -v dpkg-source >/dev/null || { echo "mbedtls36: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }
    . /etc/os-release
    CUR=${VERSION_CODENAME:-bookworm}
    # the archive URI(s) serving the current release's main suite, from the deb822 .sources
    # files and the one-line sources.list files alike (the security archive has its own suite
    # name, CUR-security, so it is not picked)
    uris=$(
        for f in /etc/apt/sources.list.d/*.sources; do
            [ -f "$f" ] || continue
            [ "$f" = "$LIST" ] && continue
            awk -v cur="$CUR" '
                function flush() { if (deb && suite && uris != "") print uris; deb = 0; suite = 0; uris = "" }
                /^[ \t]*$/ { flush(); next }
                /^#/ { next }
                tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
                tolower($1) == "uris:" { for (i = 2; i <= NF; i++) uris = uris " " $i }
                tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == cur) suite = 1 }
                END { flush() }' "$f"
        done
        for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
            [ -f "$f" ] || continue
            # deb [options] URI SUITE COMPONENTS...
            awk -v cur="$CUR" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i + 1) == cur) print $i }' "$f"
        done
    )
    uris=$(echo "$uris" | tr ' ' '\n' | sed '/^$/d' | awk '!seen[$0]++' | tr '\n' ' ')
    [ -n "$uris" ] || { echo "mbedtls36: no apt source for $CUR found to derive a $NEXT deb-src entry from" >&2; exit 1; }
    keyring=/usr/share/keyrings/debian-archive-keyring.gpg
    {
        echo "# written by bitcart_events tests/mbedtls36.sh for one apt-get source; removed afterwards"
        echo "Types: deb-src"
        echo "URIs: $uris"
        echo "Suites: $NEXT"
        echo "Components: main"
        [ -f "$keyring" ] && echo "Signed-By: $keyring"
    } > "$LIST"
    trap 'rm -f "$LIST"' EXIT
    say "deb-src $NEXT main from $uris(derived from the $CUR entries) in $LIST"
    export DEBIAN_FRONTEND=noninteractive
    t0=$(date +%s)
    apt-get update -qq || { echo "mbedtls36: apt-get update failed (no network, or the archive is unreachable): cannot fetch the mbedTLS $WANT source" >&2; exit 1; }
    rm -rf "$SRC"; mkdir -p "$SRC"
    # only the deb-src entry of NEXT carries sources here, so "mbedtls/NEXT" is 3.6; checked below
    (cd "$SRC" && apt-get source -qq "mbedtls/$NEXT" 2>&1 | grep -v '^W: Download is performed unsandboxed' || true)
    rm -f "$LIST"
    trap - EXIT
    # (the NEXT Sources index left in apt's lists is unreferenced now, so apt ignores it)
    [ -n "$(srcdir)" ] || { echo "mbedtls36: apt-get source mbedtls/$NEXT gave no mbedtls-$WANT.* tree in $SRC" >&2; ls "$SRC" >&2; exit 1; }
    say "fetched $(basename "$(srcdir)") in $(( $(date +%s) - t0 )) s"
fi

# ---- build (once): static libraries, -O2, no tests, no programs --------------------------------
dir=$(srcdir)
ver=${dir##*/mbedtls-}
if [ "$FLAVOUR" = small ]; then     # a copy of the tree, our settings after mbedTLS's defaults
    rm -rf "$SRC/small"; mkdir -p "$SRC/small"
    cp -R "$dir" "$SRC/small/"
    dir=$SRC/small/${dir##*/}
    { echo; echo "/* ---- appended by tests/mbedtls36.sh: bench/mbedtls_small_config.h ---- */"
      cat "$ROOT/bench/mbedtls_small_config.h"; } >> "$dir/include/mbedtls/mbedtls_config.h"
    make -s -C "$dir/library" clean >/dev/null     # the copy came with the default build's objects
    ver="$ver small"
fi
MAKEVARS=(CC="${CC:-cc}")
OPT=-O2
if [ "$FLAVOUR" = arm ]; then       # a copy of the tree, the small and the arm settings appended
    command -v arm-none-eabi-gcc >/dev/null || { echo "mbedtls36: arm-none-eabi-gcc missing (apt-get install gcc-arm-none-eabi picolibc-arm-none-eabi)" >&2; exit 1; }
    rm -rf "$SRC/arm"; mkdir -p "$SRC/arm"
    cp -R "$dir" "$SRC/arm/"
    dir=$SRC/arm/${dir##*/}
    { echo; echo "/* ---- appended by tests/mbedtls36.sh: bench/mbedtls_small_config.h ---- */"
      cat "$ROOT/bench/mbedtls_small_config.h"
      echo; echo "/* ---- appended by tests/mbedtls36.sh: tests/embedded/mbedtls_arm_config.h ---- */"
      cat "$ROOT/tests/embedded/mbedtls_arm_config.h"; } >> "$dir/include/mbedtls/mbedtls_config.h"
    make -s -C "$dir/library" clean >/dev/null
    MAKEVARS=(CC=arm-none-eabi-gcc AR=arm-none-eabi-ar "WARNING_CFLAGS=-Wall -Wextra")
    OPT="--specs=picolibc.specs -mcpu=cortex-m4 -mthumb -Os -ffunction-sections -fdata-sections"
    ver="$ver arm"
fi
if [ "$FLAVOUR" = mingw ]; then     # a copy of the tree built with mingw-w64
    rm -rf "$SRC/mingw"; mkdir -p "$SRC/mingw"
    cp -R "$dir" "$SRC/mingw/"
    dir=$SRC/mingw/${dir##*/}
    make -s -C "$dir/library" clean >/dev/null
    MAKEVARS=(CC=x86_64-w64-mingw32-gcc AR=x86_64-w64-mingw32-ar WINDOWS_BUILD=1)
    ver="$ver mingw"
fi
t0=$(date +%s)
say "building mbedTLS $ver (static, $OPT) from $dir"
make -s -C "$dir/library" -j2 "${MAKEVARS[@]}" CFLAGS="$OPT" libmbedcrypto.a libmbedx509.a libmbedtls.a >/dev/null
rm -rf "$OUT.tmp"; mkdir -p "$OUT.tmp/lib"
cp -R "$dir/include" "$OUT.tmp/include"
cp "$dir/library/libmbedcrypto.a" "$dir/library/libmbedx509.a" "$dir/library/libmbedtls.a" "$OUT.tmp/lib/"
echo "$ver" > "$OUT.tmp/VERSION"
rm -rf "$OUT"; mv "$OUT.tmp" "$OUT"
say "built $OUT ($ver) in $(( $(date +%s) - t0 )) s"
