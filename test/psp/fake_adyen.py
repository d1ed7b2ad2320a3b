#!/usr/bin/env python3
"""A small fake of Adyen's Checkout API v71 for LiasonPay's connector tests.

Python stdlib only. HTTPS with the certificate the test gives, HTTP/1.1 keep-alive, X-API-Key
authentication, Adyen's idempotency (the same Idempotency-Key replays the stored answer), and
behaviour scripted by the encrypted card number's payload after its last "$":

  fake-authorised              Authorised
  fake-refused-<code>          Refused with refusalReasonCode <code> (reason text from the table)
  fake-redirect                RedirectShopper with a redirect action
  fake-pending                 Pending
  fake-error                   Error
  fake-500                     500 ServiceError
  fake-timeout                 authorises, stores the answer, then never answers
  fake-malformed               200 with a body that is not JSON

Captures, cancels and refunds answer 201 `status: received` (asynchronous, as at Adyen) and queue
the notification Adyen would send (CAPTURE, CANCELLATION, REFUND; success false when the amount
is more than what is left), every item signed with additionalData.hmacSignature (--hmac-key).
Test hooks: GET /__fake/state, GET /__fake/notifications. Prints "PORT <n>" once listening.
"""
import argparse
import base64
import hashlib
import hmac
import json
import secrets
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"requests": [], "payments": {}, "charges": {}, "notifications": []}
IDEMPOTENCY = {}
ARGS = None
REASONS = {"2": "Refused", "6": "Expired Card", "12": "Not enough balance", "14": "Acquirer Fraud",
           "20": "FRAUD", "24": "CVC Declined", "9": "Issuer Unavailable"}


def psp_reference():
    return "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(16))


def notify(event_code, psp, original, merchant_reference, amount, success, reason=""):
    item = {"amount": amount, "eventCode": event_code, "eventDate": time.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
            "merchantAccountCode": ARGS.merchant_account, "merchantReference": merchant_reference,
            "pspReference": psp, "reason": reason, "success": "true" if success else "false"}
    if original:
        item["originalReference"] = original
    data = ":".join([psp, original or "", ARGS.merchant_account, merchant_reference,
                     str(amount["value"]), amount["currency"], event_code, item["success"]])
    sig = hmac.new(bytes.fromhex(ARGS.hmac_key), data.encode(), hashlib.sha256).digest()
    item["additionalData"] = {"hmacSignature": base64.b64encode(sig).decode()}
    STATE["notifications"].append(json.dumps(
        {"live": "false", "notificationItems": [{"NotificationRequestItem": item}]}))


def service_error(status, code, message, type_="validation"):
    return status, {"status": status, "errorCode": code, "message": message, "errorType": type_}


def pay(body, key):
    for field in ("amount", "merchantAccount", "paymentMethod", "reference", "returnUrl"):
        if field not in body:
            return service_error(422, "14_030" if field == "returnUrl" else "702",
                                 "Required field '%s' is not provided." % field)
    if body["merchantAccount"] != ARGS.merchant_account:
        return service_error(403, "901", "Invalid Merchant Account", "security")
    number = body["paymentMethod"].get("encryptedCardNumber", "")
    script = number.rsplit("$", 1)[-1]
    if script == "fake-500":
        return service_error(500, "905", "Payment details are not supported", "configuration")
    psp = psp_reference()
    amount = body["amount"]
    out = {"pspReference": psp, "merchantReference": body["reference"], "amount": amount}
    manual = body.get("additionalData", {}).get("manualCapture") == "true"
    if script.startswith("fake-refused-"):
        code = script[len("fake-refused-"):]
        out.update(resultCode="Refused", refusalReason=REASONS.get(code, "Refused"),
                   refusalReasonCode=code)
        notify("AUTHORISATION", psp, None, body["reference"], amount, False,
               REASONS.get(code, "Refused"))
        return 200, out
    if script == "fake-redirect":
        out.update(resultCode="RedirectShopper",
                   action={"paymentMethodType": "scheme", "type": "redirect", "method": "GET",
                           "url": "https://checkoutshopper-test.adyen.com/threeDS/redirect"})
        return 200, out
    if script == "fake-pending":
        out["resultCode"] = "Pending"
        return 200, out
    if script == "fake-error":
        out.update(resultCode="Error", refusalReason="Acquirer Error")
        return 200, out
    STATE["charges"][key] = STATE["charges"].get(key, 0) + 1
    STATE["payments"][psp] = {"amount": amount, "manual": manual, "captured": 0 if manual else amount["value"],
                              "refunded": 0, "cancelled": False, "reference": body["reference"]}
    out["resultCode"] = "Authorised"
    notify("AUTHORISATION", psp, None, body["reference"], amount, True)
    return 200, out


def modify(kind, original, body, key):
    payment = STATE["payments"].get(original)
    if body.get("merchantAccount") != ARGS.merchant_account:
        return service_error(403, "901", "Invalid Merchant Account", "security")
    if not payment:
        return service_error(422, "167", "Original pspReference required for this operation")
    psp = psp_reference()
    amount = body.get("amount", payment["amount"])
    reference = body.get("reference", "")
    STATE["charges"][key] = STATE["charges"].get(key, 0) + 1
    out = {"merchantAccount": ARGS.merchant_account, "paymentPspReference": original,
           "pspReference": psp, "reference": reference, "status": "received"}
    if kind == "captures":
        ok = payment["manual"] and not payment["cancelled"] and payment["captured"] == 0 and \
            amount["value"] <= payment["amount"]["value"]
        if ok:
            payment["captured"] = amount["value"]
        notify("CAPTURE", psp, original, payment["reference"], amount, ok,
               "" if ok else "Insufficient balance on payment")
        out["amount"] = amount
    elif kind == "cancels":
        ok = payment["captured"] == 0 and not payment["cancelled"]
        payment["cancelled"] = payment["cancelled"] or ok
        notify("CANCELLATION", psp, original, payment["reference"], payment["amount"], ok)
    else:
        ok = payment["refunded"] + amount["value"] <= payment["captured"]
        if ok:
            payment["refunded"] += amount["value"]
        notify("REFUND", psp, original, payment["reference"], amount, ok,
               "" if ok else "Transaction hasn't been captured, refund not possible")
        out["amount"] = amount
    return 201, out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # TCP_NODELAY, as real PSP front ends: the head and the body are two writes, and with Nagle
    # the body would wait for the client's delayed ACK (~40 ms per call).
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def send(self, status, raw):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_GET(self):
        with LOCK:
            if self.path == "/__fake/state":
                return self.send(200, json.dumps(STATE).encode())
            if self.path == "/__fake/notifications":
                return self.send(200, json.dumps(STATE["notifications"]).encode())
        self.send(404, b"{}")

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        text = self.rfile.read(length).decode()
        key = self.headers.get("Idempotency-Key", "")
        with LOCK:
            STATE["requests"].append({"path": self.path, "body": text, "idempotency_key": key})
        if self.headers.get("X-API-Key") != ARGS.api_key:
            status, obj = service_error(401, "000", "HTTP Status Response - Unauthorized", "security")
            return self.send(status, json.dumps(obj).encode())
        try:
            body = json.loads(text)
        except ValueError:
            return self.send(*[400, json.dumps({"status": 400, "errorCode": "702"}).encode()])
        with LOCK:
            if key and key in IDEMPOTENCY:
                status, raw = IDEMPOTENCY[key]
                return self.send(status, raw)
        script = body.get("paymentMethod", {}).get("encryptedCardNumber", "").rsplit("$", 1)[-1]
        parts = self.path.strip("/").split("/")
        with LOCK:
            if parts == ["v71", "payments"]:
                status, obj = pay(body, key)
            elif len(parts) == 4 and parts[:2] == ["v71", "payments"] and \
                    parts[3] in ("captures", "cancels", "refunds"):
                status, obj = modify(parts[3], parts[2], body, key)
            else:
                status, obj = service_error(404, "000", "Not found")
            raw = b"{not json" if script == "fake-malformed" else json.dumps(obj).encode()
            if key:
                IDEMPOTENCY[key] = (status, raw)
        if script == "fake-timeout":
            time.sleep(30)
            return
        self.send(status, raw)


def main():
    global ARGS
    p = argparse.ArgumentParser()
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--api-key", default="AQE_fake_api_key_0123")
    p.add_argument("--merchant-account", default="LiasonPayECOM")
    p.add_argument("--hmac-key", default="DFB1EB5485895CFA84146406857104ABB4CBCABDC8AAF103A624C8F6A3EAAB00")
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
