#!/usr/bin/env bash
# tests/portability.sh: builds the implementation and runs tests on every platform the library
# claims (see PORTABILITY in bitcart_events.h): gcc, clang and tcc on glibc; static musl;
# 32-bit x86 (i686 cross compiler); big-endian s390x under qemu-user; Windows (mingw-w64,
# run under wine). Each runner's "N passed, M failed" line is printed with the platform in
# front, so that `make test` adds them up. A missing tool is a failure, never a skip.
# Usage: BUILD_DIR=build bash tests/portability.sh
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD_DIR:-build}
OUT=$BUILD/port
mkdir -p "$OUT"
W="-std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror"
WCXX="-std=c++11 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror"
failed=0
t_start=$(date +%s)

say() { printf '== portability: %s\n' "$*"; }
bad() { echo "$1: 0 passed, 1 failed"; echo "  $2" >&2; failed=1; }
need() { command -v "$1" >/dev/null 2>&1 || { bad "$2" "missing $1 (install: $3)"; return 1; }; }

# [LIBS=...] build NAME SOURCE COMPILER FLAGS...: compiles SOURCE to $OUT/NAME (then LIBS)
build() {
    local name=$1 src=$2; shift 2
    rm -f "$OUT/$name" "$OUT/$name.failed"
    if ! "$@" -I. "$src" -o "$OUT/$name" ${LIBS:-} 2> "$OUT/$name.log"; then
        cat "$OUT/$name.log" >&2
        bad "$name" "build failed: $*"
        touch "$OUT/$name.failed"
        return 1
    fi
    # static glibc links warn that getaddrinfo wants the shared NSS libraries: expected here
    grep -v -e 'statically linked applications requires at runtime' -e 'in function `_bce_conn_open' "$OUT/$name.log" >&2
    return 0
}

# run LABEL CMD...: runs a test binary, its result line prefixed with LABEL
run() {
    local label=$1; shift
    local t0=$(date +%s%N) rc
    "$@" > "$OUT/last.out" 2> "$OUT/last.err"
    rc=$?
    sed "s|\r\$||; s|^\(test_[a-z_]*: \)\?\([0-9]* passed, [0-9]* failed\)$|$label: \2|" "$OUT/last.out"
    if [ "$rc" -ne 0 ]; then
        cat "$OUT/last.err" >&2
        grep -q "passed, " "$OUT/last.out" || echo "$label: 0 passed, 1 failed"
        echo "  $label exited with $rc" >&2
        failed=1
    fi
    printf '   (%s: %d ms)\n' "$label" $(( ($(date +%s%N) - t0) / 1000000 ))
}

# suite NAME "TESTS" "RUNNER" LIBS COMPILER FLAGS...: builds tests/test_T.c for every T at
# once (in the background: the compilers dominate the time), then runs each through RUNNER.
suite() {
    local name=$1 tests=$2 runner=$3 libs=$4 t; shift 4
    for t in $tests; do LIBS=$libs build "${name}_$t" "tests/test_$t.c" "$@" & done
    wait
    for t in $tests; do
        [ -f "$OUT/${name}_$t.failed" ] && { failed=1; continue; }
        run "$name/$t" $runner "$OUT/${name}_$t"
    done
}

make --no-print-directory -s BUILD="$BUILD" "$BUILD/fake_daemon" || { bad portability "cannot build the fake daemon"; exit 1; }
BASIC="json dispatch portable"

# ---- glibc: gcc, clang, tcc -------------------------------------------------------------
say "gcc, clang and tcc (glibc)"
suite gcc "$BASIC" "" -lpthread gcc $W -O2
suite clang "$BASIC" "" -lpthread clang $W -O2
need tcc tcc tcc && suite tcc "$BASIC" "" -lpthread tcc -Wall -Werror

# ---- static musl ------------------------------------------------------------------------
say "static musl (musl-gcc -static)"
if need musl-gcc musl musl-tools; then
    suite musl "$BASIC" "" "" musl-gcc -static $W -O2
fi

# ---- 32-bit x86 -------------------------------------------------------------------------
# gcc-multilib (gcc -m32) conflicts with gcc-s390x-linux-gnu on Debian 12, so 32-bit builds
# use the i686-linux-gnu cross compiler. The binaries run natively when the kernel runs
# 32-bit programs, else under qemu-i386. They are linked statically: qemu-i386 7.2 hangs in
# fork/clone of dynamically linked i386 glibc programs (tests/daemon.h forks the daemons).
say "32-bit x86 (i686-linux-gnu-gcc -static)"
if need i686-linux-gnu-gcc i686 "gcc-i686-linux-gnu libc6-dev-i386-cross"; then
    I686_RUN=""
    printf 'int main(void){return 0;}\n' > "$OUT/probe.c"
    i686-linux-gnu-gcc -static "$OUT/probe.c" -o "$OUT/probe_i686"
    if ! "$OUT/probe_i686" 2>/dev/null; then
        need qemu-i386 i686 qemu-user && I686_RUN="qemu-i386"
        echo "   (this kernel does not run 32-bit programs: qemu-i386)"
    fi
    suite i686 "$BASIC frames ws" "$I686_RUN" -lpthread i686-linux-gnu-gcc -static $W -O2
fi

# ---- big-endian: s390x under qemu-user --------------------------------------------------
# tests/daemon.h fork/execs the native fake daemons; qemu-user hands that execve to the kernel.
say "big-endian s390x (s390x-linux-gnu-gcc, qemu-s390x)"
if need s390x-linux-gnu-gcc s390x "gcc-s390x-linux-gnu libc6-dev-s390x-cross" && need qemu-s390x s390x qemu-user; then
    suite s390x "$BASIC frames ws" "qemu-s390x -L /usr/s390x-linux-gnu" -lpthread s390x-linux-gnu-gcc $W -O2
fi

# ---- Windows: mingw-w64 + wine ----------------------------------------------------------
say "Windows (x86_64-w64-mingw32-gcc, wine)"
if need x86_64-w64-mingw32-gcc windows mingw-w64 && need wine windows "wine wine64"; then
    printf '#define BITCART_EVENTS_IMPLEMENTATION\n#include "bitcart_events.h"\nint main(void){return 0;}\n' > "$OUT/impl.c"
    build win_cxx.o "$OUT/impl.c" x86_64-w64-mingw32-g++ $WCXX -x c++ -c &
    build win_static.o "$OUT/impl.c" x86_64-w64-mingw32-gcc $W -DBCE_STATIC -DBCE_NO_STDIO -c &
    LIBS=-lws2_32 build win32.exe "$OUT/impl.c" i686-w64-mingw32-gcc $W &
    for t in $BASIC; do LIBS=-lws2_32 build win_$t.exe tests/test_$t.c x86_64-w64-mingw32-gcc $W -O2 & done
    wait
    for b in "win_cxx.o:c++" "win_static.o:static no-stdio" "win32.exe:i686 build"; do
        if [ -f "$OUT/${b%%:*}.failed" ]; then failed=1; else echo "windows/${b#*:}: 1 passed, 0 failed"; fi
    done
    export WINEPREFIX="$PWD/$OUT/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
    if [ ! -d "$WINEPREFIX" ]; then
        w0=$(date +%s)
        wine cmd /c exit >/dev/null 2>&1
        echo "   (new wine prefix: $(( $(date +%s) - w0 )) s)"
    fi
    for t in $BASIC; do [ -f "$OUT/win_$t.exe.failed" ] && failed=1; done
    for t in json dispatch; do [ -f "$OUT/win_$t.exe" ] && run "windows/$t" wine "$OUT/win_$t.exe"; done
    if [ -f "$OUT/win_portable.exe" ]; then
        # a Windows program cannot fork the Linux daemon: start it here, hand over its port
        coproc DAEMON { exec "$BUILD/fake_daemon" --port 0 2>/dev/null; }
        port=""
        read -r -t 10 line <&"${DAEMON[0]}" && port=${line#PORT }
        if [ -n "$port" ]; then
            BCE_TEST_DAEMON_PORT=$port run "windows/portable" wine "$OUT/win_portable.exe"
        else
            bad windows/portable "the fake daemon did not start"
        fi
        kill "$DAEMON_PID" 2>/dev/null
        wait "$DAEMON_PID" 2>/dev/null
    fi
    # TLS: tests/test_win_tls.c on mbedTLS 3.6 built with mingw-w64 (tests/mbedtls36.sh BUILD
    # mingw; the Makefile's portability rule builds it), against three aiohttp TLS daemons
    # started here (good, other-name and self-signed certificates); the CA as a wine path
    M=$BUILD/mbedtls-3.6-mingw
    if [ -f "$M/lib/libmbedtls.a" ]; then
        LIBS="$M/lib/libmbedtls.a $M/lib/libmbedx509.a $M/lib/libmbedcrypto.a -lws2_32 -lcrypt32 -lbcrypt" \
            build win_tls.exe tests/test_win_tls.c x86_64-w64-mingw32-gcc $W -O2 -I"$M/include"
        build win_tls_cxx.o "$OUT/impl.c" x86_64-w64-mingw32-g++ $WCXX -DBCE_USE_MBEDTLS -I"$M/include" -x c++ -c
        [ -f "$OUT/win_tls_cxx.o.failed" ] && failed=1 || echo "windows/tls c++: 1 passed, 0 failed"
        if [ -f "$OUT/win_tls.exe" ] && bash tests/make_certs.sh "$BUILD/certs/" > /dev/null; then
            tls_pids=()
            declare -A tls_port=()
            for n in good other self; do
                /usr/bin/python3 tests/fake_daemon.py --port 0 --tls-cert "$BUILD/certs/$n.pem" \
                    --tls-key "$BUILD/certs/$n.key" > "$OUT/tls_$n.port" 2>/dev/null &
                tls_pids+=($!)
            done
            for n in good other self; do
                for _ in $(seq 200); do
                    tls_port[$n]=$(awk '/^PORT [0-9]+$/ { print $2; exit }' "$OUT/tls_$n.port" 2>/dev/null)
                    [ -n "${tls_port[$n]}" ] && break
                    sleep 0.05
                done
            done
            if [ -n "${tls_port[good]}" ] && [ -n "${tls_port[other]}" ] && [ -n "${tls_port[self]}" ]; then
                BCE_TEST_TLS_GOOD=${tls_port[good]} BCE_TEST_TLS_OTHER=${tls_port[other]} BCE_TEST_TLS_SELF=${tls_port[self]} \
                BCE_TEST_TLS_CA="Z:$(cd "$BUILD/certs" && pwd)/ca.pem" run "windows/tls" wine "$OUT/win_tls.exe"
            else
                echo "windows/tls: the TLS daemons did not start"
                echo "windows/tls: 0 passed, 1 failed"
                failed=1
            fi
            kill "${tls_pids[@]}" 2>/dev/null
            wait "${tls_pids[@]}" 2>/dev/null
        else
            failed=1
        fi
    else
        echo "windows/tls: no mingw-w64 build of mbedTLS 3.6 ($M; make portability builds it)"
        echo "windows/tls: 0 passed, 1 failed"
        failed=1
    fi
fi

echo "   (portability: $(( $(date +%s) - t_start )) s)"
exit $failed
