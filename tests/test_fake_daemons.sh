#!/usr/bin/env bash
# test_fake_daemons.sh - checks the two fake Bitcart daemons (tests/fake_daemon.c
# and tests/fake_daemon.py) against the same expectations, then checks that they
# answer a fixed transcript with the same bytes.
#
# Usage: bash tests/test_fake_daemons.sh   (env: CC, BUILD_DIR; default build/)
# Last line: "N passed, M failed"; exit status non-zero on any failure.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
BUILD=${BUILD_DIR:-$ROOT/build}
PY=/usr/bin/python3
CC=${CC:-cc}
PASS=0
FAIL=0
PIDS=()
TMP=$(mktemp -d)

cleanup() {
    local p
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
    rm -rf "$TMP"
}
trap cleanup EXIT

LIB_TMP=$TMP
# shellcheck source=tests/lib.sh
. "$HERE/lib.sh"
check() { # check NAME COND-STRING... : evaluates "$@" after NAME
    local name=$1
    shift
    if "$@"; then ok "$name"; else bad "$name"; fi
}

# ---------------------------------------------------------------- prerequisites
need_pkg() { # need_pkg TEST-COMMAND PACKAGE
    if ! eval "$1" >/dev/null 2>&1; then
        echo "installing $2"
        while fuser /var/lib/dpkg/lock-frontend >/dev/null 2>&1; do sleep 2; done
        apt-get install -y "$2" >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y "$2" >/dev/null 2>&1; }
    fi
}
need_pkg "command -v curl" curl
need_pkg "$PY -c 'import aiohttp'" python3-aiohttp

mkdir -p "$BUILD"
if ! $CC -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror \
    -O2 -o "$BUILD/fake_daemon" "$HERE/fake_daemon.c"; then
    bad "build fake_daemon.c"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi
ok "build fake_daemon.c ($CC, warning-free)"

# ---------------------------------------------------------------- python client
cat >"$TMP/check.py" <<'PYEOF'
import base64, hashlib, json, os, random, signal, socket, struct, sys, time

AUTH = ("electrum", "electrumz")
UNAUTH = b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"Unauthorized"},"id":null}'
# the /spec body both daemons must serve: fake_daemon.py's (it mirrors the real daemon's btc.json;
# the C daemon is checked against it)
sys.path.insert(0, os.environ["BCE_TESTS_DIR"])
from fake_daemon import SPEC_BODY as SPEC  # noqa: E402
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PORT = 0


class Resp:
    def __init__(self, version, status, headers, body, chunks):
        self.version, self.status, self.headers, self.body, self.chunks = version, status, headers, body, chunks

    def json(self):
        return json.loads(self.body)


def build_request(method, path, body=None, auth=AUTH, headers=(), version="1.1"):
    lines = [f"{method} {path} HTTP/{version}", "Host: 127.0.0.1"]
    if auth:
        lines.append("Authorization: Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode())
    if body is not None:
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    lines += list(headers)
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


class Conn:
    def __init__(self, timeout=10):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
        self.buf = b""
        self.recvs = 0

    def close(self):
        self.s.close()

    def send(self, data):
        self.s.sendall(data)

    def fill(self):
        data = self.s.recv(65536)
        self.recvs += 1
        if not data:
            raise EOFError("connection closed by server")
        self.buf += data

    def until(self, sep):
        while sep not in self.buf:
            self.fill()
        i = self.buf.index(sep)
        out, self.buf = self.buf[:i], self.buf[i + len(sep):]
        return out

    def take(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def response(self):
        head = self.until(b"\r\n\r\n").decode("latin-1").split("\r\n")
        version, status = head[0].split(" ")[0], int(head[0].split(" ")[1])
        headers = {}
        for line in head[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if status == 100:
            return self.response()
        chunks, body = [], b""
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self.until(b"\r\n").split(b";")[0], 16)
                if size == 0:
                    self.until(b"\r\n")
                    break
                body += self.take(size)
                chunks.append(size)
                assert self.take(2) == b"\r\n", "chunk not followed by CRLF"
        elif "content-length" in headers:
            body = self.take(int(headers["content-length"]))
        elif status != 101:
            try:
                while True:
                    self.fill()
            except EOFError:
                body, self.buf = self.buf, b""
        return Resp(version, status, headers, body, chunks)

    def request(self, method, path, body=None, **kw):
        self.send(build_request(method, path, body, **kw))
        return self.response()

    def rpc(self, method, params=None, rid=1, **kw):
        req = {"jsonrpc": "2.0", "method": method, "id": rid}
        if params is not None:
            req["params"] = params
        r = self.request("POST", "/", req, **kw)
        assert r.status == 200, f"status {r.status}"
        assert r.headers.get("content-type", "").startswith("application/json"), r.headers
        return r.json()

    def eof_within(self, seconds):
        """True if the server closes the connection within `seconds`."""
        self.s.settimeout(seconds)
        try:
            while True:
                data = self.s.recv(65536)
                if not data:
                    return True
        except socket.timeout:
            return False
        except ConnectionError:
            return True
        finally:
            self.s.settimeout(10)


def req(method, path, body=None, **kw):
    c = Conn()
    try:
        return c.request(method, path, body, **kw)
    finally:
        c.close()


def rpc(method, params=None, rid=1):
    c = Conn()
    try:
        return c.rpc(method, params, rid)
    finally:
        c.close()


def inject(wallet, updates):
    r = req("POST", "/_test/inject", {"wallet": wallet, "updates": updates})
    assert r.status == 200, r.status
    return r.json()


def stats():
    return req("GET", "/_test/stats").json()


def wait_for(pred, what, timeout=3.0):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return
        time.sleep(0.02)
    raise AssertionError("timed out waiting for " + what)


def result(reply):
    assert "error" not in reply, reply
    return reply["result"]


def error(reply):
    assert "result" not in reply, reply
    return reply["error"]


class WS:
    def __init__(self, auth=AUTH):
        self.c = Conn()
        key = base64.b64encode(os.urandom(16))
        self.c.send(build_request("GET", "/ws", auth=auth, headers=[
            "Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Key: " + key.decode(),
            "Sec-WebSocket-Version: 13"]))
        self.resp = self.c.response()
        if self.resp.status == 101:
            want = base64.b64encode(hashlib.sha1(key + GUID).digest()).decode()
            assert self.resp.headers.get("sec-websocket-accept") == want, "bad Sec-WebSocket-Accept"

    def send(self, op, payload, fin=True):
        if isinstance(payload, str):
            payload = payload.encode()
        mask = os.urandom(4)
        n = len(payload)
        head = bytes([(0x80 if fin else 0) | op])
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 65536:
            head += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack(">Q", n)
        self.c.send(head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

    def text(self, s):
        self.send(1, s)

    def frame(self, timeout=5):
        self.c.s.settimeout(timeout)
        try:
            b0, b1 = self.c.take(2)
            assert not b1 & 0x80, "server frames must not be masked"
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self.c.take(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self.c.take(8))[0]
            return b0 & 0x0F, self.c.take(n)
        finally:
            self.c.s.settimeout(10)

    def message(self, timeout=5):
        op, data = self.frame(timeout)
        assert op == 1, f"expected a text frame, got opcode {op}"
        return data

    def sync(self):
        """A ping/pong round trip: everything sent before has been handled."""
        token = os.urandom(8)
        self.send(9, token)
        op, data = self.frame()
        assert (op, data) == (10, token), f"expected pong, got {(op, data)}"

    def close(self):
        self.c.close()


def event(wallet, update, currency="BTC"):
    return json.dumps({"updates": [update], "wallet": wallet, "currency": currency},
                      separators=(",", ":")).encode()


def reset_ws():
    req("POST", "/_test/drop_ws", {"mode": "reset"})
    wait_for(lambda: stats()["ws_clients"] == 0, "no websocket clients")


CHECKS = {}


def check(mode):
    def deco(fn):
        CHECKS.setdefault(mode, []).append(fn)
        return fn
    return deco

# ------------------------------------------------------------------ default mode


@check("basic")
def auth_failure_body():
    c = Conn()
    for auth in [None, ("electrum", "wrong"), ("other", "electrumz")]:
        r = c.request("POST", "/", {"jsonrpc": "2.0", "method": "test_echo", "id": 1}, auth=auth)
        assert (r.status, r.body) == (200, UNAUTH), (auth, r.status, r.body)
    for bad_header in ["Authorization: Bearer abc", "Authorization: Basic !!!!", "Authorization: Basic"]:
        r = c.request("POST", "/", b"{}", auth=None, headers=[bad_header])
        assert (r.status, r.body) == (200, UNAUTH), (bad_header, r.status)
    r = c.request("GET", "/spec", auth=("electrum", "x"))
    assert (r.status, r.body) == (200, UNAUTH)
    ws = WS(auth=("electrum", "x"))
    assert (ws.resp.status, ws.resp.body) == (200, UNAUTH), (ws.resp.status, ws.resp.body)


@check("basic")
def colon_in_credentials_is_http_500():
    # the real daemon splits the decoded credentials on ':' into exactly two parts
    for auth in [("electrum", "electrumz:"), ("electrum", "a:b")]:
        r = req("POST", "/", {"jsonrpc": "2.0", "method": "test_echo", "id": 1}, auth=auth)
        assert r.status == 500, (auth, r.status)
        assert req("GET", "/spec", auth=auth).status == 500
        ws = WS(auth=auth)
        assert ws.resp.status == 500, ws.resp.status
        ws.close()


GOOD_KEY = "vpub5" + "Y" * 106


@check("basic")
def keys_the_daemon_cannot_load():
    req("POST", "/_test/unload")
    for bad in ["vpub5ExampleWallet", "xpub6" + "1" * 105, "Ltub2" + "l" * 106, "caf\u00e9", "a\nb"]:
        for method in ("get_updates", "getbalance"):
            assert error(rpc(method, {"xpub": bad})) == {"code": -32005, "message": "Seed or key not recognized"}, (bad, method)
        assert result(rpc("test_echo", [1, {"xpub": bad}])) == [1, {"xpub": bad}]  # hidden, not loaded
    assert error(rpc("get_updates", {"xpub": {"xpub": "vpub5Bad", "contract": "0xdAC1"}}))["code"] == -32005
    assert stats()["loaded"] == []
    for good in [GOOD_KEY, "Ltub2" + "z" * 106, "vpub-cap-x", "w1", "0xAbC", "xpub"]:
        assert result(rpc("getbalance", {"xpub": good})) == {"confirmed": "0"}, good
    assert stats()["loaded"] == [GOOD_KEY, "Ltub2" + "z" * 106, "vpub-cap-x", "w1", "0xAbC", "xpub"]
    assert error(rpc("getbalance", {"xpub": None}))["code"] == -32000
    # getbalance does not drain the queue
    assert inject("w1", [{"event": "new_transaction", "tx": "kept"}])["queued"] == 1
    assert result(rpc("getbalance", {"xpub": "w1"})) == {"confirmed": "0"}
    assert result(rpc("get_updates", {"xpub": "w1"})) == [{"event": "new_transaction", "tx": "kept"}]


@check("basic")
def no_events_for_wallets_not_loaded():
    req("POST", "/_test/unload")
    reset_ws()
    a = WS()
    a.sync()
    assert inject("never-named", [{"event": "new_transaction", "tx": "x"}]) == {"queued": 0, "sent": 0}
    rpc("getbalance", {"xpub": "named"})
    assert inject("named", [{"event": "new_transaction", "tx": "y"}]) == {"queued": 1, "sent": 1}
    assert a.message() == event("named", {"event": "new_transaction", "tx": "y"})
    a.close()


@check("basic")
def get_updates_after_inject():
    w = "vpub-get-updates"
    assert result(rpc("get_updates", {"xpub": w})) == []
    ups = [{"event": "new_transaction", "tx": "aa"}, {"event": "new_block", "height": 7},
           {"event": "new_payment", "address": "d2f0", "status": 7, "status_str": "Unconfirmed",
            "tx_hashes": ["aa"], "sent_amount": "0.00100000"}]
    assert inject(w, ups) == {"queued": 3, "sent": 0}
    assert result(rpc("get_updates", [{"xpub": w}], rid=5)) == ups
    assert result(rpc("get_updates", {"xpub": w})) == []


@check("basic")
def polling_cap_keeps_newest():
    w = "vpub-cap"
    rpc("get_updates", {"xpub": w})
    assert inject(w, [{"event": "new_block", "height": h} for h in range(150)])["queued"] == 150
    got = result(rpc("get_updates", {"xpub": w}))
    assert [u["height"] for u in got] == list(range(50, 150)), [u["height"] for u in got][:5]


@check("basic")
def global_events_and_unload():
    req("POST", "/_test/unload")
    assert stats()["loaded"] == []
    for w in ("g1", "g2"):
        rpc("get_updates", {"xpub": w})
    assert stats()["loaded"] == ["g1", "g2"]
    assert inject(None, [{"event": "new_block", "height": 1}]) == {"queued": 2, "sent": 0}
    assert inject("not-loaded", [{"event": "new_block", "height": 2}]) == {"queued": 0, "sent": 0}
    assert result(rpc("get_updates", {"xpub": "g1"})) == [{"event": "new_block", "height": 1}]
    assert req("POST", "/_test/unload").json() == {}
    assert stats()["loaded"] == []
    assert inject("g2", [{"event": "new_block", "height": 3}])["queued"] == 0
    assert result(rpc("get_updates", {"xpub": "g2"})) == []


@check("basic")
def wallet_keys():
    req("POST", "/_test/unload")
    rpc("get_updates", {"xpub": {"xpub": "0xAbC", "contract": "0xdAC1"}})
    rpc("get_updates", {"xpub": {"xpub": "viewkey", "address": "4abc"}})
    rpc("test_echo", ["d2f0a1b3c4", {"xpub": "vpub-positional"}])
    c = Conn()
    c.request("POST", "/", {"jsonrpc": "2.0", "method": "test_echo", "xpub": "top-level", "id": 1})
    rpc("test_echo", {"xpub": None})
    rpc("no_such_method", {"xpub": "unknown-method"})
    assert stats()["loaded"] == ["0xAbC_0xdAC1", "viewkey", "vpub-positional"], stats()["loaded"]
    assert inject("0xAbC_0xdAC1", [{"event": "new_payment"}])["queued"] == 1
    assert error(rpc("test_echo", {"xpub": 5}))["code"] == -32602


@check("basic")
def test_echo():
    cases = [{"a": [1, 2.5, None, True, False, "é\u2603\U0001F600\n\"\\"]},
             ["pos", 3, {"xpub": None, "k": {"deep": [[[]]]}}], [], {}, [1, 2]]
    for i, params in enumerate(cases):
        reply = rpc("test_echo", params, rid=i)
        assert result(reply) == params and reply["id"] == i, reply
    assert result(rpc("test_echo")) is None
    for rid in ["s", None, {"o": 1}, 1.5]:
        assert rpc("test_echo", [], rid=rid)["id"] == rid
    assert result(rpc("test_echo", [[[[[]]]]] * 3)) == [[[[[]]]]] * 3
    deep = "[" * 510 + "]" * 510  # 512 levels with the request object and params list
    r = req("POST", "/", ('{"method":"test_echo","params":[' + deep + ']}').encode())
    assert r.json()["result"] == json.loads("[" + deep + "]")
    r = req("POST", "/", ('{"method":"test_echo","params":[[' + deep + ']]}').encode())
    assert error(r.json())["code"] == -32700, "depth limit"


@check("basic")
def test_error_and_errors():
    assert rpc("test_error", [-32005, "Wallet could not be loaded"], rid=9) == {
        "jsonrpc": "2.0", "error": {"code": -32005, "message": "Wallet could not be loaded"}, "id": 9}
    assert error(rpc("test_error", [1, "x", {"xpub": None}])) == {"code": 1, "message": "x"}
    for bad in [[1], ["1", "x"], [1.5, "x"], [1, 2], [2**64, "x"], {"code": 1}]:
        assert error(rpc("test_error", bad))["code"] == -32602, bad
    assert error(rpc("nope")) == {"code": -32601, "message": "Procedure not found"}
    assert error(rpc("get_updates", [{"xpub": None}]))["code"] == -32000
    assert error(rpc("get_updates"))["code"] == -32000
    for body in [b"", b"{", b"\xff\xfe", b"[1,]", b'{"a":NaN}', b"01", b'"\\x"', b'{"id":1} x']:
        r = req("POST", "/", body)
        assert r.json() == {"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"},
                            "id": None}, body
    assert req("POST", "/", b'[{"method":"test_echo"}]').status == 500  # batches are not supported
    assert req("POST", "/", b'{"id":4}').json()["error"]["code"] == -32601
    assert req("GET", "/nope").status == 404
    assert req("GET", "/").status == 405


@check("basic")
def spec_route():
    r = req("GET", "/spec")
    assert (r.status, r.body) == (200, SPEC), r.body
    assert r.headers["content-type"].startswith("application/json")


@check("basic")
def test_big_and_sleep():
    assert result(rpc("test_big", [300000])) == "x" * 300000
    assert result(rpc("test_big", [0])) == ""
    assert error(rpc("test_big", [-1]))["code"] == -32602
    a = Conn()
    t0 = time.time()
    a.send(build_request("POST", "/", {"method": "test_sleep", "params": [600], "id": 1}))
    time.sleep(0.05)
    assert result(rpc("test_echo", [1])) == [1]  # not blocked by the sleeper
    assert time.time() - t0 < 0.45, "test_sleep blocked another connection"
    assert result(a.response().json()) is True
    assert time.time() - t0 >= 0.55, "test_sleep returned early"


@check("basic")
def keep_alive_and_connection_close():
    s = Conn()
    before = s.request("GET", "/_test/stats").json()
    c = Conn()
    for i in range(5):
        assert result(c.rpc("test_echo", [i], rid=i)) == [i]
    after = s.request("GET", "/_test/stats").json()
    assert after["connections"] - before["connections"] == 1, (before, after)
    assert after["requests"] - before["requests"] == 6
    r = c.request("POST", "/", {"method": "test_echo", "id": 1}, headers=["Connection: close"])
    assert r.headers.get("connection", "").lower() == "close" and c.eof_within(3)
    h = Conn()
    r = h.request("POST", "/", {"method": "test_echo", "id": 1}, version="1.0")
    assert r.version == "HTTP/1.0" and "content-length" in r.headers and h.eof_within(3)
    h = Conn()
    r = h.request("GET", "/spec", version="1.0", headers=["Connection: keep-alive"])
    assert r.headers.get("connection", "").lower() == "keep-alive"
    assert h.request("GET", "/spec", version="1.0").body == SPEC


@check("basic")
def pipelining_and_expect():
    c = Conn()
    c.send(b"".join(build_request("POST", "/", {"method": m, "params": p, "id": i})
                    for i, (m, p) in enumerate([("test_echo", [0]), ("test_sleep", [150]), ("test_echo", [2])])))
    assert [c.response().json()["id"] for _ in range(3)] == [0, 1, 2]
    body = json.dumps({"method": "test_echo", "params": ["later"], "id": 3}).encode()
    head = build_request("POST", "/", body, headers=["Expect: 100-continue"])
    c.send(head[: -len(body)])
    assert c.until(b"\r\n\r\n").startswith(b"HTTP/1.1 100"), "no 100 Continue"
    c.send(body)
    assert result(c.response().json()) == ["later"]
    pieces = [b'{"met', b'hod":"test_echo","params":[', b"7]", b"}"]
    c.send(b"POST / HTTP/1.1\r\nAuthorization: Basic ZWxlY3RydW06ZWxlY3RydW16\r\nTransfer-Encoding: chunked\r\n\r\n"
           + b"".join(b"%x;ext=%d\r\n%s\r\n" % (len(p), i, p) for i, p in enumerate(pieces)) + b"0\r\nT: 1\r\n\r\n")
    assert result(c.response().json()) == [7]


@check("basic")
def garbage_does_not_crash():
    rnd = random.Random(1234)
    valid = build_request("POST", "/", {"method": "test_echo", "params": [1], "id": 1})
    samples = [b"\x00\xff\x10garbage\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET\r\n\r\n", b" / HTTP/1.1\r\n\r\n",
               b"GET / HTTP/1.1\r\nNoColon\r\n\r\n", b"GET / HTTP/1.1\r\n Folded: x\r\n\r\n",
               b"POST / HTTP/1.1\r\nContent-Length: -5\r\n\r\n", b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n",
               b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
               b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"A" * 100000,
               b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n", valid[:-5]]
    for _ in range(60):
        m = bytearray(valid)
        for _ in range(rnd.randint(1, 8)):
            m[rnd.randrange(len(m))] = rnd.randrange(256)
        samples.append(bytes(m))
    for sample in samples:
        c = Conn(timeout=5)
        try:
            c.send(sample)
            c.s.shutdown(socket.SHUT_WR)
            c.eof_within(5)
        except ConnectionError:
            pass
        c.close()
    ws = WS()
    ws.c.send(bytes(rnd.randrange(256) for _ in range(3000)))
    try:
        ws.c.eof_within(3)
    except ConnectionError:
        pass
    ws.close()
    assert result(rpc("test_echo", ["alive"])) == ["alive"]


@check("basic")
def websocket_round_trip():
    reset_ws()
    for w in ("w-ws1", "w-ws2", "w-frag", {"xpub": "a", "contract": "b"}):
        rpc("getbalance", {"xpub": w})  # only loaded wallets have events
    a, b = WS(), WS()
    assert a.resp.status == 101 and b.resp.status == 101
    b.text('{"xpub":"w-ws1"}')
    b.sync()
    assert stats()["ws_clients"] == 2
    u1 = {"event": "new_payment", "address": "r1", "status": 3, "status_str": "Paid",
          "tx_hashes": ["t"], "sent_amount": "1.5"}
    assert inject("w-ws1", [u1]) == {"queued": 1, "sent": 2}
    assert a.message() == event("w-ws1", u1) and b.message() == event("w-ws1", u1)
    assert inject("w-ws2", [{"event": "new_transaction", "tx": "t2"}])["sent"] == 1
    assert json.loads(a.message())["wallet"] == "w-ws2"
    assert inject(None, [{"event": "new_block", "height": 5}])["sent"] == 2
    assert b.message() == event(None, {"event": "new_block", "height": 5}), "b got w-ws2's event"
    assert a.message() == event(None, {"event": "new_block", "height": 5})
    pings = stats()["pings"]
    a.send(9, b"hello")
    assert a.frame() == (10, b"hello")
    assert stats()["pings"] == pings + 1
    # fragmented subscription with a ping in between; junk is ignored
    a.send(1, '{"xpub":', fin=False)
    a.send(9, b"mid")
    assert a.frame() == (10, b"mid")
    a.send(0, '"w-frag"}')
    a.text("not json {")
    a.send(2, b"\x00binary")
    a.sync()
    assert inject("w-frag", [1, "two"])["sent"] == 2
    assert a.message() == event("w-frag", 1) and a.message() == event("w-frag", "two")
    # object form of the key matches nothing (the SDK bug)
    a.text('{"xpub":{"xpub":"a","contract":"b"}}')
    a.sync()
    assert inject("a_b", [{"event": "x"}])["sent"] == 0
    a.text('{"xpub":null}')
    a.sync()
    assert inject("a_b", [{"event": "x"}])["sent"] == 1
    assert a.message() == event("a_b", {"event": "x"})
    # client close -> server close frame, then EOF
    a.send(8, struct.pack(">H", 1000))
    op, data = a.frame()
    assert op == 8 and data[:2] == struct.pack(">H", 1000), (op, data)
    assert a.c.eof_within(3)
    wait_for(lambda: stats()["ws_clients"] == 1, "ws_clients == 1")
    b.close()
    wait_for(lambda: stats()["ws_clients"] == 0, "ws_clients == 0")


@check("basic")
def websocket_errors():
    reset_ws()
    a = WS()
    a.text("[1,2]")  # valid JSON, not an object: dropped without a close frame
    assert a.c.eof_within(3) and a.c.buf == b"", a.c.buf
    b = WS()
    b.send(3, b"x")  # reserved opcode: close 1002
    op, data = b.frame()
    assert op == 8 and data[:2] == struct.pack(">H", 1002), (op, data)
    b.send(8, struct.pack(">H", 1002))
    assert b.c.eof_within(3)
    bad = Conn()
    r = bad.request("GET", "/ws", headers=["Upgrade: websocket", "Connection: Upgrade",
                                           "Sec-WebSocket-Key: short", "Sec-WebSocket-Version: 13"])
    assert r.status == 400, r.status
    wait_for(lambda: stats()["ws_clients"] == 0, "ws_clients == 0")


@check("basic")
def drop_ws_close_and_reset():
    reset_ws()
    a, b = WS(), WS()
    a.sync()
    b.sync()
    assert req("POST", "/_test/drop_ws", {"mode": "close"}).json() == {"dropped": 2}
    for w in (a, b):
        op, data = w.frame()
        assert op == 8 and data[:2] == struct.pack(">H", 1000), (op, data)
        assert w.c.eof_within(3)
    assert stats()["ws_clients"] == 0
    c = WS()
    c.sync()
    assert req("POST", "/_test/drop_ws", {"mode": "reset"}).json() == {"dropped": 1}
    assert c.c.eof_within(3) and c.c.buf == b"", "reset must not send a close frame"
    assert req("POST", "/_test/drop_ws", {"mode": "bogus"}).status == 400


@check("basic")
def close_idle():
    reset_ws()
    idle, fresh = Conn(), Conn()
    assert result(idle.rpc("test_echo", [1])) == [1]
    ws = WS()
    ws.sync()
    x = Conn()
    r = x.request("POST", "/_test/close_idle")
    assert r.json() == {} and r.headers.get("connection", "").lower() == "close"
    assert x.eof_within(3) and idle.eof_within(3) and fresh.eof_within(3)
    ws.sync()  # websockets are not idle HTTP connections
    ws.close()

# ------------------------------------------------------- --chunked and options


@check("chunked")
def chunked_responses():
    auth = ("u", "p-w")
    c = Conn()
    for i in range(3):
        r = c.request("POST", "/", {"method": "test_echo", "params": ["é" * i, i], "id": i}, auth=auth)
        assert r.headers.get("transfer-encoding", "").lower() == "chunked", r.headers
        assert "content-length" not in r.headers
        assert r.chunks[:7] == [1, 2, 3, 4, 5, 6, 7], r.chunks
        assert r.json() == {"jsonrpc": "2.0", "result": ["é" * i, i], "id": i}
    r = c.request("GET", "/spec", auth=auth)
    assert r.body == SPEC and r.chunks[:3] == [1, 2, 3]
    r = c.request("GET", "/spec")
    assert r.body == UNAUTH and r.chunks, "unauthorized answer is chunked too"
    assert len(c.rpc("test_big", [20000], auth=auth)["result"]) == 20000
    r = c.request("POST", "/", {"method": "test_echo", "id": 1}, auth=auth, version="1.0")
    assert r.version == "HTTP/1.0" and "content-length" in r.headers and not r.chunks
    r = req("GET", "/_test/stats")
    assert "content-length" in r.headers


@check("chunked")
def options_cap_currency_credentials():
    auth = ("u", "p-w")
    c = Conn()
    c.rpc("get_updates", {"xpub": "w"}, auth=auth)
    assert inject("w", [{"event": "new_block", "height": h} for h in range(8)])["queued"] == 8
    assert [u["height"] for u in c.rpc("get_updates", {"xpub": "w"}, auth=auth)["result"]] == [3, 4, 5, 6, 7]
    ws = WS(auth=auth)
    assert ws.resp.status == 101
    inject(None, [{"event": "new_block", "height": 1}])
    assert ws.message() == event(None, {"event": "new_block", "height": 1}, currency="ltc")
    ws.close()

# ----------------------------------------------------------------- --height 777


@check("height")
def height_announced_to_the_first_client():
    rpc("getbalance", {"xpub": "h1"})
    a = WS()
    assert a.message() == event(None, {"event": "new_block", "height": 777})
    b = WS()
    b.sync()  # the second client gets nothing: only the first one after start
    assert result(rpc("get_updates", {"xpub": "h1"})) == [{"event": "new_block", "height": 777}]
    a.close()
    b.close()

# ------------------------------------------------------------------- --trickle


@check("trickle")
def trickled_responses():
    c = Conn()
    c.recvs = 0
    reply = c.rpc("test_echo", ["slowly"])
    assert result(reply) == ["slowly"]
    assert c.recvs > 10, f"only {c.recvs} reads: not trickled"
    ws = WS()
    assert ws.resp.status == 101
    ws.sync()
    inject(None, [{"event": "new_block", "height": 1}])
    assert ws.message() == event(None, {"event": "new_block", "height": 1})
    ws.close()

# ---------------------------------------------------------- --idle-close-ms 300


@check("idle")
def idle_close():
    c, busy = Conn(), Conn()
    t0 = time.time()
    c.rpc("test_echo", [])
    for _ in range(6):
        busy.rpc("test_echo", [])
        time.sleep(0.1)
    assert c.eof_within(3), "idle connection not closed"
    took = time.time() - t0
    assert 0.25 <= took <= 2.0, f"closed after {took:.2f}s"
    assert result(busy.rpc("test_echo", [1])) == [1], "active connection was closed"
    ws = WS()
    time.sleep(0.6)
    ws.sync()  # websockets never time out
    ws.close()

# ------------------------------------------------- SIGTERM with a ws client


@check("sigterm")
def sigterm_closes_websockets():
    ws = WS()
    ws.sync()
    os.kill(int(sys.argv[3]), signal.SIGTERM)
    op, data = ws.frame()
    assert op == 8 and data[:2] == struct.pack(">H", 1000), (op, data)

# ----------------------------------------------------------------- transcript


def transcript():
    """Prints the exact bytes of a fixed session (compared across daemons)."""
    out = []
    c = Conn()
    bodies = [b'{"jsonrpc":"2.0","method":"test_echo","params":[1.5e3,-0,0.1,1e-7,123456789012345678901234,'
              b'1E400,-2.5e-300,1e16,1e15,0.0001,0.00001,"\\u00e9\\ud83d\\ude00\\ud800x\\u0000",'
              b'{"a":{"b":[]}},true,null],"id":{"x":[1]}}',
              b'{"method":"get_updates","params":{"xpub":{"xpub":"X","contract":"C"}},"id":"s"}',
              b'{"method":"test_error","params":[-32005,"\\"quoted\\"\\n"],"id":null}',
              b'{"method":"test_big","params":[3],"id":-0}', b'{"method":"x"}', b"[]", b"nope",
              b'{"method":"test_echo","params":"str"}', b'{"method":"test_echo"}']
    rnd = random.Random(99)
    for _ in range(40):
        x = rnd.choice([rnd.uniform(-1e6, 1e6), rnd.random() * 10 ** rnd.randint(-30, 30), rnd.randint(-10**6, 10**6)])
        bodies.append(b'{"method":"test_echo","params":[' + repr(x).encode() + b"],\"id\":1}")
    for body in bodies:
        r = c.request("POST", "/", body)
        out.append(f"{r.status} {r.headers.get('content-type')} {r.body!r}")
    for path, body in [("/_test/inject", {"wallet": "X_C", "updates": [{"e": 1.0}, {"e": "é"}]}),
                       ("/_test/inject", {"wallet": None, "updates": [1]}), ("/_test/inject", [1]),
                       ("/_test/unload", None), ("/_test/drop_ws", {"mode": "close"})]:
        r = c.request("POST", path, body)
        out.append(f"{r.status} {r.body!r}")
    for method, path in [("GET", "/spec"), ("GET", "/nope"), ("PUT", "/spec"), ("GET", "/_test/stats")]:
        r = c.request(method, path)
        out.append(f"{r.status} {r.headers.get('content-type')} {r.body!r}")
    ws = WS()
    ws.text('{"xpub":"W"}')
    ws.sync()
    c.request("POST", "/", {"method": "getbalance", "params": {"xpub": "W"}, "id": 1})
    inject("W", [{"amount": "0.1", "n": 2.50}])
    out.append(repr(ws.message()))
    print("\n".join(out))


def main():
    global PORT
    mode, PORT = sys.argv[1], int(sys.argv[2])
    if mode == "transcript":
        return transcript()
    for fn in CHECKS[mode]:
        try:
            fn()
            print(f"ok {fn.__name__}", flush=True)
        except Exception as exc:
            print(f"FAIL {fn.__name__}: {type(exc).__name__}: {exc}"[:300], flush=True)


main()
PYEOF

# ---------------------------------------------------------------- daemons
# start_daemon (tests/lib.sh) starts one and sets PORT and DPID

stop_daemon() { # stop_daemon LABEL : SIGTERM, expects exit code 0
    local label=$1 rc
    kill -TERM "$DPID" 2>/dev/null
    wait "$DPID"
    rc=$?
    check "$label: exits 0 on SIGTERM (got $rc)" test "$rc" -eq 0
}

run_checks() { # run_checks LABEL MODE [EXTRA] : runs the python checks of MODE
    local label=$1 mode=$2 line
    while IFS= read -r line; do
        case $line in
        ok\ *) ok "$label: ${line#ok }" ;;
        *) bad "$label: ${line#FAIL }" ;;
        esac
    done < <(BCE_TESTS_DIR="$HERE" timeout 120 "$PY" "$TMP/check.py" "$mode" "$PORT" "${3:-}" 2>&1 || echo "FAIL $mode: checker exited with $?")
}

curl_checks() { # curl_checks LABEL
    local label=$1 url="http://127.0.0.1:$PORT" body want
    want='{"jsonrpc":"2.0","error":{"code":-32600,"message":"Unauthorized"},"id":null}'
    body=$(curl -s -u electrum:wrong -d '{"jsonrpc":"2.0","method":"test_echo","id":1}' "$url/")
    check "$label: curl auth failure body" test "$body" = "$want"
    body=$(curl -s -o /dev/null -w '%{http_code}' -u electrum:wrong "$url/spec")
    check "$label: curl auth failure is HTTP 200" test "$body" = 200
    body=$(curl -s -u electrum:electrumz "$url/spec")
    check "$label: curl /spec" test "$body" = '{"version":"fake-1","electrum_map":{},"exceptions":{"-32601":{"exc_name":"ProcedureNotFoundError","docstring":"Procedure not found"},"-32000":{"exc_name":"WalletNotLoadedError","docstring":"Wallet not loaded. No xpub was provided and this function requires wallet"},"-32001":{"exc_name":"InvalidTxHashError","docstring":"Invalid tx hash provided"},"-32002":{"exc_name":"TxNotFoundError","docstring":"No such mempool or blockchain transaction"},"-32003":{"exc_name":"RequestNotFoundError","docstring":"Payment request not found"},"-32004":{"exc_name":"InvalidAddressError","docstring":"Invalid address or alias"},"-32005":{"exc_name":"LoadingWalletError","docstring":"Error loading wallet: seed or key not recognized"},"-32006":{"exc_name":"NotEnoughFundsError","docstring":"Insufficient funds"},"-32007":{"exc_name":"InvalidNodeIDError","docstring":"Invalid node ID"},"-32008":{"exc_name":"WalletExistsError","docstring":"This wallet already exists"},"-32009":{"exc_name":"InvalidLightningInvoiceError","docstring":"Invalid lightning invoice"},"-32010":{"exc_name":"NoPathFoundError","docstring":"No path found to pay the invoice"},"-32011":{"exc_name":"LightningUnsupportedError","docstring":"Lightning not supported in this wallet type"},"-32012":{"exc_name":"InvoiceNotFoundError","docstring":"Invoice not found"},"-32013":{"exc_name":"WalletVersionMismatchError","docstring":"Wallet file was opened in a newer electrum version than Bitcart is using. Delete the wallet file to fix this issue"},"-32014":{"exc_name":"NoConfigKeyError","docstring":"No config key found"}}}'
    body=$(curl -s -u electrum:electrumz -d '{"jsonrpc":"2.0","method":"test_echo","params":[1,{"a":"b"}],"id":3}' "$url/")
    check "$label: curl test_echo" test "$body" = '{"jsonrpc":"2.0","result":[1,{"a":"b"}],"id":3}'
}

C_CMD=("$BUILD/fake_daemon")
PY_CMD=("$PY" "$HERE/fake_daemon.py")

for impl in c py; do
    if [ $impl = c ]; then CMD=("${C_CMD[@]}"); else CMD=("${PY_CMD[@]}"); fi
    echo "== $impl daemon"
    if start_daemon "$impl" "${CMD[@]}" --host 127.0.0.1 --port 0; then
        curl_checks "$impl"
        run_checks "$impl" basic
        stop_daemon "$impl"
    fi
    if start_daemon "$impl-chunked" "${CMD[@]}" --chunked --currency ltc --polling-cap 5 --user u --password p-w; then
        body=$(curl -s -D "$TMP/hdr" -u u:p-w "http://127.0.0.1:$PORT/spec")
        check "$impl-chunked: curl sees Transfer-Encoding: chunked" grep -qi '^transfer-encoding: chunked' "$TMP/hdr"
        run_checks "$impl-chunked" chunked
        stop_daemon "$impl-chunked"
    fi
    if start_daemon "$impl-height" "${CMD[@]}" --height 777; then
        run_checks "$impl-height" height
        stop_daemon "$impl-height"
    fi
    if start_daemon "$impl-trickle" "${CMD[@]}" --trickle --chunked; then
        run_checks "$impl-trickle" trickle
        stop_daemon "$impl-trickle"
    fi
    if start_daemon "$impl-idle" "${CMD[@]}" --idle-close-ms 300; then
        run_checks "$impl-idle" idle
        stop_daemon "$impl-idle"
    fi
    if start_daemon "$impl-sigterm" "${CMD[@]}"; then
        run_checks "$impl-sigterm" sigterm "$DPID"
        wait "$DPID"
        check "$impl-sigterm: exit code 0 with a websocket client connected" test $? -eq 0
    fi
done

echo "== parity"
for impl in c py; do
    if [ $impl = c ]; then CMD=("${C_CMD[@]}"); else CMD=("${PY_CMD[@]}"); fi
    if start_daemon "$impl-transcript" "${CMD[@]}"; then
        BCE_TESTS_DIR="$HERE" timeout 60 "$PY" "$TMP/check.py" transcript "$PORT" >"$TMP/$impl.transcript" 2>&1
        kill -TERM "$DPID"
        wait "$DPID"
    fi
done
if diff "$TMP/c.transcript" "$TMP/py.transcript" >"$TMP/transcript.diff" && [ -s "$TMP/c.transcript" ]; then
    ok "parity: both daemons answer the transcript with identical bytes ($(wc -l <"$TMP/c.transcript") lines)"
else
    bad "parity: transcripts differ"
    head -40 "$TMP/transcript.diff"
fi

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
