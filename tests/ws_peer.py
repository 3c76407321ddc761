#!/usr/bin/python3
"""ws_peer.py - a hostile RFC 6455 websocket server for the bitcart_events.h client tests.

Standard library only, raw sockets, one thread per connection (plus one reader thread per
websocket). Run it with /usr/bin/python3:

    /usr/bin/python3 tests/ws_peer.py [--host 127.0.0.1] [--port 0] [--list]

Once listening it prints "PORT <n>" on stdout (as the fake daemons do). SIGTERM: exit.

Routes:
    GET /case/<ID>/ws   play case <ID>: a handshake answer (good or deliberately broken), then
                        the case's frames and bytes, then read what the client sends back until
                        it closes the TCP connection (or a timeout)
    GET /result/<ID>    JSON record of the last connection to case <ID> (waits for it to end)
    GET /cases          JSON list of every case ID

The client is configured with url http://127.0.0.1:PORT/case/<ID>, so it asks for
/case/<ID>/ws. The cases regroup the client-relevant parts of RFC 6455, numbered by theme:
1 message sizes, 2 pings and pongs, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8,
7 close frames, 9 size limits, 10 fragmentation of large messages and bursts, h handshake
answers, c client-only framing (masked server frames, bad length encodings, frames glued to
the 101). Each case is scripted below from the RFC; nothing is taken from other test suites.

Messages meant for the client's handlers are Bitcart event envelopes:
    {"updates":[{"event":"new_transaction","tx":"<TX>"}],"wallet":"w","currency":"BTC"}
The record lists, for every envelope the case expects to be dispatched, [byte length of TX,
FNV-1a 32 of TX], in order, so the test can compare them with what its handler saw.

Record fields: id, connections, request_ok, request_errors, frames (every frame the client
sent: op, fin, rsv, len, hex of the payload when len <= 125), close_code (first close code the
client sent, 1005 for an empty close, null when none), close_step (script step running when
that close arrived), steps, client_closed (the client closed or reset the TCP connection),
closed_how (eof, reset, timeout), pings_sent (hex payloads of the pings this peer sent),
pongs (hex payloads of the client's pongs), client_pings (how many pings the client sent),
expected (see above), violations (RFC rules the client broke), peer_forced_close.
"""
import argparse
import base64
import hashlib
import json
import select
import socket
import struct
import sys
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
UNAUTH_BODY = b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"Unauthorized"},"id":null}'

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10
RSV1, RSV2, RSV3 = 4, 2, 1

ENV_HEAD = b'{"updates":[{"event":"new_transaction","tx":"'
ENV_TAIL = b'"}],"wallet":"w","currency":"BTC"}'
ENV_OVERHEAD = len(ENV_HEAD) + len(ENV_TAIL)

MiB = 1 << 20


# ---- building blocks ---------------------------------------------------------------------

def fnv1a(data):
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


_PAD_HASH = {}


def padding_hash(n):
    """fnv1a(padding(n)), remembered: the big cases reuse a few sizes."""
    if n not in _PAD_HASH:
        _PAD_HASH[n] = fnv1a(padding(n))
    return _PAD_HASH[n]


def padding(n):
    alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz"
    reps = n // len(alphabet) + 1
    return (alphabet * reps)[:n]


def envelope(tx):
    return ENV_HEAD + tx + ENV_TAIL


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key + GUID).digest())


def frame(op, payload=b"", fin=True, rsv=0, mask=None, length=None, enc=None):
    """One server frame. enc forces the length form (7, 16 or 64 bits); length overrides the
    announced length (the payload is sent as given); mask (4 bytes) sets the mask bit."""
    n = len(payload) if length is None else length
    if enc is None:
        enc = 7 if n < 126 else 16 if n < 65536 else 64
    b0 = (0x80 if fin else 0) | (rsv << 4) | op
    mbit = 0x80 if mask is not None else 0
    if enc == 7:
        head = bytes([b0, mbit | n])
    elif enc == 16:
        head = bytes([b0, mbit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, mbit | 127]) + struct.pack(">Q", n)
    if mask is not None:
        head += mask
        payload = bytes(c ^ mask[i & 3] for i, c in enumerate(payload))
    return head + payload


def close_frame(code=None, reason=b"", **kw):
    payload = b"" if code is None else struct.pack(">H", code) + reason
    return frame(OP_CLOSE, payload, **kw)


def fragments(op, payload, sizes):
    """Splits payload into frames: sizes is a list of fragment lengths (the last fragment takes
    the rest) or an int (every fragment that long)."""
    parts = []
    if isinstance(sizes, int):
        parts = [payload[i:i + sizes] for i in range(0, len(payload), sizes)] or [b""]
    else:
        pos = 0
        for s in sizes:
            parts.append(payload[pos:pos + s])
            pos += s
        parts.append(payload[pos:])
    out = []
    for i, p in enumerate(parts):
        out.append(frame(op if i == 0 else OP_CONT, p, fin=(i == len(parts) - 1)))
    return b"".join(out)


# ---- handshake answers -----------------------------------------------------------------

def ans_ok(accept, extra=b""):
    return (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: " + accept + b"\r\n" + extra + b"\r\n")


def ans_lines(*lines):
    """A handshake answer from header lines; ACCEPT inside a line is replaced by the value."""
    def build(accept):
        return b"".join(l.replace(b"ACCEPT", accept) + b"\r\n" for l in lines) + b"\r\n"
    return build


def ans_status(status_line, headers=b"", body=b"", length=True):
    def build(accept):
        h = status_line + b"\r\n" + headers
        if length:
            h += b"Content-Length: " + str(len(body)).encode() + b"\r\n"
        return h + b"\r\n" + body
    return build


# ---- scripts ---------------------------------------------------------------------------

class Script:
    """What the peer does on one connection. The handshake answer goes first (answer(accept)
    returns the bytes), then the steps. fails: the client is expected to drop the connection by
    itself (no closing handshake from this peer unless it does not within 2 s)."""

    def __init__(self):
        self.answer = ans_ok
        self.answer_chunk = None
        self.answer_gap = 0.0
        self.glue = b""             # bytes sent in the same write as the answer
        self.glue_fin = False       # and the FIN in the same segment
        self.steps = []
        self.expect = []            # [len, fnv] of every tx the client should dispatch
        self.pings = []             # payloads of the pings this peer sends
        self.fails = False
        self.hs_ok = True
        self.final_close = True
        self.answer_pings = False
        self.wait = 5.0

    # data
    def text(self, size=None, tx=None, deliver=True):
        if tx is None:
            tx = padding(size - ENV_OVERHEAD)
            h = padding_hash(len(tx)) if deliver else 0
        else:
            h = fnv1a(tx) if deliver else 0
        if deliver:
            self.expect.append([len(tx), h])
        return envelope(tx)

    def ping(self, payload=b"", **kw):
        self.pings.append(payload)
        return frame(OP_PING, payload, **kw)

    # steps
    def send(self, *parts, chunk=None, gap=0.0):
        self.steps.append(("send", b"".join(parts), chunk, gap))
        return self

    def sleep(self, seconds):
        self.steps.append(("sleep", seconds))
        return self

    def wait_closed(self, seconds):
        self.steps.append(("wait_closed", seconds))
        return self

    def shutdown(self):
        self.steps.append(("shutdown",))
        self.final_close = False
        return self

    def send_fin(self, *parts):
        """Sends parts and the FIN in one TCP segment (corked), so that the client finds the
        data and the end of the stream in the same read."""
        self.steps.append(("send_fin", b"".join(parts)))
        self.final_close = False
        return self

    def flood(self, unit, limit):
        self.steps.append(("flood", unit, limit))
        return self

    def failing(self):
        """The client must fail the connection (it sends its close and drops)."""
        self.fails = True
        self.final_close = False
        return self

    def refused(self, answer):
        """A handshake the client must refuse."""
        self.answer = answer
        self.fails = True
        self.hs_ok = False
        self.final_close = False
        return self


CASES = {}          # id -> function(Script)
ORDER = []


def case(cid):
    def reg(fn):
        CASES[cid] = fn
        ORDER.append(cid)
        return fn
    return reg


def add(cid, fn):
    CASES[cid] = fn
    ORDER.append(cid)


SMALL = 125         # the size of the small envelope used as "something after"


# ---- 1.x: message sizes ------------------------------------------------------------------

@case("1.1.1")
def _(s):   # an empty text message: not JSON, skipped; the connection stays and the next counts
    s.send(frame(OP_TEXT, b""), frame(OP_TEXT, s.text(SMALL)))


for _i, _n in enumerate([125, 126, 127, 128, 65535, 65536], 2):
    add("1.1.%d" % _i, lambda s, n=_n: s.send(frame(OP_TEXT, s.text(n))))


@case("1.1.8")
def _(s):
    s.send(frame(OP_TEXT, s.text(65536)), chunk=997)


@case("1.1.9")
def _(s):   # one byte per TCP write, with a pause: every header boundary is seen alone
    s.send(frame(OP_TEXT, s.text(200)), chunk=1, gap=0.0005)


@case("1.1.10")
def _(s):
    s.send(frame(OP_TEXT, s.text(65536)), chunk=1)


for _i, _n in enumerate([0, 125, 126, 127, 128, 65535, 65536], 1):
    add("1.2.%d" % _i, lambda s, n=_n: s.send(frame(OP_BINARY, padding(n)), frame(OP_TEXT, s.text(SMALL))))


@case("1.2.8")
def _(s):
    s.send(frame(OP_BINARY, bytes(range(256)) * 256), frame(OP_TEXT, s.text(SMALL)), chunk=997)


# ---- 2.x: pings and pongs ----------------------------------------------------------------

add("2.1", lambda s: s.send(s.ping(b"")))
add("2.2", lambda s: s.send(s.ping(b"Hello, world!")))
add("2.3", lambda s: s.send(s.ping(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff")))
add("2.4", lambda s: s.send(s.ping(bytes(range(125)))))


@case("2.5")
def _(s):   # a control frame with 126 bytes of payload
    s.send(frame(OP_PING, b"\xfe" * 126)).failing()


add("2.6", lambda s: s.send(s.ping(b"\xfe" * 125), chunk=1, gap=0.0005))
add("2.7", lambda s: s.send(frame(OP_PONG, b""), frame(OP_TEXT, s.text(SMALL))))
add("2.8", lambda s: s.send(frame(OP_PONG, b"unsolicited pong"), frame(OP_TEXT, s.text(SMALL))))
add("2.9", lambda s: s.send(frame(OP_PONG, b"first"), s.ping(b"second")))
add("2.10", lambda s: s.send(*[s.ping(b"ping %d" % i) for i in range(10)]))
add("2.11", lambda s: s.send(*[s.ping(b"ping %d" % i) for i in range(10)], chunk=1, gap=0.0002))
add("2.12", lambda s: s.send(frame(OP_TEXT, s.text(SMALL)), s.ping(b"between"), frame(OP_TEXT, s.text(300))))


@case("2.13")
def _(s):   # the client pings (interval 150 ms); this peer answers; the connection lives on
    s.answer_pings = True
    s.sleep(0.7).send(frame(OP_TEXT, s.text(SMALL)))


@case("2.14")
def _(s):   # the client pings (200 ms) and never gets an answer: it must give up (300 ms)
    s.wait_closed(4.0).failing()


# ---- 3.x: reserved bits ------------------------------------------------------------------

add("3.1", lambda s: s.send(frame(OP_TEXT, s.text(SMALL, deliver=False), rsv=RSV1)).failing())
add("3.2", lambda s: s.send(frame(OP_TEXT, s.text(SMALL)), frame(OP_TEXT, s.text(SMALL, deliver=False), rsv=RSV2)).failing())
add("3.3", lambda s: s.send(frame(OP_TEXT, s.text(SMALL)), frame(OP_TEXT, s.text(SMALL, deliver=False), rsv=RSV3),
                            chunk=1, gap=0.0002).failing())
add("3.4", lambda s: s.send(frame(OP_TEXT, s.text(SMALL)), frame(OP_TEXT, s.text(SMALL, deliver=False), rsv=RSV1 | RSV2),
                            frame(OP_TEXT, s.text(SMALL, deliver=False))).failing())
add("3.5", lambda s: s.send(frame(OP_BINARY, b"\x00\x01\x02", rsv=RSV1 | RSV3)).failing())
add("3.6", lambda s: s.send(frame(OP_PING, b"rsv", rsv=RSV2 | RSV3)).failing())
add("3.7", lambda s: s.send(close_frame(1000, rsv=RSV1 | RSV2 | RSV3)).failing())
add("3.8", lambda s: s.send(frame(OP_TEXT, b'{"upd', fin=False), frame(OP_CONT, b'ates":[]}', rsv=RSV1)).failing())
add("3.9", lambda s: s.send(s.ping(b"before"), frame(OP_TEXT, s.text(SMALL, deliver=False), rsv=RSV1)).failing())


# ---- 4.x: opcodes ------------------------------------------------------------------------

def _opcase(op, style):
    def run(s):
        if style == 0:
            s.send(frame(op, b""))
        elif style == 1:
            s.send(frame(op, b"reserved opcode"))
        elif style == 2:
            s.send(frame(OP_TEXT, s.text(SMALL)), frame(op, b""), frame(OP_PING, b"no answer"))
        elif style == 3:
            s.send(frame(OP_TEXT, s.text(SMALL)), frame(op, b"x" * 40), frame(OP_PING, b"no answer"), chunk=1, gap=0.0002)
        else:
            s.send(frame(op, b"", fin=False), frame(OP_TEXT, s.text(SMALL, deliver=False)))
        s.failing()
    return run


for _i, _op in enumerate([3, 4, 5, 6, 7], 1):
    add("4.1.%d" % _i, _opcase(_op, _i - 1))
for _i, _op in enumerate([11, 12, 13, 14, 15], 1):
    add("4.2.%d" % _i, _opcase(_op, _i - 1))


def _op_inside(op):
    def run(s):     # a reserved opcode where a continuation would finish a fragmented message
        m = s.text(SMALL, deliver=False)
        s.send(frame(OP_TEXT, m[:60], fin=False), frame(op, m[60:])).failing()
    return run


add("4.3.1", _op_inside(3))
add("4.3.2", _op_inside(7))
add("4.3.3", _op_inside(11))
add("4.3.4", _op_inside(15))


# ---- 5.x: fragmentation ------------------------------------------------------------------

add("5.1", lambda s: s.send(frame(OP_PING, b"fragmented ping", fin=False), frame(OP_CONT, b"!")).failing())
add("5.2", lambda s: s.send(frame(OP_PONG, b"fragmented pong", fin=False), frame(OP_CONT, b"!")).failing())
add("5.3", lambda s: s.send(fragments(OP_TEXT, s.text(300), [150])))


@case("5.4")
def _(s):
    m = s.text(300)
    s.send(frame(OP_TEXT, m[:100], fin=False)).sleep(0.1).send(frame(OP_CONT, m[100:]))


add("5.5", lambda s: s.send(fragments(OP_TEXT, s.text(300), [150]), chunk=1, gap=0.0002))


def _frag_ping(s, chunk=None):
    m = s.text(300)
    s.send(frame(OP_TEXT, m[:120], fin=False), s.ping(b"inside"), frame(OP_CONT, m[120:]), chunk=chunk,
           gap=0.0002 if chunk else 0.0)


add("5.6", lambda s: _frag_ping(s))
add("5.7", lambda s: _frag_ping(s, 1))


@case("5.8")
def _(s):
    m = s.text(300)
    s.send(frame(OP_TEXT, m[:120], fin=False), frame(OP_PONG, b"unsolicited"), frame(OP_CONT, m[120:]))


add("5.9", lambda s: s.send(frame(OP_CONT, b"orphan", fin=True)).failing())
add("5.10", lambda s: s.send(frame(OP_CONT, b"orphan", fin=False)).failing())
add("5.11", lambda s: s.send(frame(OP_CONT, b"orphan"), frame(OP_TEXT, s.text(SMALL, deliver=False))).failing())
add("5.12", lambda s: s.send(frame(OP_CONT, b"orph", fin=False), frame(OP_CONT, b"an"),
                             frame(OP_TEXT, s.text(SMALL, deliver=False)), chunk=1, gap=0.0002).failing())
add("5.13", lambda s: s.send(frame(OP_TEXT, b'{"updates":', fin=False), frame(OP_TEXT, s.text(SMALL, deliver=False))).failing())
add("5.14", lambda s: s.send(frame(OP_TEXT, b'{"updates":', fin=False), frame(OP_BINARY, b"\x01\x02")).failing())
add("5.15", lambda s: s.send(frame(OP_TEXT, b'{"updates":', fin=False), frame(OP_TEXT, b'[]}', fin=False),
                             frame(OP_CONT, b"")).failing())
add("5.16", lambda s: s.send(fragments(OP_TEXT, s.text(128), 1)))


@case("5.17")
def _(s):   # empty fragments first, in the middle and last
    m = s.text(200)
    s.send(frame(OP_TEXT, b"", fin=False), frame(OP_CONT, m[:90], fin=False), frame(OP_CONT, b"", fin=False),
           frame(OP_CONT, m[90:], fin=False), frame(OP_CONT, b"", fin=True))


add("5.18", lambda s: s.send(fragments(OP_TEXT, s.text(300), [100, 100]), fragments(OP_TEXT, s.text(400), [7])))
add("5.19", lambda s: s.send(fragments(OP_BINARY, b"\xff" * 300, [100, 100]), frame(OP_TEXT, s.text(SMALL))))


@case("5.20")
def _(s):
    m = s.text(300)
    s.send(frame(OP_TEXT, m[:100], fin=False), s.ping(b"one"), frame(OP_PONG, b"x"), frame(OP_CONT, m[100:200], fin=False),
           s.ping(b"two"), frame(OP_CONT, m[200:]), chunk=1, gap=0.0002)


@case("5.21")
def _(s):   # a close frame may come between fragments: the unfinished message is dropped
    s.send(frame(OP_TEXT, s.text(300, deliver=False)[:100], fin=False), close_frame(1000, b"bye"))
    s.final_close = False


# ---- 6.x: UTF-8 --------------------------------------------------------------------------

def _u(text):
    return text.encode("utf-8")


VALID = [
    _u("\u03ba\u1f79\u03c3\u03bc\u03b5"),                               # kosme, Greek
    _u("\u0080|\u07ff"),                                                # 2-byte bounds
    _u("\u0800|\ud7ff|\ue000|\ufffd|\uffff"),                           # 3-byte bounds
    _u("\U00010000|\U0010ffff|\U0001f600"),                             # 4-byte bounds
    _u("Hello-\u00b5@\u00df\u00f6\u00e4\u00fc\u00e0\u00e1-UTF-8!!"),
]
for _i, _t in enumerate(VALID, 1):
    add("6.1.%d" % _i, lambda s, t=_t: s.send(frame(OP_TEXT, s.text(tx=t))))

_MIXED = _u("a\u00e9\u20ac\U0001f600z") * 8


@case("6.1.6")
def _(s):   # one byte per fragment: fragments end inside code points
    s.send(fragments(OP_TEXT, s.text(tx=_MIXED), 1))


@case("6.1.7")
def _(s):   # two fragments split 1, 2 and 3 bytes into a 4-byte code point
    for k in (1, 2, 3):
        m = s.text(tx=_u("ab\U0001f600cd"))
        cut = len(ENV_HEAD) + 2 + k
        s.send(frame(OP_TEXT, m[:cut], fin=False), frame(OP_CONT, m[cut:]))


add("6.1.8", lambda s: s.send(frame(OP_TEXT, s.text(tx=_MIXED)), chunk=1, gap=0.0002))


@case("6.1.9")
def _(s):   # split inside a 3-byte code point, a ping in between
    m = s.text(tx=_u("x\u20acy"))
    cut = len(ENV_HEAD) + 2
    s.send(frame(OP_TEXT, m[:cut], fin=False), s.ping(b"mid"), frame(OP_CONT, m[cut:]))


INVALID = [
    b"\x80", b"\xbf", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xe0\x9f\xbf", b"\xf0\x80\x80\xaf",
    b"\xf0\x8f\xbf\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0\x80\xed\xb0\x80", b"\xf4\x90\x80\x80",
    b"\xf5\x80\x80\x80", b"\xfe", b"\xff", b"\xf8\x88\x80\x80\x80", b"\xc2\x41",
]
for _i, _b in enumerate(INVALID, 1):
    add("6.2.%d" % _i, lambda s, b=_b: s.send(frame(OP_TEXT, s.text(tx=b"ok" + b + b"ok", deliver=False))).failing())
_n6 = len(INVALID)


def _inv(cid, fn):
    add("6.2.%d" % cid, fn)


# truncated code points at the very end of the message
_inv(_n6 + 1, lambda s: s.send(frame(OP_TEXT, b'{"updates":[],"x":"\xe2\x82')).failing())
_inv(_n6 + 2, lambda s: s.send(frame(OP_TEXT, b'{"updates":[],"x":"\xf0\x9f\x98')).failing())


@case("6.2.%d" % (_n6 + 3))
def _(s):   # valid first fragment, invalid byte in the last one
    m = s.text(tx=b"valid\xce\xbapart" + b"\xc0\xaf", deliver=False)
    s.send(frame(OP_TEXT, m[:60], fin=False), frame(OP_CONT, m[60:])).failing()


@case("6.2.%d" % (_n6 + 4))
def _(s):   # an overlong sequence split across two fragments
    m = s.text(tx=b"x\xe0\x80\xafy", deliver=False)
    cut = len(ENV_HEAD) + 2
    s.send(frame(OP_TEXT, m[:cut], fin=False), frame(OP_CONT, m[cut:])).failing()


@case("6.2.%d" % (_n6 + 5))
def _(s):   # every fragment fine on its own, but the message ends inside a code point
    s.send(frame(OP_TEXT, b'{"updates":[],"x":"\xe2', fin=False), frame(OP_CONT, b'\x82', fin=False),
           frame(OP_CONT, b'', fin=True)).failing()


@case("6.2.%d" % (_n6 + 6))
def _(s):   # fail fast? invalid bytes in the first fragment, then a pause, then the rest
    m = s.text(tx=b"abc\xed\xa0\x80def", deliver=False)
    cut = len(ENV_HEAD) + 6
    s.send(frame(OP_TEXT, m[:cut], fin=False)).sleep(1.0).send(frame(OP_CONT, m[cut:])).failing()


_inv(_n6 + 7, lambda s: s.send(frame(OP_TEXT, s.text(tx=b"\xf4\x90\x80\x80", deliver=False)), chunk=1, gap=0.0002).failing())
_inv(_n6 + 8, lambda s: s.send(frame(OP_TEXT, s.text(tx=b"\xff", deliver=False)), frame(OP_TEXT, s.text(SMALL, deliver=False))).failing())

# not checked as UTF-8 / not JSON: skipped without closing
add("6.3.1", lambda s: s.send(frame(OP_BINARY, b"\xff\xfe\xc0\xaf\xed\xa0\x80"), frame(OP_TEXT, s.text(SMALL))))
add("6.3.2", lambda s: s.send(frame(OP_TEXT, _u("\u03ba\u1f79\u03c3\u03bc\u03b5 is not JSON")), frame(OP_TEXT, s.text(SMALL))))
add("6.3.3", lambda s: s.send(frame(OP_TEXT, b'{"updates":[{"event":"new_transaction","tx":"a\x00b"}]}'),
                              frame(OP_TEXT, s.text(SMALL))))


# ---- 7.x: close frames -------------------------------------------------------------------

def _closecase(payload_frame, fails=False, before=b"", after=b"", chunk=None):
    def run(s):
        s.send(before(s) if callable(before) else before, payload_frame, after, chunk=chunk,
               gap=0.0002 if chunk else 0.0)
        s.final_close = False
        if fails:
            s.failing()
    return run


add("7.1.1", _closecase(frame(OP_CLOSE, b"")))
add("7.1.2", _closecase(close_frame(1000)))
add("7.1.3", _closecase(close_frame(1000, b"bye")))
add("7.1.4", _closecase(close_frame(1000, b"r" * 123)))
add("7.1.5", _closecase(close_frame(1000, b"r" * 124), fails=True))
add("7.1.6", _closecase(frame(OP_CLOSE, b"\x03"), fails=True))
add("7.1.7", _closecase(close_frame(1000, b"bad \xc0\xaf reason"), fails=True))
add("7.1.8", _closecase(close_frame(1000, _u("\u03ba\u1f79\u03c3\u03bc\u03b5 \U0001f600"))))
add("7.1.9", _closecase(close_frame(1000, b"split"), before=lambda s: frame(OP_TEXT, s.text(SMALL)), chunk=1))
add("7.1.10", _closecase(close_frame(1000), after=frame(OP_TEXT, envelope(b"after the close"))))
add("7.1.11", _closecase(close_frame(1000), after=frame(OP_PING, b"after the close")))
add("7.1.12", _closecase(close_frame(1000), before=lambda s: frame(OP_TEXT, s.text(SMALL))))


@case("7.1.13")
def _(s):   # the peer drops the TCP connection (FIN) without a closing handshake, after a pause
    s.send(frame(OP_TEXT, s.text(SMALL))).sleep(0.1).shutdown()


add("7.1.14", _closecase(close_frame(1000, b"cut \xe2\x82"), fails=True))


@case("7.1.15")
def _(s):   # a message and the FIN in one segment: the message was received and counts
    s.sleep(0.1).send_fin(frame(OP_TEXT, s.text(SMALL)))

VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]
for _i, _c in enumerate(VALID_CODES, 1):
    add("7.2.%d" % _i, _closecase(close_frame(_c, b"code")))
for _i, _c in enumerate(INVALID_CODES, 1):
    add("7.3.%d" % _i, _closecase(close_frame(_c, b"code"), fails=True))


# ---- 9.x: up to the size limit -----------------------------------------------------------

add("9.1.1", lambda s: s.send(frame(OP_TEXT, s.text(64 * 1024))))
add("9.1.2", lambda s: s.send(frame(OP_TEXT, s.text(256 * 1024))))
add("9.1.3", lambda s: s.send(frame(OP_TEXT, s.text(MiB))))
add("9.1.4", lambda s: s.send(frame(OP_TEXT, s.text(MiB + 1, deliver=False))).failing())
add("9.1.5", lambda s: s.send(fragments(OP_TEXT, s.text(MiB), 64 * 1024)))
add("9.1.6", lambda s: s.send(fragments(OP_TEXT, s.text(MiB + 1, deliver=False), 64 * 1024)).failing())
add("9.1.7", lambda s: s.send(frame(OP_BINARY, padding(MiB)), frame(OP_TEXT, s.text(SMALL))))
add("9.1.8", lambda s: s.send(frame(OP_BINARY, padding(MiB + 1))).failing())
add("9.1.9", lambda s: s.send(frame(OP_TEXT, b"", length=1 << 40, enc=64)).wait_closed(2.0).failing())
# these run with max_message_bytes = 4096
add("9.2.1", lambda s: s.send(frame(OP_TEXT, s.text(4096))))
add("9.2.2", lambda s: s.send(frame(OP_TEXT, s.text(4097, deliver=False))).failing())
add("9.2.3", lambda s: s.send(fragments(OP_TEXT, s.text(4097, deliver=False), [2048])).failing())
add("9.2.4", lambda s: s.send(fragments(OP_TEXT, s.text(4096), 256)))
add("9.2.5", lambda s: s.send(frame(OP_BINARY, padding(4097))).failing())
add("9.2.6", lambda s: s.send(frame(OP_TEXT, b"", length=4097)).wait_closed(2.0).failing())
add("9.3.1", lambda s: s.send(*[frame(OP_TEXT, s.text(64 * 1024)) for _ in range(16)]))
add("9.3.2", lambda s: s.send(frame(OP_TEXT, s.text(MiB)), chunk=4096))
add("9.3.3", lambda s: s.send(frame(OP_TEXT, s.text(MiB)), s.ping(b"after a big one")))


# ---- 10.x: large messages in many fragments, bursts ---------------------------------------

for _i, _sz in enumerate([64, 256, 1024, 4096, [65535]], 1):
    add("10.1.%d" % _i, lambda s, sz=_sz: s.send(fragments(OP_TEXT, s.text(65536), sz)))
add("10.1.6", lambda s: s.send(fragments(OP_TEXT, s.text(4096), 1)))
add("10.2.1", lambda s: s.send(*[frame(OP_TEXT, s.text(SMALL + i % 50)) for i in range(1000)]))


@case("10.2.2")
def _(s):
    parts = []
    for i in range(100):
        m = s.text(200 + i)
        parts += [frame(OP_TEXT, m[:50], fin=False), s.ping(b"p%d" % i), frame(OP_CONT, m[50:120], fin=False),
                  frame(OP_CONT, m[120:])]
    s.send(*parts)


add("10.2.3", lambda s: s.send(*[frame(OP_TEXT, s.text(SMALL + i)) for i in range(100)], chunk=7))


# ---- h.x: handshake answers ---------------------------------------------------------------

OTHER_ACCEPT = accept_for(b"dGhlIHNhbXBsZSBub25jZQ==")


def _hs_ok(answer, chunk=None, gap=0.0):
    def run(s):
        s.answer = answer
        s.answer_chunk = chunk
        s.answer_gap = gap
        s.send(frame(OP_TEXT, s.text(SMALL)))
    return run


def _hs_bad(answer):
    return lambda s: s.refused(answer)


add("h.1", _hs_bad(lambda a: ans_ok(OTHER_ACCEPT)))
add("h.2", _hs_bad(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket", b"Connection: Upgrade")))
add("h.3", _hs_bad(lambda a: ans_ok(a.lower() if a.lower() != a else a.upper())))
add("h.4", _hs_bad(lambda a: ans_ok(a + b"A")))
add("h.5", _hs_bad(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"Connection: Upgrade", b"Sec-WebSocket-Accept: ACCEPT")))
add("h.6", _hs_bad(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"Upgrade: h2c", b"Connection: Upgrade",
                             b"Sec-WebSocket-Accept: ACCEPT")))
add("h.7", _hs_bad(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket", b"Sec-WebSocket-Accept: ACCEPT")))
add("h.8", _hs_bad(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket", b"Connection: close",
                             b"Sec-WebSocket-Accept: ACCEPT")))
add("h.9", _hs_ok(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"Upgrade: websocket", b"Connection: keep-alive, Upgrade",
                            b"Sec-WebSocket-Accept: ACCEPT")))
add("h.10", _hs_ok(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"upgrade: WebSocket", b"CONNECTION: UPGRADE",
                             b"sec-websocket-accept: ACCEPT")))
add("h.11", _hs_ok(ans_lines(b"HTTP/1.1 101 Switching Protocols", b"Upgrade:websocket", b"Connection:\tUpgrade",
                             b"Sec-WebSocket-Accept:   ACCEPT  ")))
add("h.12", _hs_ok(lambda a: ans_ok(a, b"Server: ws_peer\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
                                       b"Set-Cookie: a=b; Path=/\r\nX-Empty:\r\n")))
add("h.13", _hs_bad(lambda a: ans_ok(a, b"Sec-WebSocket-Extensions: permessage-deflate\r\n")))
add("h.14", _hs_bad(lambda a: ans_ok(a, b"Sec-WebSocket-Protocol: chat\r\n")))
add("h.15", _hs_bad(ans_status(b"HTTP/1.1 200 OK", b"Content-Type: application/json; charset=utf-8\r\n", UNAUTH_BODY)))
add("h.16", lambda s: s.refused(ans_status(b"HTTP/1.1 200 OK", b"Content-Type: application/json\r\nConnection: close\r\n",
                                         UNAUTH_BODY, length=False)).shutdown())   # body ends at EOF
add("h.17", _hs_bad(ans_status(b"HTTP/1.1 200 OK", b"Content-Type: text/html\r\n", b"<html><body>hello</body></html>")))
add("h.18", _hs_bad(ans_status(b"HTTP/1.1 401 Unauthorized", b"WWW-Authenticate: Basic realm=\"x\"\r\n", b"401")))
add("h.19", _hs_bad(ans_status(b"HTTP/1.1 301 Moved Permanently", b"Location: http://127.0.0.1:1/elsewhere/ws\r\n")))
add("h.20", _hs_bad(ans_status(b"HTTP/1.1 404 Not Found", b"", b"404: Not Found")))
add("h.21", _hs_bad(ans_status(b"HTTP/1.1 500 Internal Server Error", b"", b"boom")))
add("h.22", _hs_bad(lambda a: b"HTTP/1.1 1x1 Switching Protocols\r\nUpgrade: websocket\r\n\r\n"))
add("h.23", lambda s: s.refused(lambda a: b"SSH-2.0-OpenSSH_9.2\r\n").shutdown())
add("h.24", lambda s: s.refused(lambda a: b"").shutdown())
add("h.25", lambda s: s.refused(lambda a: b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: webso").shutdown())
add("h.26", lambda s: s.refused(lambda a: b"HTTP/1.1 101 Switching Protocols\r\n")
    .flood(b"X-Endless: " + b"z" * 1000 + b"\r\n", 4 * MiB))
add("h.27", lambda s: s.refused(lambda a: b"HTTP/1.1 101 Switching Protocols\r\nX-Endless: ").flood(b"z" * 1024, 4 * MiB))
add("h.28", lambda s: s.refused(lambda a: b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n").wait_closed(4.0))
add("h.29", _hs_ok(ans_ok, chunk=1, gap=0.0002))
add("h.30", _hs_ok(lambda a: b"HTTP/1.1 100 Continue\r\n\r\n" + ans_ok(a)))
add("h.31", _hs_ok(ans_lines(b"HTTP/1.1 101", b"Upgrade: websocket", b"Connection: Upgrade", b"Sec-WebSocket-Accept: ACCEPT")))


def _sized_answer(total):
    def build(accept):
        base = ans_ok(accept)          # ends with the blank line
        fill = total - len(base) - len(b"X-Fill: \r\n")
        return base[:-2] + b"X-Fill: " + b"f" * fill + b"\r\n\r\n"
    return build


add("h.32", _hs_ok(_sized_answer(16384)))
add("h.33", _hs_bad(_sized_answer(16385)))
add("h.34", _hs_bad(lambda a: ans_ok(a).replace(b"\r\n", b"\n")))


# ---- c.x: client-only framing -------------------------------------------------------------

@case("c.1")
def _(s):   # the first frame in the same TCP write as the 101
    s.glue = frame(OP_TEXT, s.text(SMALL))


@case("c.2")
def _(s):   # 101, three messages and a close, all in one write
    s.glue = frame(OP_TEXT, s.text(SMALL)) + frame(OP_TEXT, s.text(200)) + frame(OP_TEXT, s.text(SMALL)) + close_frame(1000)
    s.final_close = False


@case("c.3")
def _(s):
    s.glue = s.ping(b"glued")


@case("c.4")
def _(s):   # the 101 and the first byte of a frame together, the rest later
    f = frame(OP_TEXT, s.text(SMALL))
    s.glue = f[:1]
    s.sleep(0.05).send(f[1:])


add("c.5", lambda s: s.send(frame(OP_TEXT, s.text(SMALL, deliver=False), mask=b"\x37\xfa\x21\x3d")).failing())
add("c.6", lambda s: s.send(frame(OP_TEXT, s.text(SMALL, deliver=False), mask=b"\x00\x00\x00\x00")).failing())
add("c.7", lambda s: s.send(close_frame(1000, mask=b"\x01\x02\x03\x04")).failing())
add("c.8", lambda s: s.send(frame(OP_PING, b"masked", mask=b"\x01\x02\x03\x04")).failing())
add("c.9", lambda s: s.send(frame(OP_TEXT, b"", length=(1 << 63) | 5, enc=64)).failing())
add("c.10", lambda s: s.send(frame(OP_TEXT, b"", length=0xFFFFFFFFFFFFFFFF, enc=64)).failing())
add("c.11", lambda s: s.send(frame(OP_TEXT, b"hello", enc=16)).failing())
add("c.12", lambda s: s.send(frame(OP_TEXT, b"x" * 200, enc=64)).failing())
add("c.13", lambda s: s.send(frame(OP_TEXT, padding(65535), enc=64)).failing())
add("c.14", lambda s: s.send(frame(OP_PING, b"hello", enc=64)).failing())
add("c.15", lambda s: s.send(frame(OP_TEXT, s.text(SMALL, deliver=False), mask=b"\x37\xfa\x21\x3d"), chunk=1, gap=0.0002).failing())


@case("c.16")
def _(s):   # the 101, a message and the FIN in one segment: the handshake was complete
    s.glue = frame(OP_TEXT, s.text(SMALL))
    s.glue_fin = True
    s.final_close = False


# ---- the server ---------------------------------------------------------------------------

RESULTS = {}        # id -> record (dict)
DONE = {}           # id -> threading.Event
LOCK = threading.Lock()
HANDSHAKE_KEYS = set()


def utf8_ok(b):
    try:
        b.decode("utf-8", "strict")
        return True
    except UnicodeDecodeError:
        return False


def close_code_ok(code):
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


class Connection:
    def __init__(self, sock, cid, script, request, leftover):
        self.sock = sock
        self.cid = cid
        self.s = script
        self.leftover = leftover
        self.send_lock = threading.Lock()
        self.step = -1
        self.closed = threading.Event()         # the client closed or reset the TCP connection
        self.close_seen = threading.Event()     # the client sent a close frame
        self.read_deadline = None
        self.frag = None
        self.mask_keys = set()
        self.rec = {
            "id": cid, "connections": 1, "request_ok": True, "request_errors": [], "request_line": "",
            "frames": [], "close_code": None, "close_step": None, "steps": len(script.steps),
            "client_closed": False, "closed_how": None, "pings_sent": [p.hex() for p in script.pings],
            "pongs": [], "client_pings": 0, "expected": script.expect, "violations": [],
            "peer_forced_close": False, "write_error": None,
        }
        self.check_request(request)

    def check_request(self, request):
        rec = self.rec
        lines = request.split(b"\r\n")
        rec["request_line"] = lines[0].decode("latin-1")
        parts = lines[0].split(b" ")
        errs = rec["request_errors"]
        if len(parts) != 3 or parts[0] != b"GET" or parts[2] != b"HTTP/1.1":
            errs.append("request line")
        hdrs = {}
        for l in lines[1:]:
            if not l:
                continue
            if b":" not in l:
                errs.append("header line without a colon")
                continue
            k, v = l.split(b":", 1)
            k = k.strip().lower()
            if k in hdrs:
                errs.append("duplicate header " + k.decode("latin-1"))
            hdrs[k] = v.strip()
        if b"host" not in hdrs:
            errs.append("no Host")
        if hdrs.get(b"upgrade", b"").lower() != b"websocket":
            errs.append("Upgrade is not websocket")
        if b"upgrade" not in [t.strip().lower() for t in hdrs.get(b"connection", b"").split(b",")]:
            errs.append("Connection has no upgrade token")
        if hdrs.get(b"sec-websocket-version") != b"13":
            errs.append("Sec-WebSocket-Version is not 13")
        key = hdrs.get(b"sec-websocket-key", b"")
        with LOCK:      # RFC 6455 4.1: a new random nonce for every connection
            if key in HANDSHAKE_KEYS:
                errs.append("Sec-WebSocket-Key used before")
            HANDSHAKE_KEYS.add(key)
        try:
            if len(base64.b64decode(key, validate=True)) != 16:
                errs.append("Sec-WebSocket-Key is not 16 bytes")
        except Exception:
            errs.append("Sec-WebSocket-Key is not base64")
        if b"authorization" not in hdrs or not hdrs[b"authorization"].startswith(b"Basic "):
            errs.append("no Basic Authorization")
        rec["request_ok"] = not errs
        self.accept = accept_for(key)

    # -- sending
    def write(self, data, chunk=None, gap=0.0):
        if not data:
            return True
        try:
            with self.send_lock:
                if not chunk:
                    self.sock.sendall(data)
                    return True
            for i in range(0, len(data), chunk):
                with self.send_lock:
                    self.sock.sendall(data[i:i + chunk])
                if gap:
                    time.sleep(gap)
            return True
        except OSError as e:
            if self.rec["write_error"] is None:
                self.rec["write_error"] = "step %d: %s" % (self.step, e.__class__.__name__)
            return False

    def write_fin(self, data):
        cork = getattr(socket, "TCP_CORK", None)
        try:
            with self.send_lock:
                if cork is not None:
                    self.sock.setsockopt(socket.IPPROTO_TCP, cork, 1)
                self.sock.sendall(data)
                self.sock.shutdown(socket.SHUT_WR)
                if cork is not None:
                    self.sock.setsockopt(socket.IPPROTO_TCP, cork, 0)
        except OSError as e:
            if self.rec["write_error"] is None:
                self.rec["write_error"] = "step %d: %s" % (self.step, e.__class__.__name__)

    # -- reading what the client sends
    def violation(self, what):
        if what not in self.rec["violations"]:
            self.rec["violations"].append(what)

    def on_frame(self, fin, rsv, op, masked, payload):
        rec = self.rec
        entry = {"op": op, "fin": fin, "rsv": rsv, "len": len(payload)}
        if len(payload) <= 125:
            entry["hex"] = payload.hex()
        rec["frames"].append(entry)
        if not masked:
            self.violation("unmasked client frame")
        if rsv:
            self.violation("client frame with reserved bits")
        if op in (3, 4, 5, 6, 7) or op >= 11:
            self.violation("client frame with a reserved opcode")
        if op >= 8 and (not fin or len(payload) > 125):
            self.violation("client control frame fragmented or longer than 125")
        if self.close_seen.is_set():
            self.violation("client frame after its close frame")
        if op == OP_CLOSE:
            if len(payload) == 1:
                self.violation("client close with a one-byte payload")
            code = struct.unpack(">H", payload[:2])[0] if len(payload) >= 2 else 1005
            if len(payload) >= 2 and not close_code_ok(code):
                self.violation("client close with an invalid code %d" % code)
            if len(payload) > 2 and not utf8_ok(payload[2:]):
                self.violation("client close reason not UTF-8")
            if rec["close_code"] is None:
                rec["close_code"] = code
                rec["close_step"] = self.step
            self.close_seen.set()
        elif op == OP_PING:
            rec["client_pings"] += 1
            if self.s.answer_pings:
                self.write(frame(OP_PONG, payload))
        elif op == OP_PONG:
            rec["pongs"].append(payload.hex())
        elif op in (OP_TEXT, OP_BINARY):
            if self.frag is not None:
                self.violation("client started a message inside a fragmented one")
            if fin:
                if op == OP_TEXT and not utf8_ok(payload):
                    self.violation("client text not UTF-8")
            else:
                self.frag = [op, payload]
        elif op == OP_CONT:
            if self.frag is None:
                self.violation("client continuation without a message")
            else:
                self.frag[1] += payload
                if fin:
                    if self.frag[0] == OP_TEXT and not utf8_ok(self.frag[1]):
                        self.violation("client text not UTF-8")
                    self.frag = None

    def parse(self, buf):
        pos = 0
        while True:
            if len(buf) - pos < 2:
                break
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            h = pos + 2
            if n == 126:
                if len(buf) - pos < 4:
                    break
                n = struct.unpack(">H", buf[pos + 2:pos + 4])[0]
                h = pos + 4
            elif n == 127:
                if len(buf) - pos < 10:
                    break
                n = struct.unpack(">Q", buf[pos + 2:pos + 10])[0]
                h = pos + 10
            masked = bool(b1 & 0x80)
            key = b""
            if masked:
                if len(buf) - h < 4:
                    break
                key = bytes(buf[h:h + 4])
                h += 4
            if len(buf) - h < n:
                break
            if masked:      # RFC 6455 5.3: a fresh, unpredictable key for every frame
                if key in self.mask_keys:
                    self.violation("client reused a masking key")
                self.mask_keys.add(key)
            payload = bytes(buf[h:h + n])
            if masked:
                payload = bytes(c ^ key[i & 3] for i, c in enumerate(payload))
            self.on_frame(b0 >> 7, (b0 >> 4) & 7, b0 & 0x0F, masked, payload)
            pos = h + n
        return buf[pos:]

    def reader(self):
        buf = bytearray(self.leftover)
        hard = time.monotonic() + 60.0
        while True:
            buf = bytearray(self.parse(buf))
            now = time.monotonic()
            if (self.read_deadline is not None and now >= self.read_deadline) or now >= hard:
                self.rec["closed_how"] = "timeout"
                break
            try:
                r, _, _ = select.select([self.sock], [], [], 0.05)
                if not r:
                    continue
                data = self.sock.recv(65536)
            except ConnectionResetError:
                self.rec["closed_how"] = "reset"
                break
            except OSError as e:
                self.rec["closed_how"] = "error " + e.__class__.__name__
                break
            if not data:
                self.rec["closed_how"] = "eof"
                break
            buf += data
        if self.rec["closed_how"] in ("eof", "reset"):
            self.rec["client_closed"] = True
        self.closed.set()

    def wait_closed(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if self.closed.is_set() or self.close_seen.is_set():
                return True
            time.sleep(0.005)
        return False

    # -- the script
    def run(self):
        s = self.s
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass
        t = threading.Thread(target=self.reader, daemon=True)
        t.start()
        answer = s.answer(self.accept)
        if s.glue_fin:
            self.write_fin(answer + s.glue)
        elif s.answer_chunk:
            self.write(answer, s.answer_chunk, s.answer_gap)
            self.write(s.glue)
        else:
            self.write(answer + s.glue)
        for i, st in enumerate(s.steps):
            self.step = i
            kind = st[0]
            if kind == "send":
                if not self.write(st[1], st[2], st[3]):
                    break
            elif kind == "sleep":
                time.sleep(st[1])
            elif kind == "wait_closed":
                self.wait_closed(st[1])
            elif kind == "send_fin":
                self.write_fin(st[1])
            elif kind == "shutdown":
                try:
                    self.sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
            elif kind == "flood":
                sent = 0
                while sent < st[2] and not self.closed.is_set():
                    if not self.write(st[1]):
                        break
                    sent += len(st[1])
        self.step = len(s.steps)
        if s.final_close:
            self.write(close_frame(1000, b"end of case"))
        elif s.fails and s.hs_ok:
            if not self.wait_closed(2.0):
                self.rec["peer_forced_close"] = True
                self.write(close_frame(1000, b"you should have failed"))
        self.read_deadline = time.monotonic() + s.wait
        t.join()
        try:
            self.sock.close()
        except OSError:
            pass


def respond(sock, status, body, ctype=b"application/json"):
    head = (b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
            + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n")
    try:
        sock.sendall(head + body)
    except OSError:
        pass


def read_request(sock):
    buf = b""
    sock.settimeout(10.0)
    while b"\r\n\r\n" not in buf:
        try:
            d = sock.recv(4096)
        except OSError:
            return None, b""
        if not d:
            return None, b""
        buf += d
        if len(buf) > 65536:
            return None, b""
    i = buf.index(b"\r\n\r\n")
    return buf[:i], buf[i + 4:]


def serve(sock):
    try:
        req, rest = read_request(sock)
        if req is None:
            sock.close()
            return
        line = req.split(b"\r\n", 1)[0].split(b" ")
        path = line[1].decode("latin-1") if len(line) > 1 else ""
        if path == "/cases":
            respond(sock, b"200 OK", json.dumps(ORDER).encode())
        elif path.startswith("/result/"):
            cid = path[len("/result/"):]
            with LOCK:
                ev = DONE.get(cid)
            if ev is None:
                respond(sock, b"404 Not Found", b'{"error":"no connection for this case"}')
            else:
                ev.wait(20.0)
                with LOCK:
                    body = json.dumps(RESULTS[cid]).encode()
                respond(sock, b"200 OK", body)
        elif path.startswith("/case/") and path.endswith("/ws") and path[6:-3] in CASES:
            cid = path[6:-3]
            script = Script()
            CASES[cid](script)
            conn = Connection(sock, cid, script, req, rest)
            with LOCK:
                n = RESULTS[cid]["connections"] + 1 if cid in RESULTS else 1
                conn.rec["connections"] = n
                RESULTS[cid] = conn.rec
                DONE[cid] = threading.Event()
                ev = DONE[cid]
            sock.settimeout(10.0)
            try:
                conn.run()
            finally:
                ev.set()
            return
        else:
            respond(sock, b"404 Not Found", b"not found", b"text/plain")
    except Exception as e:  # a bug here must not kill the peer
        sys.stderr.write("ws_peer: %s: %r\n" % (e.__class__.__name__, e))
    try:
        sock.close()
    except OSError:
        pass


def main():
    p = argparse.ArgumentParser(description="hostile RFC 6455 test peer")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--list", action="store_true", help="print the case IDs and exit")
    a = p.parse_args()
    if a.list:
        print("\n".join(ORDER))
        return
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((a.host, a.port))
    srv.listen(128)
    print("PORT %d" % srv.getsockname()[1], flush=True)
    while True:
        c, _ = srv.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
