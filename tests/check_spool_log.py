#!/usr/bin/python3
"""check_spool_log.py - checks a consumer log of tests/test_spool.sh.

    /usr/bin/python3 check_spool_log.py LOG WALLETS N

LOG holds one event line per delivery (bitcart-listen's JSON with "id"). Prints one line of
figures and exits 0 when every seq 0..N-1 is there at least once, each id maps to one event,
after dropping repeated ids each seq is there once, and the seqs of each wallet come in order."""
import json
import sys

path, wallets, total = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
first = {}
order = {}
lines = dups = 0
problems = []
with open(path) as f:
    for raw in f:
        lines += 1
        ev = json.loads(raw)
        seq = ev["args"]["seq"]
        if ev["id"] in first:
            dups += 1
            if first[ev["id"]] != seq:
                problems.append("id %s names two events" % ev["id"])
            continue
        first[ev["id"]] = seq
        if ev["wallet"] != "w%d" % (seq % wallets):
            problems.append("seq %d came for wallet %s" % (seq, ev["wallet"]))
        order.setdefault(ev["wallet"], []).append(seq)
seen = sorted(first.values())
missing = sorted(set(range(total)) - set(seen))
if len(seen) != len(set(seen)):
    problems.append("a seq came under two ids")
for wallet, seqs in order.items():
    bad = [(a, b) for a, b in zip(seqs, seqs[1:]) if b <= a]
    if bad:
        problems.append("wallet %s out of order: %s" % (wallet, bad[:5]))
print("%s: %d deliveries, %d events, %d duplicates dropped, lost: %d" % (path.rsplit("/", 1)[-1], lines, len(set(seen)), dups, len(missing)))
for p in problems[:10]:
    print("  " + p)
if missing:
    print("  missing (first 20): %s" % missing[:20])
sys.exit(1 if problems or missing else 0)
