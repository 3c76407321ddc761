#!/usr/bin/env bash
# examples/demo.sh - what `make demo` runs: a fake BitcartCC daemon (tests/fake_daemon.c) on a
# free port of 127.0.0.1 streams a short scripted session to bitcart-listen: a payment seen
# in the mempool (Unconfirmed), a block that makes it Paid, a dropped connection during which
# another payment arrives (caught up after the reconnect), and one more block. The events are
# shown readably as they arrive, then the raw JSON lines. Both processes are stopped on every
# way out (success, failure, Ctrl-C). Exit 0 when every event arrived, in order.
#
# Usage: bash examples/demo.sh   (env: BUILD_DIR, default build/; needs build/bitcart-listen
# and build/fake_daemon, which `make demo` builds). Uses only bash: no curl, no python.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD_DIR:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
LISTEN=$BUILD/bitcart-listen
DAEMON=$BUILD/fake_daemon
TMP=$(mktemp -d)
DPID=
LPID=
START_NS=$(date +%s%N)
# a key of the right form (111 base58 characters): a daemon, like the fake one, refuses a
# made-up key such as vpub5YdemoWalletKey with JSON-RPC error -32005 (bitcart-listen exits 6)
WALLET=vpub5SLqN2bLY4WeYhnmHMuXjhpfwECoaMbMR8dagBghrTG3FWqtKHpfHbde9apJAw1f7ieFaUeV6MmewmGwzNNnRx2SGjRZwdjAPYZ2612wexW
PASSWORD=demo-secret

cleanup() {
    [ -n "$LPID" ] && kill -TERM "$LPID" 2>/dev/null && wait "$LPID" 2>/dev/null
    [ -n "$DPID" ] && kill -TERM "$DPID" 2>/dev/null && wait "$DPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'echo "demo: interrupted"; exit 130' INT
trap 'exit 143' TERM

die() {
    echo "demo: FAILED: $*" >&2
    if [ -s "$TMP/listen.err" ]; then
        echo "demo: bitcart-listen said:" >&2
        sed 's/^/    /' "$TMP/listen.err" >&2
    fi
    exit 1
}

for f in "$LISTEN" "$DAEMON"; do
    [ -x "$f" ] || die "$f is missing: run 'make demo' (it builds it)"
done

# wait_for SECONDS WHAT COMMAND... : polls the condition every 20 ms
wait_for() {
    local end=$((SECONDS + $1)) what=$2
    shift 2
    while ! "$@"; do
        [ $SECONDS -ge $end ] && die "timed out waiting for $what"
        sleep 0.02
    done
}
lines_at_least() { [ "$(wc -l <"$TMP/listen.out")" -ge "$1" ]; }
status_count_at_least() { [ "$(grep -c -- "$1" "$TMP/listen.err")" -ge "$2" ]; }

# One HTTP request to the daemon's control routes, through bash's /dev/tcp. Sets BODY.
http() { # http METHOD PATH [JSON]
    local data=${3:-} reply
    exec 3<>"/dev/tcp/127.0.0.1/$PORT" || die "cannot reach the daemon"
    printf '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s' \
        "$1" "$2" "${#data}" "$data" >&3
    reply=$(cat <&3)
    exec 3<&-
    BODY=${reply#*$'\r\n\r\n'}
}
inject() { http POST /_test/inject "{\"wallet\":$1,\"updates\":[$2]}"; }
loaded() { http GET /_test/stats; [[ $BODY == *"\"$WALLET\""* ]]; }

# ---------------------------------------------------------------- showing what arrives
SHOWN_OUT=0
SHOWN_ERR=0
field() { # field LINE NAME : a string or number argument's text
    if [[ $1 =~ \"$2\":\"([^\"]*)\" ]] || [[ $1 =~ \"$2\":([-0-9.]+) ]]; then echo "${BASH_REMATCH[1]}"; fi
}
pretty() {
    local l=$1 ev cur
    [[ $l =~ \"event\":\"([a-z_]+)\" ]] && ev=${BASH_REMATCH[1]}
    [[ $l =~ \"currency\":\"([A-Z]+)\" ]] && cur=${BASH_REMATCH[1]}
    case ${ev:-} in
    new_transaction) printf '    %-16s %s  transaction %s\n' "$ev" "$cur" "$(field "$l" tx)" ;;
    new_payment) printf '    %-16s %s  invoice %s is %s (status %s), %s %s received\n' "$ev" "$cur" \
        "$(field "$l" address)" "$(field "$l" status_str)" "$(field "$l" status)" "$(field "$l" sent_amount)" "$cur" ;;
    new_block) printf '    %-16s %s  height %s\n' "$ev" "$cur" "$(field "$l" height)" ;;
    verified_tx) printf '    %-16s %s  transaction %s verified at height %s\n' "$ev" "$cur" "$(field "$l" tx)" \
        "$(field "$l" height)" ;;
    *) printf '    %s\n' "$l" ;;
    esac
}
stderr_line() { printf '    [stderr] %s\n' "$1"; }
# show_new FILE COUNTER FN : runs FN on each line of FILE after the first $COUNTER, then sets
# COUNTER to the number of lines read
show_new() {
    local l n=0
    while IFS= read -r l; do
        n=$((n + 1))
        [ $n -le "${!2}" ] || "$3" "$l"
    done <"$1"
    printf -v "$2" %d "$n"
}
# show : prints the status lines and events that arrived since the last call
show() {
    show_new "$TMP/listen.err" SHOWN_ERR stderr_line
    show_new "$TMP/listen.out" SHOWN_OUT pretty
}
step() { printf '\n%s\n' "$*"; }

# ---------------------------------------------------------------- the session
TX1=9f2c5e0a7d41b3c8
TX2=4be17a90c2d35f66
pay() { # pay INVOICE TX AMOUNT STATUS STATUS_STR : a new_payment update as the daemon sends it
    printf '{"event":"new_payment","address":"%s","status":%s,"status_str":"%s","tx_hashes":["%s"],"sent_amount":"%s"}' \
        "$1" "$4" "$5" "$2" "$3"
}

echo "bitcart_events.h demo: a fake BitcartCC daemon streams a short session to bitcart-listen."
"$DAEMON" --host 127.0.0.1 --port 0 --password "$PASSWORD" >"$TMP/daemon.out" 2>"$TMP/daemon.err" &
DPID=$!
port_known() { PORT=$(awk '/^PORT [0-9]+$/ {print $2}' "$TMP/daemon.out"); [ -n "$PORT" ]; }
wait_for 10 "the fake daemon to listen" port_known
echo "The daemon listens on 127.0.0.1:$PORT (password '$PASSWORD', pid $DPID)."

step "Starting: BITCART_PASSWORD=... bitcart-listen --url http://127.0.0.1:$PORT --xpub $WALLET"
BITCART_PASSWORD=$PASSWORD "$LISTEN" --url "http://127.0.0.1:$PORT" --xpub "$WALLET" >"$TMP/listen.out" 2>"$TMP/listen.err" &
LPID=$!
echo "bitcart-listen runs as pid $LPID."
wait_for 10 "bitcart-listen to connect" status_count_at_least "connected to" 1
wait_for 10 "the first catch-up call (it loads the wallet)" loaded
show

step "1. A customer pays invoice d2f0a1b3c4: the transaction reaches the mempool."
inject "\"$WALLET\"" "{\"event\":\"new_transaction\",\"tx\":\"$TX1\"},$(pay d2f0a1b3c4 $TX1 0.00100000 7 Unconfirmed)"
wait_for 10 "2 events" lines_at_least 2
show

step "2. A block is mined: the transaction is verified and the invoice is Paid."
inject null '{"event":"new_block","height":2500001}'
inject "\"$WALLET\"" "{\"event\":\"verified_tx\",\"tx\":\"$TX1\",\"height\":2500001},$(pay d2f0a1b3c4 $TX1 0.00100000 3 Paid)"
wait_for 10 "5 events" lines_at_least 5
show

step "3. The connection drops (the daemon resets the websocket)..."
http POST /_test/drop_ws '{"mode":"reset"}'
wait_for 10 "the disconnect to be noticed" status_count_at_least "disconnected" 1
inject "\"$WALLET\"" "{\"event\":\"new_transaction\",\"tx\":\"$TX2\"},$(pay 77e5c9d0aa $TX2 0.02500000 7 Unconfirmed)"
[[ $BODY =~ \"queued\":([0-9]+),\"sent\":([0-9]+) ]] || die "unexpected answer from the daemon: $BODY"
echo "   ...and meanwhile a second customer pays invoice 77e5c9d0aa (the daemon queued" \
    "${BASH_REMATCH[1]} updates for the wallet and sent ${BASH_REMATCH[2]} live)."
echo "   bitcart-listen reconnects and catches up through get_updates:"
wait_for 10 "the reconnect" status_count_at_least "connected to" 2
wait_for 10 "7 events" lines_at_least 7
show

step "4. Another block: the second payment is Paid."
inject null '{"event":"new_block","height":2500002}'
inject "\"$WALLET\"" "$(pay 77e5c9d0aa $TX2 0.02500000 3 Paid)"
wait_for 10 "9 events" lines_at_least 9
show

step "Stopping bitcart-listen with SIGTERM."
kill -TERM "$LPID"
wait "$LPID"
rc=$?
LPID=
[ "$rc" -eq 0 ] || die "bitcart-listen exited with $rc after SIGTERM (expected 0)"
kill -TERM "$DPID"
wait "$DPID"
DPID=

want="new_transaction new_payment new_block verified_tx new_payment new_transaction new_payment new_block new_payment"
got=$(sed -E 's/^\{"event":"([a-z_]+)".*/\1/' "$TMP/listen.out" | tr '\n' ' ')
[ "${got% }" = "$want" ] || die "events out of order or missing: $got"

step "What a program reading bitcart-listen's stdout received (one JSON object per line):"
sed 's/^/    /' "$TMP/listen.out"
elapsed=$((($(date +%s%N) - START_NS) / 1000000))
printf '\ndemo: OK: 9 events, each once and in order, in %d.%03d s; both processes stopped (exit 0).\n' \
    $((elapsed / 1000)) $((elapsed % 1000))
echo "Next: 'make test' runs the whole test suite; 'man -l examples/bitcart-listen.1' for the CLI."
