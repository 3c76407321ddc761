#!/usr/bin/python3
"""fake_daemon.py - a fake BitcartCC daemon for the bitcart_events.h tests.

Same server stack as the real daemon (aiohttp) and the same behaviour and
command line as its twin tests/fake_daemon.c:

    /usr/bin/python3 fake_daemon.py [--host 127.0.0.1] [--port 0]
        [--user electrum] [--password electrumz] [--currency BTC]
        [--polling-cap 100] [--chunked] [--idle-close-ms N] [--trickle] [--height N]

Once listening it prints "PORT <n>" on stdout. SIGTERM/SIGINT: exit 0.
Wallets, keys, credentials with ':' and --height: as described at the top of fake_daemon.c.
Needs python3-aiohttp (Debian); run it with /usr/bin/python3.
"""
import argparse
import asyncio
import base64
import binascii
import collections
import json
import signal
import sys

from aiohttp import WSMsgType, web, web_protocol
from aiohttp.http import HttpVersion11

MAX_BODY = 16 * 1024 * 1024
WS_MAX_MSG = 4 * 1024 * 1024
MAX_DEPTH = 512
BIG_MAX = 64 * 1024 * 1024
SLEEP_MAX = 600000
TRICKLE_GAP = 0.001  # --trickle: pause between two bytes
INT64 = 2**63

CT_JSON = "application/json; charset=utf-8"
CT_TEXT = "text/plain; charset=utf-8"
UNAUTH_BODY = b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"Unauthorized"},"id":null}'
SPEC_BODY = (
    b'{"version":"fake-1","electrum_map":{},"exceptions":{'
    b'"-32601":{"exc_name":"ProcedureNotFoundError","docstring":"Procedure not found"},'
    b'"-32000":{"exc_name":"WalletNotLoadedError","docstring":"Wallet not loaded. No xpub was provided and this function requires wallet"},'
    b'"-32001":{"exc_name":"InvalidTxHashError","docstring":"Invalid tx hash provided"},'
    b'"-32002":{"exc_name":"TxNotFoundError","docstring":"No such mempool or blockchain transaction"},'
    b'"-32003":{"exc_name":"RequestNotFoundError","docstring":"Payment request not found"},'
    b'"-32004":{"exc_name":"InvalidAddressError","docstring":"Invalid address or alias"},'
    b'"-32005":{"exc_name":"LoadingWalletError","docstring":"Error loading wallet: seed or key not recognized"},'
    b'"-32006":{"exc_name":"NotEnoughFundsError","docstring":"Insufficient funds"},'
    b'"-32007":{"exc_name":"InvalidNodeIDError","docstring":"Invalid node ID"},'
    b'"-32008":{"exc_name":"WalletExistsError","docstring":"This wallet already exists"},'
    b'"-32009":{"exc_name":"InvalidLightningInvoiceError","docstring":"Invalid lightning invoice"},'
    b'"-32010":{"exc_name":"NoPathFoundError","docstring":"No path found to pay the invoice"},'
    b'"-32011":{"exc_name":"LightningUnsupportedError","docstring":"Lightning not supported in this wallet type"},'
    b'"-32012":{"exc_name":"InvoiceNotFoundError","docstring":"Invoice not found"},'
    b'"-32013":{"exc_name":"WalletVersionMismatchError","docstring":"Wallet file was opened in a newer electrum version than Bitcart is using. Delete the wallet file to fix this issue"},'
    b'"-32014":{"exc_name":"NoConfigKeyError","docstring":"No config key found"}}}'
)

ARGS = None


BIP32_PREFIXES = ("xpub", "ypub", "zpub", "tpub", "upub", "vpub", "Ltub", "Mtub")
BASE58 = set("123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz")


def key_ok(key):
    """1 when the daemon can load the wallet key (the rule of fake_daemon.c)."""
    if any(not 0x20 <= ord(ch) <= 0x7E for ch in key):
        return False
    if len(key) > 4 and key[:4] in BIP32_PREFIXES and key[4].isascii() and key[4].isalnum():
        return len(key) == 111 and all(ch in BASE58 for ch in key)
    return True


class State:
    def __init__(self):
        self.height_announced = False
        self.connections = 0
        self.requests = 0
        self.pings = 0
        self.wallets = {}  # wallet key -> deque of updates, in load order
        self.ws = {}  # WsClient -> None (an ordered set)


STATE = State()


class WsClient:
    def __init__(self, ws, request):
        self.ws = ws
        self.request = request
        self.mode = 0  # 0: every event, 1: wallet `sub` only, 2: nothing
        self.sub = None


# ------------------------------------------------------------------ JSON


class BadJSON(Exception):
    pass


def _no_constants(name):
    raise ValueError(name)


def _depth_ok(value):
    stack = [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            if d > MAX_DEPTH:
                return False
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return True


def parse_json(data):
    """Strict JSON from bytes (must be UTF-8) or str; raises BadJSON."""
    try:
        if isinstance(data, (bytes, bytearray)):
            data = bytes(data).decode("utf-8")
        value = json.loads(data, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        raise BadJSON() from None
    if not _depth_ok(value):
        raise BadJSON()
    return value


def dumps(value):
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.encode("utf-8", "surrogatepass")


# ------------------------------------------------------ HTTP responses


async def _trickle(writer, data):
    for i in range(len(data)):
        transport = writer.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("peer gone")
        transport.write(data[i : i + 1])
        await writer.drain()
        await asyncio.sleep(TRICKLE_GAP)


class TrickleHeaders:
    """Under --trickle, the status line and headers go out one byte at a time."""

    async def _write_headers(self):
        if not ARGS.trickle:
            return await super()._write_headers()
        v = self._req.version
        head = f"HTTP/{v.major}.{v.minor} {self.status} {self.reason}\r\n"
        head += "".join(f"{k}: {val}\r\n" for k, val in self._headers.items()) + "\r\n"
        await _trickle(self._payload_writer, head.encode("latin-1"))


class FakeResponse(TrickleHeaders, web.StreamResponse):
    async def write(self, data):
        if not ARGS.trickle:
            return await super().write(data)
        writer = self._payload_writer
        if writer.chunked:
            data = b"%x\r\n" % len(data) + data + b"\r\n"
        await _trickle(writer, data)

    async def write_eof(self, data=b""):
        writer = self._payload_writer
        if ARGS.trickle and not self._eof_sent and writer is not None and writer.chunked:
            await _trickle(writer, b"0\r\n\r\n")
            writer.chunked = False
        await super().write_eof(data)


class FakeWebSocket(TrickleHeaders, web.WebSocketResponse):
    pass


def split_body(body):
    """Chunk sizes 1, 2, ..., 7, then 4096 (same as the C daemon)."""
    pieces, at, k = [], 0, 1
    while at < len(body):
        n = k if k <= 7 else 4096
        pieces.append(body[at : at + n])
        at, k = at + n, k + 1
    return pieces


async def respond(request, status, body, ctype=CT_JSON, chunk=False, close=False):
    resp = FakeResponse(status=status)
    resp.headers["Content-Type"] = ctype
    resp.headers["Server"] = "fake-bitcart-daemon"
    chunked = chunk and ARGS.chunked and request.version == HttpVersion11
    if chunked:
        resp.enable_chunked_encoding()
    else:
        resp.content_length = len(body)
    if close:
        resp.force_close()
    await resp.prepare(request)
    for piece in split_body(body) if chunked else [body] if body else []:
        await resp.write(piece)
    await resp.write_eof()
    return resp


async def respond_text(request, status, reason, close=False):
    return await respond(request, status, f"{status}: {reason}".encode(), CT_TEXT, close=close)


class BadCredentials(Exception):
    """Decoded credentials that do not split on ':' into two parts: the daemon fails (500)."""


def authed(request):
    header = request.headers.get("Authorization")
    if header is None:
        return False
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        raw = base64.b64decode(token.strip(" "), validate=True)
    except (binascii.Error, ValueError):
        return False
    if not raw:
        return False
    if raw.count(b":") != 1:
        raise BadCredentials()
    return raw == f"{ARGS.user}:{ARGS.password}".encode()


async def unauthorized(request):
    return await respond(request, 200, UNAUTH_BODY, chunk=True)


@web.middleware
async def middleware(request, handler):
    STATE.requests += 1
    try:
        return await handler(request)
    except web.HTTPException as exc:
        close = exc.status == 413
        return await respond_text(request, exc.status, exc.reason, close=close)
    except BadCredentials:
        return await respond_text(request, 500, "Internal Server Error")


# --------------------------------------------------------------- JSON-RPC


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


def invalid_params():
    return RpcError(-32602, "Invalid params")


def wallet_key(xpub):
    if xpub is None:
        return None
    if isinstance(xpub, str):
        return xpub
    if isinstance(xpub, dict) and isinstance(xpub.get("xpub"), str):
        contract = xpub.get("contract")
        if isinstance(contract, str) and contract:
            return xpub["xpub"] + "_" + contract
        return xpub["xpub"]
    raise invalid_params()


def int_arg(value, lo, hi):
    if type(value) is not int or not lo <= value <= hi:
        raise invalid_params()
    return value


async def m_get_updates(args, params, key):
    if key is None:
        raise RpcError(-32000, "Wallet not loaded")
    queue = STATE.wallets[key]
    updates = list(queue)
    queue.clear()
    return updates


async def m_getbalance(args, params, key):
    if key is None:
        raise RpcError(-32000, "Wallet not loaded")
    return {"confirmed": "0"}


async def m_test_echo(args, params, key):
    return params


async def m_test_error(args, params, key):
    if len(args) != 2 or not isinstance(args[1], str):
        raise invalid_params()
    raise RpcError(int_arg(args[0], -INT64, INT64 - 1), args[1])


async def m_test_big(args, params, key):
    if len(args) != 1:
        raise invalid_params()
    return "x" * int_arg(args[0], 0, BIG_MAX)


async def m_test_sleep(args, params, key):
    if len(args) != 1:
        raise invalid_params()
    await asyncio.sleep(int_arg(args[0], 0, SLEEP_MAX) / 1000)
    return True


METHODS = {
    "get_updates": m_get_updates,
    "test_echo": m_test_echo,
    "test_error": m_test_error,
    "test_big": m_test_big,
    "test_sleep": m_test_sleep,
    "getbalance": m_getbalance,
}
NEEDS_WALLET = ("get_updates", "getbalance")


async def h_rpc(request):
    if not authed(request):
        return await unauthorized(request)
    try:
        data = parse_json(await request.read())
    except BadJSON:
        rid, outcome = None, RpcError(-32700, "Parse error")
    else:
        if not isinstance(data, dict):  # batches and the like: the daemon fails
            return await respond_text(request, 500, "Internal Server Error")
        rid, outcome = data.get("id"), await call_method(data)
    if isinstance(outcome, RpcError):
        reply = {"jsonrpc": "2.0", "error": {"code": outcome.code, "message": outcome.message}, "id": rid}
    else:
        reply = {"jsonrpc": "2.0", "result": outcome, "id": rid}
    return await respond(request, 200, dumps(reply), chunk=True)


async def call_method(data):
    """Returns the result, or an RpcError instance."""
    method = data.get("method")
    if not isinstance(method, str) or method not in METHODS:
        return RpcError(-32601, "Procedure not found")
    params = data.get("params")
    try:
        if params is None:
            args, kwargs = [], {}
        elif isinstance(params, dict):
            args, kwargs = [], params
        elif isinstance(params, list):
            if params and isinstance(params[-1], dict):
                args, kwargs = params[:-1], params[-1]
            else:
                args, kwargs = params, {}
        else:
            raise invalid_params()
        xpub = kwargs.get("xpub")
        key = wallet_key(xpub)
        if key is not None and not key_ok(xpub if isinstance(xpub, str) else xpub["xpub"]):
            if method in NEEDS_WALLET:  # methods that need a wallet report it; others hide it
                raise RpcError(-32005, "Seed or key not recognized")
        elif key is not None and key not in STATE.wallets:
            STATE.wallets[key] = collections.deque(maxlen=ARGS.polling_cap)
        return await METHODS[method](args, params, key)
    except RpcError as exc:
        return exc


async def h_spec(request):
    if not authed(request):
        return await unauthorized(request)
    return await respond(request, 200, SPEC_BODY, chunk=True)


# -------------------------------------------------------------- websocket


async def h_ws(request):
    if not authed(request):
        return await unauthorized(request)
    ws = FakeWebSocket(autoping=False, max_msg_size=WS_MAX_MSG)
    await ws.prepare(request)
    client = WsClient(ws, request)
    STATE.ws[client] = None
    if ARGS.height is not None and not STATE.height_announced:  # the first client after start
        STATE.height_announced = True
        update = {"event": "new_block", "height": ARGS.height}
        for queue in STATE.wallets.values():
            queue.append(update)
        text = dumps({"updates": [update], "wallet": None, "currency": ARGS.currency})
        await ws.send_str(text.decode("utf-8"))
    try:
        async for msg in ws:
            if msg.type == WSMsgType.PING:
                STATE.pings += 1
                await ws.pong(msg.data)
            elif msg.type == WSMsgType.TEXT:
                try:
                    data = parse_json(msg.data)
                except BadJSON:
                    continue  # invalid JSON is ignored
                if not isinstance(data, dict):  # the daemon drops the client
                    STATE.ws.pop(client, None)
                    request.transport.abort()
                    break
                xpub = data.get("xpub")
                client.mode = 0 if xpub is None else 1 if isinstance(xpub, str) else 2
                client.sub = xpub
            elif msg.type == WSMsgType.ERROR:
                break
    finally:
        STATE.ws.pop(client, None)
    return ws


# ---------------------------------------------------------- test control


async def bad_request(request):
    return await respond(request, 400, b'{"error":"bad request"}')


async def h_inject(request):
    try:
        data = parse_json(await request.read())
        wallet, updates = data.get("wallet"), data["updates"]
        hostile = data.get("hostile") is True  # send even for a wallet not loaded
        if not isinstance(updates, list) or not (wallet is None or isinstance(wallet, str)):
            raise ValueError
    except (BadJSON, AttributeError, KeyError, ValueError):
        return await bad_request(request)
    queued = sent = 0
    for update in updates:
        if wallet is not None and wallet not in STATE.wallets and not hostile:
            continue  # the daemon produces no event for a wallet it has not loaded
        if wallet is None:
            for queue in STATE.wallets.values():
                queue.append(update)
            queued += len(STATE.wallets)
        elif wallet in STATE.wallets:
            STATE.wallets[wallet].append(update)
            queued += 1
        text = dumps({"updates": [update], "wallet": wallet, "currency": ARGS.currency})
        text = text.decode("utf-8", "surrogatepass")
        for client in list(STATE.ws):
            if wallet is not None and not (client.mode == 0 or (client.mode == 1 and client.sub == wallet)):
                continue
            try:
                await client.ws.send_str(text)
                sent += 1
            except (ConnectionError, RuntimeError):
                pass
    return await respond(request, 200, dumps({"queued": queued, "sent": sent}))


async def h_stats(request):
    stats = {
        "connections": STATE.connections,
        "requests": STATE.requests,
        "ws_clients": len(STATE.ws),
        "loaded": list(STATE.wallets),
        "pings": STATE.pings,
    }
    return await respond(request, 200, dumps(stats))


async def h_unload(request):
    STATE.wallets.clear()
    return await respond(request, 200, b"{}")


async def h_close_idle(request):
    for handler in request.app["runner"].server.connections:
        if handler._waiter is not None:  # waiting for its next request
            handler.force_close()
    return await respond(request, 200, b"{}", close=True)


async def h_drop_ws(request):
    try:
        body = parse_json(await request.read())
        mode, reason = body.get("mode"), body.get("reason", "")
        if mode not in ("close", "reset") or not isinstance(reason, str) or len(reason.encode()) > 123:
            raise ValueError
    except (BadJSON, AttributeError, ValueError):
        return await bad_request(request)
    clients = list(STATE.ws)
    STATE.ws.clear()
    for client in clients:
        if mode == "reset":
            client.request.transport.abort()
        else:
            asyncio.ensure_future(close_ws(client.ws, reason))
    await asyncio.sleep(0)
    return await respond(request, 200, dumps({"dropped": len(clients)}))


async def close_ws(ws, reason=""):
    try:
        await ws.close(code=1000, message=reason.encode())
    except Exception:  # the peer may already be gone
        pass


# ------------------------------------------------------------------- main


async def main():
    loop = asyncio.get_running_loop()
    app = web.Application(client_max_size=MAX_BODY, middlewares=[middleware])
    for method, path, handler in [
        ("POST", "/", h_rpc),
        ("GET", "/spec", h_spec),
        ("GET", "/ws", h_ws),
        ("POST", "/_test/inject", h_inject),
        ("GET", "/_test/stats", h_stats),
        ("POST", "/_test/unload", h_unload),
        ("POST", "/_test/close_idle", h_close_idle),
        ("POST", "/_test/drop_ws", h_drop_ws),
    ]:
        app.router.add_route(method, path, handler)
    keepalive = None  # no idle timeout unless asked for
    if ARGS.idle_close_ms:
        keepalive = ARGS.idle_close_ms / 1000
        web_protocol.RequestHandler.KEEPALIVE_RESCHEDULE_DELAY = min(1.0, keepalive / 10)
    runner = web.AppRunner(app, access_log=None, keepalive_timeout=keepalive)
    app["runner"] = runner
    await runner.setup()

    def protocol_factory():
        STATE.connections += 1
        return runner.server()

    ssl_ctx = None
    if ARGS.tls_cert:  # serve HTTPS/WSS with this certificate chain and key
        import ssl
        ssl_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ssl_ctx.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        if ARGS.tls_max == "1.2":  # a peer without TLS 1.3 (test_tls's TEST_TLS_MAX=1.2 run)
            ssl_ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    server = await loop.create_server(protocol_factory, ARGS.host, ARGS.port, reuse_address=True, ssl=ssl_ctx)
    print(f"PORT {server.sockets[0].getsockname()[1]}", flush=True)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    server.close()
    clients = list(STATE.ws)
    STATE.ws.clear()
    if clients:  # websocket clients get a close frame (1000), best effort
        await asyncio.wait([asyncio.ensure_future(close_ws(c.ws)) for c in clients], timeout=0.5)
    for handler in runner.server.connections:
        handler.force_close()
    await asyncio.sleep(0)


def parse_args(argv):
    p = argparse.ArgumentParser(description="fake BitcartCC daemon", allow_abbrev=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, choices=range(0, 65536), metavar="PORT")
    p.add_argument("--user", default="electrum")
    p.add_argument("--password", default="electrumz")
    p.add_argument("--currency", default="BTC")
    p.add_argument("--polling-cap", type=int, default=100, choices=range(0, 1000001), metavar="N")
    p.add_argument("--chunked", action="store_true")
    p.add_argument("--idle-close-ms", type=int, default=0, choices=range(0, 86400001), metavar="N")
    p.add_argument("--trickle", action="store_true")
    p.add_argument("--height", type=int, default=None, choices=range(0, 2000000001), metavar="N")
    p.add_argument("--tls-cert", default=None, help="PEM certificate chain: serve TLS")
    p.add_argument("--tls-key", default=None, help="PEM private key for --tls-cert")
    p.add_argument("--tls-max", default=None, choices=["1.2"], help="the highest TLS version served")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    if ":" in args.user:
        p.error("--user must not contain ':'")
    return args


if __name__ == "__main__":
    ARGS = parse_args(sys.argv[1:])
    asyncio.run(main())
    sys.exit(0)
