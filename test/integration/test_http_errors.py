"""HTTP error conventions: JSON error shape, 404/405 + Allow, Request-Id and HSTS on every
response, and listener isolation."""

import json
import re
import unittest

from harness import LISTENERS, Server, assert_error_shape


class HttpErrorsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server()

    @classmethod
    def tearDownClass(cls):
        cls.server.cleanup()

    def test_unknown_route_is_404_json_error_on_every_listener(self):
        for listener in LISTENERS:
            with self.subTest(listener=listener):
                # The dashboard listener answers its SPA for unknown page paths; its JSON
                # namespace is /dashboard/api/ (test/e2e checks the SPA fallback).
                path = "/dashboard/api/no/such/route" if listener == "dashboard" else "/no/such/route"
                status, headers, body = self.server.request(listener, "GET", path)
                err = assert_error_shape(self, status, headers, body, expect_status=404,
                                         expect_type="invalid_request_error")
                self.assertNotIn("stack", json.dumps(err).lower())

    def test_unknown_route_404_for_post_with_body(self):
        status, headers, body = self.server.request("api", "POST", "/v1/nothing-here",
                                                    body={"a": 1})
        assert_error_shape(self, status, headers, body, expect_status=404)

    def test_known_path_wrong_method_is_405_with_allow(self):
        for method in ("DELETE", "POST", "PUT", "PATCH"):
            with self.subTest(method=method):
                status, headers, body = self.server.request("ops", method, "/healthz",
                                                            body=b"" if method != "DELETE" else None)
                assert_error_shape(self, status, headers, body, expect_status=405)
                self.assertIn("allow", headers, headers)
                allowed = {m.strip() for m in headers["allow"].split(",")}
                self.assertIn("GET", allowed)
                self.assertNotIn(method, allowed)

    def test_405_on_metrics_and_readyz(self):
        for path in ("/metrics", "/readyz"):
            with self.subTest(path=path):
                status, headers, body = self.server.request("ops", "DELETE", path)
                assert_error_shape(self, status, headers, body, expect_status=405)
                self.assertIn("GET", headers.get("allow", ""))

    def test_request_id_and_hsts_on_every_response(self):
        key = self.server.api_key()
        cases = [
            ("ops", "GET", "/healthz", None, {}),
            ("ops", "GET", "/readyz", None, {}),
            ("ops", "GET", "/metrics", None, {}),
            ("ops", "DELETE", "/healthz", None, {}),
            ("api", "GET", "/nope", None, {}),
            ("dashboard", "GET", "/nope", None, {}),
            ("api", "POST", "/v1/payments", b"{}", {"Content-Type": "application/json"}),
            ("api", "POST", "/v1/payments", b"{not json",
             {"Content-Type": "application/json", "Authorization": f"Bearer {key}"}),
        ]
        seen = set()
        for listener, method, path, body, headers in cases:
            with self.subTest(listener=listener, method=method, path=path):
                status, h, data = self.server.request(listener, method, path, body=body,
                                                      headers=headers)
                self.assertIn("request-id", h, (status, h))
                rid = h["request-id"]
                self.assertRegex(rid, r"^[A-Za-z0-9_\-]{8,}$")
                self.assertNotIn(rid, seen, "Request-Id reused")
                seen.add(rid)
                self.assertIn("strict-transport-security", h, h)
                self.assertRegex(h["strict-transport-security"], r"max-age=\d+")
                max_age = int(re.search(r"max-age=(\d+)", h["strict-transport-security"]).group(1))
                self.assertGreaterEqual(max_age, 31536000)
                if status >= 400:
                    assert_error_shape(self, status, h, data)

    def test_listener_isolation(self):
        key = self.server.api_key()
        cases = [
            ("api", "GET", "/healthz"),
            ("api", "GET", "/readyz"),
            ("api", "GET", "/metrics"),
            ("dashboard", "GET", "/healthz"),
            ("dashboard", "GET", "/metrics"),
            ("ops", "GET", "/v1/payments"),
            ("ops", "POST", "/v1/payments"),
            ("dashboard", "GET", "/v1/payments"),
            ("dashboard", "POST", "/v1/payments"),
            ("api", "GET", "/dashboard/api/sessions"),
            ("api", "GET", "/ops/api/sessions"),
            ("dashboard", "GET", "/ops/api/sessions"),
        ]
        for listener, method, path in cases:
            with self.subTest(listener=listener, method=method, path=path):
                status, headers, body = self.server.request(
                    listener, method, path, body=b"{}" if method == "POST" else None,
                    headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
                assert_error_shape(self, status, headers, body, expect_status=404)

    def test_api_requires_auth(self):
        status, headers, body = self.server.request("api", "POST", "/v1/payments",
                                                    body={"amount": 100, "currency": "usd"})
        assert_error_shape(self, status, headers, body, expect_status=401,
                           expect_type="authentication_error")

    def test_api_rejects_wrong_key(self):
        status, headers, body = self.server.request(
            "api", "POST", "/v1/payments", body={"amount": 100, "currency": "usd"},
            headers={"Authorization": "Bearer sk_test_" + "x" * 32})
        assert_error_shape(self, status, headers, body, expect_status=401,
                           expect_type="authentication_error")

    def test_query_string_does_not_change_routing(self):
        status, _, body = self.server.request("ops", "GET", "/healthz?x=1&y=2")
        self.assertEqual(status, 200, body)
        status, headers, body = self.server.request("ops", "GET", "/healthz/extra")
        assert_error_shape(self, status, headers, body, expect_status=404)


if __name__ == "__main__":
    unittest.main()
