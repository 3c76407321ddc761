#!/usr/bin/python3
"""spool_driver.py - streams seq-numbered updates into a fake daemon for tests/test_spool.sh.

    /usr/bin/python3 spool_driver.py PORT WALLETS N RATE BATCH [PREFIX]

Injects {"event":"new_transaction","tx":"tN","seq":N} for N = 0..N-1, update N for wallet
<PREFIX><N % WALLETS> (PREFIX: w), BATCH updates per request, about RATE updates a second. The daemon queues them
for get_updates and sends them to the connected websockets. Exits 1 when an update was not
queued (the wallet was not loaded)."""
import http.client
import json
import sys
import time

port, wallets, total, rate, batch = (int(a) for a in sys.argv[1:6])
prefix = sys.argv[6] if len(sys.argv) > 6 else "w"
start = time.monotonic()
seq = 0
while seq < total:
    groups = {}
    for s in range(seq, min(seq + batch, total)):
        groups.setdefault("%s%d" % (prefix, s % wallets), []).append({"event": "new_transaction", "tx": "t%d" % s, "seq": s})
    for wallet, updates in groups.items():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/_test/inject", json.dumps({"wallet": wallet, "updates": updates}))
        answer = json.loads(conn.getresponse().read())
        conn.close()
        if answer.get("queued") != len(updates):
            print("not queued: %r" % answer, flush=True)
            sys.exit(1)
    seq = min(seq + batch, total)
    ahead = seq / rate - (time.monotonic() - start)
    if ahead > 0:
        time.sleep(ahead)
print("SENT %d" % total, flush=True)
