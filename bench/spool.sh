#!/usr/bin/env bash
# bench/spool.sh BUILD: bitcart-listen --spool throughput (issue 18), run by bench/run.sh.
# The C fake daemon on 127.0.0.1 gets N new_transaction updates for one wallet, 100 a request,
# as fast as tests/spool_driver.py sends them; the listener writes them to a file (stdout).
# Events per second = N / (first request .. last line written), without --spool, with
# --spool --sync every (one fsync per batch received) and --sync 50 (at most one per 50 ms).
# Then the same with one update a request (each a websocket message of its own; --sync every
# then syncs whatever arrived since the last fsync, one event when they come slowly): N1 updates.
# Prints ROW lines in bench/run.sh's format (what, reference, goal, measured, status).
set -u
B=${1:-build}
N=${SPOOL_BENCH_EVENTS:-5000}
N1=${SPOOL_BENCH_SINGLE:-1000}
T=$(mktemp -d)
PIDS=()
cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
now() { date +%s.%N; }

"$B/fake_daemon" --port 0 --polling-cap 100000 >"$T/d.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do PORT=$(awk '/^PORT/ {print $2}' "$T/d.out"); [ -n "$PORT" ] && break; sleep 0.05; done
[ -n "$PORT" ] || { echo "no fake daemon"; exit 1; }

measure() {
    local name=$1 lp t0 t1 i
    shift
    "./$B/bitcart-listen" --url "http://127.0.0.1:$PORT" --xpub "w-${name}0" --events new_transaction "$@" \
        >"$T/$name.out" 2>"$T/$name.err" &
    lp=$!
    PIDS+=("$lp")
    for i in $(seq 200); do curl -s "http://127.0.0.1:$PORT/_test/stats" | grep -q "\"w-${name}0\"" && break; sleep 0.05; done
    sleep 0.2                                  # the catch-up after connecting is over
    t0=$(now)
    /usr/bin/python3 tests/spool_driver.py "$PORT" 1 "$N" 100000000 "$BATCH" "w-$name" >"$T/$name.drv" 2>&1
    for i in $(seq 3000); do [ "$(wc -l <"$T/$name.out")" -ge "$N" ] && break; sleep 0.01; done
    t1=$(now)
    kill -TERM "$lp"
    wait "$lp" 2>/dev/null
    awk -v n="$(wc -l <"$T/$name.out")" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }' >"$T/$name.rate"
    echo "$name: $(wc -l <"$T/$name.out") of $N lines, $(cat "$T/$name.rate") events/s; driver: $(cat "$T/$name.drv")"
}
BATCH=100
measure plain
measure every --spool "$T/spool-every" --sync every
measure batched --spool "$T/spool-batched" --sync 50
plain=$(cat "$T/plain.rate")
for k in every batched; do
    what="bitcart-listen --spool, --sync $([ $k = every ] && echo 'every (one fsync per batch received)' || echo '50 (batched: one fsync per 50 ms at most)')"
    printf 'ROW\t%s: events per second, %s events of one wallet, 100 a websocket burst\twithout --spool %s events/s, this run\tnone: documents the cost\t%s events/s\treference\n' \
        "$what" "$N" "$plain" "$(cat "$T/$k.rate")"
done
BATCH=1
N=$N1
measure plain1
measure every1 --spool "$T/spool-every1" --sync every
measure batched1 --spool "$T/spool-batched1" --sync 50
plain=$(cat "$T/plain1.rate")
for k in every1 batched1; do
    what="bitcart-listen --spool, --sync $([ $k = every1 ] && echo 'every (one fsync per step: what arrived meanwhile)' || echo '50 (batched)')"
    printf 'ROW\t%s: events per second, %s events, one a websocket message\twithout --spool %s events/s, this run (the sender is the limit)\tnone: documents the cost\t%s events/s\treference\n' \
        "$what" "$N" "$plain" "$(cat "$T/$k.rate")"
done
