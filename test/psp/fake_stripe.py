#!/usr/bin/env python3
"""A small fake of Stripe's PaymentIntents/Refunds API for LiasonPay's connector tests.

Python stdlib only. HTTPS with the certificate the test gives (so the real TLS path of the PSP
client is exercised), HTTP/1.1 keep-alive, Stripe's idempotency semantics (the same
Idempotency-Key with the same parameters replays the stored answer with `Idempotent-Replayed:
true`; other parameters are 400 idempotency_error), and behaviour scripted by the payment method,
after Stripe's own test PaymentMethods:

  pm_card_visa, pm_card_mastercard            succeed (requires_capture for manual capture)
  pm_card_chargeDeclined…                     402 card_error (InsufficientFunds, StolenCard,
                                              LostCard, ExpiredCard, ProcessingError, Fraudulent,
                                              or generic)
  pm_card_authenticationRequired              requires_action (use_stripe_sdk)
  pm_fake_timeout                             charges, stores the answer, then never answers
  pm_fake_slow                                answers after 300 ms
  pm_fake_500                                 500 api_error (stored and replayed, like Stripe)
  pm_fake_malformed                           200 with a body that is not JSON
  pm_fake_hangup                              charges, then closes the connection unanswered

Test hooks (no auth): GET /__fake/state (requests seen, PaymentIntents, refunds, charges per
idempotency key), GET /__fake/events (the events Stripe would send, each with its
Stripe-Signature header signed with --webhook-secret). Prints "PORT <n>" once listening.
"""
import argparse
import hashlib
import hmac
import json
import secrets
import ssl
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2023-08-16"
LOCK = threading.Lock()
STATE = {"requests": [], "payment_intents": {}, "refunds": {}, "charges": {}, "events": []}
IDEMPOTENCY = {}  # key -> (params, status, body)
ARGS = None

DECLINES = {
    "pm_card_chargeDeclined": ("card_declined", "generic_decline", "Your card was declined."),
    "pm_card_chargeDeclinedInsufficientFunds": ("card_declined", "insufficient_funds",
                                                "Your card has insufficient funds."),
    "pm_card_chargeDeclinedStolenCard": ("card_declined", "stolen_card", "Your card was declined."),
    "pm_card_chargeDeclinedLostCard": ("card_declined", "lost_card", "Your card was declined."),
    "pm_card_chargeDeclinedFraudulent": ("card_declined", "fraudulent", "Your card was declined."),
    "pm_card_chargeDeclinedExpiredCard": ("expired_card", None, "Your card has expired."),
    "pm_card_chargeDeclinedProcessingError": ("processing_error", None,
                                              "An error occurred while processing your card."),
}


def new_id(prefix):
    return prefix + "_" + secrets.token_hex(12)


def error(status, type_, message, **extra):
    e = {"type": type_, "message": message}
    e.update(extra)
    return status, {"error": e}


def sign_event(event):
    payload = json.dumps(event, indent=2)
    t = str(int(time.time()))
    sig = hmac.new(ARGS.webhook_secret.encode(), (t + "." + payload).encode(),
                   hashlib.sha256).hexdigest()
    return {"payload": payload, "stripe_signature": "t=%s,v1=%s" % (t, sig)}


def emit(type_, obj):
    event = {"id": new_id("evt"), "object": "event", "api_version": API_VERSION,
             "created": int(time.time()), "livemode": False, "type": type_,
             "data": {"object": json.loads(json.dumps(obj))}}
    STATE["events"].append(sign_event(event))


def payment_intent(form):
    amount = int(form.get("amount", "0"))
    pi = {"id": new_id("pi"), "object": "payment_intent", "amount": amount,
          "amount_capturable": 0, "amount_received": 0, "currency": form.get("currency"),
          "capture_method": form.get("capture_method", "automatic"), "status": "requires_payment_method",
          "payment_method": form.get("payment_method"), "last_payment_error": None,
          "next_action": None, "livemode": False, "created": int(time.time()),
          "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}}
    STATE["payment_intents"][pi["id"]] = pi
    return pi


def create_payment_intent(form, key):
    pm = form.get("payment_method", "")
    for field in ("amount", "currency", "payment_method"):
        if not form.get(field):
            return error(400, "invalid_request_error", "Missing " + field, param=field)
    if form.get("confirm") != "true":
        return error(400, "invalid_request_error", "The fake only does create+confirm")
    if pm == "pm_fake_500":
        return error(500, "api_error", "Something went wrong on Stripe's end.")
    pi = payment_intent(form)
    STATE["charges"][key] = STATE["charges"].get(key, 0) + 1
    if pm in DECLINES:
        code, decline_code, message = DECLINES[pm]
        err = {"type": "card_error", "code": code, "message": message}
        if decline_code:
            err["decline_code"] = decline_code
        pi["last_payment_error"] = err
        emit("payment_intent.payment_failed", pi)
        return error(402, "card_error", message, code=code, decline_code=decline_code,
                     payment_intent=pi)
    if pm == "pm_card_authenticationRequired":
        pi["status"] = "requires_action"
        pi["next_action"] = {"type": "use_stripe_sdk",
                             "use_stripe_sdk": {"type": "three_d_secure_redirect"}}
        return 200, pi
    if pi["capture_method"] == "manual":
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        emit("payment_intent.amount_capturable_updated", pi)
    else:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        emit("payment_intent.succeeded", pi)
    return 200, pi


def capture(pi_id, form, key):
    pi = STATE["payment_intents"].get(pi_id)
    if not pi:
        return error(404, "invalid_request_error", "No such payment_intent", code="resource_missing")
    if pi["status"] != "requires_capture":
        return error(400, "invalid_request_error", "This PaymentIntent could not be captured "
                     "because it has a status of %s." % pi["status"],
                     code="payment_intent_unexpected_state")
    amount = int(form.get("amount_to_capture", pi["amount"]))
    if amount > pi["amount_capturable"]:
        return error(400, "invalid_request_error", "amount_to_capture is too large",
                     code="amount_too_large", param="amount_to_capture")
    STATE["charges"][key] = STATE["charges"].get(key, 0) + 1
    pi.update(status="succeeded", amount_received=amount, amount_capturable=0)
    emit("payment_intent.succeeded", pi)
    return 200, pi


def cancel(pi_id, key):
    pi = STATE["payment_intents"].get(pi_id)
    if not pi:
        return error(404, "invalid_request_error", "No such payment_intent", code="resource_missing")
    if pi["status"] not in ("requires_capture", "requires_payment_method", "requires_action"):
        return error(400, "invalid_request_error", "cannot cancel", code="payment_intent_unexpected_state")
    pi.update(status="canceled", amount_capturable=0)
    emit("payment_intent.canceled", pi)
    return 200, pi


def refund(form, key):
    pi = STATE["payment_intents"].get(form.get("payment_intent", ""))
    if not pi:
        return error(404, "invalid_request_error", "No such payment_intent", code="resource_missing")
    amount = int(form.get("amount", pi["amount_received"]))
    done = sum(r["amount"] for r in STATE["refunds"].values()
               if r["payment_intent"] == pi["id"] and r["status"] == "succeeded")
    if pi["status"] != "succeeded" or amount + done > pi["amount_received"]:
        return error(400, "invalid_request_error", "Refund amount is greater than unrefunded amount",
                     code="amount_too_large")
    STATE["charges"][key] = STATE["charges"].get(key, 0) + 1
    re = {"id": new_id("re"), "object": "refund", "amount": amount, "currency": pi["currency"],
          "payment_intent": pi["id"], "status": "succeeded", "created": int(time.time()),
          "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")}}
    STATE["refunds"][re["id"]] = re
    emit("charge.refund.updated", re)
    return 200, re


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as real PSP front ends: the head and the body are two writes, and with Nagle
    # the body would wait for the client's delayed ACK (~40 ms per call).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send(self, status, obj, raw=None, replayed=False):
        body = raw if raw is not None else json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Request-Id", new_id("req"))
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.handle_request("GET", b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        self.handle_request("POST", self.rfile.read(length))

    def handle_request(self, method, body):
        url = urllib.parse.urlsplit(self.path)
        path = url.path
        if path == "/__fake/state":
            with LOCK:
                return self.send(200, STATE)
        if path == "/__fake/events":
            with LOCK:
                return self.send(200, STATE["events"])
        text = body.decode()
        form = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
        key = self.headers.get("Idempotency-Key", "")
        with LOCK:
            STATE["requests"].append({"method": method, "path": self.path, "body": text,
                                      "idempotency_key": key,
                                      "stripe_version": self.headers.get("Stripe-Version", "")})
        if self.headers.get("Authorization", "") != "Bearer " + ARGS.secret_key:
            return self.send(*error(401, "invalid_request_error",
                                    "Invalid API Key provided: sk_test_****"))
        if self.headers.get("Stripe-Version") != API_VERSION:
            return self.send(*error(400, "invalid_request_error", "Unexpected Stripe-Version"))
        if method == "POST" and self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return self.send(*error(415, "invalid_request_error", "Form bodies only"))
        pm = form.get("payment_method", "")
        with LOCK:
            if method == "POST" and key in IDEMPOTENCY:
                params, status, stored = IDEMPOTENCY[key]
                if params != (path, text):
                    return self.send(*error(400, "idempotency_error",
                                            "Keys for idempotent requests can only be used with "
                                            "the same parameters they were first used with."))
                replay = (status, stored)
            else:
                replay = None
        if replay:
            return self.send(replay[0], None, raw=replay[1], replayed=True)
        if pm == "pm_fake_slow":
            time.sleep(0.3)
        with LOCK:
            status, obj = self.route(method, path, url.query, form, key)
            raw = b"{not json" if pm == "pm_fake_malformed" else json.dumps(obj).encode()
            if method == "POST" and key:
                IDEMPOTENCY[key] = ((path, text), status, raw)
        if pm == "pm_fake_timeout":
            time.sleep(30)
            return
        if pm == "pm_fake_hangup":
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.send(status, None, raw=raw)

    def route(self, method, path, query, form, key):
        parts = path.strip("/").split("/")
        if method == "POST" and path == "/v1/payment_intents":
            return create_payment_intent(form, key)
        if method == "POST" and len(parts) == 4 and parts[1] == "payment_intents":
            if parts[3] == "capture":
                return capture(parts[2], form, key)
            if parts[3] == "cancel":
                return cancel(parts[2], key)
        if method == "GET" and path == "/v1/payment_intents/search":
            q = urllib.parse.parse_qs(query).get("query", [""])[0]
            attempt = q.split(":'", 1)[1].rstrip("'") if ":'" in q else ""
            data = [pi for pi in STATE["payment_intents"].values()
                    if pi["metadata"].get("lp_attempt") == attempt]
            return 200, {"object": "search_result", "data": data, "has_more": False}
        if method == "GET" and len(parts) == 3 and parts[1] == "payment_intents":
            pi = STATE["payment_intents"].get(parts[2])
            if pi:
                return 200, pi
            return error(404, "invalid_request_error", "No such payment_intent",
                         code="resource_missing")
        if method == "POST" and path == "/v1/refunds":
            return refund(form, key)
        if method == "GET" and path == "/v1/refunds":
            pi = urllib.parse.parse_qs(query).get("payment_intent", [""])[0]
            data = [r for r in STATE["refunds"].values() if r["payment_intent"] == pi]
            return 200, {"object": "list", "data": data, "has_more": False}
        return error(404, "invalid_request_error", "Unrecognized request URL")


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--secret-key", default="sk_test_fake_0123456789abcdef")
    p.add_argument("--webhook-secret", default="whsec_fake_0123456789abcdef")
    ARGS = p.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if ARGS.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(ARGS.cert, ARGS.key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
