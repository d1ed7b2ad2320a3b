"""Card numbers written in the ways PRODUCT.md §6 names (issue 12 item 3): any single
non-alphanumeric separator or a pair of spaces, fullwidth and other Unicode digits, in JSON string
values, object keys, query parameters and the Idempotency-Key header, are refused with
400 pan_detected and never logged; look-alikes (timestamps, phone numbers, Luhn failures) pass."""

import json
import time
import unicodedata
import unittest

from payments_helpers import PaymentsTestCase, unique_key


def fullwidth(s):
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in s)


def arabic_indic(s):
    return "".join(chr(0x0660 + int(c)) if c.isdigit() else c for c in s)


# Formatted test card numbers as they reach the server after JSON unescaping.
VARIANTS = [
    "4111\u00a01111\u00a01111\u00a01111",             # no-break spaces
    "4242\u20134242\u20134242\u20134242",             # en dashes
    "5555.5555.5555.4444",
    "5555/5555/5555/4444",
    "5555_5555_5555_4444",
    "4242\t4242\t4242\t4242",
    "4242\u200b4242\u200b4242\u200b4242",             # zero-width spaces
    "4242  4242  4242  4242",                         # pairs of spaces
    "3782\u00a0822463\u00a010005",                    # American Express
    fullwidth("4242 4242 4242 4242"),
    fullwidth("6011-1111-1111-1117"),                 # Discover
    arabic_indic("3566002020360505"),                 # JCB
    arabic_indic("6200 0000 0000 0005"),              # UnionPay
    fullwidth("4000") + arabic_indic("0566") + "5566" + "\u096b\u096b\u096b\u096c",  # mixed
]

LOOK_ALIKES = [
    "2026-12-05T08:22:51.123456Z",
    "+44 20 7946 0958",
    "order 4242.4242.4242.4241",
    "550e8400-e29b-41d4-a716-446655440000",
    fullwidth("4242 4242 4242"),
    "DE89 3704 0044 0532 0130 00",
]


class PanVariantsTest(PaymentsTestCase):
    def assertPanDetected(self, r, param=None):
        err = self.assertError(r, 400, code="pan_detected")
        if param is not None:
            self.assertEqual(err.get("param"), param, r)
        return err

    def test_variants_in_string_values_are_refused(self):
        for pan in VARIANTS:
            for ensure_ascii in (True, False):  # \\u escapes and raw UTF-8 on the wire
                with self.subTest(pan=pan, ensure_ascii=ensure_ascii):
                    body = json.dumps({"amount": 100, "currency": "usd", "description": pan},
                                      ensure_ascii=ensure_ascii).encode()
                    r = self.m.call("POST", "/v1/payments", body=body,
                                    headers={"Content-Type": "application/json"})
                    self.assertPanDetected(r, "description")
                    r = self.m.create_payment(metadata={"note": "card " + pan + " exp 12/34"})
                    self.assertPanDetected(r, "metadata.note")

    def test_variants_in_object_keys_and_query_parameters_are_refused(self):
        for pan in VARIANTS:
            with self.subTest(pan=pan):
                r = self.m.create_payment(metadata={pan: "x"})
                self.assertPanDetected(r)
                self.assertNotIn(pan, json.dumps(r.json, ensure_ascii=False))
                r = self.m.get("/v1/payments?starting_after=" +
                               "".join("%%%02X" % b for b in pan.encode()))
                self.assertPanDetected(r)

    def test_variants_in_the_idempotency_key_are_refused(self):
        # The header takes printable ASCII only, so its separators are ASCII ones.
        for pan in ("4111.1111.1111.1111", "4111_1111_1111_1111", "5555/5555/5555/4444",
                    "order-4242-4242-4242-4242", "3782:822463:10005"):
            with self.subTest(pan=pan):
                r = self.m.call("POST", "/v1/payments", body={"amount": 100, "currency": "usd"},
                                idem=pan)
                self.assertPanDetected(r, "Idempotency-Key")

    def test_look_alikes_are_accepted(self):
        for text in LOOK_ALIKES:
            with self.subTest(text=text):
                r = self.m.create_payment(description=text, metadata={"ref": text})
                self.assertEqual(r.status, 200, r)
        r = self.m.call("POST", "/v1/payments", body={"amount": 100, "currency": "usd"},
                        # A letter ends the digit groups: the random suffix must not extend them.
                        idem="2026-12-05T08:22:51Z-+44-20-7946-0958-k" + unique_key("look"))
        self.assertEqual(r.status, 200, r)

    def test_refused_numbers_never_reach_the_log(self):
        for pan in VARIANTS:
            self.m.create_payment(description=pan)
        time.sleep(1.2)  # the log is flushed at least every second
        log = unicodedata.normalize("NFKC", self.srv.log_text())
        for pan in VARIANTS:
            digits = "".join(str(unicodedata.digit(c)) for c in pan if c.isdigit())
            with self.subTest(pan=pan):
                self.assertNotIn(unicodedata.normalize("NFKC", pan), log)
                self.assertNotIn(digits, log)


if __name__ == "__main__":
    unittest.main()
