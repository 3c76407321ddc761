#!/usr/bin/env bash
# test_cmake.sh - the CMake package (CMakeLists.txt): a tiny consumer project (main.c with the
# implementation, api.c with the API alone) built and run
#   1. with add_subdirectory(<repository>), linking bitcart_events::bitcart_events;
#   2. with find_package(bitcart_events CONFIG REQUIRED) after `cmake --install` of the
#      repository into a temporary prefix (moved elsewhere first: the package is relocatable;
#      the version file accepts 0.1 and refuses 99);
#   3. with BITCART_EVENTS_WITH_MBEDTLS=ON, both ways: BCE_USE_MBEDTLS comes from the target and
#      the program links mbedTLS (and without the option, BCE_USE_MBEDTLS alone does not link:
#      the libraries come from the option);
#   4. cross-compiled for Windows with mingw-w64: ws2_32 comes from the target (linked, not run);
#   5. the ESP-IDF branch read in script mode with a stub idf_component_register, the way
#      ESP-IDF's requirement scan reads a component (a stub, not ESP-IDF);
# and a consumer that does not link the target does not find the header (the control).
# Everything happens in a temporary directory that is removed; no network.
#
# Usage: bash tests/test_cmake.sh
# Last line: "cmake: N passed, M failed"; exit status non-zero on any failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
PASS=0
FAIL=0
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT

LIB_TMP=$T
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"

# step NAME CMD...: ok when CMD succeeds; its output is kept in $T/log and shown on failure
step() {
    local name=$1
    shift
    if "$@" >"$T/log.new" 2>&1; then
        mv "$T/log.new" "$T/log"
        ok "$name"
        return 0
    fi
    mv "$T/log.new" "$T/log"
    bad "$name"
    tail -n 25 "$T/log" | sed 's/^/    /'
    return 1
}
# fails NAME CMD...: ok when CMD fails (the control cases)
fails() {
    local name=$1
    shift
    if "$@" >"$T/log.new" 2>&1; then bad "$name (it succeeded)"; else ok "$name"; fi
    mv "$T/log.new" "$T/log"
}

if ! command -v cmake >/dev/null; then
    bad "cmake is not installed (tests/deps.sh installs it)"
    echo "cmake: $PASS passed, $FAIL failed"
    exit 1
fi
VERSION=$(awk '/define BCE_VERSION_STRING/ { gsub(/"/, "", $3); print $3 }' "$ROOT/bitcart_events.h")

# ---- the consumer project --------------------------------------------------------------------
C=$T/consumer
mkdir -p "$C"
cat >"$C/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.13)
project(bce_consumer C)
# BCE_REPO: add_subdirectory of the repository; else find_package (BCE_WANT_VERSION optional)
if(BCE_REPO)
  add_subdirectory("${BCE_REPO}" bitcart_events)
else()
  find_package(bitcart_events ${BCE_WANT_VERSION} CONFIG REQUIRED)
endif()
add_executable(consumer main.c api.c)
if(NOT BCE_NO_LINK)
  target_link_libraries(consumer PRIVATE bitcart_events::bitcart_events)
elseif(BCE_INCLUDE_ONLY)
  target_include_directories(consumer PRIVATE "${BCE_REPO}")
endif()
if(bitcart_events_VERSION)
  target_compile_definitions(consumer PRIVATE BCE_PKG_VERSION="${bitcart_events_VERSION}")
endif()
if(BCE_FORCE_TLS)
  target_compile_definitions(consumer PRIVATE BCE_USE_MBEDTLS)
endif()
set_target_properties(consumer PROPERTIES C_STANDARD 99 C_STANDARD_REQUIRED ON C_EXTENSIONS OFF)
target_compile_options(consumer PRIVATE -Wall -Wextra -Wpedantic -Werror)
EOF
cat >"$C/main.c" <<'EOF'
#define BITCART_EVENTS_IMPLEMENTATION
#include "bitcart_events.h"
#include <stdio.h>
#include <string.h>

int api_side(void);

int main(void) {
    bce_coin_t *coin = bce_coin_create(NULL);
    if (!coin) return 1;
    bce_coin_destroy(coin);
    if (api_side() != 1) return 2;
#ifdef BCE_PKG_VERSION
    if (strcmp(BCE_PKG_VERSION, BCE_VERSION_STRING) != 0) {
        fprintf(stderr, "package version %s, header %s\n", BCE_PKG_VERSION, BCE_VERSION_STRING);
        return 3;
    }
#endif
#ifdef BCE_USE_MBEDTLS
    printf("%s %s tls %s\n", BCE_VERSION_STRING, bce_result_str(BCE_OK), MBEDTLS_VERSION_STRING);
#else
    printf("%s %s plain\n", BCE_VERSION_STRING, bce_result_str(BCE_OK));
#endif
    return 0;
}
EOF
cat >"$C/api.c" <<'EOF'
#include "bitcart_events.h"

int api_side(void);

int api_side(void) {
    const char *s = bce_result_str(BCE_ERR_AUTH);
    return s != NULL && s[0] != '\0' && BCE_OK == 0;
}
EOF

# build DIR ARGS...: configure and build the consumer in $T/DIR (output also in $T/DIR.log)
build() {
    local dir=$T/$1 rc
    shift
    { cmake -S "$C" -B "$dir" "$@" && cmake --build "$dir"; } >"$dir.log" 2>&1
    rc=$?
    cat "$dir.log"
    return $rc
}
# install_repo DIR PREFIX ARGS...: configure the repository in $T/DIR, cmake --install to PREFIX
install_repo() {
    local dir=$T/$1 prefix=$2
    shift 2
    cmake -S "$ROOT" -B "$dir" -DCMAKE_INSTALL_PREFIX="$prefix" "$@" && cmake --build "$dir" &&
        cmake --install "$dir"
}
# runs DIR EXPECTED: the consumer built in $T/DIR prints EXPECTED (a prefix of its line)
runs() {
    local out
    out=$("$T/$1/consumer") || { echo "consumer exited $?: $out"; return 1; }
    case $out in "$2"*) return 0 ;; esac
    echo "printed \"$out\", expected \"$2...\""
    return 1
}

# ---- 1. add_subdirectory ---------------------------------------------------------------------
step "add_subdirectory: the consumer builds (-std=c99 -Wall -Wextra -Wpedantic -Werror)" \
    build sub -DBCE_REPO="$ROOT" &&
    step "add_subdirectory: it runs (version $VERSION, no TLS)" \
        runs sub "$VERSION BCE_OK: success plain"
fails "control: without linking bitcart_events::bitcart_events the header is not found" \
    build nolink -DBCE_REPO="$ROOT" -DBCE_NO_LINK=ON
grep -q 'bitcart_events.h' "$T/log" || bad "control: the failure above is not about the header"

# ---- 2. cmake --install, then find_package -------------------------------------------------
P=$T/prefix
step "cmake --install into a temporary prefix" install_repo repo "$P"
CFG=lib/cmake/bitcart_events
for f in include/bitcart_events.h $CFG/bitcart_eventsConfig.cmake $CFG/bitcart_eventsConfigVersion.cmake \
    $CFG/bitcart_eventsTargets.cmake $CFG/bitcart_events_mbedtls.cmake; do
    step "installed $f" test -s "$P/$f"
done
step "the installed header is the repository's" cmp "$ROOT/bitcart_events.h" "$P/include/bitcart_events.h"
step "no installed file names the source or build tree" \
    bash -c "test -d '$P' && ! grep -rlF -e '$ROOT' -e '$T/repo' '$P'"
# the package is relocatable: used from where it was moved to
mv "$P" "$T/moved"
P=$T/moved
step "find_package (CMAKE_PREFIX_PATH, the prefix moved elsewhere): the consumer builds" \
    build pkg -DCMAKE_PREFIX_PATH="$P" &&
    step "find_package: it runs (bitcart_events_VERSION is the header's $VERSION)" \
        runs pkg "$VERSION BCE_OK: success plain"
step "find_package(bitcart_events 0.1 CONFIG REQUIRED) is accepted" \
    cmake -S "$C" -B "$T/v01" -DCMAKE_PREFIX_PATH="$P" -DBCE_WANT_VERSION=0.1
fails "find_package(bitcart_events 99 CONFIG REQUIRED) is refused" \
    cmake -S "$C" -B "$T/v99" -DCMAKE_PREFIX_PATH="$P" -DBCE_WANT_VERSION=99
grep -q 'bitcart_events' "$T/log" || bad "control: the version refusal does not name the package"
fails "control: find_package without CMAKE_PREFIX_PATH does not find it" \
    cmake -S "$C" -B "$T/noprefix"

# ---- 3. BITCART_EVENTS_WITH_MBEDTLS ------------------------------------------------------------
if [ -e /usr/include/mbedtls/ssl.h ] || dpkg -s libmbedtls-dev >/dev/null 2>&1; then
    step "mbedTLS option, add_subdirectory: the consumer builds and links" \
        build subtls -DBCE_REPO="$ROOT" -DBITCART_EVENTS_WITH_MBEDTLS=ON &&
        step "mbedTLS option, add_subdirectory: it runs with BCE_USE_MBEDTLS" \
            runs subtls "$VERSION BCE_OK: success tls"
    grep -h 'bitcart_events: mbedTLS' "$T/subtls.log" | sed 's/^-- /    /'
    fails "control: BCE_USE_MBEDTLS without the option does not link" \
        build forced -DBCE_REPO="$ROOT" -DBCE_FORCE_TLS=ON
    grep -q 'mbedtls_' "$T/log" || bad "control: the link failure above is not about mbedTLS"
    PT=$T/prefix_tls
    step "mbedTLS option: cmake --install into a second prefix" \
        install_repo repotls "$PT" -DBITCART_EVENTS_WITH_MBEDTLS=ON
    step "mbedTLS option, find_package: the consumer builds and links" \
        build pkgtls -DCMAKE_PREFIX_PATH="$PT" &&
        step "mbedTLS option, find_package: it runs with BCE_USE_MBEDTLS" \
            runs pkgtls "$VERSION BCE_OK: success tls"
    # mbedTLS out of sight (CMAKE_IGNORE_PATH): the option stops the configuration, and the
    # installed TLS package is not found, each saying why
    NOMBED="-DCMAKE_IGNORE_PATH=/usr/include;/usr/lib/$(gcc -dumpmachine 2>/dev/null || echo x86_64-linux-gnu)"
    fails "mbedTLS missing: the option stops the configuration" \
        cmake -S "$C" -B "$T/nombed" -DBCE_REPO="$ROOT" -DBITCART_EVENTS_WITH_MBEDTLS=ON "$NOMBED"
    grep -q 'BITCART_EVENTS_WITH_MBEDTLS is ON and mbedTLS was not' "$T/log" ||
        bad "mbedTLS missing: the error does not say so"
    fails "mbedTLS missing: find_package of the TLS package fails" \
        cmake -S "$C" -B "$T/nombedpkg" -DCMAKE_PREFIX_PATH="$PT" "$NOMBED"
    grep -q 'installed with TLS' "$T/log" || bad "mbedTLS missing: find_package does not say why"
    # the finder's other two ways, with stand-ins that lead to the same Debian libraries: an
    # MbedTLS CMake package (as mbedTLS 3.x installs) and pkg-config files (as 3.x ships)
    mkdir -p "$T/fakepkg/lib/cmake/MbedTLS" "$T/fakepc"
    cat >"$T/fakepkg/lib/cmake/MbedTLS/MbedTLSConfig.cmake" <<'EOF2'
if(NOT TARGET MbedTLS::mbedtls)
  add_library(MbedTLS::mbedtls INTERFACE IMPORTED)
  set_property(TARGET MbedTLS::mbedtls PROPERTY
               INTERFACE_LINK_LIBRARIES mbedtls mbedx509 mbedcrypto)
endif()
EOF2
    for l in mbedtls mbedx509 mbedcrypto; do
        printf 'Name: %s\nDescription: a stand-in\nVersion: 2.28\nCflags:\nLibs: -l%s\n' $l $l >"$T/fakepc/$l.pc"
    done
    # tls_via DIR WAY ARGS...: built with the option, mbedTLS found through WAY, and it runs
    tls_via() {
        local dir=$1 way=$2
        shift 2
        build "$dir" -DBCE_REPO="$ROOT" -DBITCART_EVENTS_WITH_MBEDTLS=ON "$@" || return 1
        grep -q "bitcart_events: mbedTLS from $way" "$T/$dir.log" || { echo "not found through $way"; return 1; }
        runs "$dir" "$VERSION BCE_OK: success tls"
    }
    step "mbedTLS option: an MbedTLS CMake package comes first (a stand-in)" \
        tls_via subpkg "the MbedTLS CMake package" -DCMAKE_PREFIX_PATH="$T/fakepkg"
    PKG_CONFIG_PATH=$T/fakepc step "mbedTLS option: then pkg-config (stand-in .pc files)" \
        tls_via subpc "pkg-config"
else
    bad "libmbedtls-dev is not installed (tests/deps.sh installs it)"
fi

# ---- 4. Windows (mingw-w64): ws2_32 from the target ----------------------------------------------
if command -v x86_64-w64-mingw32-gcc >/dev/null; then
    cat >"$T/mingw.cmake" <<'EOF'
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
EOF
    step "Windows (mingw-w64 toolchain file): the consumer links (ws2_32 from the target)" \
        build win -DBCE_REPO="$ROOT" -DCMAKE_TOOLCHAIN_FILE="$T/mingw.cmake" &&
        step "Windows: consumer.exe is a PE executable" bash -c "head -c 2 '$T/win/consumer.exe' | grep -q MZ"
    fails "control: Windows, the header's directory alone (no target) does not link" \
        build winnolink -DBCE_REPO="$ROOT" -DBCE_NO_LINK=ON -DBCE_INCLUDE_ONLY=ON \
        -DCMAKE_TOOLCHAIN_FILE="$T/mingw.cmake"
    grep -qE 'undefined reference to .*(WSA|socket|closesocket)' "$T/log" ||
        bad "control: the link failure above is not about Winsock"
else
    bad "x86_64-w64-mingw32-gcc is not installed (tests/deps.sh installs mingw-w64)"
fi

# ---- 5. ESP-IDF: the component branch, in script mode with a stub -------------------------------
cat >"$T/esp.cmake" <<EOF
set(ESP_PLATFORM 1)
function(idf_component_register)
  message(STATUS "idf_component_register(\${ARGN})")
endfunction()
include("$ROOT/CMakeLists.txt")
message(STATUS "after the component")
EOF
step "ESP_PLATFORM: CMakeLists.txt registers a component and stops (script mode, stub)" \
    cmake -P "$T/esp.cmake" &&
    step "ESP_PLATFORM: idf_component_register(INCLUDE_DIRS . ...), nothing else" \
        bash -c "grep -q 'idf_component_register(INCLUDE_DIRS;\\.' '$T/log' && grep -q 'after the component' '$T/log'"

echo "cmake: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
