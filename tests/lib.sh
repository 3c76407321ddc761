# tests/lib.sh: helpers shared by the shell tests (source it after setting LIB_TMP, a scratch
# directory). Results are counted in PASS and FAIL; each runner prints its own summary line.
PASS=${PASS:-0}
FAIL=${FAIL:-0}

ok() { PASS=$((PASS + 1)); echo "ok   $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL $*"; }

# start_daemon LABEL CMD... : runs a daemon that prints "PORT n" once it listens (output in
# $LIB_TMP/LABEL.dout and .derr); sets PORT and DPID, or counts a failure and returns 1.
start_daemon() {
    local label=$1
    shift
    PORT=
    DPID=
    "$@" >"$LIB_TMP/$label.dout" 2>"$LIB_TMP/$label.derr" &
    DPID=$!
    PIDS+=("$DPID")
    for _ in $(seq 200); do
        PORT=$(awk '/^PORT [0-9]+$/ {print $2; exit}' "$LIB_TMP/$label.dout" 2>/dev/null)   # not created yet: retried
        [ -n "$PORT" ] && return 0
        kill -0 "$DPID" 2>/dev/null || break
        sleep 0.05
    done
    bad "$label: daemon did not start (no PORT line)"
    DPID=
    return 1
}
