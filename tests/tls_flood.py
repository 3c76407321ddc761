#!/usr/bin/python3
"""tls_flood.py - a hostile "TLS server" for the bitcart_events.h time-bound tests (issue 13).

Standard library only, raw sockets, one thread per connection. Run it with /usr/bin/python3:

    /usr/bin/python3 tests/tls_flood.py [--port 0] [--announce]

Once listening on 127.0.0.1 it prints "PORT <n>" on stdout (as the fake daemons do). It reads
the client's first flight (the ClientHello) and answers with an endless stream of TLS warning
alerts, the 7-byte plaintext record 15 03 03 00 02 01 70 (level warning, unrecognized_name),
legal before the ServerHello. mbedTLS ignores each one and reads the next record: a client
that reads for as long as the socket has bytes never comes back. A flood lasts at most CAP_S
seconds, then the connection is closed. With --announce it prints "FLOOD <n>" once the n-th
flood has sent 7 MiB (more than socket buffers hold: the client is reading it). SIGTERM: exit.
"""
import argparse
import signal
import socket
import sys
import threading
import time

CAP_S = 5.0
floods = 0
lock = threading.Lock()
announce = False
ALERT = bytes([0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x70])
BLOB = ALERT * 4096


def serve(sock):
    try:
        sock.settimeout(CAP_S)
        if not sock.recv(4096):
            return
        global floods
        end = time.monotonic() + CAP_S
        sent = 0
        while time.monotonic() < end:
            sock.sendall(BLOB)
            sent += len(BLOB)
            if sent == len(BLOB) * 256:     # 7 MiB: more than socket buffers hold, so the
                with lock:                  # client is reading the flood
                    floods += 1
                    if announce:
                        print("FLOOD %d" % floods, flush=True)
    except OSError:
        pass
    finally:
        sock.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--announce", action="store_true")
    args = ap.parse_args()
    global announce
    announce = args.announce
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", args.port))
    ls.listen(64)
    print("PORT %d" % ls.getsockname()[1], flush=True)
    while True:
        c, _ = ls.accept()
        threading.Thread(target=serve, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
