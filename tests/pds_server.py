"""A real Bluesky PDS for the tests, and a small proxy in front of it that can misbehave on request.

`Pds.start` runs tests/pds/server.js (@atproto/pds with an in-memory PLC directory, installed by
.ci/setup.d/10-pds.sh with `npm ci --prefix tests/pds`) on 127.0.0.1 with its data in a temporary folder.
Without node or the install it raises `PdsUnavailable` naming what is missing: the tests fail with it,
they are never skipped. `Proxy` forwards every request to the PDS, counts them by XRPC method, and can
answer the next create with a 429 or a 400 the way the PDS does, or hand out an already expired access
token (signed with the PDS's own JWT secret, so the PDS itself rejects it).
"""

from __future__ import annotations

import base64
import collections
import hashlib
import hmac
import json
import os
import secrets
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

PDS_DIR = Path(__file__).resolve().parent / "pds"
CREATES = frozenset({"com.atproto.repo.createRecord", "com.atproto.repo.applyWrites"})
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class PdsUnavailable(RuntimeError):
    """The local PDS cannot run here; the message says what is missing and how to install it."""


def _check_install() -> str:
    """The node binary, after checking that the pinned packages are installed."""
    install = "run `bash .ci/setup.d/10-pds.sh` (npm ci --prefix tests/pds)"
    node = shutil.which("node")
    if node is None:
        raise PdsUnavailable(f"node is not on PATH: the Bluesky tests need Node.js 20 and npm; {install}")
    wanted = json.loads((PDS_DIR / "package.json").read_text())["dependencies"]
    for name, version in wanted.items():
        manifest = PDS_DIR / "node_modules" / name / "package.json"
        if not manifest.is_file():
            raise PdsUnavailable(f"{name} is not installed in tests/pds/node_modules: {install}")
        found = json.loads(manifest.read_text())["version"]
        if found != version:
            raise PdsUnavailable(f"{name} {found} is installed, package.json pins {version}: {install}")
    return node


@dataclass
class Pds:
    """The running PDS: its URL, the secrets it was started with, and the process."""

    url: str
    jwt_secret: str
    data: Path
    process: subprocess.Popen[bytes]

    @classmethod
    def start(cls, data: Path, timeout: float = 60.0) -> Pds:
        node = _check_install()
        jwt_secret = secrets.token_hex(16)
        env = {
            **os.environ,
            "PDS_TEST_DATA": str(data),
            "PDS_TEST_JWT_SECRET": jwt_secret,
            "PDS_TEST_ADMIN_PASSWORD": secrets.token_hex(16),
            "LOG_ENABLED": "false",
        }
        log = (data / "pds.log").open("wb")
        process = subprocess.Popen(
            [node, "server.js"],
            cwd=PDS_DIR,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
        )
        log.close()
        line = _read_line(process, timeout)
        try:
            url = json.loads(line)["url"]
        except (ValueError, KeyError, TypeError):
            process.kill()
            process.wait()
            tail = (data / "pds.log").read_text("utf-8", "replace")[-2000:]
            said = f"it printed {line[:200]!r}" if line else f"exit {process.returncode}"
            raise PdsUnavailable(f"the PDS did not start ({said}):\n{tail}") from None
        return cls(url, jwt_secret, data, process)

    def stop(self) -> None:
        """Ends the node process (it also exits by itself when its stdin closes) and removes its data."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()
        shutil.rmtree(self.data, ignore_errors=True)


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> str:
    """The process's first line of output, or "" when it exits or stays silent for `timeout` seconds."""
    found: list[bytes] = []
    reader = threading.Thread(target=lambda: found.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    return found[0].decode().strip() if found else ""


@dataclass(frozen=True)
class Account:
    did: str
    handle: str
    password: str  # the account password (for admin-like steps in tests, never given to the publisher)
    app_password: str  # what the publisher logs in with


def create_account(pds_url: str, prefix: str = "t") -> Account:
    """A fresh account (invites are off) and an app password for it."""
    handle = f"{prefix}{uuid.uuid4().hex[:10]}.test"
    password = secrets.token_hex(12)
    with httpx.Client(base_url=pds_url, timeout=30) as client:
        created = client.post(
            "/xrpc/com.atproto.server.createAccount",
            json={"handle": handle, "email": f"{handle}@example.com", "password": password},
        )
        created.raise_for_status()
        body = created.json()
        app = client.post(
            "/xrpc/com.atproto.server.createAppPassword",
            json={"name": "postwright"},
            headers={"authorization": f"Bearer {body['accessJwt']}"},
        )
        app.raise_for_status()
    return Account(body["did"], handle, password, app.json()["password"])


def expired(token: str, secret: str) -> str:
    """The same access token, expired an hour ago, signed HS256 with the PDS's JWT secret as the PDS
    signs its own (packages/pds/src/account-manager/helpers/auth.ts createAccessToken)."""
    header, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    now = int(time.time())
    claims.update(iat=now - 7200, exp=now - 3600)
    body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    signing = f"{header}.{body}".encode()
    signature = hmac.new(secret.encode(), signing, hashlib.sha256).digest()
    return f"{header}.{body}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"


@dataclass
class Proxy:
    """Forwards to the PDS; counts calls; misbehaves once where told. Answers are built like the PDS's."""

    pds: Pds
    calls: collections.Counter[str] = field(default_factory=collections.Counter)
    created: list[str] = field(default_factory=list)  # at:// URIs in the order the PDS created them
    rewrite_password: Callable[[str], str] = lambda password: password
    _next_create: Callable[[], tuple[int, dict[str, str], dict[str, Any]]] | None = None
    _expire_next_session: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.pds.url, timeout=60, follow_redirects=False)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.http.close()

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.created.clear()
            self._next_create = None
            self._expire_next_session = False
            self.rewrite_password = lambda password: password

    # -- what tests ask of it ---------------------------------------------------------------------

    def rate_limit_next(self, seconds: int) -> None:
        """The next create gets the PDS's 429: RateLimit-* headers, the reset in epoch seconds rounded
        down (atproto packages/xrpc-server/src/rate-limiter.ts setStatusHeaders)."""

        def answer() -> tuple[int, dict[str, str], dict[str, Any]]:
            reset = int(time.time() + seconds)
            headers = {
                "RateLimit-Limit": "5000",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(reset),
                "RateLimit-Policy": "5000;w=3600",
            }
            return 429, headers, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"}

        self._next_create = answer

    def reject_next(self, message: str) -> None:
        """The next create gets a 400 InvalidRequest with this message (the PDS's validation error form)."""
        self._next_create = lambda: (400, {}, {"error": "InvalidRequest", "message": message})

    def expire_next_session(self) -> None:
        """The next createSession/refreshSession hands out an access token that is already expired."""
        self._expire_next_session = True

    # -- the forwarding ---------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                proxy._forward(self)

            def do_POST(self) -> None:
                proxy._forward(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet

        return Handler

    def _forward(self, request: BaseHTTPRequestHandler) -> None:
        nsid = request.path.split("?")[0].removeprefix("/xrpc/")
        length = int(request.headers.get("content-length") or 0)
        body = request.rfile.read(length) if length else b""
        with self._lock:
            self.calls[nsid] += 1
            canned = self._next_create if nsid in CREATES else None
            if canned:
                self._next_create = None
        if canned:
            status, headers, answer = canned()
            return self._reply(request, status, headers, json.dumps(answer).encode())
        if nsid == "com.atproto.server.createSession" and body:
            login = json.loads(body)
            login["password"] = self.rewrite_password(login.get("password", ""))
            body = json.dumps(login).encode()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP_BY_HOP}
        response = self.http.request(request.command, request.path, headers=headers, content=body)
        content = response.content
        if response.is_success and nsid in CREATES:
            with self._lock:
                self.created.append(response.json().get("uri", ""))
        session = nsid in ("com.atproto.server.createSession", "com.atproto.server.refreshSession")
        if response.is_success and session and self._expire_next_session:
            self._expire_next_session = False
            answer = response.json()
            answer["accessJwt"] = expired(answer["accessJwt"], self.pds.jwt_secret)
            content = json.dumps(answer).encode()
        kept = {k: v for k, v in response.headers.items() if k.lower() not in _HOP_BY_HOP}
        self._reply(request, response.status_code, kept, content)

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        request.send_response(status)
        if not any(name.lower() == "content-type" for name in headers):
            headers = {"content-type": "application/json; charset=utf-8", **headers}
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("content-length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)
