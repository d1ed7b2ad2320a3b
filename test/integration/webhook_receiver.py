"""A programmable plain-HTTP webhook receiver for the integration suite (Python 3.11 stdlib only).

`WebhookReceiver` listens on 127.0.0.1:0 (threaded, HTTP/1.1 keep-alive), records every request
(arrival time, method, path, headers, raw body bytes, the status it answered) and answers from a
programmable plan:

    rx = WebhookReceiver()                  # 200 to everything
    rx.fail_times(3)                        # 500, 500, 500, then 200
    rx.down()                               # 503 always, until rx.up()
    rx.toggle()                             # 503, 200, 503, 200, ...
    rx.redirect_to("http://127.0.0.1:1/x")  # 302 with that Location, always
    rx.set_plan([500, 404, 200], default=200)
    rx.set_policy(lambda n, req: 200)       # any callable: (request index, Request) -> status

    rx.stop_listening() / rx.resume_listening()   # really down: connections are refused

Use it as a context manager or call `close()`. Requests are kept in `rx.requests` (a list, oldest
first, guarded by `rx.lock`); `wait_for(pred, timeout)` polls them.
"""

from __future__ import annotations

import dataclasses
import errno
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclasses.dataclass
class Request:
    """One request as the receiver saw it."""
    index: int               # 0-based arrival order on this receiver
    time: float              # time.monotonic() when the body had been read
    wall: float              # time.time() at the same moment
    method: str
    path: str
    headers: dict            # lower-case name -> value (repeated headers joined with ", ")
    raw_headers: list        # [(name, value)] as received
    body: bytes              # the raw body bytes, exactly as received
    status: int = 0          # the status the receiver answered

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)

    @property
    def webhook_id(self):
        return self.headers.get("webhook-id")

    def json(self):
        import json
        return json.loads(self.body)

    def __repr__(self):
        return (f"Request(#{self.index} {self.method} {self.path} -> {self.status}, "
                f"id={self.webhook_id!r}, body={self.body[:120]!r})")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "lp-test-receiver"
    sys_version = ""

    def log_message(self, fmt, *args):  # quiet
        pass

    def _read_body(self) -> bytes:
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            out = b""
            while True:
                line = self.rfile.readline()
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    # trailers up to the blank line
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return out
                out += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def _handle(self):
        rx: WebhookReceiver = self.server.receiver  # type: ignore[attr-defined]
        body = self._read_body()
        raw = [(k, v) for k, v in self.headers.items()]
        hmap: dict = {}
        for k, v in raw:
            k = k.lower()
            hmap[k] = f"{hmap[k]}, {v}" if k in hmap else v
        req = Request(index=-1, time=time.monotonic(), wall=time.time(), method=self.command,
                      path=self.path, headers=hmap, raw_headers=raw, body=body)
        status, extra = rx._decide(req)
        if status in (204, 304) or self.command == "HEAD":
            payload = b""
        else:
            payload = b"ok\n" if 200 <= status < 300 else f"status {status}\n".encode()
        try:
            self.send_response(status)
            for k, v in extra.items():
                self.send_header(k, v)
            if status not in (204, 304):
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle
    do_PATCH = _handle
    do_DELETE = _handle
    do_HEAD = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def __init__(self, *a, **kw):
        self.active = set()
        self.active_lock = threading.Lock()
        super().__init__(*a, **kw)

    def process_request_thread(self, request, client_address):
        with self.active_lock:
            self.active.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.active_lock:
                self.active.discard(request)

    def handle_error(self, request, client_address):
        pass  # a connection reset by drop_connections() or by the client is not an error here

    def drop_connections(self):
        """Resets every open (keep-alive) connection."""
        with self.active_lock:
            socks = list(self.active)
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class WebhookReceiver:
    """See the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, default_status: int = 200):
        self.host = host
        self.lock = threading.Lock()
        self.cond = threading.Condition(self.lock)
        self.requests: list[Request] = []
        self._plan: list = []
        self._default = default_status
        self._policy = None          # callable(index, Request) -> int, overrides plan/default
        self._location = None        # Location header for 3xx answers
        self._httpd = None
        self._thread = None
        self.port = port
        self._listen(port)

    # -- listening ----------------------------------------------------------------------------
    def _listen(self, port: int):
        httpd = _Server((self.host, port), _Handler)
        httpd.receiver = self  # type: ignore[attr-defined]
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"webhook-receiver-{self.port}", daemon=True)
        self._thread.start()

    def stop_listening(self):
        """Closes the listening socket: new connections are refused (a receiver that is down)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.drop_connections()
            self._httpd = None

    def resume_listening(self, timeout: float = 5.0):
        """Listens again on the same port."""
        if self._httpd is not None:
            return
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._listen(self.port)
                return
            except OSError as e:
                if e.errno != errno.EADDRINUSE or time.monotonic() > deadline:
                    raise RuntimeError(f"cannot listen again on port {self.port}: {e}") from e
                time.sleep(0.05)

    @property
    def listening(self) -> bool:
        return self._httpd is not None

    def close(self):
        self.stop_listening()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- URLs ---------------------------------------------------------------------------------
    def url(self, path: str = "/webhook") -> str:
        return f"http://{self.host}:{self.port}{path}"

    # -- answering ----------------------------------------------------------------------------
    def set_plan(self, statuses, default: int = 200):
        """Answers the next requests with `statuses` in order, then `default`."""
        with self.lock:
            self._plan = list(statuses)
            self._default = default
            self._policy = None

    def fail_times(self, n: int, status: int = 500):
        self.set_plan([status] * n, default=200)

    def down(self, status: int = 503):
        """Answers `status` (503) to everything until up()."""
        self.set_plan([], default=status)

    def up(self):
        self.set_plan([], default=200)

    def toggle(self, fail: int = 503, ok: int = 200, start_failing: bool = True):
        """Alternates fail/ok on consecutive requests."""
        first, second = (fail, ok) if start_failing else (ok, fail)
        self.set_policy(lambda n, req: first if n % 2 == 0 else second)

    def redirect_to(self, location: str, status: int = 302):
        with self.lock:
            self._location = location
        self.set_plan([], default=status)

    def set_policy(self, fn):
        """fn(index, Request) -> status; called under the receiver's lock."""
        with self.lock:
            self._policy = fn
            self._plan = []

    def _decide(self, req: Request):
        with self.cond:
            req.index = len(self.requests)
            if self._policy is not None:
                status = int(self._policy(req.index, req))
            elif self._plan:
                status = int(self._plan.pop(0))
            else:
                status = self._default
            req.status = status
            self.requests.append(req)
            self.cond.notify_all()
            extra = {}
            if 300 <= status < 400 and self._location:
                extra["Location"] = self._location
            return status, extra

    # -- inspection ---------------------------------------------------------------------------
    def snapshot(self) -> list:
        with self.lock:
            return list(self.requests)

    def clear(self):
        with self.lock:
            self.requests.clear()

    def count(self) -> int:
        with self.lock:
            return len(self.requests)

    def by_webhook_id(self, webhook_id: str) -> list:
        with self.lock:
            return [r for r in self.requests if r.webhook_id == webhook_id]

    def delivered_ids(self) -> set:
        """webhook-ids answered with a 2xx at least once."""
        with self.lock:
            return {r.webhook_id for r in self.requests if 200 <= r.status < 300}

    def wait_for(self, pred, timeout: float = 10.0, poll: float = 0.05):
        """Waits until pred(list of requests) is truthy; returns its value, or None on timeout."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                v = pred(list(self.requests))
                if v:
                    return v
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self.cond.wait(min(poll, remaining))

    def wait_count(self, n: int, timeout: float = 10.0, where=None) -> list:
        """Waits until at least n requests (matching `where`, if given) arrived; returns them
        (all matching ones, possibly fewer than n on timeout)."""
        def matching(reqs):
            return [r for r in reqs if where is None or where(r)]
        got = self.wait_for(lambda reqs: len(matching(reqs)) >= n and matching(reqs), timeout)
        return got if got else matching(self.snapshot())


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound and released)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
