#!/usr/bin/env python3
"""Writes N signed LINE webhook bodies, one per line as "<signature>\t<body>", for
scripts/bench/webhook-unique.lua: every body has its own webhookEventId, spread over USERS users,
so the benchmark measures storing new events (the shared harness repeats one event, which after
the first request only exercises the duplicate path).

usage: make-bodies.py N SECRET OUTFILE [USERS] [FIRST]   (event numbers FIRST..FIRST+N-1)
"""
import base64
import hashlib
import hmac
import json
import sys


def main() -> int:
    if len(sys.argv) not in (4, 5, 6):
        print(__doc__, file=sys.stderr)
        return 2
    n, secret, out = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3]
    users = int(sys.argv[4]) if len(sys.argv) >= 5 else 1000
    first = int(sys.argv[5]) if len(sys.argv) == 6 else 0
    with open(out, "w", encoding="utf-8") as f:
        for i in range(first, first + n):
            event = {
                "type": "message",
                "message": {"type": "text", "id": str(468789577898262530 + i), "quoteToken": "q%d" % i,
                            "text": "チェックイン FAC123"},
                "webhookEventId": "01BENCH%019d" % i,
                "deliveryContext": {"isRedelivery": False},
                "timestamp": 1692251666727 + i,
                "source": {"type": "user", "userId": "U%032x" % (i % users)},
                "replyToken": "%032x" % i,
                "mode": "active",
            }
            body = json.dumps({"destination": "U8e742f61d673b39c7fff3cecb7536ef0", "events": [event]},
                              ensure_ascii=False, separators=(",", ":"))
            sig = base64.b64encode(hmac.new(secret, body.encode(), hashlib.sha256).digest()).decode()
            f.write(sig + "\t" + body + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
