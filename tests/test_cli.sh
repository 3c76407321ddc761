#!/usr/bin/env bash
# test_cli.sh - bitcart-listen (examples/bitcart-listen.c) against the C fake daemon
# (tests/fake_daemon.c, with the ASan + UBSan build of bitcart-listen) and the aiohttp one
# (tests/fake_daemon.py, with the normal build): exact JSON lines over the websocket and by
# polling, catch-up (first connection and reconnect) and --no-catch-up, manager mode with two
# currencies on two daemons, --events, --exec, TLS, a build without TLS (compiled here), usage
# errors, exit codes (auth, connect, TLS, stdout closed), SIGTERM/SIGINT, $BITCART_URL, and
# the password never shown.
#
# Usage: bash tests/test_cli.sh   (env: BUILD_DIR, default build/)
# Last line: "cli: N passed, M failed"; exit status non-zero on any failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PY=/usr/bin/python3
PASS=0
FAIL=0
PIDS=()
T=$(mktemp -d)
PW='S3cret-pw-7f1c'                   # the daemons' password: must never appear in any output
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=99

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT

LIB_TMP=$T
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"
check() { # check NAME COMMAND... : passes when the command succeeds
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

# wait_until SECONDS COMMAND... : polls the condition every 20 ms
wait_until() {
    local end=$((SECONDS + $1))
    shift
    while ! "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.02
    done
}
has_lines() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
has_text() { grep -qF -- "$2" "$1" 2>/dev/null; }
lacks_text() { ! grep -qF -- "$2" "$1" 2>/dev/null; }
same_lines_file() { [ "$(cat "$1" 2>/dev/null)" = "$2" ]; }   # same_lines_file FILE TEXT
count_text() { grep -cF -- "$2" "$1" 2>/dev/null; }
has_count() { local n; n=$(count_text "$1" "$2"); [ "${n:-0}" -ge "$3" ]; }   # has_count FILE TEXT N (no file yet: 0)
gone() { ! kill -0 "$1" 2>/dev/null; }


# listen NAME ARGS... : bitcart-listen in the background; stdout NAME.out, stderr NAME.err, LPID
listen() {
    local name=$1
    shift
    "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err" &
    LPID=$!
    PIDS+=("$LPID")
}

# stop_listener SIGNAL : sends it, waits (at most 10 s), sets RC
stop_listener() {
    kill "-$1" "$LPID" 2>/dev/null
    if wait_until 10 gone "$LPID"; then wait "$LPID"; RC=$?; else kill -KILL "$LPID"; wait "$LPID"; RC=timeout; fi
}

# run_cli NAME SECONDS ARGS... : runs it to the end (killed after SECONDS), sets RC
run_cli() {
    local name=$1 secs=$2
    shift 2
    timeout -s KILL "$secs" "$BIN" "$@" >"$T/$name.out" 2>"$T/$name.err"
    RC=$?
}

inject() { # inject PORT WALLET-JSON UPDATES-JSON
    curl -s -m 5 -d "{\"wallet\":$2,\"updates\":$3}" "http://127.0.0.1:$1/_test/inject" >/dev/null
}
# get_updates PORT WALLET : the daemon's get_updates answer (loads the wallet, empties its queue)
get_updates() {
    curl -s -m 5 -u "electrum:$PW" -H 'Content-Type: application/json' \
        -d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"get_updates\",\"params\":{\"xpub\":\"$2\"}}" "http://127.0.0.1:$1/"
}
drop_ws() { curl -s -m 5 -d '{"mode":"reset"}' "http://127.0.0.1:$1/_test/drop_ws" >/dev/null; }
loaded() { curl -s -m 5 "http://127.0.0.1:$1/_test/stats" | grep -qF "\"$2\""; }

# same_lines NAME FILE LINE... : the file holds exactly these lines
same_lines() {
    local name=$1 file=$2
    shift 2
    if diff <(printf '%s\n' "$@") "$file" >"$T/diff"; then
        ok "$name"
    else
        bad "$name"
        sed 's/^/    /' "$T/diff" | head -20
    fi
}

no_password() { # no_password NAME FILE... : the password appears in none of them
    if cat "${@:2}" | grep -qF -- "$PW"; then bad "$1: password shown"; else ok "$1: password not shown"; fi
}

# The updates injected and the lines bitcart-listen must print for them: the values as the
# daemon sent them (a 24-digit integer stays exact, escapes stay escaped, amounts stay strings).
U_TX='{"event":"new_transaction","tx":"9f2c"}'
U_UNCONF='{"event":"new_payment","address":"d2f0","status":7,"status_str":"Unconfirmed","tx_hashes":["9f2c"],"sent_amount":"0.00100000"}'
U_PAID='{"event":"new_payment","address":"d2f0","status":3,"status_str":"Paid","tx_hashes":["9f2c"],"sent_amount":"0.00100000"}'
U_BLOCK='{"event":"new_block","height":2500001}'
U_VER='{"event":"verified_tx","tx":"9f2c","height":2500001}'
U_ODD='{"event":"new_transaction","tx":"caf\u00e9 \"q\"","n":2.50,"big":123456789012345678901234,"x":{"a":[1,null,true]}}'
# what both fake daemons send for U_ODD (they decode it and encode it again)
U_ODD_SENT='{"event":"new_transaction","tx":"café \"q\"","n":2.5,"big":123456789012345678901234,"x":{"a":[1,null,true]}}'
L() { # L WALLET-JSON UPDATE : the expected line (for these updates: "event" first, no spaces)
    local u=$2 ev
    ev=$(sed -E 's/^\{"event":"([a-z_]+)".*/\1/' <<<"$u")
    printf '{"event":"%s","currency":"%s","wallet":%s,"args":{%s}\n' "$ev" "${CUR:-BTC}" "$1" \
        "$(sed -E 's/^\{"event":"[a-z_]+",?//' <<<"$u")"
}

# ======================================================================= per daemon
run_daemon_tests() { # run_daemon_tests c|py
    local impl=$1 P P2 D1
    local -a DCMD
    if [ "$impl" = c ]; then DCMD=("$BUILD/fake_daemon"); BIN=$BUILD/san_bitcart-listen
    else DCMD=("$PY" "$HERE/fake_daemon.py"); BIN=$BUILD/bitcart-listen; fi
    echo "== $impl daemon, $(basename "$BIN")"
    start_daemon "$impl-btc" "${DCMD[@]}" --password "$PW" || return
    P=$PORT
    D1=$DPID
    export BITCART_PASSWORD=$PW

    # ---- websocket: exact lines, another wallet filtered out, status lines
    listen "$impl-ws" --url "http://127.0.0.1:$P" --xpub W1 --verbose --verbose
    if ! wait_until 10 has_text "$T/$impl-ws.err" "BTC: connected to http://127.0.0.1:$P"; then
        bad "$impl ws: no 'connected' line"; sed 's/^/    /' "$T/$impl-ws.err" | tail -5
    fi
    wait_until 10 loaded "$P" W1
    get_updates "$P" W2 >/dev/null         # a daemon has events only for wallets a call named
    inject "$P" '"W1"' "[$U_TX,$U_UNCONF]"
    inject "$P" '"W2"' "[$U_TX]"
    inject "$P" null "[$U_BLOCK]"
    inject "$P" '"W1"' "[$U_VER,$U_ODD,$U_PAID]"
    wait_until 10 has_lines "$T/$impl-ws.out" 6
    same_lines "$impl ws: exact JSON lines, other wallets filtered out" "$T/$impl-ws.out" \
        "$(L '"W1"' "$U_TX")" "$(L '"W1"' "$U_UNCONF")" "$(L null "$U_BLOCK")" "$(L '"W1"' "$U_VER")" \
        "$(L '"W1"' "$U_ODD_SENT")" \
        "$(L '"W1"' "$U_PAID")"
    check "$impl ws: every line parses as JSON (python)" \
        "$PY" -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/$impl-ws.out"

    # ---- a dropped connection: status lines, and catch-up brings what was missed
    drop_ws "$P"
    inject "$P" '"W1"' "[$U_PAID]"
    wait_until 10 has_lines "$T/$impl-ws.out" 7
    check "$impl ws: update sent while disconnected arrives after the reconnect (catch-up)" \
        test "$(tail -n 1 "$T/$impl-ws.out")" = "$(L '"W1"' "$U_PAID")"
    check "$impl ws: 'disconnected' and 'reconnecting' on stderr" \
        grep -qE "BTC: disconnected \(1006" "$T/$impl-ws.err"
    check "$impl ws: 'reconnecting' on stderr" has_text "$T/$impl-ws.err" "BTC: reconnecting"
    wait_until 10 has_count "$T/$impl-ws.err" "BTC: connected to" 2
    check "$impl ws: connected again" test "$(count_text "$T/$impl-ws.err" "BTC: connected to")" -ge 2
    stop_listener TERM
    check "$impl ws: SIGTERM exits 0 (got $RC)" test "$RC" = 0
    check "$impl ws: nothing more than the 7 lines" test "$(wc -l <"$T/$impl-ws.out")" -eq 7
    no_password "$impl ws --verbose --verbose" "$T/$impl-ws.out" "$T/$impl-ws.err"

    # ---- two and three signals in quick succession, and a burst until it exits (timeout(1)
    # signals the process and then its group): the later ones arrive during shutdown, where
    # the handler must not reach the freed coin or manager (the ASan build reports it if it does)
    if [ "$impl" = c ]; then
        local mode sigs k s i
        for mode in coin manager; do
            for sigs in "TERM TERM" "INT TERM INT" burst; do
                k="$impl-sig-$mode-${sigs// /-}"
                if [ $mode = coin ]; then listen "$k" --url "http://127.0.0.1:$P" --xpub W1
                else listen "$k" --wallet BTC:W1 --wallet BTC:W2 --url "BTC=http://127.0.0.1:$P"; fi
                wait_until 10 has_text "$T/$k.err" "BTC: connected to" || bad "$k: no 'connected' line"
                if [ "$sigs" = burst ]; then
                    for i in $(seq 3000); do kill -TERM "$LPID" 2>/dev/null || break; done
                else
                    for s in $sigs; do kill "-$s" "$LPID" 2>/dev/null; done
                fi
                if wait_until 10 gone "$LPID"; then wait "$LPID"; RC=$?; else kill -KILL "$LPID"; wait "$LPID"; RC=timeout; fi
                check "$k: exits 0 (got $RC)" test "$RC" = 0
                check "$k: no sanitizer report" lacks_text "$T/$k.err" "Sanitizer"
                if has_text "$T/$k.err" "Sanitizer"; then grep -m1 -A12 "ERROR: AddressSanitizer" "$T/$k.err" | sed 's/^/    /'; fi
            done
        done
    fi

    # ---- catch-up on the first connection, and --no-catch-up. A daemon queues a wallet's updates
    # only once get_updates has loaded it; updates queued while no listener is connected reach
    # the listener only through its get_updates (the websocket sends what comes later).
    get_updates "$P" W9 >/dev/null
    inject "$P" '"W9"' "[$U_TX,$U_UNCONF]"
    listen "$impl-cu" --url "http://127.0.0.1:$P" --xpub W9
    wait_until 10 has_lines "$T/$impl-cu.out" 2
    stop_listener TERM
    same_lines "$impl ws: updates queued before connecting arrive (catch-up)" "$T/$impl-cu.out" \
        "$(L '"W9"' "$U_TX")" "$(L '"W9"' "$U_UNCONF")"
    get_updates "$P" W9 >"$T/$impl-cu.queue"
    check "$impl ws: catch-up emptied the daemon's queue" grep -qF '"result":[]' "$T/$impl-cu.queue"
    get_updates "$P" W10 >/dev/null
    inject "$P" '"W10"' "[$U_TX,$U_UNCONF]"
    listen "$impl-nocu" --url "http://127.0.0.1:$P" --xpub W10 --no-catch-up
    wait_until 10 has_text "$T/$impl-nocu.err" "BTC: connected to"
    inject "$P" '"W10"' "[$U_PAID]"
    wait_until 10 has_lines "$T/$impl-nocu.out" 1
    drop_ws "$P"
    wait_until 10 has_count "$T/$impl-nocu.err" "BTC: connected to" 2
    inject "$P" '"W10"' "[$U_VER]"
    wait_until 10 has_lines "$T/$impl-nocu.out" 2
    stop_listener TERM
    check "$impl --no-catch-up: SIGTERM exits 0 (got $RC)" test "$RC" = 0
    same_lines "$impl --no-catch-up: only what the websocket sent after connecting and after reconnecting" \
        "$T/$impl-nocu.out" "$(L '"W10"' "$U_PAID")" "$(L '"W10"' "$U_VER")"
    get_updates "$P" W10 >"$T/$impl-nocu.queue"
    check "$impl --no-catch-up: no get_updates was made (the daemon still holds the 4 updates)" \
        test "$(grep -o '"event":"[a-z_]*"' "$T/$impl-nocu.queue" | tr '\n' ' ')" = \
        '"event":"new_transaction" "event":"new_payment" "event":"new_payment" "event":"verified_tx" '

    # ---- --no-catch-up and a wallet no call has named yet: the listener's getbalance after
    # connecting makes the daemon load it (else it would send nothing), without draining its queue
    listen "$impl-nocu2" --url "http://127.0.0.1:$P" --xpub W11 --no-catch-up
    wait_until 10 has_text "$T/$impl-nocu2.err" "BTC: connected to"
    wait_until 10 loaded "$P" W11
    check "$impl --no-catch-up: the daemon loaded the wallet after the connect" loaded "$P" W11
    inject "$P" '"W11"' "[$U_TX]"
    wait_until 10 has_lines "$T/$impl-nocu2.out" 1
    stop_listener TERM
    same_lines "$impl --no-catch-up: events of a wallet named by no one else arrive" "$T/$impl-nocu2.out" \
        "$(L '"W11"' "$U_TX")"
    check "$impl --no-catch-up: the queue was not drained" has_text <(get_updates "$P" W11) '"tx":"9f2c"'

    # ---- a key the daemon cannot load (-32005): exit 6 after BCE_WALLET_ERROR_TRIES (3) attempts
    # in a row, in every mode (the websocket modes retry after BCE_CATCHUP_RETRY_MS: about 4 s)
    for mode in ws poll nocu forcepoll; do
        case $mode in
        ws) set -- ;; poll) set -- --poll=50 ;; nocu) set -- --no-catch-up ;; forcepoll) set -- --poll=50 --force-connect ;;
        esac
        run_cli "$impl-badkey-$mode" 20 --url "http://127.0.0.1:$P" --xpub vpub5ExampleWallet "$@"
        check "$impl bad key ($mode): exit 6 (got $RC)" test "$RC" = 6
        check "$impl bad key ($mode): says -32005 and names the wallet" \
            bash -c "grep -qF 'JSON-RPC error -32005: Seed or key not recognized' '$T/$impl-badkey-$mode.err' &&
                     grep -qF 'the wallet: BTC:vpub5ExampleWallet' '$T/$impl-badkey-$mode.err'"
        check "$impl bad key ($mode): three attempts, each logged" \
            bash -c "grep -qF 'cannot load wallet vpub5Exa' '$T/$impl-badkey-$mode.err' &&
                     grep -qF 'attempt 3 of 3, giving up' '$T/$impl-badkey-$mode.err'"
    done
    set --
    run_cli "$impl-badkey-mgr" 20 --wallet BTC:WOK --wallet BTC:vpub5ExampleWallet --url "http://127.0.0.1:$P"
    check "$impl bad key (manager): exit 6 (got $RC), naming the wallet" \
        test "$RC" = 6 -a -n "$(grep -F 'the wallet: BTC:vpub5ExampleWallet' "$T/$impl-badkey-mgr.err")"

    # ---- polling: exact lines (a global event has wallet null here too)
    listen "$impl-poll" --url "http://127.0.0.1:$P" --xpub W3 --poll=50 -v
    wait_until 10 has_text "$T/$impl-poll.err" "BTC: connected to http://127.0.0.1:$P (polling every 50 ms)"
    check "$impl poll: 'connected' line" has_text "$T/$impl-poll.err" "(polling every 50 ms)"
    inject "$P" '"W3"' "[$U_TX,$U_UNCONF]"
    inject "$P" null "[$U_BLOCK]"
    inject "$P" '"W3"' "[$U_ODD,$U_PAID]"
    wait_until 10 has_lines "$T/$impl-poll.out" 5
    same_lines "$impl poll: exact JSON lines" "$T/$impl-poll.out" \
        "$(L '"W3"' "$U_TX")" "$(L '"W3"' "$U_UNCONF")" "$(L null "$U_BLOCK")" \
        "$(L '"W3"' "$U_ODD_SENT")" \
        "$(L '"W3"' "$U_PAID")"
    stop_listener INT
    check "$impl poll: SIGINT exits 0 (got $RC)" test "$RC" = 0
    no_password "$impl poll -v" "$T/$impl-poll.out" "$T/$impl-poll.err"

    # ---- --events: only new_payment, in order
    listen "$impl-events" --url "http://127.0.0.1:$P" --xpub W4 --events 'new_payment verified_tx'
    wait_until 10 has_text "$T/$impl-events.err" "connected to"
    wait_until 10 loaded "$P" W4
    inject "$P" '"W4"' "[$U_TX,$U_UNCONF]"
    inject "$P" null "[$U_BLOCK]"
    inject "$P" '"W4"' "[$U_TX,$U_PAID]"
    wait_until 10 has_lines "$T/$impl-events.out" 2
    stop_listener TERM
    same_lines "$impl --events: only the events asked for" "$T/$impl-events.out" \
        "$(L '"W4"' "$U_UNCONF")" "$(L '"W4"' "$U_PAID")"

    # ---- --exec: the line on stdin, the environment, in order, a failing command survived
    : >"$T/$impl-exec.lines"
    listen "$impl-exec" --url "http://127.0.0.1:$P" --xpub W5 \
        --exec "cat >>'$T/$impl-exec.lines'; echo \"\$BITCART_EVENT \$BITCART_CURRENCY \${BITCART_WALLET-none} \${BITCART_PASSWORD-nopw}\" >>'$T/$impl-exec.env'; [ \"\$BITCART_EVENT\" != new_block ]"
    wait_until 10 has_text "$T/$impl-exec.err" "connected to"
    wait_until 10 loaded "$P" W5
    inject "$P" '"W5"' "[$U_TX]"
    inject "$P" null "[$U_BLOCK]"
    inject "$P" '"W5"' "[$U_PAID]"
    wait_until 10 has_lines "$T/$impl-exec.env" 3
    stop_listener TERM
    check "$impl --exec: exits 0 on SIGTERM (got $RC)" test "$RC" = 0
    same_lines "$impl --exec: each event's line on the command's stdin, in order" "$T/$impl-exec.lines" \
        "$(L '"W5"' "$U_TX")" "$(L null "$U_BLOCK")" "$(L '"W5"' "$U_PAID")"
    same_lines "$impl --exec: BITCART_EVENT/CURRENCY/WALLET set, BITCART_PASSWORD not passed on" \
        "$T/$impl-exec.env" "new_transaction BTC W5 nopw" "new_block BTC none nopw" "new_payment BTC W5 nopw"
    check "$impl --exec: the failing command is reported with its status" \
        has_text "$T/$impl-exec.err" "exited with status 1 for a new_block event"
    check "$impl --exec: nothing printed on stdout" test ! -s "$T/$impl-exec.out"

    # ---- --exec: the command inherits no descriptor but 0, 1 and 2: not the daemon connections
    # (open while it runs), not fd 9 that bitcart-listen itself inherited. It lists its shell's
    # descriptors on the stdout it shares with bitcart-listen.
    { listen "$impl-fds" --url "http://127.0.0.1:$P" --xpub W12 --exec 'ls /proc/$$/fd; true'; } 9<"$HERE/test_cli.sh"
    wait_until 10 has_text "$T/$impl-fds.err" "connected to"
    wait_until 10 loaded "$P" W12
    inject "$P" '"W12"' "[$U_TX]"
    wait_until 10 has_lines "$T/$impl-fds.out" 3
    inject "$P" '"W12"' "[$U_PAID]"
    wait_until 10 has_lines "$T/$impl-fds.out" 6
    stop_listener TERM
    same_lines "$impl --exec: the command inherits only stdin, stdout and stderr (two events)" \
        "$T/$impl-fds.out" 0 1 2 0 1 2

    # ---- SIGTERM while an --exec command runs: it is waited for, then exit 0
    listen "$impl-exec2" --url "http://127.0.0.1:$P" --xpub W6 \
        --exec "touch '$T/$impl-exec2.started'; sleep 0.5; cat >'$T/$impl-exec2.done'"
    wait_until 10 has_text "$T/$impl-exec2.err" "connected to"
    wait_until 10 loaded "$P" W6
    inject "$P" '"W6"' "[$U_TX]"
    wait_until 10 test -e "$T/$impl-exec2.started"
    stop_listener TERM
    check "$impl --exec: SIGTERM during a command waits for it, exit 0 (got $RC)" \
        test "$RC" = 0 -a -s "$T/$impl-exec2.done"

    # ---- --exec with a wallet key too large for execve (E2BIG: one environment string is
    # limited to 128 KiB on Linux): the daemon chooses the key, so the command cannot start;
    # that is said clearly, and listening goes on with the next event
    listen "$impl-e2big" --url "http://127.0.0.1:$P" --exec "echo \"\$BITCART_EVENT\" >>'$T/$impl-e2big.ran'"
    wait_until 10 has_text "$T/$impl-e2big.err" "connected to"
    head -c 200000 /dev/zero | tr '\0' w >"$T/big.key"
    printf '{"wallet":"%s","hostile":true,"updates":[%s]}' "$(cat "$T/big.key")" "$U_TX" >"$T/big.json"
    curl -s -m 5 --data-binary "@$T/big.json" "http://127.0.0.1:$P/_test/inject" >/dev/null
    inject "$P" null "[$U_BLOCK]"
    wait_until 10 test -s "$T/$impl-e2big.ran"
    stop_listener TERM
    check "$impl --exec E2BIG: exits 0 on SIGTERM (got $RC)" test "$RC" = 0
    check "$impl --exec E2BIG: the reason is said" \
        has_text "$T/$impl-e2big.err" "--exec: cannot start the command for a new_transaction event: Argument list too long"
    check "$impl --exec E2BIG: the next event's command runs" same_lines_file "$T/$impl-e2big.ran" new_block

    # ---- wrong password: exit 4, websocket and polling, password never shown
    BITCART_PASSWORD="not-$PW" run_cli "$impl-auth" 20 --url "http://127.0.0.1:$P" --xpub W7 -vv
    check "$impl auth: websocket exits 4 (got $RC)" test "$RC" = 4
    check "$impl auth: says authentication failed" has_text "$T/$impl-auth.err" "authentication failed"
    run_cli "$impl-auth-poll" 20 --url "http://127.0.0.1:$P" --xpub W7 --poll --password "x$PW" -v
    check "$impl auth: polling exits 4 (got $RC)" test "$RC" = 4
    no_password "$impl auth" "$T/$impl-auth.out" "$T/$impl-auth.err" "$T/$impl-auth-poll.out" "$T/$impl-auth-poll.err"

    # ---- manager: two currencies on two daemons, per-currency URLs
    if start_daemon "$impl-ltc" "${DCMD[@]}" --password "$PW" --currency LTC; then
        P2=$PORT
        listen "$impl-mgr" --wallet BTC:WB --wallet ltc:WL --url "BTC=http://127.0.0.1:$P" \
            --url "LTC=http://127.0.0.1:$P2" --events new_payment,new_transaction,new_block
        wait_until 10 has_text "$T/$impl-mgr.err" "LTC: connected to http://127.0.0.1:$P2"
        wait_until 10 has_text "$T/$impl-mgr.err" "BTC: connected to http://127.0.0.1:$P"
        check "$impl manager: both currencies connected" \
            test "$(grep -c ': connected to' "$T/$impl-mgr.err")" -eq 2
        wait_until 10 loaded "$P" WB
        wait_until 10 loaded "$P2" WL
        get_updates "$P" WX >/dev/null     # another wallet, loaded: its events reach the manager
        inject "$P" '"WX"' "[$U_PAID]"
        inject "$P" '"WB"' "[$U_TX]"
        wait_until 10 has_lines "$T/$impl-mgr.out" 1
        inject "$P2" '"WL"' "[$U_UNCONF]"
        wait_until 10 has_lines "$T/$impl-mgr.out" 2
        inject "$P2" null "[$U_BLOCK]"
        wait_until 10 has_lines "$T/$impl-mgr.out" 3
        inject "$P" '"WB"' "[$U_PAID]"
        wait_until 10 has_lines "$T/$impl-mgr.out" 4
        stop_listener TERM
        check "$impl manager: SIGTERM exits 0 (got $RC)" test "$RC" = 0
        same_lines "$impl manager: events of both currencies, routed by currency and wallet, other wallets left out" "$T/$impl-mgr.out" \
            "$(L '"WB"' "$U_TX")" "$(CUR=LTC L '"WL"' "$U_UNCONF")" "$(CUR=LTC L null "$U_BLOCK")" "$(L '"WB"' "$U_PAID")"

        BITCART_PASSWORD=wrong run_cli "$impl-mgrauth" 20 --wallet BTC:WB --wallet LTC:WL \
            --url "BTC=http://127.0.0.1:$P" --url "LTC=http://127.0.0.1:$P2"
        check "$impl manager: a wrong password exits 4 (got $RC)" test "$RC" = 4

        # the manager by polling
        listen "$impl-mgrpoll" --wallet BTC:WP1 --wallet LTC:WP2 --url "BTC=http://127.0.0.1:$P" \
            --url "LTC=http://127.0.0.1:$P2" --poll=50
        wait_until 10 has_count "$T/$impl-mgrpoll.err" "(polling every 50 ms)" 2
        inject "$P2" '"WP2"' "[$U_PAID]"
        wait_until 10 has_lines "$T/$impl-mgrpoll.out" 1
        inject "$P" '"WP1"' "[$U_TX]"
        wait_until 10 has_lines "$T/$impl-mgrpoll.out" 2
        stop_listener TERM
        check "$impl manager poll: SIGTERM exits 0 (got $RC)" test "$RC" = 0
        same_lines "$impl manager poll: both currencies" "$T/$impl-mgrpoll.out" \
            "$(CUR=LTC L '"WP2"' "$U_PAID")" "$(L '"WP1"' "$U_TX")"
        kill -TERM "$DPID"
        wait "$DPID"
    fi

    # ---- stdout closed (a reader that quits): exit 1 with a message
    set -o pipefail
    ( "$BIN" --url "http://127.0.0.1:$P" --xpub W8 2>"$T/$impl-pipe.err"; echo $? >"$T/$impl-pipe.rc" ) | head -n 1 >"$T/$impl-pipe.out" &
    local hp=$!
    wait_until 10 has_text "$T/$impl-pipe.err" "connected to"
    wait_until 10 loaded "$P" W8
    inject "$P" '"W8"' "[$U_TX]"
    wait_until 10 has_lines "$T/$impl-pipe.out" 1
    inject "$P" '"W8"' "[$U_TX]"
    wait_until 10 test -s "$T/$impl-pipe.rc"
    set +o pipefail
    wait "$hp" 2>/dev/null
    check "$impl stdout closed: exit 1 (got $(cat "$T/$impl-pipe.rc" 2>/dev/null))" test "$(cat "$T/$impl-pipe.rc" 2>/dev/null)" = 1
    check "$impl stdout closed: says so" has_text "$T/$impl-pipe.err" "cannot write to stdout"

    unset BITCART_PASSWORD
    kill -TERM "$D1"
    wait "$D1"
}

# ======================================================================= raw text kept
# The real daemon sends json.dumps' default form (", " and ": " separators, \uXXXX escapes).
# This aiohttp server sends such messages, one of them pretty-printed over several lines, with
# numbers spelled in ways a re-encoder would change: bitcart-listen must keep every value's text
# and drop only the whitespace between tokens.
raw_tests() {
    BIN=$BUILD/san_bitcart-listen
    echo "== raw values as the daemon sent them (aiohttp, json.dumps spacing)"
    cat >"$T/raw_daemon.py" <<'PYEOF'
import asyncio, sys
from aiohttp import web

MSGS = [
    '{"updates": [{"event": "new_payment", "address": "d2 f0", "status": 7, "status_str": "Unconfirmed",'
    ' "tx_hashes": ["9f2c", "a1"], "sent_amount": "0.00100000", "contract": null, "fee": 1.50e-3}],'
    ' "wallet": "W\u00e9", "currency": "BTC"}',
    '{\n  "updates": [\n    {\n      "event": "new_block",\n      "height": 2500001,\n'
    '      "x": {"k": "caf\\u00e9 \\"q\\" \\n", "arr": [ 1 , -0.0 , true ]}\n    }\n  ],\n'
    '  "wallet": null,\n  "currency": "BTC"\n}',
]

async def ws(request):
    w = web.WebSocketResponse()
    await w.prepare(request)
    await w.receive()                      # the client's {"xpub": ...}
    for m in MSGS:
        await w.send_str(m)
    async for _ in w:
        pass
    return w

async def rpc(request):
    return web.Response(text='{"jsonrpc": "2.0", "result": [], "id": 1}', content_type="application/json")

async def main():
    app = web.Application()
    app.router.add_get("/ws", ws)
    app.router.add_post("/", rpc)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print("PORT", site._server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
PYEOF
    if start_daemon raw "$PY" "$T/raw_daemon.py"; then
        listen raw --url "http://127.0.0.1:$PORT" --xpub 'Wé'
        wait_until 10 has_lines "$T/raw.out" 2
        stop_listener TERM
        same_lines "raw: values byte for byte, whitespace between tokens removed, one line each" "$T/raw.out" \
            '{"event":"new_payment","currency":"BTC","wallet":"Wé","args":{"address":"d2 f0","status":7,"status_str":"Unconfirmed","tx_hashes":["9f2c","a1"],"sent_amount":"0.00100000","contract":null,"fee":1.50e-3}}' \
            '{"event":"new_block","currency":"BTC","wallet":null,"args":{"height":2500001,"x":{"k":"caf\u00e9 \"q\" \n","arr":[1,-0.0,true]}}}'
        check "raw: SIGTERM exits 0 (got $RC)" test "$RC" = 0
        kill -TERM "$DPID"
        wait "$DPID"
    fi
}

# ======================================================================= no daemon needed
usage_tests() {
    local free
    BIN=$BUILD/san_bitcart-listen
    echo "== usage errors and exit codes"
    # expect_usage NAME PATTERN ARGS... : exit 2 and PATTERN on stderr
    expect_usage() {
        local name=$1 pat=$2
        shift 2
        run_cli usage 10 "$@"
        if [ "$RC" = 2 ] && grep -qF -- "$pat" "$T/usage.err" && [ ! -s "$T/usage.out" ]; then ok "usage: $name"
        else bad "usage: $name (exit $RC)"; sed 's/^/    /' "$T/usage.err" | head -3; fi
    }
    expect_usage "unknown option" "unknown option '--bogus'" --bogus
    expect_usage "stray argument" "unexpected argument 'oops'" oops
    expect_usage "missing value" "--url needs a value" --url
    expect_usage "empty value" "--xpub needs a non-empty value" --xpub=
    expect_usage "bad URL scheme" "bad url: the URL must start with http:// or https://" --url ftp://x
    expect_usage "credentials in the URL" "credentials in the URL" --url http://u:p@127.0.0.1:1
    expect_usage "unknown currency" "unsupported currency" --currency DOGE
    expect_usage "unknown currency in --wallet" "--wallet DOGE:...: unsupported currency" --wallet DOGE:k
    expect_usage "--wallet without a key" "expected CUR:KEY" --wallet BTC
    expect_usage "--wallet with --xpub" "cannot be combined" --wallet BTC:k --xpub k2
    expect_usage "--poll without a wallet" "--poll needs a wallet" --poll
    expect_usage "--poll=bad" "--poll=abc: expected milliseconds" --poll=abc --xpub k
    expect_usage "--poll=0" "expected milliseconds" --poll=0 --xpub k
    expect_usage "flag with a value it does not take" "--insecure takes no value" --insecure=1
    expect_usage "unknown event" "--events 'new_thing': unknown event name" --events new_thing
    expect_usage "--ca-file with --insecure" "contradict" --ca-file x --insecure
    expect_usage "--url CUR=URL without that wallet" "--url LTC=...: no --wallet of that currency" \
        --wallet BTC:k --url LTC=http://127.0.0.1:1
    expect_usage "--url CUR=URL of another currency" "--url LTC=...: not the currency listened to" \
        --url LTC=http://127.0.0.1:1 --xpub k
    expect_usage "bad CUR=URL" "expected URL or CUR=URL" --url 'B-C=http://x'
    expect_usage "user with a colon" "must not contain ':'" --user a:b
    expect_usage "--password-file missing" "--password-file: cannot read" --password-file "$T/none"
    run_cli help 10 --help
    check "usage: --help exits 0 and lists the exit codes" test "$RC" = 0 -a -n "$(grep 'Exit status' "$T/help.out")"
    run_cli version 10 --version
    check "usage: --version exits 0" grep -q '^bitcart-listen 0\.' "$T/version.out"

    echo "== connect failures"
    free=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    run_cli conn 20 --url "http://127.0.0.1:$free" --xpub k
    check "connect: websocket, nothing listening: exit 3 (got $RC)" test "$RC" = 3
    check "connect: says cannot connect" has_text "$T/conn.err" "cannot connect"
    run_cli conn-poll 20 --url "http://127.0.0.1:$free" --xpub k --poll
    check "connect: polling, nothing listening: exit 3 (got $RC)" test "$RC" = 3
    run_cli conn-mgr 20 --wallet BTC:k --wallet LTC:k2 --url "http://127.0.0.1:$free"
    check "connect: manager, nothing listening: exit 3 (got $RC)" test "$RC" = 3
    # --force-connect: keeps trying until a daemon appears on that port
    listen force --url "http://127.0.0.1:$free" --xpub WF --force-connect
    wait_until 10 has_text "$T/force.err" "connection attempt failed"
    check "connect: --force-connect reports the failed attempt and keeps trying" \
        has_text "$T/force.err" "connection attempt failed"
    if start_daemon force-daemon "$BUILD/fake_daemon" --port "$free"; then
        wait_until 20 has_text "$T/force.err" "BTC: connected to"
        wait_until 10 loaded "$free" WF
        inject "$free" '"WF"' "[$U_TX]"
        wait_until 10 has_lines "$T/force.out" 1
        stop_listener TERM
        check "connect: --force-connect connects once the daemon is up, exit 0 (got $RC)" \
            test "$RC" = 0 -a "$(cat "$T/force.out")" = "$(L '"WF"' "$U_TX")"
        kill -TERM "$DPID"
        wait "$DPID"
    fi

    # a peer that accepts connections and never answers: SIGTERM must not wait for timeouts
    if start_daemon silent "$PY" -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
print("PORT", s.getsockname()[1], flush=True)
held = []
while True:
    held.append(s.accept()[0]); print("ACCEPTED", len(held), flush=True)'; then
        listen silent-ws --url "http://127.0.0.1:$PORT" --xpub k
        wait_until 10 has_text "$LIB_TMP/silent.dout" "ACCEPTED 1"
        t0=$SECONDS
        stop_listener TERM
        check "signals: SIGTERM while the websocket handshake hangs: exit 0 at once (got $RC)" \
            test "$RC" = 0 -a $((SECONDS - t0)) -le 2
        listen silent-poll --url "http://127.0.0.1:$PORT" --xpub k --poll
        wait_until 10 has_text "$LIB_TMP/silent.dout" "ACCEPTED 2"
        t0=$SECONDS
        stop_listener TERM
        check "signals: SIGTERM during the first get_updates (no answer): exit 0 at once (got $RC)" \
            test "$RC" = 0 -a $((SECONDS - t0)) -le 2
        kill -TERM "$DPID"
        wait "$DPID"
    fi

    # a hostile daemon floods the catch-up get_updates (tests/http_peer.py: endless interim
    # 1xx answers, or 8 MiB of 1-byte chunks) while its websocket is fine: SIGTERM ends
    # bitcart-listen within 1 s (issue 13)
    if start_daemon hostile "$PY" "$HERE/http_peer.py" --announce; then
        local hb kind n=0
        for hb in "$BUILD/san_bitcart-listen" "$BUILD/bitcart-listen"; do
            for kind in interim_flood chunks1.8388608; do
                n=$((n + 1))
                BIN=$hb listen "flood$n" --url "http://127.0.0.1:$PORT/case/$kind.cli$n" --xpub w
                wait_until 10 has_text "$LIB_TMP/hostile.dout" "HOSTILE $kind.cli$n"
                t0=$(date +%s%N)
                stop_listener TERM
                t1=$(( ($(date +%s%N) - t0) / 1000000 ))
                check "signals: SIGTERM during a flooded catch-up ($kind, $(basename "$hb")): exit 0 within 1 s (got $RC after $t1 ms)" \
                    test "$RC" = 0 -a "$t1" -le 1000
            done
        done
        kill -TERM "$DPID"
        wait "$DPID"
    fi

    # a TLS peer that answers the ClientHello with endless warning alerts (tests/tls_flood.py;
    # mbedTLS skips each and reads on): SIGTERM ends bitcart-listen within 1 s (issue 13)
    if start_daemon tlsflood "$PY" "$HERE/tls_flood.py" --announce; then
        local tb mode m=0
        for tb in "$BUILD/san_bitcart-listen" "$BUILD/bitcart-listen"; do
            "$tb" --version 2>/dev/null | grep -q "TLS: not built in" && continue
            for mode in ws poll; do
                m=$((m + 1))
                BIN=$tb listen "tlsflood$m" --url "https://127.0.0.1:$PORT" --xpub w --insecure \
                    $([ $mode = poll ] && echo --poll)
                wait_until 10 has_text "$LIB_TMP/tlsflood.dout" "FLOOD $m"
                t0=$(date +%s%N)
                stop_listener TERM
                t1=$(( ($(date +%s%N) - t0) / 1000000 ))
                check "signals: SIGTERM during a TLS alert flood ($mode, $(basename "$tb")): exit 0 within 1 s (got $RC after $t1 ms)" \
                    test "$RC" = 0 -a "$t1" -le 1000
            done
        done
        kill -TERM "$DPID"
        wait "$DPID"
    fi

    echo "== TLS (aiohttp daemon with a test CA)"
    if ! bash "$HERE/make_certs.sh" "$BUILD/certs"; then
        bad "tls: tests/make_certs.sh failed"
    elif start_daemon tls "$PY" "$HERE/fake_daemon.py" \
        --tls-cert "$BUILD/certs/good.pem" --tls-key "$BUILD/certs/good.key"; then
        local tp=$PORT
        listen tls-ok --url "https://127.0.0.1:$tp" --xpub WT --ca-file "$BUILD/certs/ca.pem"
        wait_until 15 has_text "$T/tls-ok.err" "BTC: connected to https://127.0.0.1:$tp"
        loaded_tls() { curl -s -m 5 --cacert "$BUILD/certs/ca.pem" "https://127.0.0.1:$tp/_test/stats" | grep -qF '"WT"'; }
        wait_until 10 loaded_tls
        inject_tls() { curl -s -m 5 --cacert "$BUILD/certs/ca.pem" -d "{\"wallet\":\"WT\",\"updates\":[$U_PAID]}" "https://127.0.0.1:$tp/_test/inject" >/dev/null; }
        inject_tls
        wait_until 10 has_lines "$T/tls-ok.out" 1
        stop_listener TERM
        check "tls: wss with --ca-file delivers, exit 0 (got $RC)" \
            test "$RC" = 0 -a "$(head -n 1 "$T/tls-ok.out")" = "$(L '"WT"' "$U_PAID")"
        run_cli tls-bad 20 --url "https://127.0.0.1:$tp" --xpub WT
        check "tls: an untrusted certificate exits 5 (got $RC)" test "$RC" = 5
        run_cli tls-insecure-poll 20 --url "https://127.0.0.1:$tp" --xpub WT --poll --insecure --password bad
        check "tls: --insecure connects (then the wrong password: exit 4, got $RC)" test "$RC" = 4
        check "tls: --insecure is warned about" has_text "$T/tls-insecure-poll.err" "verification is OFF"
        kill -TERM "$DPID"
        wait "$DPID"
    fi

    echo "== a password with ':' (the daemon answers HTTP 500), against both daemons"
    for impl in c py; do
        if [ $impl = c ]; then set -- "$BUILD/fake_daemon"; else set -- "$PY" "$HERE/fake_daemon.py"; fi
        if start_daemon "colon-$impl" "$@" --password 'pa:ss'; then
            run_cli "colon-$impl-ws" 20 --url "http://127.0.0.1:$PORT" --xpub WC --password 'pa:ss'
            check "colon ($impl): websocket exits 3 (got $RC)" test "$RC" = 3
            check "colon ($impl): warned about when configured" has_text "$T/colon-$impl-ws.err" "warning: the password contains ':'"
            check "colon ($impl): the HTTP 500 names the cause" \
                grep -qE "HTTP 500 \(the password contains ':'" "$T/colon-$impl-ws.err"
            run_cli "colon-$impl-poll" 20 --url "http://127.0.0.1:$PORT" --xpub WC --password 'pa:ss' --poll
            check "colon ($impl): polling exits 3 (got $RC), naming the cause" \
                test "$RC" = 3 -a -n "$(grep -E "HTTP 500 \(the password contains ':'" "$T/colon-$impl-poll.err")"
            kill -TERM "$DPID"
            wait "$DPID"
        fi
    done
    set --

    echo "== a build without TLS (as make builds it when mbedTLS is missing, or with BCE_TLS=0)"
    local notls=$BUILD/bitcart-listen-notls
    if [ "$notls" -nt "$ROOT/examples/bitcart-listen.c" ] && [ "$notls" -nt "$ROOT/bitcart_events.h" ] \
        || ${CC:-cc} -std=c99 -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror -O2 -g -I"$ROOT" \
            "$ROOT/examples/bitcart-listen.c" -o "$notls" 2>"$T/notls.cc"; then
        BIN=$notls
        run_cli notls-version 10 --version
        check "no TLS: --version says TLS is not built in" has_text "$T/notls-version.out" "TLS: not built in"
        run_cli notls-ws 20 --url "https://127.0.0.1:$free" --xpub k
        check "no TLS: an https URL exits 5 (got $RC)" test "$RC" = 5
        check "no TLS: says the build has no TLS" has_text "$T/notls-ws.err" "this build has none"
        run_cli notls-poll 20 --url "https://127.0.0.1:$free" --xpub k --poll
        check "no TLS: an https URL with --poll exits 5 (got $RC)" test "$RC" = 5
        BIN=$BUILD/san_bitcart-listen
    else
        bad "no TLS: cannot build $notls"
        sed 's/^/    /' "$T/notls.cc" | head -5
    fi

    echo "== the password is erased from the command line; the environment"
    if [ ! -r /proc/self/cmdline ]; then
        bad "password: /proc/self/cmdline is not readable here"
    elif start_daemon pwd "$BUILD/fake_daemon" --password "$PW"; then
        listen cmdline --url "http://127.0.0.1:$PORT" --xpub WC --password "$PW"
        wait_until 10 has_text "$T/cmdline.err" "connected to"
        check "password: not in /proc/PID/cmdline while running" \
            bash -c "! tr '\\0' ' ' </proc/$LPID/cmdline | grep -qF -- '$PW'"
        stop_listener TERM
        # $BITCART_URL: the URL when --url is absent; --url wins over it
        BITCART_URL="http://127.0.0.1:$PORT" BITCART_PASSWORD=$PW listen envurl --xpub WE
        wait_until 10 has_text "$T/envurl.err" "connected to"
        check "environment: \$BITCART_URL is used without --url" \
            has_text "$T/envurl.err" "BTC: connected to http://127.0.0.1:$PORT"
        check "password: \$BITCART_PASSWORD erased from /proc/PID/environ while running" \
            bash -c "grep -qa BITCART_URL /proc/$LPID/environ && ! grep -qaF -- '$PW' /proc/$LPID/environ"
        stop_listener TERM
        BITCART_URL=ftp://not-used BITCART_PASSWORD=$PW listen envurl2 --xpub WE --url "http://127.0.0.1:$PORT"
        wait_until 10 has_text "$T/envurl2.err" "connected to"
        check "environment: --url wins over \$BITCART_URL" \
            has_text "$T/envurl2.err" "BTC: connected to http://127.0.0.1:$PORT"
        stop_listener TERM
        kill -TERM "$DPID"
        wait "$DPID"
    fi
}

for f in "$BUILD/bitcart-listen" "$BUILD/san_bitcart-listen" "$BUILD/fake_daemon"; do
    [ -x "$f" ] || { bad "missing $f (make test-cli builds it)"; echo "cli: $PASS passed, $FAIL failed"; exit 1; }
done
command -v curl >/dev/null || { bad "curl is needed"; echo "cli: $PASS passed, $FAIL failed"; exit 1; }

usage_tests
raw_tests
run_daemon_tests c
run_daemon_tests py

echo "== make demo's script"
t0=$SECONDS
BUILD_DIR=$BUILD timeout -s KILL 60 bash "$ROOT/examples/demo.sh" >"$T/demo.out" 2>&1
RC=$?
check "demo: exits 0 within 30 s (exit $RC, $((SECONDS - t0)) s)" test "$RC" = 0 -a $((SECONDS - t0)) -lt 30
check "demo: reports 9 events in order" grep -q '^demo: OK: 9 events' "$T/demo.out"
dp=$(sed -n 's/^The daemon listens on .*pid \([0-9]*\))\.$/\1/p' "$T/demo.out")
lp=$(sed -n 's/^bitcart-listen runs as pid \([0-9]*\)\.$/\1/p' "$T/demo.out")
check "demo: stopped the daemon ($dp) and bitcart-listen ($lp)" \
    bash -c "[ -n '$dp' ] && [ -n '$lp' ] && ! kill -0 '$dp' 2>/dev/null && ! kill -0 '$lp' 2>/dev/null"
[ "$RC" = 0 ] || tail -20 "$T/demo.out" | sed 's/^/    /'

echo "cli: $PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
