#!/usr/bin/env bash
# test_spool.sh - bitcart-listen --spool: durable, at-least-once delivery (issue 18).
#
# The crash test: the C fake daemon streams N seq-numbered events for 3 wallets (websocket and
# get_updates queue) while bitcart-listen --spool is killed with SIGKILL at seeded random
# points anywhere but inside a catch-up (at least 50 kills; see the loop for why), with a small
# compaction threshold, and started again each time. Its consumers: an --exec script
# that fails 20% of the time (seeded; half of those after logging the event) and a --post
# receiver (tests/spool_receiver.py) that answers 500 or hangs past --post-timeout now and
# then. At the end every event is in both consumer logs at least once, exactly once after
# dropping repeated ids, in order per wallet; the spool holds nothing pending and there is no
# dead-letter file (no --max-attempts). Then: --max-attempts and the dead-letter file; a full
# spool (--spool-max) pausing receiving and resuming with nothing dropped; a spool
# directory that cannot be written; a full disk (RLIMIT_FSIZE); a second listener on the same
# spool; flags that need --spool.
#
# Usage: bash tests/test_spool.sh   (env: BUILD_DIR (build/), SEED (1), EVENTS (2400),
#        BIN (the listener, default $BUILD_DIR/bitcart-listen))
# Last line: "spool: N passed, M failed"; exit status non-zero on any failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD_DIR:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BIN=${BIN:-$BUILD/bitcart-listen}
PY=/usr/bin/python3
SEED=${SEED:-1}
EVENTS=${EVENTS:-2400}
WALLETS=3
PASS=0
FAIL=0
PIDS=()
T=$(mktemp -d)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=99}

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    if [ -n "${KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap cleanup EXIT

LIB_TMP=$T
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"

wait_until() { # wait_until SECONDS COMMAND... : polls the condition every 20 ms
    local end=$((SECONDS + $1))
    shift
    while ! "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.02
    done
}
gone() { ! kill -0 "$1" 2>/dev/null; }
loaded_all() { local s; s=$(curl -s "http://127.0.0.1:$DPORT/_test/stats") && [[ $s == *'"w0"'* && $s == *'"w1"'* && $s == *'"w2"'* ]]; }
ids_in() { [ -f "$1" ] && $PY -c 'import json,sys; print(len({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$1"; }
has_all() { [ "$(ids_in "$1")" = "$EVENTS" ]; }

start_daemon daemon "$BUILD/fake_daemon" --port 0 || exit 1
DPORT=$PORT
printf 'spool-test-secret\n' >"$T/secret"
start_daemon receiver $PY "$HERE/spool_receiver.py" "$T/post.log" "$SEED" "$T/secret" 0.4 || exit 1
RPORT=$PORT

# The --exec consumer (sourced by the listener's sh: builtins only, one process per event): a
# seeded 20% of its runs fail, half of them after logging the event.
cat >"$T/consumer.sh" <<'SH'
IFS= read -r line
n=0
read -r n <"$CNT"
n=$((n + 1))
echo "$n" >"$CNT"
r=$(( (n * 7919 + SEED * 31) % 100 ))
[ "$r" -lt 10 ] && exit 1
case $line in *'}}') ;; *) exit 1 ;; esac    # cut short: the listener died while writing it
[ "$line" = "${line#\{\"id\":\"$BITCART_EVENT_ID\",}" ] && { echo "$line" >>"$LOG.bad"; exit 0; }
printf '%s\n' "$line" >>"$LOG"
[ "$r" -lt 20 ] && exit 3
exit 0
SH
echo 0 >"$T/exec.count"
export CNT=$T/exec.count LOG=$T/exec.log SEED

SPOOL=$T/spool
LARGS=(--url "http://127.0.0.1:$DPORT" --wallet BTC:w0 --wallet BTC:w1 --wallet BTC:w2 --events new_transaction
       --spool "$SPOOL" --exec ". $T/consumer.sh" --post "http://127.0.0.1:$RPORT/hook" --post-timeout 150
       --post-secret-file "$T/secret" --retry-min 5 --retry-max 40 --force-connect -v)
RUNS=0
ERRPOS=0
start_listener() {
    RUNS=$((RUNS + 1))
    ERRPOS=$({ wc -c <"$T/listen.err"; } 2>/dev/null || echo 0)
    # a small compaction threshold (for tests only): the journal is compacted several times
    # while the listeners are being killed
    BITCART_LISTEN_COMPACT_MIN=16384 "$BIN" "${LARGS[@]}" >>"$T/listen.out" 2>>"$T/listen.err" &
    LPID=$!
}
# the current run (its stderr since it started) is inside a catch-up: connected, not caught up
in_catch_up() { tail -c +$((ERRPOS + 1)) "$T/listen.err" | awk '/connected to/ {s = 1} /caught up/ {s = 0} END {exit !s}'; }

# ---- the crash test -----------------------------------------------------------------------
t0=$SECONDS
start_listener
if wait_until 10 loaded_all; then ok "crash: the first listener loaded the 3 wallets"; else bad "crash: wallets not loaded"; fi
$PY "$HERE/spool_driver.py" "$DPORT" "$WALLETS" "$EVENTS" 200 4 >"$T/driver.out" 2>&1 &
DRIVER=$!
PIDS+=("$DRIVER")
RANDOM=$SEED
KILLS=0
INFLIGHT=0
caught_up_now() { ! in_catch_up; }
while ! gone "$DRIVER" || [ $KILLS -lt 50 ]; do
    # A seeded random point anywhere: during startup, the journal's load and compaction, the
    # replay, the connect, or while receiving and handing on. The one exclusion: not while a
    # catch-up is in flight. A kill between the daemon's answer to get_updates and the journal
    # write loses that answer, which the daemon emptied when it answered: the protocol's own
    # loss, documented, not tested here. The listener is stopped (SIGSTOP) and its stderr read:
    # "connected to" is written before the catch-up's call goes out and "caught up" after its
    # events are in the journal; in between, it runs on until caught up, then is killed.
    sleep "0.$(printf '%03d' $((RANDOM % 400)))"
    kill -STOP "$LPID" 2>/dev/null
    if in_catch_up; then
        INFLIGHT=$((INFLIGHT + 1))
        kill -CONT "$LPID" 2>/dev/null
        wait_until 10 caught_up_now
        kill -STOP "$LPID" 2>/dev/null
    fi
    kill -KILL "$LPID" 2>/dev/null
    wait "$LPID" 2>/dev/null
    KILLS=$((KILLS + 1))
    start_listener
    [ $((SECONDS - t0)) -gt 80 ] && break
done
wait "$DRIVER"
DRC=$?
if [ $DRC -eq 0 ] && grep -q "^SENT $EVENTS$" "$T/driver.out"; then ok "crash: the daemon sent $EVENTS events"; else bad "crash: driver failed: $(cat "$T/driver.out")"; fi
if [ $KILLS -ge 50 ]; then ok "crash: $KILLS SIGKILLs"; else bad "crash: only $KILLS kills"; fi
wait_until 60 has_all "$T/exec.log"
wait_until 30 has_all "$T/post.log"
kill -TERM "$LPID"
if wait_until 10 gone "$LPID"; then wait "$LPID"; RC=$?; else RC=timeout; fi
if [ "$RC" = 0 ]; then ok "crash: the last listener stopped with 0 on SIGTERM"; else bad "crash: last listener exit $RC"; fi
for c in exec post; do
    if $PY "$HERE/check_spool_log.py" "$T/$c.log" "$WALLETS" "$EVENTS" >"$T/$c.check"; then
        ok "crash: --$c: every event, once after dropping duplicate ids, in order per wallet"
    else
        bad "crash: --$c: $(cat "$T/$c.check")"
    fi
    sed 's/^/     /' "$T/$c.check" | head -12
    if [ ! -e "$T/$c.log.bad" ]; then ok "crash: --$c: ids (and signatures) all match"; else bad "crash: --$c: bad deliveries: $(head -3 "$T/$c.log.bad")"; fi
done
# our SHA-256 against Python's: every id is the first 128 bits of SHA-256 over the line without it
if $PY -c '
import hashlib, sys
for line in open(sys.argv[1]):
    line = line.rstrip("\n")
    rest = "{" + line[len("{\"id\":\"") + 32 + 2:]
    assert line[7:39] == hashlib.sha256(rest.encode()).hexdigest()[:32], line' "$T/exec.log"; then
    ok "crash: every id is SHA-256 of the line without it (checked against Python hashlib)"
else
    bad "crash: an id is not the SHA-256 of its line"
fi
pending=$(grep -c '^{"id":' "$SPOOL/journal")
if [ "$pending" = 0 ]; then ok "crash: the spool is empty at the end"; else bad "crash: $pending events left in the journal"; fi
if [ ! -e "$SPOOL/dead-letter" ]; then ok "crash: no dead letters (no --max-attempts)"; else bad "crash: dead letters without --max-attempts"; fi
RETRIES=$(grep -c 'retried in' "$T/listen.err")
if ! grep -E 'ERROR: AddressSanitizer|runtime error' "$T/listen.err" >/dev/null; then ok "crash: no sanitizer report"; else bad "crash: sanitizer report"; fi
echo "     crash test: $EVENTS events, $KILLS kills ($INFLIGHT deferred past a catch-up), $RUNS listener runs, $RETRIES retries, $((SECONDS - t0)) s"

# ---- --max-attempts and the dead-letter file ------------------------------------------------
D2=$T/spool2
"$BIN" --url "http://127.0.0.1:$DPORT" --xpub w0 --events new_transaction --spool "$D2" --exec 'cat >/dev/null; exit 7' \
    --max-attempts 3 --retry-min 1 --retry-max 5 >"$T/dl.out" 2>"$T/dl.err" &
LPID=$!
PIDS+=("$LPID")
wait_until 10 grep -qs "connected to" "$T/dl.err"
curl -s -X POST -d '{"wallet":"w0","updates":[{"event":"new_transaction","tx":"dead","seq":1}]}' \
    "http://127.0.0.1:$DPORT/_test/inject" >/dev/null
wait_until 10 test -s "$D2/dead-letter"
kill -TERM "$LPID"
wait_until 10 gone "$LPID"
wait "$LPID"
RC=$?
if [ $RC = 0 ] && $PY -c '
import json,sys
d=[json.loads(l) for l in open(sys.argv[1])]
assert len(d)==1 and d[0]["attempts"]==3 and d[0]["consumer"]=="exec" and d[0]["reason"]=="the command exited with status 7", d
assert d[0]["event"]["args"]["tx"]=="dead" and d[0]["event"]["id"]==d[0]["id"]' "$D2/dead-letter" \
    && [ "$(grep -c '^{"id":' "$D2/journal")" = 0 ]; then
    ok "--max-attempts 3: the event is in the dead-letter file with why; the journal is empty"
else
    bad "--max-attempts: rc $RC, dead-letter: $(cat "$D2/dead-letter" 2>&1), journal: $(cat "$D2/journal")"
fi

# ---- --spool-max: a full spool pauses receiving, nothing is dropped ---------------------------
# The consumer fails until $T/open exists; 400 events of about 300 bytes overfill --spool-max 64K.
"$BIN" --url "http://127.0.0.1:$DPORT" --xpub w1 --events new_transaction --spool "$T/spool4" --spool-max 64K \
    --exec "[ -e $T/open ] || exit 1; cat >>$T/full4.log" --retry-min 20 --retry-max 50 >"$T/max.out" 2>"$T/max.err" &
LPID=$!
PIDS+=("$LPID")
wait_until 10 grep -qs "connected to" "$T/max.err"
for i in $(seq 0 39); do
    u=
    for k in $(seq 0 9); do u="$u${u:+,}{\"event\":\"new_transaction\",\"tx\":\"$(printf '%0200d' 0)\",\"seq\":$((i * 10 + k))}"; done
    curl -s -X POST -d "{\"wallet\":\"w1\",\"updates\":[$u]}" "http://127.0.0.1:$DPORT/_test/inject" >/dev/null
done
if wait_until 10 grep -q "warning: --spool: full (.*--spool-max 65536): receiving paused" "$T/max.err"; then
    ok "--spool-max: receiving paused, said on stderr"
else
    bad "--spool-max: no pause: $(tail -3 "$T/max.err")"
fi
touch "$T/open"
has400() { [ -f "$T/full4.log" ] && [ "$(sort -u "$T/full4.log" | wc -l)" -ge 400 ]; }
wait_until 30 has400
kill -TERM "$LPID"
wait_until 10 gone "$LPID"
wait "$LPID"
RC=$?
if [ $RC = 0 ] && grep -q "receiving resumed" "$T/max.err" && $PY -c '
import json,sys
seqs=[json.loads(l)["args"]["seq"] for l in open(sys.argv[1])]
first=[]
for s in seqs:
    if s not in first: first.append(s)
assert first==list(range(400)), first[:20]' "$T/full4.log"; then
    ok "--spool-max: resumed; all 400 events handed on, in order"
else
    bad "--spool-max: rc $RC, $(sort -u "$T/full4.log" 2>/dev/null | wc -l) events: $(tail -3 "$T/max.err")"
fi

# ---- --post over https, verified against the test CA (a build with TLS) -----------------------
if "$BIN" --version | grep -q "TLS: mbedTLS"; then
    if ! bash "$HERE/make_certs.sh" "$BUILD/certs" >/dev/null 2>&1; then
        bad "--post https: tests/make_certs.sh failed"
    else
        export SPOOL_RECEIVER_TLS="$BUILD/certs/good.pem:$BUILD/certs/good.key"
        start_daemon tlsrecv $PY "$HERE/spool_receiver.py" "$T/tls.log" "$SEED" "" 1 ok || exit 1
        unset SPOOL_RECEIVER_TLS
        TPORT=$PORT
        "$BIN" --url "http://127.0.0.1:$DPORT" --xpub w3 --events new_transaction --spool "$T/spool9" \
            --post "https://127.0.0.1:$TPORT/" --ca-file "$BUILD/certs/ca.pem" >"$T/tls.out" 2>"$T/tls.err" &
        LPID=$!
        PIDS+=("$LPID")
        wait_until 10 grep -qs "connected to" "$T/tls.err"
        for i in 1 2 3; do
            curl -s -X POST -d '{"wallet":"w3","updates":[{"event":"new_transaction","tx":"tls'$i'","seq":'$i'}]}' \
                "http://127.0.0.1:$DPORT/_test/inject" >/dev/null
        done
        wait_until 20 test "$(grep -c '"tx":"tls' "$T/tls.log" 2>/dev/null || echo 0)" -ge 3
        kill -TERM "$LPID"
        wait_until 10 gone "$LPID"
        wait "$LPID"
        RC=$?
        if [ $RC = 0 ] && [ "$(grep -c '"tx":"tls' "$T/tls.log" 2>/dev/null)" = 3 ]; then
            ok "--post https: three events delivered over verified TLS"
        else
            bad "--post https: rc $RC, $(grep -c '"tx":"tls' "$T/tls.log" 2>/dev/null) of 3 delivered: $(tail -3 "$T/tls.err")"
        fi
    fi
fi

# ---- SIGTERM during a POST that hangs: ends at once, the event stays pending ------------------
start_daemon hanger $PY "$HERE/spool_receiver.py" "$T/hang.log" "$SEED" "" 60 hang || exit 1
HPORT=$PORT
"$BIN" --url "http://127.0.0.1:$DPORT" --xpub w2 --events new_transaction --spool "$T/spool5" \
    --post "http://127.0.0.1:$HPORT/" --post-timeout 30000 >"$T/hang.out" 2>"$T/hang.err" &
LPID=$!
PIDS+=("$LPID")
wait_until 10 grep -qs "connected to" "$T/hang.err"
curl -s -X POST -d '{"wallet":"w2","updates":[{"event":"new_transaction","tx":"hang","seq":1}]}' \
    "http://127.0.0.1:$DPORT/_test/inject" >/dev/null
wait_until 10 test -s "$T/hang.log.got"
t1=$(date +%s%N)
kill -TERM "$LPID"
wait_until 10 gone "$LPID"
wait "$LPID"
RC=$?
ms=$(( ($(date +%s%N) - t1) / 1000000 ))
if [ $RC = 0 ] && [ $ms -lt 1000 ] && [ "$(grep -c '^{"id":' "$T/spool5/journal")" = 1 ] && [ ! -e "$T/spool5/dead-letter" ]; then
    ok "SIGTERM during a hanging --post: exit 0 in $ms ms; the event stays pending in the journal"
else
    bad "SIGTERM during --post: rc $RC after $ms ms; journal: $(cat "$T/spool5/journal")"
fi

# ---- an unwritable spool directory, a second listener, flags without --spool -----------------
mkdir -p "$T/ro"
chmod 500 "$T/ro"
if [ "$(id -u)" = 0 ]; then RO=/proc/self/spool-test; else RO=$T/ro/spool; fi
timeout 10 "$BIN" --url "http://127.0.0.1:$DPORT" --xpub w0 --spool "$RO" >"$T/ro.out" 2>"$T/ro.err"
RC=$?
if [ $RC = 7 ] && grep -q "error: --spool: cannot create the directory $RO" "$T/ro.err" && [ ! -s "$T/ro.out" ]; then
    ok "unwritable spool directory: exit 7 and a clear error"
else
    bad "unwritable spool: rc $RC: $(cat "$T/ro.err")"
fi
"$BIN" --url "http://127.0.0.1:$DPORT" --xpub w0 --spool "$T/spool3" >/dev/null 2>"$T/first.err" &
LPID=$!
PIDS+=("$LPID")
wait_until 10 test -e "$T/spool3/lock"
wait_until 10 grep -q "connected to" "$T/first.err"
timeout 10 "$BIN" --url "http://127.0.0.1:$DPORT" --xpub w0 --spool "$T/spool3" >/dev/null 2>"$T/second.err"
RC=$?
if [ $RC = 7 ] && grep -q "is in use by another bitcart-listen" "$T/second.err"; then ok "a second listener on the same spool: exit 7"; else bad "second listener: rc $RC: $(cat "$T/second.err")"; fi
kill -TERM "$LPID"
wait "$LPID"
timeout 10 "$BIN" --xpub w0 --max-attempts 3 >/dev/null 2>"$T/usage.err"
RC=$?
if [ $RC = 2 ] && grep -q "need --spool DIR" "$T/usage.err"; then ok "--max-attempts without --spool: usage error"; else bad "usage: rc $RC"; fi

# ---- a full disk: RLIMIT_FSIZE caps the journal ------------------------------------------------
# A fresh spool under a file size limit of 512 bytes (ulimit -f 1): about two events fit; the
# write that does not fit fails with EFBIG (SIGXFSZ is ignored), like ENOSPC on a full disk.
mkdir -p "$T/full"
( ulimit -f 1; exec "$BIN" --url "http://127.0.0.1:$DPORT" --xpub w0 --events new_transaction --spool "$T/full" \
    --exec "cat >>$T/full.log" >"$T/full.out" 2>"$T/full.err" ) &
LPID=$!
PIDS+=("$LPID")
wait_until 10 grep -qs "connected to" "$T/full.err"
for i in $(seq 0 9); do
    curl -s -X POST -d "{\"wallet\":\"w0\",\"updates\":[{\"event\":\"new_transaction\",\"tx\":\"full-$i-$(printf '%0100d' 0)\",\"seq\":$i}]}" \
        "http://127.0.0.1:$DPORT/_test/inject" >/dev/null
done
wait_until 10 gone "$LPID"
wait "$LPID"
RC=$?
if [ $RC = 7 ] && grep -q "error: --spool: cannot append an event to $T/full/journal: File too large" "$T/full.err"; then
    ok "disk full (RLIMIT_FSIZE): exit 7 with a clear error"
else
    bad "disk full: rc $RC: $(cat "$T/full.err")"
fi
written=$(grep -c '^{"id":' "$T/full/journal")
handed=$(wc -l <"$T/full.log" 2>/dev/null || echo 0)
if [ "$handed" -le "$written" ] && [ "$written" -ge 1 ] && [ "$(tail -c 1 "$T/full/journal" | od -An -c | tr -d ' ')" = '\n' ] \
    && $PY -c '
import json,sys
j=[json.loads(l)["id"] for l in open(sys.argv[1]) if l.startswith("{\"id\"")]
h=[json.loads(l)["id"] for l in open(sys.argv[2])] if len(sys.argv)>2 else []
assert set(h) <= set(j), (h, j)' "$T/full/journal" "$T/full.log"; then
    ok "disk full: nothing handed on that was not written ($handed of $written spooled; no torn record)"
else
    bad "disk full: handed $handed, written $written"
fi

# ---- --spool-max reached during a catch-up: the catch-up finishes, then receiving pauses ------
# 5 wallets with 100 queued events of about 280 bytes each: the manager's catch-up round brings
# 140 KB, past --spool-max 64K. Pausing inside the round stalled the listener for good (the
# library was never stepped again, so the round never ended and nothing was handed on).
for w in c0 c1 c2 c3 c4; do
    curl -s -u electrum:electrumz -d "{\"jsonrpc\":\"2.0\",\"method\":\"getbalance\",\"params\":{\"xpub\":\"$w\"},\"id\":1}" \
        "http://127.0.0.1:$DPORT/" >/dev/null
    u=
    for k in $(seq 0 99); do u="$u${u:+,}{\"event\":\"new_transaction\",\"tx\":\"$w-$k-$(printf '%0200d' 0)\",\"seq\":$k}"; done
    curl -s -X POST -d "{\"wallet\":\"$w\",\"updates\":[$u]}" "http://127.0.0.1:$DPORT/_test/inject" >/dev/null
done
"$BIN" --url "http://127.0.0.1:$DPORT" --wallet BTC:c0 --wallet BTC:c1 --wallet BTC:c2 --wallet BTC:c3 --wallet BTC:c4 \
    --events new_transaction --spool "$T/spool6" --spool-max 64K --exec "cat >>$T/catch6.log" -v >"$T/catch6.out" 2>"$T/catch6.err" &
LPID=$!
PIDS+=("$LPID")
has500() { [ -f "$T/catch6.log" ] && [ "$(wc -l <"$T/catch6.log")" -ge 500 ]; }
wait_until 20 has500
kill -TERM "$LPID"
if wait_until 10 gone "$LPID"; then wait "$LPID"; RC=$?; else RC=timeout; kill -KILL "$LPID"; fi
got=$(sort -u "$T/catch6.log" 2>/dev/null | wc -l)
if [ "$RC" = 0 ] && [ "$got" = 500 ] && grep -q "receiving paused" "$T/catch6.err" && grep -q "receiving resumed" "$T/catch6.err"; then
    ok "--spool-max during a catch-up: the round finishes, pauses, resumes; all 500 events handed on"
else
    bad "--spool-max during a catch-up: rc $RC, $got of 500 handed on: $(grep -v 'wallet c' "$T/catch6.err" | tail -4)"
fi

# ---- a restart with 45 wallets: no event handed on again --------------------------------------
# The daemon still holds up to 100 updates per wallet that the websocket delivered; a restarted
# listener's catch-up brings all 4500 again, and the spool must recognise every one.
RW=()
for i in $(seq 0 44); do RW+=(--wallet "BTC:r$i"); done
loaded45() { curl -s "http://127.0.0.1:$DPORT/_test/stats" | grep -q '"r44"'; }
"$BIN" --url "http://127.0.0.1:$DPORT" "${RW[@]}" --events new_transaction --spool "$T/spool7" >"$T/r1.out" 2>"$T/r1.err" &
LPID=$!
PIDS+=("$LPID")
wait_until 20 loaded45
wait_until 10 grep -q "connected to" "$T/r1.err"
$PY "$HERE/spool_driver.py" "$DPORT" 45 4500 20000 45 r >"$T/r.drv" 2>&1
has4500() { [ "$(wc -l <"$T/r1.out")" -ge 4500 ]; }
wait_until 20 has4500
kill -KILL "$LPID"
wait "$LPID" 2>/dev/null
"$BIN" --url "http://127.0.0.1:$DPORT" "${RW[@]}" --events new_transaction --spool "$T/spool7" -v >"$T/r2.out" 2>"$T/r2.err" &
LPID=$!
PIDS+=("$LPID")
wait_until 20 grep -qs "caught up" "$T/r2.err"
kill -TERM "$LPID"
if wait_until 10 gone "$LPID"; then wait "$LPID"; RC=$?; else RC=timeout; kill -KILL "$LPID"; fi
first=$(wc -l <"$T/r1.out")
again=$(wc -l <"$T/r2.out")
if [ "$RC" = 0 ] && [ "$first" = 4500 ] && [ "$again" = 0 ] && grep -q "SENT 4500" "$T/r.drv"; then
    ok "a restart with 45 wallets x 100 events still queued: none of the $first handed on again"
else
    bad "restart with 45 wallets: rc $RC; run 1 handed on $first, run 2 handed on $again again; $(cat "$T/r.drv")"
fi

# ---- the spool directory is made durable: fsync of the parent and of DIR --------------------
# strace logs the calls: mkdir of DIR is followed by an fsync of its parent, the creation of
# the journal, the lock and the dead-letter file and the compaction's rename by an fsync of DIR
# (before the next fsync of the journal or rename).
mkdir "$T/st"
strace -f -o "$T/strace.log" -e trace=fsync,openat,mkdir,rename "$BIN" --url "http://127.0.0.1:$DPORT" --xpub w0 \
    --events new_transaction --spool "$T/st/spool8" --exec 'cat >/dev/null; exit 3' --max-attempts 1 >"$T/st.out" 2>"$T/st.err" &
LPID=$!
PIDS+=("$LPID")
wait_until 10 grep -qs "connected to" "$T/st.err"
curl -s -X POST -d '{"wallet":"w0","updates":[{"event":"new_transaction","tx":"st","seq":1}]}' \
    "http://127.0.0.1:$DPORT/_test/inject" >/dev/null
wait_until 10 test -s "$T/st/spool8/dead-letter"
kill -TERM "$(pgrep -P "$LPID")"   # the listener, not strace
wait "$LPID"
if $PY - "$T/strace.log" "$T/st" >"$T/strace.check" 2>&1 <<'PY'
import re, sys
log, parent = sys.argv[1], sys.argv[2]
d = parent + "/spool8"
fds, ops = {}, []
for line in open(log):
    m = re.match(r'\d+\s+(\w+)\((.*)\)\s+=\s+(-?\d+)', line)
    if not m:
        continue
    call, args, ret = m.group(1), m.group(2), int(m.group(3))
    if call == "openat" and ret >= 0:
        path = re.search(r'"([^"]*)"', args).group(1)
        fds[ret] = path
        ops.append(("create" if "O_CREAT" in args else "open", path))
    elif call == "fsync":
        ops.append(("fsync", fds.get(int(args.split(",")[0]), "?")))
    elif call == "mkdir":
        ops.append(("mkdir", re.search(r'"([^"]*)"', args).group(1)))
    elif call == "rename":
        ops.append(("rename", re.findall(r'"([^"]*)"', args)[1]))
def synced_after(i, dirpath):   # before the next rename and the next fsync of the journal
    for op in ops[i + 1:]:
        if op == ("fsync", dirpath):
            return True
        if op[0] == "rename" or op == ("fsync", d + "/journal"):
            return False
    return False
need = [("mkdir", d, parent)] + [("create", d + "/" + f, d) for f in ("lock", "journal", "dead-letter")] + [("rename", d + "/journal", d)]
missing = []
for kind, path, dirpath in need:
    idx = [i for i, op in enumerate(ops) if op == (kind, path)]
    if not idx:
        missing.append("no %s of %s" % (kind, path))
    elif not synced_after(idx[0], dirpath):
        missing.append("%s %s: no fsync of %s after it" % (kind, path, dirpath))
print("; ".join(missing) or "every creation followed by an fsync of its directory")
sys.exit(1 if missing else 0)
PY
then
    ok "directory durability (strace): $(cat "$T/strace.check")"
else
    bad "directory durability (strace): $(cat "$T/strace.check")"
fi

echo "spool: $PASS passed, $FAIL failed"
[ $FAIL -eq 0 ]
