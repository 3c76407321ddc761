#!/usr/bin/python3
"""tests/fuzz/make_seeds.py: writes the seed corpora of the fuzz targets into
tests/fuzz/corpus/<target>/ (each directory is emptied and written again). Small, meaningful
inputs, valid and invalid, in each target's input format (see the comment at the top of each
fuzz_*.c). Run from anywhere:  /usr/bin/python3 tests/fuzz/make_seeds.py [TARGET...]
(only the targets named, e.g. cert; all when none)."""
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")


def write(target, seeds):
    d = os.path.join(CORPUS, target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for name, data in seeds:
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)


# ---- JSON documents ------------------------------------------------------------------------

UPDATES = (b'[{"event":"new_payment","address":"bc1qxyz","status":3,"sent_amount":"0.0015",'
           b'"details":{"tx_hashes":["ab12"],"height":800000}},'
           b'{"event":"new_transaction","tx":"f00d","tx_hashes":["f00d"]},'
           b'{"event":"new_block","height":812345},'
           b'{"event":"verified_tx","tx":"f00d","height":812345},'
           b'{"event":"bogus"},{"no_event":1},1,"x",null,[]]')

JSON = [
    ("updates", UPDATES),
    ("empty_array", "[]"),
    ("scalars", ' [true, false, null, 0, -0, 1.5e-3, 12E+2, -9223372036854775808, 9223372036854775808] '),
    ("escapes", r'{"a\u00e9\"\\\/\b\f\n\r\t":"\ud83d\ude00 x","k":"\u0000end","ev\u0065nt":"new_block"}'),
    ("duplicate_keys", '{"a":1,"a":2,"b":{"a":[1,{"a":null}]}}'),
    ("utf8_raw", '["h\u00e9llo \u20ac \U0001f600"]'),
    ("deep_64", "[" * 64 + "]" * 64),
    ("deep_65", "[" * 65 + "]" * 65),
    ("bad_trailing_comma", "[1,2,]"),
    ("bad_leading_zero", "[01]"),
    ("bad_lone_surrogate", '["\\ud800"]'),
    ("bad_utf8", b'["\xc0\xaf"]'),
    ("bad_control", '["a\tb"]'),
    ("bad_after_value", "{} {}"),
    ("bad_literal", "[nul]"),
    ("bad_number", "[-, 1., .5, 1e]"),
]

# ---- updates: 5 header bytes + JSON --------------------------------------------------------


def upd(b0, b1, b2, b3, b4, doc):
    if isinstance(doc, str):
        doc = doc.encode()
    return bytes([b0, b1, b2, b3, b4]) + doc


UPD = [
    ("btc_all_handlers", upd(0x00, 0x05, 0xFF, 0x02, 0, UPDATES)),
    ("eth_token_wallet", upd(0x22, 0x0A | 0x10, 0x3F, 0x03, 0, UPDATES)),
    ("xmr_viewkey", upd(0x99, 0x0F, 0xF6, 0x00, 0, UPDATES)),
    ("route_unsupported", upd(0xC1, 0x01, 0xFF, 0x01, 0, UPDATES)),
    ("route_lowercase_null", upd(0xB0, 0x00, 0xF0, 0x02, 0, '[{"event":"new_block","height":1}]')),
    ("small_token_limit", upd(0x00, 0x05, 0xFF, 0x04, 3, UPDATES)),
    ("small_depth", upd(0x00, 0x05, 0xFF, 0x10, 1, UPDATES)),
    ("failing_allocator", upd(0x00, 0x15, 0xFF, 0x08, 7, UPDATES)),
    ("not_a_list", upd(0x00, 0x01, 0xFF, 0x00, 0, '{"event":"new_block"}')),
    ("escaped_event", upd(0x00, 0x01, 0xFF, 0x03, 0,
                          r'[{"ev\u0065nt":"new_\u0062lock","height":"\u00e9"},{"event":"new_block","event":"x"}]')),
    ("invalid", upd(0x00, 0x01, 0xFF, 0x00, 0, '[{"event":"new_block",}]')),
]

# ---- HTTP responses: 4 header bytes + the response ------------------------------------------

CL = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n{"result":[],"id":1,"x":0}\n'
CHUNKED = (b'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nConnection: keep-alive\r\n\r\n'
           b'5\r\nhello\r\n1A;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Trailer: 1\r\n\r\n')

HTTP = [
    ("content_length", bytes([255, 255, 0x00, 1]) + CL),
    ("chunked", bytes([255, 255, 0x04, 2]) + CHUNKED),
    ("chunked_whole", bytes([255, 255, 0x00, 0]) + CHUNKED),
    ("interim_100", bytes([255, 255, 0x08, 3]) + b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" + CL),
    ("until_close", bytes([255, 255, 0x0C, 4]) + b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody until the end"),
    ("no_content", bytes([255, 255, 0x00, 5]) + b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"),
    ("upgrade_101", bytes([255, 255, 0x01, 6]) + b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x02hi"),
    ("small_limits", bytes([2, 1, 0x10, 7]) + CHUNKED),
    ("no_eof", bytes([255, 255, 0x02, 8]) + b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
    ("bad_status", bytes([255, 255, 0x00, 9]) + b"HTTP/2 200 OK\r\n\r\n"),
    ("bad_folded", bytes([255, 255, 0x00, 10]) + b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\nContent-Length: 0\r\n\r\n"),
    ("bad_two_lengths", bytes([255, 255, 0x00, 11]) + b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"),
    ("bad_chunk_size", bytes([255, 255, 0x00, 12]) + b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
    ("huge_chunk", bytes([255, 255, 0x00, 13]) + b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n"),
    ("bare_lf", bytes([255, 255, 0x00, 14]) + b"HTTP/1.1 200 OK\nContent-Length: 0\n\n"),
]

# ---- websocket frames -----------------------------------------------------------------------


def frame(op, payload=b"", fin=True, rsv=0, mask=False, ext=None):
    if isinstance(payload, str):
        payload = payload.encode()
    b = bytes([(0x80 if fin else 0) | rsv | op])
    n = len(payload)
    m = 0x80 if mask else 0
    if ext == 127 or n > 0xFFFF:
        b += bytes([m | 127]) + n.to_bytes(8, "big")
    elif ext == 126 or n >= 126:
        b += bytes([m | 126]) + n.to_bytes(2, "big")
    else:
        b += bytes([m | n])
    if mask:
        b += b"\x00\x00\x00\x00"
    return b + payload


def ws_msg(updates, wallet="xpubA", currency="BTC"):
    w = "null" if wallet is None else '"%s"' % wallet
    return ('{"updates":%s,"wallet":%s,"currency":"%s"}' % (updates, w, currency)).encode()


TX = '[{"event":"new_transaction","tx":"ab12","tx_hashes":["ab12"]},{"event":"new_block","height":5}]'
PAY = '[{"event":"new_payment","address":"bc1q","status":3,"sent_amount":"1.5"}]'
MSG = ws_msg(TX)


def wsf(b0, b1, b2, b3, stream):
    return bytes([b0, b1, b2, b3]) + stream


WS = [
    ("text", wsf(255, 0x20, 1, 2, frame(1, MSG) + frame(1, ws_msg(PAY)))),
    ("fragmented_ping", wsf(255, 0x20, 3, 4, frame(1, MSG[:20], fin=False) + frame(9, "p")
                            + frame(0, MSG[20:50], fin=False) + frame(0, MSG[50:]) + frame(10, "q"))),
    ("close_reason", wsf(255, 0x00, 5, 6, frame(1, MSG) + frame(8, b"\x03\xe8going away") + frame(1, MSG))),
    ("close_empty", wsf(255, 0x10, 5, 7, frame(8) + frame(1, MSG))),
    ("manager_routing", wsf(255, 0x22, 7, 8, frame(1, MSG) + frame(1, ws_msg(TX, "xpubL", "LTC"))
                            + frame(1, ws_msg(TX, None, "DOGE")) + frame(1, ws_msg(PAY, "other", "btc")))),
    ("len126", wsf(255, 0x20, 9, 10, frame(1, ws_msg(TX * 0 + "[" + ",".join(['{"event":"new_block","height":%d}' % i for i in range(8)]) + "]"), ext=126))),
    ("binary_pong", wsf(255, 0x00, 11, 12, frame(2, b"\x00\x01\x02") + frame(10) + frame(1, MSG))),
    ("bad_rsv", wsf(255, 0x00, 13, 14, frame(1, MSG, rsv=0x40))),
    ("bad_masked", wsf(255, 0x00, 15, 16, frame(1, "x", mask=True))),
    ("bad_utf8", wsf(255, 0x00, 17, 18, frame(1, b"\xed\xa0\x80") + frame(1, MSG))),
    ("bad_close_code", wsf(255, 0x00, 19, 20, frame(8, b"\x03\xed"))),
    ("bad_ping_fragmented", wsf(255, 0x00, 21, 22, frame(9, "x", fin=False))),
    ("bad_continuation", wsf(255, 0x00, 23, 24, frame(0, "x"))),
    ("bad_len127_small", wsf(255, 0x00, 25, 26, frame(1, "abc", ext=127))),
    ("too_big", wsf(3, 0x00, 27, 28, frame(1, MSG) + frame(1, MSG))),
    ("peer_never_reads", wsf(255, 0x04, 29, 30, b"".join(frame(9, "ping%d" % i) for i in range(40)))),
    ("stop_in_handler", wsf(255, 0xA0, 31, 32, frame(1, MSG) + frame(1, MSG) + frame(1, MSG))),
    ("not_json", wsf(255, 0x01, 33, 34, frame(1, "not json") + frame(1, '{"updates":1}') + frame(1, MSG))),
]

# ---- handshake answers ----------------------------------------------------------------------

OK101 = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
         b"Sec-WebSocket-Accept: {ACCEPT}\r\n\r\n")
AUTH_BODY = b'{"jsonrpc":"2.0","error":{"code":-32600,"message":"Unauthorized"},"id":null}'


def hs(b0, b1, b2, b3, answer):
    return bytes([b0, b1, b2, b3]) + answer


HS = [
    ("ok_then_frames", hs(0x02, 1, 2, 0, OK101 + frame(1, MSG) + frame(8, b"\x03\xe8"))),
    ("ok_manager", hs(0x0A, 3, 4, 0, OK101 + frame(1, MSG))),
    ("ok_quiet", hs(0x00, 5, 6, 0, OK101)),
    ("interim_then_ok", hs(0x02, 7, 8, 0, b"HTTP/1.1 100 Continue\r\n\r\n" + OK101)),
    ("wrong_accept", hs(0x02, 9, 10, 0, OK101.replace(b"{ACCEPT}", b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))),
    ("no_upgrade", hs(0x02, 11, 12, 0, b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n")),
    ("extension", hs(0x02, 13, 14, 0, OK101[:-2] + b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n")),
    ("auth_200", hs(0x02, 15, 16, 0, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(AUTH_BODY) + AUTH_BODY)),
    ("auth_until_close", hs(0x02, 17, 18, 0, b"HTTP/1.0 200 OK\r\n\r\n" + AUTH_BODY)),
    ("unauthorized_401", hs(0x06, 19, 20, 0, b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")),
    ("redirect", hs(0x02, 21, 22, 0, b"HTTP/1.1 301 Moved\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n")),
    ("truncated", hs(0x06, 23, 24, 0, OK101[:40])),
    ("timeout", hs(0x10, 25, 26, 0, b"HTTP/1.1 101 ")),
    ("small_header_limit", hs(0x02, 27, 28, 1, OK101[:-2] + b"X-Pad: " + b"p" * 120 + b"\r\n\r\n")),
    ("blocked_sends", hs(0x22, 29, 30, 0, OK101 + frame(9, "x"))),
]

# ---- URLs -----------------------------------------------------------------------------------

URL = [
    ("localhost", "http://localhost:5000"),
    ("ipv4_path", "http://127.0.0.1:5000/bitcart/btc/"),
    ("ipv6", "http://[::1]:5001"),
    ("https_default_port", "https://daemon.example.com/api"),
    ("no_port", "http://example.com"),
    ("long_path", "http://h/" + "p" * 300),
    ("bad_scheme", "ftp://example.com"),
    ("bad_credentials", "http://user:pw@example.com"),
    ("bad_port", "http://example.com:65536"),
    ("bad_ipv6", "http://[::1:5000"),
    ("bad_query", "http://example.com/a?b=c"),
    ("bad_host_char", "http://exa_mple.com/"),
]

# ---- sessions -------------------------------------------------------------------------------

SEP = b"\n--\n"


def rpc_answer(result, chunked=False, status=b"200 OK"):
    # "{ID}" becomes the call id padded to 4 bytes: lengths computed with the marker hold
    body = b'{"jsonrpc":"2.0","result":' + result + b',"id":{ID}}'
    if chunked:
        half = len(body) // 2
        return (b"HTTP/1.1 " + status + b"\r\nTransfer-Encoding: chunked\r\n\r\n"
                + b"%x\r\n" % half + body[:half] + b"\r\n" + b"%x\r\n" % (len(body) - half) + body[half:]
                + b"\r\n0\r\n\r\n")
    return b"HTTP/1.1 " + status + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def session(b0, b1, b2, b3, chunks):
    return bytes([b0, b1, b2, b3]) + SEP.join(chunks)


TXR = b'[{"event":"new_transaction","tx":"ab12","tx_hashes":["ab12"]},{"event":"new_block","height":5}]'
SESSION = [
    ("coin_full", session(0x00, 0, 0, 0xF3, [
        b"w" + OK101, b"w" + frame(1, MSG), b"r" + rpc_answer(TXR), b"w" + frame(9, "hi"),
        b"t16000", b"w" + frame(10, "pong"), b"w" + frame(1, ws_msg(PAY)), b"w" + frame(8, b"\x03\xe8")])),
    ("coin_reconnect", session(0x04, 0, 5, 0xF3, [
        b"w" + OK101, b"w" + frame(1, MSG), b"x", b"t500", b"w" + OK101, b"r" + rpc_answer(TXR, chunked=True),
        b"w" + frame(1, MSG)])),
    ("coin_auth", session(0x00, 0, 0, 0xF3, [
        b"w" + b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(AUTH_BODY) + AUTH_BODY])),
    ("coin_rpc_auth", session(0x00, 1, 0, 0xF3, [
        b"w" + OK101, b"r" + b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(AUTH_BODY) + AUTH_BODY])),
    ("coin_no_wallet", session(0x40, 2, 0, 0xF3, [b"w" + OK101, b"w" + frame(1, ws_msg(TX, None))])),
    ("coin_failures", session(0x24, 3, 1, 0xF3, [
        b"o", b"t1000", b"w" + b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n", b"t3000", b"s",
        b"w" + OK101, b"b", b"w" + frame(1, MSG), b"a", b"r" + rpc_answer(b"[]", status=b"500 Oops")])),
    ("manager_two", session(0x02, 1, 0, 0xF3, [
        b"w" + OK101, b"v" + OK101, b"w" + frame(1, MSG), b"v" + frame(1, ws_msg(TX, "xpubC", "LTC")),
        b"r" + rpc_answer(TXR), b"q" + rpc_answer(b"[]"), b"r" + rpc_answer(TXR), b"v" + frame(1, ws_msg(PAY, "xpubC", "LTC"))])),
    ("manager_stop", session(0x82, 8, 2, 0xF3, [
        b"w" + OK101, b"v" + OK101] + [b"w" + frame(1, MSG), b"v" + frame(1, ws_msg(TX, None, "GRS"))] * 3)),
    ("pong_timeout", session(0x10, 0, 3, 0xF3, [b"w" + OK101, b"t400", b"t900", b"w" + frame(1, MSG)])),
    ("coin_polling", session(0x00, 0x80, 10, 0xF3, [
        b"r" + rpc_answer(TXR), b"t300", b"r" + rpc_answer(TXR, chunked=True), b"x",
        b"r" + rpc_answer(b"[]", status=b"503 Busy"), b"r" + b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(AUTH_BODY) + AUTH_BODY])),
    ("manager_polling", session(0x02, 0x81, 5, 0xF3, [
        b"r" + rpc_answer(TXR), b"r" + rpc_answer(b'[{"event":"new_payment","status":3}]'), b"q" + rpc_answer(TXR),
        b"e", b"r" + rpc_answer(TXR)])),
]


# [1] bit 6: max_json_tokens = 1 + [2] % 32 (here 5: an answer of 96 bytes or more is read by its
# members, the error object tokenized alone, a get_updates result one update at a time)
def http_ok(body):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body


BLOCKS = b'[' + b','.join(b'{"event":"new_block","height":%d}' % h for h in range(1, 6)) + b']'
PAD = b',"pad":"' + b"x" * 80 + b'"'
SESSION += [
    ("members_polling", session(0x00, 0xC0, 36, 0xF3, [
        b"r" + rpc_answer(BLOCKS), b"t2000", b"r" + rpc_answer(TXR), b"t2000",
        b"r" + rpc_answer(b'[{"event":"new_block","height":{"deep":[[[1]]]}},{"event":"new_block","height":9}]')])),
    ("members_error", session(0x01, 0xC0, 36, 0xF3, [
        b"r" + http_ok(b'{"jsonrpc":"2.0","error":{"code":-32000,"message":"b\\u00e9ad \\"x\\"\\n\\ud83d\\ude00",'
                       b'"data":{"a":[1,2,3]}},"id":{ID}' + PAD + b'}'),
        b"t2000", b"r" + http_ok(b'{"error":{"code":1,"message":"a","x":[1,2,3,4,5,6,7,8]},"id":{ID}' + PAD + b'}'),
        b"t2000", b"r" + http_ok(b'{"error":null,"result":' + BLOCKS + b',"id":{ID}}'),
        b"t2000", b"r" + http_ok(b'{"error":{"code":-32600,"message":"' + b"m" * 300 + b'"},"id":{ID}}')])),
    ("members_escaped_keys", session(0x00, 0xC0, 36, 0xF3, [
        b"r" + http_ok(b'{"\\u0072esult":' + BLOCKS + b',"\\u0069d":{ID}' + PAD + b'}'),
        b"t2000", b"r" + http_ok(b'{"res\\u0075lt":' + BLOCKS + b',"i\\u0064":{ID},"\\u0065rror":{"code":5,"\\u006dessage":"m"}}')])),
    ("members_duplicate_keys", session(0x00, 0xC0, 36, 0xF3, [
        b"r" + http_ok(b'{"id":{ID},"id":77,"result":' + BLOCKS + b',"result":[]}'),
        b"t2000", b"r" + http_ok(b'{"id":77,"id":{ID},"result":' + BLOCKS + b'}'),
        b"t2000", b"r" + http_ok(b'{"error":null,"error":{"code":2,"message":"second"},"id":{ID},"result":' + BLOCKS + b'}')])),
    ("members_wrong_id", session(0x00, 0xC0, 36, 0xF3, [
        b"r" + http_ok(b'{"result":' + BLOCKS + b',"id":"{ID}"}'),
        b"t2000", b"r" + http_ok(b'{"result":' + BLOCKS + b',"id":{ID}.0}'),
        b"t2000", b"r" + http_ok(b'{"result":' + BLOCKS + b',"id":-1}'),
        b"t2000", b"r" + http_ok(b'{"result":' + BLOCKS + b'}'),
        b"t2000", b"r" + http_ok(b'{"id":{ID}' + PAD + b'}'),
        b"t2000", b"r" + http_ok(b'[{"result":' + BLOCKS + b',"id":{ID}}]')])),
    ("members_truncated", session(0x20, 0xC0, 36, 0xF3, [
        b"r" + http_ok(b'{"result":' + BLOCKS[:-20]),
        b"t2000", b"r" + http_ok(b'{"result":' + BLOCKS + b',"id":{ID}' + PAD + b'}\x00'),
        b"t2000", b"r" + http_ok(b'{"result":' + BLOCKS + b',"id":{ID},"pad":"\x00' + b"x" * 80 + b'"}'),
        b"t2000", b"r" + http_ok(b'{"result":' + b"[" * 70 + b"]" * 70 + b',"id":{ID}' + PAD + b'}'),
        b"t2000", b"r" + b"HTTP/1.1 200 OK\r\nContent-Length: 400\r\n\r\n" + b'{"result":' + BLOCKS, b"e"])),
    ("members_websocket", session(0x00, 0x40, 36, 0xF3, [
        b"w" + OK101, b"w" + frame(1, MSG), b"r" + rpc_answer(BLOCKS), b"w" + frame(1, MSG),
        b"r" + http_ok(b'{"error":{"code":-32600,"message":"unauthorized"},"id":{ID}' + PAD + b'}')])),
    ("members_manager", session(0x02, 0xC1, 36, 0xF3, [
        b"r" + rpc_answer(BLOCKS), b"q" + rpc_answer(BLOCKS), b"r" + http_ok(b'{"error":{"code":3,"message":"x"},"id":{ID}' + PAD + b'}'),
        b"q" + rpc_answer(TXR)])),
]


# ---- cert: a DER certificate, then optionally a host string --------------------------------
# Built byte by byte (no signing needed: the target parses, it does not check signatures), on
# the P-256 generator point as the public key, so that the seeds are the same on every run.


def der(tag, content):
    n = len(content)
    if n < 0x80:
        head = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, "big")
        head = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + head + content


def dseq(*items):
    return der(0x30, b"".join(items))


def doid(b):
    return der(0x06, b)


def dname(cn):
    return dseq(der(0x31, dseq(doid(b"\x55\x04\x03"), der(0x0C, cn.encode()))))


def ext(oid, value, critical=False):
    return dseq(doid(oid), der(0x01, b"\xff") if critical else b"", der(0x04, value))


def ipv4(a):
    return bytes(int(x) for x in a.split("."))


def san(*names):    # (tag, value): 0x82 dNSName, 0x87 iPAddress, ...
    return ext(b"\x55\x1d\x11", dseq(*[der(t, v) for t, v in names]))


ECDSA_SHA256 = dseq(doid(b"\x2a\x86\x48\xce\x3d\x04\x03\x02"))
P256_G = bytes.fromhex("046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                       "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5")
SPKI = dseq(dseq(doid(b"\x2a\x86\x48\xce\x3d\x02\x01"), doid(b"\x2a\x86\x48\xce\x3d\x03\x01\x07")),
            der(0x03, b"\x00" + P256_G))
BASIC = ext(b"\x55\x1d\x13", dseq())                       # basicConstraints: not a CA
UNKNOWN1 = b"\x2b\x06\x01\x04\x01\x83\xb2\x03\x01"              # 1.3.6.1.4.1.55555.1
UNKNOWN2 = b"\x2b\x06\x01\x04\x01\x83\xb2\x03\x02"              # 1.3.6.1.4.1.55555.2


def cert(cn, exts, issuer="bitcart_events test CA", host=b""):
    tbs = dseq(der(0xA0, der(0x02, b"\x02")), der(0x02, b"\x10\x01"), ECDSA_SHA256, dname(issuer),
               dseq(der(0x17, b"250101000000Z"), der(0x17, b"491231235959Z")), dname(cn), SPKI,
               *([der(0xA3, dseq(*exts))] if exts else []))
    sig = dseq(der(0x02, b"\x01" * 32), der(0x02, b"\x02" * 32))
    return dseq(tbs, ECDSA_SHA256, der(0x03, b"\x00" + sig)) + host


V6_LOOP = bytes(15) + b"\x01"
NORMAL = [BASIC, san((0x82, b"localhost"), (0x87, ipv4("127.0.0.1")), (0x87, V6_LOOP))]
CERT = [
    ("normal", cert("localhost", NORMAL)),
    ("normal_host_ipv4", cert("localhost", NORMAL, host=b"127.0.0.1")),
    ("normal_host_ipv6_long", cert("localhost", NORMAL, host=b"0:0:0:0:0:0:0:1")),
    ("normal_host_name", cert("localhost", NORMAL, host=b"localhost")),
    ("normal_host_other_ip", cert("localhost", NORMAL, host=b"10.9.9.9")),
    # issue 13 finding 3: the last extension's value runs a byte-searching walker off the end
    ("overread_self_signed", cert("overread", [BASIC, ext(UNKNOWN1, bytes.fromhex("0603551d110401307f"))],
                                  issuer="overread", host=b"127.0.0.1")),
    # issue 13 finding 4: SAN-shaped bytes naming 127.0.0.1 in another extension; the real SAN
    # names only 10.9.9.9
    ("decoy", cert("decoy", [BASIC, ext(UNKNOWN2, bytes.fromhex("0603551d110408300687047f000001")),
                             san((0x87, ipv4("10.9.9.9")))], host=b"127.0.0.1")),
    ("ipv6", cert("v6", [san((0x87, bytes.fromhex("20010db8000000000000000000000001")), (0x87, V6_LOOP),
                             (0x82, b"example.org"))], host=b"::1")),
    ("ipv4_mapped", cert("mapped", [san((0x87, bytes(10) + b"\xff\xff" + ipv4("127.0.0.1")))], host=b"127.0.0.1")),
    ("cn_is_ip", cert("127.0.0.1", [BASIC], host=b"127.0.0.1")),
    ("dns_is_ip", cert("dnsip", [san((0x82, b"127.0.0.1"))], host=b"127.0.0.1")),
    ("no_extensions", cert("plain", [], host=b"127.0.0.1")),
    ("san_critical_mixed", cert("mixed", [ext(b"\x55\x1d\x11", dseq(
        der(0xA0, doid(b"\x2b\x06\x01\x05\x05\x07\x08\x04") + der(0xA0, dseq(doid(b"\x2b\x06\x01"), der(0x04, b"hw")))),
        der(0x81, b"a@example.org"), der(0xA4, dname("dir")), der(0x86, b"https://example.org/"),
        der(0x88, b"\x2b\x06\x01"), der(0x87, ipv4("127.0.0.1") + ipv4("255.255.255.0")),
        der(0x87, b""), der(0x87, ipv4("127.0.0.1") + b"\x00"), der(0x87, ipv4("127.0.0.2")),
        der(0x82, b"*.example.org")), critical=True)], host=b"127.0.0.2")),
    ("san_duplicate", cert("dup", [san((0x87, ipv4("127.0.0.1"))), san((0x87, ipv4("127.0.0.1")))])),
    ("san_empty", cert("empty", [san()], host=b"127.0.0.1")),
]


def ext_only(exts, host=b""):   # the target's second form: extensions for its fixed certificate
    e = b"".join(exts)
    return b"\x01" + len(e).to_bytes(2, "big") + e + host


CERT += [
    ("ext_normal", ext_only(NORMAL, b"::1")),
    ("ext_overread", ext_only([BASIC, ext(UNKNOWN1, bytes.fromhex("0603551d110401307f"))], b"127.0.0.1")),
    ("ext_decoy", ext_only([ext(UNKNOWN2, bytes.fromhex("0603551d110408300687047f000001")),
                            san((0x87, ipv4("10.9.9.9")))], b"127.0.0.1")),
    ("ext_ipv6_many", ext_only([san(*[(0x87, bytes(15) + bytes([i])) for i in range(1, 9)])], b"::8")),
    ("ext_ipv4_100", ext_only([san(*[(0x87, bytes([10, 0, 0, i])) for i in range(1, 101)])], b"10.0.0.100")),
]


def main():
    # The targets named on the command line, all when none. Rewriting a corpus drops what was
    # added to it by other means (corpus/json holds inputs the fuzzer found): name yours.
    only = sys.argv[1:]
    seeds = [("json", JSON), ("updates", UPD), ("http", HTTP), ("ws_frames", WS),
             ("handshake", HS), ("url", URL), ("session", SESSION), ("cert", CERT)]
    for target, inputs in seeds:
        if not only or target in only:
            write(target, inputs)
    total = 0
    for root, _, files in os.walk(CORPUS):
        for f in files:
            total += os.path.getsize(os.path.join(root, f))
    print("seeds written to %s: %d bytes" % (CORPUS, total))


if __name__ == "__main__":
    main()
