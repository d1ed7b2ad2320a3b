#!/usr/bin/env python3
"""The latency LiasonPay adds around a real PSP call (issue 18): payments through a Stripe
connector account against test/psp/fake_stripe.py on loopback over TLS (the same fake and PKI as
test/integration/test_psp_stripe.py).

One client, one keep-alive connection, one payment at a time (create+confirm `pm_card_visa`, a
new Idempotency-Key each), so each figure is one payment's latency, not a throughput. From each
response's `Server-Timing: app;dur=…, psp;dur=…`: `app` is LiasonPay's own time (the request's
time in the server minus the wait for the PSP: parsing, auth, routing, the two durable
transactions, the connector's request building and response parsing, rendering), `psp` the PSP
call as LiasonPay saw it (TLS to the fake, the fake's Python handling). Also the client's
round trip. Prints JSON; writes bench/results/psp-latency.json.

Usage: bench/psp_latency.py [N=1000]   (LIASONPAY_BIN selects the binary; default build/liasonpay)
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "test", "integration"))
os.environ.setdefault("LIASONPAY_BIN", os.path.join(ROOT, "build", "liasonpay"))

from harness import Server  # noqa: E402
from payments_helpers import dev_merchant  # noqa: E402
from test_psp_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe, make_pki  # noqa: E402

TIMING = re.compile(r"app;dur=([0-9.]+), psp;dur=([0-9.]+)")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    tmp = tempfile.mkdtemp(prefix="lp-bench-psp-")
    ca, cert, key = make_pki(tmp)
    fake = FakeStripe(cert, key)
    srv = Server(extra_args=["--psp-ca-file", ca])
    try:
        m = dev_merchant(srv)
        r = m.post("/v1/connector_accounts", {
            "connector": "stripe", "base_url": fake.base_url,
            "credentials": {"secret_key": SECRET_KEY, "webhook_secret": WEBHOOK_SECRET}})
        assert r.status == 200, r
        conn = srv.connection("api", timeout=30)
        app, psp, rtt = [], [], []
        for i in range(n + 50):
            t0 = time.perf_counter()
            r = m.post("/v1/payments", {"amount": 1000 + i, "currency": "EUR",
                                        "payment_method": "pm_card_visa", "confirm": True},
                       idem=f"bench-psp-{os.getpid()}-{i}", conn=conn)
            dt = (time.perf_counter() - t0) * 1000
            assert r.status == 200 and r.json["status"] == "succeeded", r
            if i < 50:
                continue  # warm-up: connections, caches
            mt = TIMING.search(r.headers.get("server-timing", ""))
            app.append(float(mt.group(1)))
            psp.append(float(mt.group(2)))
            rtt.append(dt)
        conn.close()
        out = {
            "payments": n,
            "connector": "stripe (test/psp/fake_stripe.py, loopback TLS)",
            "app_ms": {"p50": pct(app, 0.5), "p90": pct(app, 0.9), "p99": pct(app, 0.99)},
            "psp_ms": {"p50": pct(psp, 0.5), "p99": pct(psp, 0.99)},
            "client_round_trip_ms": {"p50": pct(rtt, 0.5), "p99": pct(rtt, 0.99)},
        }
        print(json.dumps(out, indent=1))
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        with open(os.path.join(ROOT, "bench", "results", "psp-latency.json"), "w") as f:
            json.dump(out, f, indent=1)
    finally:
        srv.cleanup()
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
