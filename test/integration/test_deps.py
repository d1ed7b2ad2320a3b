"""The repository's dependency tooling (SECURITY.md "Dependencies and patches"):
scripts/deps (inventory + CycloneDX SBOM), scripts/doctor and the one table both read,
scripts/deps.txt. Needs Node.js, npm and tools/sbom installed (scripts/setup); never skips."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import zlib

import harness

ROOT = os.path.normpath(os.path.join(harness.HERE, "..", ".."))
SCHEMA = os.path.join(ROOT, "tools", "sbom", "node_modules", "@cyclonedx", "cyclonedx-library",
                      "res", "schema", "bom-1.5.SNAPSHOT.schema.json")
DEB_PURL = re.compile(r"^pkg:deb/debian/[a-z0-9][a-z0-9+.-]+@[^?@]+\?arch=(amd64|all)"
                      r"&distro=debian-12$")


def deps_rows() -> list:
    rows = []
    with open(os.path.join(ROOT, "scripts", "deps.txt")) as f:
        for line in f:
            if line.strip() and not line.lstrip().startswith("#"):
                rows.append(line.split(None, 3))
    return rows


def lock_versions(path) -> dict:
    with open(os.path.join(ROOT, path)) as f:
        packages = json.load(f)["packages"]
    return {(meta.get("name") or key.rsplit("node_modules/", 1)[-1], meta["version"])
            for key, meta in packages.items() if key and "version" in meta}


class SbomTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="lp-sbom-")
        cls.path = os.path.join(cls.tmp, "sbom.cdx.json")
        cls.proc = subprocess.run(
            [os.path.join(ROOT, "scripts", "deps"), "--sbom", cls.path,
             "--binary", harness.binary_path()],
            capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
        cls.bom = None
        if cls.proc.returncode == 0:
            with open(cls.path) as f:
                cls.bom = json.load(f)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.assertEqual(self.proc.returncode, 0, self.proc.stdout[-3000:] + self.proc.stderr)

    def components(self, **match) -> list:
        return [c for c in self.bom["components"]
                if all(c.get(k) == v for k, v in match.items())]

    def test_document_is_cyclonedx_1_5_with_liasonpay_as_main_component(self):
        self.assertEqual(self.bom["bomFormat"], "CycloneDX")
        self.assertEqual(self.bom["specVersion"], "1.5")
        self.assertRegex(self.bom["serialNumber"],
                         r"^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
        self.assertEqual(self.bom["metadata"]["component"]["name"], "liasonpay")
        self.assertRegex(self.bom["metadata"]["timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

    def test_only_fields_the_official_1_5_schema_allows(self):
        # The schema ships with @cyclonedx/cyclonedx-library (tools/sbom): every key must be one
        # it defines (it forbids others), every component type one of its enum.
        with open(SCHEMA) as f:
            schema = json.load(f)
        defs = schema["definitions"]
        self.assertLessEqual(set(self.bom), set(schema["properties"]))
        self.assertLessEqual(set(self.bom["metadata"]), set(defs["metadata"]["properties"]))
        allowed = set(defs["component"]["properties"])
        types = set(defs["component"]["properties"]["type"]["enum"])
        for c in [*self.bom["components"], self.bom["metadata"]["component"]]:
            with self.subTest(component=c.get("bom-ref")):
                self.assertLessEqual(set(c), allowed)
                self.assertIn(c["type"], types)
                self.assertTrue(c["name"] and c.get("version"), c)
        for d in self.bom["dependencies"]:
            self.assertLessEqual(set(d), set(defs["dependency"]["properties"]))

    def test_bom_refs_are_unique_and_every_dependency_resolves(self):
        refs = [c["bom-ref"] for c in self.bom["components"]]
        self.assertEqual(len(refs), len(set(refs)))
        known = set(refs) | {"liasonpay"}
        for d in self.bom["dependencies"]:
            self.assertIn(d["ref"], known)
            self.assertLessEqual(set(d["dependsOn"]), known, d)

    def test_debian_packages_of_the_build_and_the_runtime_with_installed_versions(self):
        names = {c["name"]: c for c in self.components(supplier={"name": "Debian"})}
        for wanted in ("libssl3", "libssl-dev", "libsqlite3-0", "libsqlite3-dev",
                       "libboost1.81-dev", "libsodium23", "libsodium-dev", "libicu-dev"):
            with self.subTest(package=wanted):
                self.assertIn(wanted, names)
                c = names[wanted]
                self.assertRegex(c["purl"], DEB_PURL)
                installed = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", wanted],
                                           capture_output=True, text=True).stdout
                self.assertEqual(c["version"], installed)
                self.assertIn(f"{wanted} ", self.proc.stdout)
        # Every `build` row of scripts/deps.txt is there.
        for check, package, scope, *_ in deps_rows():
            if scope == "build":
                self.assertIn(package, names, check)

    def test_every_package_of_every_committed_lockfile(self):
        locks = sorted(os.path.relpath(p, ROOT) for p in
                       glob.glob(os.path.join(ROOT, "**", "package-lock.json"), recursive=True)
                       if "node_modules" not in p and not os.path.relpath(p, ROOT)
                       .startswith("build"))
        self.assertIn("test/integration/node/package-lock.json", locks)
        self.assertIn("tools/sbom/package-lock.json", locks)
        for lock in locks:
            with self.subTest(lockfile=lock):
                in_bom = {(c["name"] if "group" not in c else f"{c['group']}/{c['name']}",
                           c["version"]) for c in self.bom["components"]
                          if {"name": "liasonpay:lockfile", "value": lock}
                          in c.get("properties", [])}
                self.assertLessEqual(lock_versions(lock), in_bom)
        for name, group, version in (("standardwebhooks", None, "1.1.1"),
                                     ("cyclonedx-npm", "@cyclonedx", "2.1.0")):
            found = [c for c in self.components(name=name, version=version)
                     if c.get("group") == group]
            self.assertTrue(found, name)
            self.assertTrue(found[0]["purl"].startswith("pkg:npm/"), found[0])

    def test_prints_the_debian_vulnerability_check_command(self):
        self.assertIn("debsecan --suite bookworm", self.proc.stdout)


def debsecan_data(directory: str, entries) -> None:
    """Writes DIR/bookworm in debsecan's format (zlib-compressed "VERSION 1" text, as the
    security tracker serves it): entries = [(cve, source package, flags, fixed version,
    binary packages)]; flags e.g. "SH F" = source package, high urgency, fix available."""
    names = "".join(f"{cve},,synthetic entry for the test\n" for cve, *_ in entries)
    vulns = "".join(f"{src},{i},{flags},{fixed},\n"
                    for i, (_, src, flags, fixed, _) in enumerate(entries))
    binaries = "".join(f"{src},{' '.join(bins)}\n" for _, src, _, _, bins in entries)
    text = f"VERSION 1\n{names}\n{vulns}\n{binaries}"
    with open(os.path.join(directory, "bookworm"), "wb") as f:
        f.write(zlib.compress(text.encode()))


class DebianAuditTest(unittest.TestCase):
    """scripts/audit --debian DIR runs the real debsecan offline on a data file. Debian's own
    file cannot be downloaded here, so these use small ones written in its format."""

    def audit(self, entries):
        d = tempfile.mkdtemp(prefix="lp-debsecan-")
        try:
            debsecan_data(d, entries)
            return subprocess.run([os.path.join(ROOT, "scripts", "audit"), "--debian", d,
                                   "--binary", harness.binary_path()], capture_output=True,
                                  text=True, timeout=300, stdin=subprocess.DEVNULL)
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_a_fixed_high_urgency_vulnerability_in_the_runtime_fails_naming_the_package(self):
        r = self.audit([("CVE-2099-0001", "openssl", "SH F", "3.99.0-1",
                         ["libssl3", "libssl-dev", "openssl"])])
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertRegex(r.stderr, r"CVE-2099-0001 libssl3 \S+")

    def test_low_urgency_or_already_fixed_versions_pass(self):
        r = self.audit([("CVE-2099-0002", "sqlite3", "SL F", "3.99.0-1",
                         ["libsqlite3-0", "libsqlite3-dev", "sqlite3"]),
                        ("CVE-2099-0003", "openssl", "SH F", "1.0.0-1",
                         ["libssl3", "libssl-dev", "openssl"])])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("audit: debian: ok", r.stdout)
        # libsqlite3-0 and libsqlite3-dev; the openssl entry is fixed below the installed version.
        self.assertIn("2 fixed lower-urgency findings", r.stdout)


class DoctorTest(unittest.TestCase):
    def doctor(self, table: str | None = None):
        env = dict(os.environ)
        d = None
        if table is not None:
            d = tempfile.mkdtemp(prefix="lp-doctor-")
            env["LP_DEPS_FILE"] = os.path.join(d, "deps.txt")
            with open(env["LP_DEPS_FILE"], "w") as f:
                f.write(table)
        try:
            return subprocess.run([os.path.join(ROOT, "scripts", "doctor")], env=env, text=True,
                                  capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
        finally:
            if d:
                shutil.rmtree(d, ignore_errors=True)

    def test_everything_the_suite_needs_is_installed(self):
        r = self.doctor()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertRegex(r.stdout, r"doctor: all \d+ checks passed")

    def test_missing_things_are_named_with_the_command_that_installs_them(self):
        r = self.doctor("# a table with three rows\n"
                        "cmd:bash            bash              build  every script\n"
                        "cmd:lp-no-such-tool lp-fake-package   test   a test that needs it\n"
                        "pc:lp-no-such-lib   lp-fake-lib-dev   build  the build\n"
                        "npm:lp/no/such/dir  npm-ci            test   a node test\n")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("3 of 4 checks failed", r.stderr)
        self.assertRegex(r.stderr, r"MISSING +cmd:lp-no-such-tool +lp-fake-package +test +a test")
        self.assertIn("apt-get install -y --no-install-recommends lp-fake-package lp-fake-lib-dev",
                      r.stderr)
        self.assertIn("(cd lp/no/such/dir && npm ci)", r.stderr)
        self.assertNotIn("cmd:bash", r.stderr)


class DepsTableTest(unittest.TestCase):
    def test_every_tool_a_test_requires_is_a_row_with_the_same_package(self):
        rows = {(check, package) for check, package, *_ in deps_rows()}
        used = set()
        for path in glob.glob(os.path.join(harness.HERE, "*.py")):
            with open(path) as f:
                used |= set(re.findall(r'require_tool\("([^"]+)", "([^"]+)"\)', f.read()))
        self.assertTrue(used)
        for name, package in sorted(used):
            self.assertIn((f"cmd:{name}", package), rows, "add it to scripts/deps.txt")

    def test_rows_are_well_formed(self):
        for cols in deps_rows():
            with self.subTest(row=cols):
                self.assertEqual(len(cols), 4, "check package scope needs")
                self.assertRegex(cols[0], r"^(cmd|file|pc|cc|npm):\S+$")
                self.assertIn(cols[2], ("build", "web", "test", "fuzz", "bench", "tools"))
                if cols[0].startswith("npm:"):
                    self.assertEqual(cols[1], "npm-ci")
                    self.assertTrue(os.path.isfile(os.path.join(ROOT, cols[0][4:],
                                                                "package-lock.json")))


if __name__ == "__main__":
    unittest.main()
