#!/usr/bin/env bash
# tests/deps.sh: installs the Debian packages the test suite needs, once. `make test` runs it
# first (so the README's `make test` is all a fresh Debian machine needs), `make deps` runs it
# alone, and .ci/run calls make test. Nothing is installed when every package is present.
# As root on Debian it installs with apt-get, non-interactively; otherwise it names what is
# missing and fails, so that no test is skipped silently for want of a package.
set -euo pipefail

# build and sanitizers; static analysis; the fake daemons and interop peers (aiohttp, stunnel,
# openssl for certificates, node's ws); the bench references; the man page and pkg-config for
# test_install; cmake for test_cmake; the portability targets (tcc, musl, i686, s390x under
# qemu, mingw-w64 + wine); 32-bit x86 libraries for clang -m32 with the sanitizers; lwIP and
# ip(8) for test_lwip; the Cortex-M4 cross compiler and picolibc for the embedded build;
# dpkg-dev for the `apt-get source` of mbedTLS 3.6 (tests/mbedtls36.sh)
PKGS="build-essential clang libclang-rt-14-dev clang-tidy cppcheck valgrind curl openssl
python3 python3-aiohttp libmbedtls-dev stunnel4 nodejs npm
libjsmn-dev libcjson-dev libsimdjson-dev pkg-config groff-base cmake
tcc musl-tools gcc-i686-linux-gnu libc6-dev-i386-cross gcc-s390x-linux-gnu libc6-dev-s390x-cross
qemu-user mingw-w64 wine wine64
libc6-dev-i386 lib32gcc-12-dev strace dpkg-dev
liblwip-dev iproute2 gcc-arm-none-eabi picolibc-arm-none-eabi"

missing=""
for p in $PKGS; do
    # node and npm may come from another packaging than Debian's: present on PATH is enough
    case $p in nodejs) command -v node >/dev/null && continue ;; npm) command -v npm >/dev/null && continue ;; esac
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -z "$missing" ]; then
    echo "deps: every package the tests need is installed"
    exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
    exit 0
fi
echo "deps: missing Debian packages:$missing" >&2
echo "deps: as root: apt-get install$missing   (or run: sudo make deps)" >&2
exit 1
