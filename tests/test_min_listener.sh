#!/usr/bin/env bash
# tests/test_min_listener.sh BINARY: the minimal listener (bench/min_listener.c, built with
# BCE_NO_DNS, e.g. statically with musl) against the C fake daemon on 127.0.0.1: the
# new_transaction updates injected once it listens come out as tx ids, in order, once each
# (a new_block among them prints nothing); a host
# name is refused by a BCE_NO_DNS build. Ends with "min_listener: N passed, M failed".
set -u
cd "$(dirname "$0")/.." || exit 2
BIN=${1:?binary}
B=${BUILD_DIR:-${BUILD:-build}}
pass=0
fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else echo "FAILED: $1"; fail=$((fail + 1)); fi; }

out=$(mktemp -d)
"$B/fake_daemon" --port 0 > "$out/daemon.out" 2>/dev/null &
dpid=$!
for _ in $(seq 100); do grep -q '^PORT ' "$out/daemon.out" && break; sleep 0.05; done
port=$(sed -n 's/^PORT //p' "$out/daemon.out" | head -1)
inject() {
    curl -s -o /dev/null -X POST --data "{\"wallet\":\"w1\",\"updates\":[$1]}" "http://127.0.0.1:$port/_test/inject"
}
"$BIN" "http://127.0.0.1:$port" w1 > "$out/stdout" 2> "$out/stderr" &
lpid=$!
# its catch-up call loads the wallet into the daemon; until then the daemon drops its updates
for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/_test/stats" | grep -q '"w1"' && break; sleep 0.05; done
inject '{"event":"new_transaction","tx":"before1"},{"event":"new_block","height":5}'
for _ in $(seq 100); do grep -q before1 "$out/stdout" && break; sleep 0.05; done
for i in 1 2 3; do inject "{\"event\":\"new_transaction\",\"tx\":\"live$i\"}"; done
for _ in $(seq 100); do grep -q live3 "$out/stdout" && break; sleep 0.05; done
kill "$lpid" 2>/dev/null; wait "$lpid" 2>/dev/null
# the daemon is still up: a build that resolved host names would connect to localhost and
# listen until the timeout (124); a BCE_NO_DNS build refuses the name and ends with 1
timeout 5 "$BIN" "http://localhost:$port" w1 > /dev/null 2>&1
rc=$?
kill "$dpid" 2>/dev/null; wait "$dpid" 2>/dev/null
check "tx ids printed once each, in order" '[ "$(tr "\n" " " < "$out/stdout")" = "before1 live1 live2 live3 " ]'
check "a host name refused (exit 1, not a connection)" '[ "$rc" -eq 1 ]'
check "usage without arguments" '! "$BIN" > /dev/null 2>&1'
[ "$fail" -eq 0 ] || { echo "stdout:"; cat "$out/stdout"; }
rm -rf "$out"
echo "min_listener: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
