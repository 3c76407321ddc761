#!/usr/bin/python3
"""http_peer.py - a hostile HTTP/1.1 JSON-RPC daemon for the bitcart_events.h time-bound tests.

Standard library only, raw sockets, one thread per connection. Run it with /usr/bin/python3:

    /usr/bin/python3 tests/http_peer.py [--host 127.0.0.1] [--port 0] [--list] [--announce]

Once listening it prints "PORT <n>" on stdout (as the fake daemons do). SIGTERM: exit.
With --announce it also prints "HOSTILE <ID>" as each hostile answer starts, so that a test
can act while it is under way.

The client is configured with url http://127.0.0.1:PORT/case/<ID>, so its JSON-RPC calls go
to POST /case/<ID>/ and its websocket to GET /case/<ID>/ws. <ID> is KIND[.N[.TAG]]: KIND
picks the behaviour below, N is its size parameter where it has one, TAG only makes the ID
unique (each ID counts its own requests).

POST: the FIRST request of an ID gets the hostile answer of KIND; every later request of that
ID gets a correct JSON-RPC answer {"result": []} (so a test can check that the next call
works). A hostile answer lasts at most CAP_S seconds, then the connection is closed.

    interim_flood      an endless stream of "HTTP/1.1 100 Continue" heads
    interim_few        three 100 heads and a 102, then the real answer (must be accepted)
    interim_many       N (default 2000) 100 heads, then the real answer
    trickle            a correct answer, one byte every 50 ms
    headers_flood      a status line, then endless header lines
    ext_flood          a chunked body whose chunks carry 1 byte each and a 1000-byte extension
    ext_line           a chunked body whose first chunk-size line never ends
    trailer_flood      a complete chunked body, then endless trailer lines
    huge_chunk         a chunk size of 0xFFFFFFF (256 MiB, over the default body limit)
    overflow_chunk     a chunk size of 41 hex digits (over 64 bits)
    chunks1            a correct answer whose result is "[" N spaces "]" (default 4 MiB), each
                       space in a chunk of its own
    good               a correct answer

GET /case/<ID>/ws:
    ws_interim_flood   an endless stream of 100 heads instead of the 101
    ws_slowloris       a correct 101 answer, one byte every 50 ms
    ws_flood           a correct 101 answer, then new_transaction envelopes as fast as the
                       client reads them (CAP_S at most)
    any other KIND     a correct websocket that sends a new_transaction envelope for wallet
                       "w" and currency BTC every 10 ms ({"tx":"wsN"}), until the client goes
"""
import argparse
import base64
import hashlib
import json
import signal
import socket
import sys
import threading
import time

CAP_S = 5.0                      # no hostile answer lasts longer than this
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
CHUNKED_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

KINDS = ["interim_flood", "interim_few", "interim_many", "trickle", "headers_flood", "ext_flood",
         "ext_line", "trailer_flood", "huge_chunk", "overflow_chunk", "chunks1", "good",
         "ws_interim_flood", "ws_slowloris", "ws_flood"]

counts = {}
counts_lock = threading.Lock()
announce = False


def say(line):
    if announce:
        try:
            print(line, flush=True)
        except OSError:          # nobody reads our output any more
            pass


def parse_id(case_id):
    parts = case_id.split(".")
    n = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    return parts[0], n


def answer(call_id, result=b"[]"):
    body = b'{"jsonrpc":"2.0","id":%d,"result":%s}' % (call_id, result)
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def flood(sock, unit, prefix=b""):
    """Sends prefix, then unit again and again, for at most CAP_S seconds."""
    block = unit * max(1, 65536 // len(unit))
    end = time.monotonic() + CAP_S
    try:
        if prefix:
            sock.sendall(prefix)
        while time.monotonic() < end:
            sock.sendall(block)
    except OSError:
        pass


def trickle(sock, data, gap=0.05):
    end = time.monotonic() + CAP_S
    try:
        for i in range(len(data)):
            if time.monotonic() >= end:
                return
            sock.sendall(data[i:i + 1])
            time.sleep(gap)
    except OSError:
        pass


def hostile_post(sock, case_id, kind, n, call_id):
    """Plays the hostile answer. True: the connection may go on serving requests."""
    if kind != "chunks1":
        say("HOSTILE " + case_id)
    if kind == "interim_flood":
        flood(sock, CONTINUE)
    elif kind == "interim_few":
        sock.sendall(CONTINUE * 3 + b"HTTP/1.1 102 Processing\r\n\r\n" + answer(call_id))
        return True
    elif kind == "interim_many":
        sock.sendall(CONTINUE * (n or 2000) + answer(call_id))
        return True
    elif kind == "trickle":
        trickle(sock, answer(call_id))
        return True
    elif kind == "headers_flood":
        flood(sock, b"X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n", b"HTTP/1.1 200 OK\r\n")
    elif kind == "ext_flood":
        first = b'{"jsonrpc":"2.0","id":%d,"result":[' % call_id
        flood(sock, b"1;e=" + b"x" * 1000 + b"\r\n \r\n", CHUNKED_HEAD + b"%x\r\n%s\r\n" % (len(first), first))
    elif kind == "ext_line":
        flood(sock, b"x", CHUNKED_HEAD + b"1;e=")
    elif kind == "trailer_flood":
        body = b'{"jsonrpc":"2.0","id":%d,"result":[]}' % call_id
        flood(sock, b"X-Trailer: yyyyyyyyyyyyyyyyyyyyyyyyyyyy\r\n",
              CHUNKED_HEAD + b"%x\r\n%s\r\n0\r\n" % (len(body), body))
    elif kind == "huge_chunk":
        sock.sendall(CHUNKED_HEAD + b"FFFFFFF\r\n")
        idle(sock)
    elif kind == "overflow_chunk":
        sock.sendall(CHUNKED_HEAD + b"1" + b"0" * 40 + b"\r\n")
        idle(sock)
    elif kind == "chunks1":
        first = b'{"jsonrpc":"2.0","id":%d,"result":[' % call_id
        last = b"]}"
        data = (CHUNKED_HEAD + b"%x\r\n%s\r\n" % (len(first), first) + b"1\r\n \r\n" * (n or (4 << 20))
                + b"%x\r\n%s\r\n0\r\n\r\n" % (len(last), last))
        try:
            sock.sendall(data[:1 << 20])
            say("HOSTILE " + case_id)        # under way: the client is reading it
            sock.sendall(data[1 << 20:])
        except OSError:
            return False
        return True
    else:
        sock.sendall(answer(call_id))
        return True
    return False


def idle(sock):
    """Waits (at most CAP_S) for the client to close."""
    sock.settimeout(CAP_S)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass


def read_request(sock, buf):
    """(method, path, headers, body), rest; None when the client closed."""
    while b"\r\n\r\n" not in buf:
        d = sock.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    method, path = lines[0].split(" ")[:2]
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(buf) < n:
        d = sock.recv(65536)
        if not d:
            return None, buf
        buf += d
    return (method, path, headers, buf[:n]), buf[n:]


def ws_frame(payload, opcode=1):
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 127]) + n.to_bytes(8, "big")
    return head + payload


def good_ws(sock, headers, fast=False):
    key = headers.get("sec-websocket-key", "").encode()
    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
    sock.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
    gone = threading.Event()

    def reader():
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass
        gone.set()

    threading.Thread(target=reader, daemon=True).start()
    if fast:
        env = {"updates": [{"event": "new_transaction", "tx": "flood"}], "wallet": "w", "currency": "BTC"}
        flood(sock, ws_frame(json.dumps(env).encode()))
        return
    i = 0
    try:
        while not gone.is_set():
            env = {"updates": [{"event": "new_transaction", "tx": "ws%d" % i}], "wallet": "w", "currency": "BTC"}
            sock.sendall(ws_frame(json.dumps(env).encode()))
            i += 1
            gone.wait(0.01)
    except OSError:
        pass


def serve(sock):
    buf = b""
    try:
        while True:
            req, buf = read_request(sock, buf)
            if req is None:
                return
            method, path, headers, body = req
            parts = path.split("/")
            if len(parts) < 3 or parts[1] != "case":
                sock.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                continue
            case_id = parts[2]
            kind, n = parse_id(case_id)
            if method == "GET" and path.endswith("/ws"):
                if kind == "ws_interim_flood":
                    flood(sock, CONTINUE)
                elif kind == "ws_slowloris":
                    key = headers.get("sec-websocket-key", "").encode()
                    accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
                    trickle(sock, b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n")
                else:
                    good_ws(sock, headers, kind == "ws_flood")
                return
            try:
                call_id = int(json.loads(body).get("id", 0))
            except (ValueError, AttributeError):
                call_id = 0
            with counts_lock:
                counts[case_id] = counts.get(case_id, 0) + 1
                first = counts[case_id] == 1
            if first:
                if not hostile_post(sock, case_id, kind, n, call_id):
                    return
            else:
                sock.sendall(answer(call_id))
    except OSError:
        pass
    finally:
        try:
            sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--announce", action="store_true")
    a = ap.parse_args()
    global announce
    announce = a.announce
    if a.list:
        print("\n".join(KINDS))
        return
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.host, a.port))
    ls.listen(64)
    print("PORT %d" % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
