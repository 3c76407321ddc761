#!/usr/bin/env bash
# tests/test_lwip.sh: build/test_lwip (tests/test_lwip.c) with the library's sockets going
# through lwIP (Debian's liblwip-dev, the unix port) instead of the kernel. As root: a network
# namespace of its own with a TAP device, kernel side 10.201.0.1/30, lwIP side 10.201.0.2;
# the fake daemon runs in that namespace. These private addresses are the one exception to the
# tests' "127.0.0.1 only" rule: they exist only inside this namespace, which the trap always
# deletes (with whatever still runs in it), so no packet leaves it. Bounded by timeout(1).
# Not root, or no /dev/net/tun or ip(8): one SKIP line, and nothing counted as passed.
set -u
BUILD_DIR=${BUILD_DIR:-build}
BIN=${1:-$BUILD_DIR/test_lwip}
NS=bce_lwip_$$
TAP=bcetap0

if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ] || ! command -v ip > /dev/null; then
    echo "SKIP test_lwip: needs root, /dev/net/tun and ip (iproute2) for its network namespace"
    echo "test_lwip.sh: 0 passed, 0 failed"
    exit 0
fi

cleanup() {
    local p
    for p in $(ip netns pids "$NS" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
    ip netns del "$NS" 2>/dev/null
}
trap cleanup EXIT INT TERM

if ! { ip netns add "$NS" &&
       ip -n "$NS" link set lo up &&
       ip -n "$NS" tuntap add dev "$TAP" mode tap &&
       ip -n "$NS" addr add 10.201.0.1/30 dev "$TAP" &&
       ip -n "$NS" link set "$TAP" up; }; then
    echo "FAIL test_lwip: cannot set up the network namespace $NS"
    echo "test_lwip.sh: 0 passed, 1 failed"
    exit 1
fi

set -o pipefail
out=$(PRECONFIGURED_TAPIF=$TAP BUILD_DIR=$BUILD_DIR timeout 120 ip netns exec "$NS" "$BIN" 2>&1)
rc=$?
echo "$out"
if [ $rc -ne 0 ] && ! grep -Eq '^test_lwip: [0-9]+ passed, [0-9]+ failed$' <<< "$out"; then
    echo "FAIL test_lwip: exit status $rc without a summary (124: timed out)"
    echo "test_lwip.sh: 0 passed, 1 failed"
fi
exit $rc
