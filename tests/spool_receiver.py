#!/usr/bin/python3
"""spool_receiver.py - a webhook receiver for tests/test_spool.sh (standard library only).

    /usr/bin/python3 spool_receiver.py LOG SEED [SECRET_FILE] [HANG_S] [hang]

Listens on 127.0.0.1 (kernel-chosen port; prints "PORT n" once listening). Each POST body is
one event; its X-Bitcart-Event-Id header must match the body's "id", and with SECRET_FILE its
X-Bitcart-Signature must be the body's HMAC-SHA256. Seeded misbehaviour per request: 10% answer
500 without logging, 5% log and then answer 500 (the sender retries: a duplicate), 1% hang
for HANG_S seconds (past the sender's timeout) and then log and answer 200 (a late duplicate);
the rest log and answer 200. Bad ids or signatures are logged to LOG.bad. With "hang" every
request is noted in LOG.got on arrival, then hangs HANG_S; with "ok" every request is logged and
answered 200. $SPOOL_RECEIVER_TLS=CERT:KEY serves HTTPS. SIGTERM: exit 0.
"""
import hashlib
import hmac
import http.server
import json
import os
import random
import signal
import ssl
import sys
import threading
import time

LOG, SEED = sys.argv[1], int(sys.argv[2])
SECRET = open(sys.argv[3], "rb").readline().rstrip(b"\r\n") if len(sys.argv) > 3 and sys.argv[3] else None
HANG_S = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
ALWAYS_HANG = len(sys.argv) > 5 and sys.argv[5] == "hang"
ALWAYS_OK = len(sys.argv) > 5 and sys.argv[5] == "ok"   # log and answer 200, every time
TLS = os.environ.get("SPOOL_RECEIVER_TLS")             # "CERT:KEY": serve HTTPS with them
RNG = random.Random(SEED)
LOCK = threading.Lock()


def log(path, text):
    with LOCK:
        with open(path, "a") as f:
            f.write(text + "\n")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, code):
        body = b"{}"
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        try:
            event = json.loads(body)
            ok = event["id"] == self.headers.get("X-Bitcart-Event-Id") and body.endswith(b"}")
        except (ValueError, KeyError, TypeError):
            ok = False
        if SECRET is not None:
            want = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
            ok = ok and hmac.compare_digest(want, self.headers.get("X-Bitcart-Signature", ""))
        if not ok:
            log(LOG + ".bad", body.decode("utf-8", "replace"))
            return self.answer(400)
        if ALWAYS_HANG:
            log(LOG + ".got", body.decode("utf-8", "replace"))
            time.sleep(HANG_S)
            return self.answer(200)
        if ALWAYS_OK:
            log(LOG, body.decode("utf-8"))
            return self.answer(200)
        with LOCK:
            r = RNG.random()
        line = body.decode("utf-8")
        if r < 0.10:
            return self.answer(500)
        if r < 0.15:
            log(LOG, line)
            return self.answer(500)
        if r < 0.16:
            time.sleep(HANG_S)
            log(LOG, line)
            return self.answer(200)
        log(LOG, line)
        self.answer(200)


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if TLS:
        cert, key = TLS.split(":", 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
