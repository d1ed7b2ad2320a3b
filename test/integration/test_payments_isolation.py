"""Tenant isolation: merchant B sees and touches nothing of merchant A's payments, refunds and
events; another merchant's ids are 404 (PRODUCT.md §2)."""

import unittest

from payments_helpers import PaymentsTestCase, ledger_entries, new_merchant


class TenantIsolationTest(PaymentsTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.a = new_merchant(cls.srv, "Merchant A")
            cls.b = new_merchant(cls.srv, "Merchant B")
            a = cls.a
            cls.succeeded = a.create_payment(amount=1000, payment_method="tok_visa",
                                             confirm=True).json
            cls.held = a.create_payment(amount=1000, payment_method="tok_visa", confirm=True,
                                        capture_method="manual").json
            cls.unconfirmed = a.create_payment(amount=1000, payment_method="tok_visa").json
            r = a.post("/v1/refunds", {"payment": cls.succeeded["id"], "amount": 100})
            assert r.status == 200, r
            cls.refund = r.json
            cls.b_payment = cls.b.create_payment(amount=55, payment_method="tok_visa",
                                                 confirm=True).json
        except BaseException:
            cls.srv.cleanup()
            raise

    def a_state(self):
        return ([self.a.get(f"/v1/payments/{p['id']}").body
                 for p in (self.succeeded, self.held, self.unconfirmed)],
                self.a.snapshot(), len(ledger_entries(self.srv)))

    def assertNotFound(self, r):
        err = self.assertError(r, 404, code="resource_missing")
        for obj in (self.succeeded, self.held, self.unconfirmed, self.refund):
            self.assertNotIn(obj.get("psp_reference") or "\0", r.body.decode())
        return err

    def test_b_cannot_get_a_payment_or_refund(self):
        for p in (self.succeeded, self.held, self.unconfirmed):
            with self.subTest(payment=p["status"]):
                self.assertNotFound(self.b.get(f"/v1/payments/{p['id']}"))
        self.assertNotFound(self.b.get(f"/v1/refunds/{self.refund['id']}"))

    def test_b_cannot_confirm_capture_cancel_or_refund_a_payment(self):
        before = self.a_state()
        b_before = self.b.snapshot()
        cases = [
            (f"/v1/payments/{self.unconfirmed['id']}/confirm", {}),
            (f"/v1/payments/{self.unconfirmed['id']}/confirm", {"payment_method": "tok_visa"}),
            (f"/v1/payments/{self.unconfirmed['id']}/cancel", {}),
            (f"/v1/payments/{self.held['id']}/capture", {}),
            (f"/v1/payments/{self.held['id']}/capture", {"amount_to_capture": 10}),
            (f"/v1/payments/{self.held['id']}/cancel", {}),
            ("/v1/refunds", {"payment": self.succeeded["id"]}),
            ("/v1/refunds", {"payment": self.succeeded["id"], "amount": 10}),
        ]
        for path, body in cases:
            with self.subTest(path=path, body=body):
                self.assertNotFound(self.b.post(path, body))
        self.assertEqual(self.a_state(), before, "B changed A's data")
        self.assertEqual(self.b.snapshot(), b_before, "B's failed requests persisted something")

    def test_b_lists_show_none_of_a_data(self):
        a_ids = {self.succeeded["id"], self.held["id"], self.unconfirmed["id"], self.refund["id"]}
        b_payments = self.b.all_payments()
        self.assertEqual([p["id"] for p in b_payments], [self.b_payment["id"]])
        for status in ("succeeded", "requires_capture", "requires_confirmation"):
            ids = {p["id"] for p in self.b.all_payments(status=status)}
            self.assertFalse(ids & a_ids, status)
        self.assertEqual(self.b.all_refunds(), [])
        self.assertEqual(self.b.all_refunds(payment=self.succeeded["id"]), [])
        b_events = self.b.all_events()
        self.assertEqual([e["data"]["object"]["id"] for e in b_events], [self.b_payment["id"]])
        # And the other way round.
        self.assertNotIn(self.b_payment["id"], {p["id"] for p in self.a.all_payments()})
        self.assertNotIn(self.b_payment["id"],
                         {e["data"]["object"]["id"] for e in self.a.all_events()})
        # The dev merchant sees neither.
        dev_ids = {p["id"] for p in self.m.all_payments()}
        self.assertFalse(dev_ids & (a_ids | {self.b_payment["id"]}))

    def test_b_cannot_get_a_events(self):
        a_events = self.a.all_events()
        self.assertGreaterEqual(len(a_events), 3, a_events)
        for ev in a_events:
            with self.subTest(event=ev["type"]):
                self.assertNotFound(self.b.get(f"/v1/events/{ev['id']}"))
                self.assertEqual(self.a.get(f"/v1/events/{ev['id']}").status, 200)

    def test_b_cannot_use_a_ids_as_cursors(self):
        before = self.a_state()
        for q in (f"starting_after={self.succeeded['id']}", f"ending_before={self.held['id']}"):
            with self.subTest(query=q):
                r = self.b.get("/v1/payments?" + q)
                self.assertError(r, (400, 404), code="resource_missing")
        r = self.b.get(f"/v1/refunds?starting_after={self.refund['id']}")
        self.assertError(r, (400, 404), code="resource_missing")
        r = self.b.get(f"/v1/events?starting_after={self.a.all_events()[0]['id']}")
        if r.status == 200:
            self.assertEqual([e["data"]["object"]["id"] for e in r.json["data"]
                              if e["data"]["object"]["id"] != self.b_payment["id"]], [],
                             "an A event id as cursor revealed A's events")
        self.assertEqual(self.a_state(), before)

    def test_b_cannot_name_a_connector_account(self):
        a_account = self.succeeded["connector_account"]
        self.assertNotEqual(a_account, self.b_payment["connector_account"])
        before = self.b.snapshot()
        r = self.b.post("/v1/payments", {"amount": 100, "currency": "usd",
                                         "payment_method": "tok_visa", "confirm": True,
                                         "routing": {"connector_account": a_account}})
        self.assertError(r, 400, code="resource_missing", param="routing.connector_account")
        self.assertEqual(self.b.snapshot(), before)


if __name__ == "__main__":
    unittest.main()
