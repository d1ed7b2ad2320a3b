"""The Prometheus alert rules (deploy/prometheus/alerts.yml, issue 16): promtool accepts them and
passes their unit tests (alerts_test.yml); every rule has a severity, a summary, a description
and a runbook_url whose anchor is a section of docs/incident-response.md; every alert is made to
fire by at least one test case. ctest `alert_rules`; needs promtool (Debian package prometheus,
a row of scripts/deps.txt that scripts/setup installs); never skips."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unittest

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
RULES = os.path.join(ROOT, "deploy", "prometheus", "alerts.yml")
TESTS = os.path.join(ROOT, "deploy", "prometheus", "alerts_test.yml")
RUNBOOK = os.path.join(ROOT, "docs", "incident-response.md")
SEVERITIES = {"critical", "warning"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        raise AssertionError("`promtool` is not installed: it comes with the Debian package "
                             "prometheus (`apt-get install -y --no-install-recommends prometheus`, "
                             "or scripts/setup). This test is never skipped.")
    return path


def rule_blocks(text: str) -> list[tuple[str, str]]:
    """(alert name, the rule's text) for every alerting rule of a rules file in the layout of
    alerts.yml (one `- alert:` item per rule)."""
    starts = [m for m in re.finditer(r"(?m)^(\s*)- alert:\s*(\S+)\s*$", text)]
    blocks = []
    for i, m in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        # A rule ends where a new group begins, too.
        group = re.search(r"(?m)^\s*- name:", text[m.end():end])
        if group:
            end = m.end() + group.start()
        blocks.append((m.group(2), text[m.start():end]))
    return blocks


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    anchor = heading.strip().lower()
    anchor = re.sub(r"[^\w\- ]", "", anchor)
    return anchor.replace(" ", "-")


class AlertRulesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(RULES) as f:
            cls.rules_text = f.read()
        with open(TESTS) as f:
            cls.tests_text = f.read()
        with open(RUNBOOK) as f:
            cls.runbook_text = f.read()
        cls.blocks = rule_blocks(cls.rules_text)

    def run_promtool(self, *args):
        proc = subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120,
                              cwd=os.path.dirname(RULES), stdin=subprocess.DEVNULL)
        self.assertEqual(proc.returncode, 0, proc.stdout + proc.stderr)
        return proc.stdout

    def test_promtool_accepts_the_rules(self):
        out = self.run_promtool("check", "rules", RULES)
        self.assertIn("SUCCESS", out)

    def test_promtool_unit_tests_pass(self):
        out = self.run_promtool("test", "rules", TESTS)
        self.assertIn("SUCCESS", out)

    def test_every_rule_has_a_severity_summary_description_and_runbook(self):
        self.assertGreaterEqual(len(self.blocks), 15)
        for name, block in self.blocks:
            with self.subTest(alert=name):
                severity = re.search(r"(?m)^\s*severity:\s*(\S+)\s*$", block)
                self.assertIsNotNone(severity, block)
                self.assertIn(severity.group(1), SEVERITIES)
                for key in ("summary", "description", "runbook_url"):
                    self.assertRegex(block, rf"(?m)^\s*{key}:\s*\S", f"{name} has no {key}")

    def test_every_runbook_url_is_a_section_of_the_incident_response_doc(self):
        anchors = {github_anchor(h) for h in re.findall(r"(?m)^#{2,4} (.+)$", self.runbook_text)}
        self.assertIn("incident-process", anchors, "the lead's placeholder section is missing")
        for name, block in self.blocks:
            with self.subTest(alert=name):
                url = re.search(r'runbook_url:\s*"?([^"\s]+)"?', block).group(1)
                self.assertTrue(url.startswith("docs/incident-response.md#"), url)
                anchor = url.split("#", 1)[1]
                self.assertEqual(anchor, name.lower(), "one section per alert, named after it")
                self.assertIn(anchor, anchors, f"docs/incident-response.md has no section {anchor}")

    def test_every_alert_fires_in_some_test_case(self):
        # An alert with a non-empty exp_alerts list in alerts_test.yml.
        fired = set(re.findall(r"(?m)^\s*alertname:\s*(\S+)\s*\n\s*exp_alerts:\s*\n\s*- exp_labels",
                               self.tests_text))
        for name in {n for n, _ in self.blocks}:
            with self.subTest(alert=name):
                self.assertIn(name, fired, f"no test case in alerts_test.yml makes {name} fire")

    def test_rules_use_only_metrics_the_server_exports(self):
        # Every liasonpay_* name in an expression is a metric of the server's composition root,
        # src/app/ (DescribeMetrics in ops_routes.cpp); a renamed metric must not leave a rule
        # that can never fire.
        serve = ""
        app_dir = os.path.join(ROOT, "src", "app")
        for name in sorted(os.listdir(app_dir)):
            if name.endswith(".cpp"):
                with open(os.path.join(app_dir, name)) as f:
                    serve += f.read()
        names = set(re.findall(r"\b(liasonpay_[a-z0-9_]+?)(?:_bucket)?\b[{\[)\s]",
                               self.rules_text))
        self.assertTrue(names)
        for name in sorted(names):
            base = re.sub(r"_bucket$", "", name)
            with self.subTest(metric=base):
                self.assertIn(f'"{base}"', serve, f"{base} is not a metric of src/app/")


if __name__ == "__main__":
    unittest.main()
