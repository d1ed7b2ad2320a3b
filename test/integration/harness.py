"""Black-box harness for the LiasonPay integration suite (Python 3.11 stdlib only).

A `Server` starts the real binary (``$LIASONPAY_BIN``) with ``serve --dev`` on port 0 in a fresh
temporary data directory, waits for ``ports.json``, and talks TLS to its three listeners, verifying
the self-signed certificate that ``--dev`` wrote to ``<data-dir>/tls/cert.pem``.

Set LIASONPAY_KEEP_TMP=1 to keep the temporary directories (logs, database) after the run.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_BIN = os.path.normpath(os.path.join(HERE, "..", "..", "build", "liasonpay"))
LISTENERS = ("api", "dashboard", "ops")
STARTUP_TIMEOUT = 20.0


def binary_path() -> str:
    """Absolute path of the server binary; a missing binary fails the test (never skips it)."""
    path = os.path.abspath(os.environ.get("LIASONPAY_BIN") or DEFAULT_BIN)
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        raise RuntimeError(f"server binary {path} is not an executable file; set LIASONPAY_BIN")
    return path


def keep_tmp() -> bool:
    return os.environ.get("LIASONPAY_KEEP_TMP", "") not in ("", "0")


def require_tool(name: str, package: str) -> str:
    """Absolute path of the program `name`; a missing one FAILS the calling test, naming the Debian
    package (scripts/setup installs every program of scripts/deps.txt; scripts/doctor checks
    them). test_deps.py checks that each (name, package) used with this is a row there."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError(
            f"`{name}` is not installed: it comes with the Debian package {package} "
            f"(`apt-get install -y {package}`, or scripts/setup; scripts/doctor lists what is "
            f"missing). This test is never skipped.")
    return path


def run_cli(args, timeout=30, cwd=None, env=None):
    """Runs the binary with `args`; returns CompletedProcess (text, both streams captured)."""
    return subprocess.run([binary_path(), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=cwd, env=env, stdin=subprocess.DEVNULL)


# --------------------------------------------------------------------------------------------
# Raw HTTP/1.1 response parsing (for hand-written requests on raw sockets).
# --------------------------------------------------------------------------------------------

class RawResponse:
    def __init__(self, status: int, reason: str, headers: dict, body: bytes, raw_head: bytes):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.raw_head = raw_head

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return f"RawResponse({self.status} {self.reason!r}, {self.headers!r}, {self.body[:300]!r})"


def _recv(sock, n=65536):
    try:
        return sock.recv(n)
    except ssl.SSLZeroReturnError:
        return b""
    except ssl.SSLEOFError:
        return b""


def read_raw_response(sock, timeout: float = 10.0, initial: bytes = b"") -> RawResponse:
    """Reads one HTTP/1.1 response (Content-Length, chunked or until close) from `sock`;
    `initial` holds bytes of it already read."""
    deadline = time.monotonic() + timeout
    buf = initial

    def more():
        nonlocal buf
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete response within {timeout}s; got {buf[:500]!r}")
        sock.settimeout(remaining)
        try:
            chunk = _recv(sock)
        except socket.timeout as e:
            raise TimeoutError(f"no complete response within {timeout}s; got {buf[:500]!r}") from e
        buf += chunk
        return chunk

    while b"\r\n\r\n" not in buf:
        if not more():
            raise ConnectionError(f"connection closed before a full response head: {buf[:500]!r}")
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/(\d\.\d) (\d{3})(?: (.*))?$", lines[0])
    if not m:
        raise ValueError(f"bad status line {lines[0]!r}")
    status, reason = int(m.group(2)), m.group(3) or ""
    headers: dict = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        k = k.strip().lower()
        v = v.strip()
        headers[k] = f"{headers[k]}, {v}" if k in headers else v
    buf = rest
    if "content-length" in headers:
        n = int(headers["content-length"])
        while len(buf) < n:
            if not more():
                raise ConnectionError("connection closed inside the body")
        body = buf[:n]
    elif "chunked" in headers.get("transfer-encoding", "").lower():
        body = b""
        while True:
            while b"\r\n" not in buf:
                if not more():
                    raise ConnectionError("connection closed inside a chunk")
            size_line, _, buf = buf.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            while len(buf) < size + 2:
                if not more():
                    raise ConnectionError("connection closed inside a chunk")
            body += buf[:size]
            buf = buf[size + 2:]
            if size == 0:
                break
    else:
        while more():
            pass
        body = buf
    return RawResponse(status, reason, headers, body, head)


def wait_closed(sock, timeout: float) -> bool:
    """True if the peer closes `sock` (EOF, close_notify or reset) within `timeout` seconds.
    Any application data that arrives meanwhile is discarded."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            data = _recv(sock)
        except socket.timeout:
            return False
        except (ConnectionError, ssl.SSLError, OSError):
            return True
        if not data:
            return True


# --------------------------------------------------------------------------------------------
# Server process
# --------------------------------------------------------------------------------------------

class Server:
    """One `liasonpay serve` process in its own data directory."""

    def __init__(self, extra_args=None, data_dir=None, dev=True, start=True):
        self.bin = binary_path()
        self.extra_args = list(extra_args or [])
        self.dev = dev
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="lp-it-")
        # Logs live outside the data dir so that a restart on the same data dir gets a new file.
        self.log_dir = tempfile.mkdtemp(prefix="lp-it-logs-")
        self.proc: subprocess.Popen | None = None
        self.ports: dict = {}
        self.exit_code = None
        self._ctx = None
        self._generation = 0
        if start:
            self.start()

    # -- paths --------------------------------------------------------------------------------
    @property
    def cert_path(self):
        return os.path.join(self.data_dir, "tls", "cert.pem")

    @property
    def key_path(self):
        return os.path.join(self.data_dir, "tls", "key.pem")

    @property
    def credentials_path(self):
        return os.path.join(self.data_dir, "dev-credentials.json")

    @property
    def ports_path(self):
        return os.path.join(self.data_dir, "ports.json")

    @property
    def db_path(self):
        return os.path.join(self.data_dir, "liasonpay.db")

    # -- lifecycle ----------------------------------------------------------------------------
    def command(self):
        cmd = [self.bin, "serve"]
        if self.dev:
            cmd.append("--dev")
        cmd += ["--data-dir", self.data_dir, "--api-addr", "127.0.0.1:0",
                "--dashboard-addr", "127.0.0.1:0", "--ops-addr", "127.0.0.1:0"]
        # Suites hammer one key on purpose; per-key rate limits are tested where they are the
        # subject (they pass their own --rate-limit-per-key).
        if "--rate-limit-per-key" not in self.extra_args:
            cmd += ["--rate-limit-per-key", "0"]
        return cmd + self.extra_args

    def start(self):
        if self.proc is not None and self.proc.poll() is None:
            raise RuntimeError("server already running")
        # A stale ports.json from an earlier run on the same data dir would point at dead ports.
        try:
            os.unlink(self.ports_path)
        except FileNotFoundError:
            pass
        self._generation += 1
        self.log_path = os.path.join(self.log_dir, f"server-{self._generation}.stderr.jsonl")
        self.stdout_path = os.path.join(self.log_dir, f"server-{self._generation}.stdout.txt")
        self._stderr = open(self.log_path, "wb")
        self._stdout = open(self.stdout_path, "wb")
        self.exit_code = None
        self._ctx = None
        self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=self._stdout,
                                     stderr=self._stderr, cwd=self.data_dir)
        self.started_at = time.monotonic()
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                self._close_files()
                raise RuntimeError(f"server exited with {self.proc.returncode} during start-up; "
                                   f"stderr tail:\n{self.log_tail()}")
            if os.path.exists(self.ports_path):
                try:
                    with open(self.ports_path) as f:
                        ports = json.load(f)
                    if all(isinstance(ports.get(k), int) and ports[k] > 0 for k in LISTENERS):
                        self.ports = ports
                        break
                except (ValueError, OSError):
                    pass  # half-written (should not happen: the server renames) - retry
            if time.monotonic() > deadline:
                self.kill()
                raise RuntimeError(f"ports.json did not appear within {STARTUP_TIMEOUT}s; "
                                   f"stderr tail:\n{self.log_tail()}")
            time.sleep(0.05)
        return self

    def _close_files(self):
        for f in (getattr(self, "_stderr", None), getattr(self, "_stdout", None)):
            if f and not f.closed:
                f.close()

    @property
    def pid(self):
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stop(self, timeout: float = 15.0):
        """Sends SIGTERM, waits up to `timeout` s and returns the exit code (kills on timeout,
        returning None)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.exit_code = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                self.exit_code = None
        else:
            self.exit_code = self.proc.returncode
        self._close_files()
        return self.exit_code

    def wait(self, timeout: float):
        """Waits for exit; returns the code or None on timeout."""
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self._close_files()
        return self.exit_code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_files()

    def cleanup(self):
        """Stops the server (if running) and removes its temporary directories."""
        if self.alive():
            self.stop()
        self.kill()
        if keep_tmp():
            print(f"\n[harness] kept data dir {self.data_dir}, logs {self.log_dir}")
            return
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
        shutil.rmtree(self.log_dir, ignore_errors=True)

    # -- credentials --------------------------------------------------------------------------
    def credentials(self, timeout: float = 15.0) -> dict:
        """dev-credentials.json once it has an api_key (the key may arrive after ports.json)."""
        deadline = time.monotonic() + timeout
        last = None
        while True:
            try:
                with open(self.credentials_path) as f:
                    last = json.load(f)
                if isinstance(last.get("api_key"), str) and last["api_key"]:
                    return last
            except (OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.credentials_path} has no api_key after {timeout}s "
                                     f"(last content: {last!r})")
            time.sleep(0.1)

    def api_key(self) -> str:
        return self.credentials()["api_key"]

    def auth(self) -> dict:
        return {"Authorization": f"Bearer {self.api_key()}"}

    # -- TLS ----------------------------------------------------------------------------------
    def ssl_context(self, min_version=None, max_version=None, ciphers=None) -> ssl.SSLContext:
        ctx = ssl.create_default_context(cafile=self.cert_path)
        if min_version is not None:
            ctx.minimum_version = min_version
        if max_version is not None:
            ctx.maximum_version = max_version
        if ciphers:
            ctx.set_ciphers(ciphers)
        return ctx

    def context(self) -> ssl.SSLContext:
        if self._ctx is None:
            self._ctx = self.ssl_context()
        return self._ctx

    def port(self, listener: str) -> int:
        return int(self.ports[listener])

    def raw_tcp_socket(self, listener: str, timeout: float = 10.0) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port(listener)), timeout=timeout)

    def raw_tls_socket(self, listener: str, timeout: float = 10.0, context=None) -> ssl.SSLSocket:
        """A connected, handshaken TLS socket to `listener` (certificate verified)."""
        sock = self.raw_tcp_socket(listener, timeout)
        try:
            return (context or self.context()).wrap_socket(sock, server_hostname="localhost")
        except BaseException:
            sock.close()
            raise

    def connection(self, listener: str, timeout: float = 10.0) -> http.client.HTTPSConnection:
        """A keep-alive HTTPS connection (http.client reconnects if the server closed it)."""
        return http.client.HTTPSConnection("localhost", self.port(listener), timeout=timeout,
                                           context=self.context())

    def request(self, listener: str, method: str, path: str, body=None, headers=None, conn=None,
                timeout: float = 10.0):
        """One request; returns (status, headers with lower-case names, body bytes).

        `body` may be bytes, str, or a dict/list (sent as JSON). Without `conn` a fresh TLS
        connection is used and closed; with `conn` (from `connection()`) it is kept alive."""
        hdrs = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif isinstance(body, str):
            body = body.encode()
        own = conn is None
        c = conn or self.connection(listener, timeout)
        try:
            c.request(method, path, body=body, headers=hdrs)
            resp = c.getresponse()
            data = resp.read()
            hmap: dict = {}
            for k, v in resp.getheaders():
                k = k.lower()
                hmap[k] = f"{hmap[k]}, {v}" if k in hmap else v
            return resp.status, hmap, data
        finally:
            if own:
                c.close()

    def get_json(self, listener, path, **kw):
        status, headers, body = self.request(listener, "GET", path, **kw)
        return status, headers, json.loads(body) if body else None

    def raw_exchange(self, listener: str, data: bytes, timeout: float = 10.0) -> RawResponse:
        """Sends raw bytes over a fresh TLS connection and reads one response."""
        s = self.raw_tls_socket(listener, timeout)
        try:
            s.sendall(data)
            return read_raw_response(s, timeout)
        finally:
            s.close()

    # -- process introspection ----------------------------------------------------------------
    def rss_kb(self) -> int:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("VmRSS not found")

    def open_fds(self) -> int:
        return len(os.listdir(f"/proc/{self.pid}/fd"))

    # -- logs ---------------------------------------------------------------------------------
    def log_text(self) -> str:
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_text().splitlines()[-n:])
        except OSError:
            return "<no log>"

    def log_records(self, strict: bool = False):
        """Parsed JSON log lines. With strict=True, raises ValueError naming the first non-empty
        line that is not JSON; otherwise such lines are skipped."""
        out = []
        for i, line in enumerate(self.log_text().splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError as e:
                if strict:
                    raise ValueError(f"stderr line {i} is not JSON: {line[:300]!r}") from e
        return out

    def wait_for_access_lines(self, request_ids, timeout: float = 8.0) -> dict:
        """Waits until an access line exists for every request id; returns {request_id: record}."""
        want = set(request_ids)
        deadline = time.monotonic() + timeout
        while True:
            found = {}
            for line in self.log_text().splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if isinstance(rec, dict) and rec.get("msg") == "access" and \
                        rec.get("request_id") in want:
                    found[rec["request_id"]] = rec
            if set(found) == want or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    # -- context manager ----------------------------------------------------------------------
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()


# --------------------------------------------------------------------------------------------
# Helpers shared by test modules
# --------------------------------------------------------------------------------------------

def assert_error_shape(tc: unittest.TestCase, status: int, headers: dict, body: bytes,
                       expect_status=None, expect_type=None):
    """Asserts the JSON error shape {"error":{"type","code","message","request_id"}} and that
    request_id equals the Request-Id header. Returns the "error" object."""
    if expect_status is not None:
        if isinstance(expect_status, (tuple, list, set)):
            tc.assertIn(status, expect_status, body[:500])
        else:
            tc.assertEqual(status, expect_status, body[:500])
    tc.assertIn("application/json", headers.get("content-type", ""), headers)
    try:
        doc = json.loads(body)
    except ValueError:
        tc.fail(f"error body is not JSON: {body[:500]!r}")
    tc.assertIsInstance(doc, dict)
    tc.assertIn("error", doc, doc)
    err = doc["error"]
    tc.assertIsInstance(err, dict)
    for field in ("type", "code", "message", "request_id"):
        tc.assertIn(field, err, err)
        tc.assertIsInstance(err[field], str, err)
        tc.assertTrue(err[field], f"empty {field} in {err}")
    if "param" in err:
        tc.assertIsInstance(err["param"], (str, type(None)), err)
    tc.assertIn("request-id", headers, headers)
    tc.assertEqual(err["request_id"], headers["request-id"])
    if expect_type is not None:
        tc.assertEqual(err["type"], expect_type, err)
    return err


def parse_metrics(text: str):
    """Prometheus text format → list of (name, labels dict, value float)."""
    samples = []
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$", line)
        if not m:
            raise ValueError(f"bad metrics line {line!r}")
        labels = {k: bytes(v, "utf-8").decode("unicode_escape") for k, v in
                  label_re.findall(m.group(3) or "")}
        samples.append((m.group(1), labels, float(m.group(4))))
    return samples


def readable(sock, timeout: float) -> bool:
    """The OS socket has bytes (for TLS these may be protocol records such as TLS 1.3 session
    tickets, not application data: use poll_recv to wait for data or close)."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    r, _, _ = select.select([sock], [], [], timeout)
    return bool(r)


def poll_recv(sock, timeout: float):
    """Waits up to `timeout` s for application data or a close. Returns None if neither came,
    b"" if the peer closed (EOF, close_notify, reset), else the data read."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if not readable(sock, max(0.0, remaining)):
            return None
        prev = sock.gettimeout()
        sock.setblocking(False)
        try:
            data = sock.recv(65536)
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            data = None  # only TLS records without application data (e.g. session tickets)
        except (ssl.SSLZeroReturnError, ssl.SSLEOFError, ConnectionError):
            data = b""
        except (ssl.SSLError, OSError):
            data = b""
        finally:
            sock.settimeout(prev)
        if data is not None:
            return data
        if remaining <= 0:
            return None
