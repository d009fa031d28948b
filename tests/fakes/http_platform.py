"""A platform's HTTP API played by a local pytest-httpserver, for publisher tests.

A test module subclasses `FakePlatform`, lists the platform's endpoints in `routes()` and writes
one handler per endpoint. Every request is recorded as a `Call` (method, path, query, headers, JSON
body or form fields and file parts), each handler checks it the way the platform documents it with
`expect(...)` (every broken rule is kept in `problems`, which `serve()` asserts empty after the
test), and answers with the platform's documented response shapes. `fail_next(...)` makes the next
matching request fail as the platform fails (a 429 with its retry hint, a 4xx with its message);
handlers call `injected(call)` after their checks and before they change any state.

Nothing here knows a platform: the X and LinkedIn tests can use it as the Telegram and Discord ones
do. `Call.from_httpx` turns a client-side httpx request into the same record, for tests that watch
requests in a transport or a forwarding proxy instead.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from pytest_httpserver import HTTPServer
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request, Response

JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True, slots=True)
class FilePart:
    """One file of a multipart body, as the part's headers name it."""

    filename: str | None
    content_type: str | None
    data: bytes


@dataclass(frozen=True)
class Call:
    """One request as the platform received it."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # names in lower case
    mimetype: str  # the Content-Type without parameters, "" when there is no body
    json: Any = None  # the parsed body when it is JSON
    form: Mapping[str, list[str]] = field(default_factory=dict)  # multipart/urlencoded fields
    files: Mapping[str, FilePart] = field(default_factory=dict)  # multipart file parts by field name
    body: bytes = b""

    @classmethod
    def from_request(cls, request: Request) -> Call:
        body = request.get_data(cache=True)
        parsed = None
        if request.mimetype == "application/json" and body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = ValueError("body is not JSON")
        files = {
            name: FilePart(storage.filename, storage.mimetype or None, storage.read())
            for name, storage in request.files.items(multi=True)
        }
        return cls(
            method=request.method,
            path=request.path,
            query={name: request.args.getlist(name) for name in request.args},
            headers={name.lower(): value for name, value in request.headers.items()},
            mimetype=request.mimetype,
            json=parsed,
            form={name: request.form.getlist(name) for name in request.form},
            files=files,
            body=body,
        )

    @classmethod
    def from_httpx(cls, request: httpx.Request) -> Call:
        """The same record for a request seen on the client side (a recording transport)."""
        builder = EnvironBuilder(
            method=request.method,
            path=request.url.path,
            query_string=request.url.query.decode(),
            headers=list(request.headers.items()),
            data=request.read(),
        )
        return cls.from_request(Request(builder.get_environ()))

    def field(self, name: str) -> str | None:
        """The first value of a form field."""
        values = self.form.get(name)
        return values[0] if values else None

    def json_field(self, name: str) -> Any:
        """A form field holding JSON (Telegram's media, Discord's payload_json); None when absent."""
        value = self.field(name)
        return None if value is None else json.loads(value)

    def arg(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


Handler = Callable[[Call, re.Match[str]], Response]
Route = tuple[str, str, Handler]  # method, path regex (full match), handler


class FakePlatform:
    """One platform on a local server: routes, recorded calls, problems and injected failures."""

    def __init__(self, httpserver: HTTPServer) -> None:
        httpserver.clear()  # a fake takes the whole server: nothing left from the test before
        self.httpserver = httpserver
        self.calls: list[Call] = []
        self.problems: list[str] = []
        self._failures: list[tuple[Callable[[Call], bool], Callable[[Call], Response]]] = []
        self._lock = threading.RLock()
        self._routes = [(method, re.compile(pattern), handler) for method, pattern, handler in self.routes()]
        httpserver.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)

    @property
    def url(self) -> str:
        """The server's base URL, without a trailing slash."""
        return self.httpserver.url_for("/").rstrip("/")

    def routes(self) -> Iterable[Route]:
        raise NotImplementedError

    def unknown(self, call: Call) -> Response:
        """The answer to a request no route takes (a subclass answers in the platform's shape)."""
        return json_response({"error": f"no such endpoint: {call.method} {call.path}"}, 404)

    # -- what handlers use -------------------------------------------------------------------------

    def expect(self, condition: bool, message: str) -> bool:
        """Keep `message` as a problem unless `condition` holds; returns the condition."""
        if not condition:
            self.problems.append(message)
        return condition

    def fail_next(self, when: Callable[[Call], bool], respond: Callable[[Call], Response]) -> None:
        """The next call for which `when` holds gets `respond(call)` instead of its normal answer."""
        with self._lock:
            self._failures.append((when, respond))

    def injected(self, call: Call) -> Response | None:
        """An injected failure for this call, taken off the queue; None to answer normally."""
        with self._lock:
            for index, (when, respond) in enumerate(self._failures):
                if when(call):
                    del self._failures[index]
                    return respond(call)
        return None

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        """The recorded calls to one endpoint, oldest first."""
        compiled = re.compile(pattern)
        return [call for call in self.calls if call.method == method and compiled.fullmatch(call.path)]

    # -- the server side ---------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        call = Call.from_request(request)
        with self._lock:
            self.calls.append(call)
            for method, pattern, handler in self._routes:
                match = pattern.fullmatch(call.path)
                if match and call.method == method:
                    return handler(call, match)
            self.problems.append(f"{call.method} {call.path}: the platform has no such endpoint")
            return self.unknown(call)


@contextmanager
def local_server() -> Iterator[HTTPServer]:
    """A pytest-httpserver on 127.0.0.1 (the plugin's own `httpserver` binds "localhost"), meant for
    one module-scoped fixture per test module; each FakePlatform clears it for its test."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        yield server
    finally:
        server.clear()
        server.stop()


@contextmanager
def serve(fake: FakePlatform) -> Iterator[FakePlatform]:
    """Yield the fake; afterwards, every request must have kept the platform's documented rules."""
    yield fake
    fake.httpserver.check()  # errors raised inside handlers
    assert fake.problems == [], "\n".join(fake.problems)


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=dict(headers or {}),
        mimetype="application/json",
    )


def is_image(part: FilePart | None) -> bool:
    """A JPEG or PNG file part whose Content-Type says image/…."""
    return (
        part is not None
        and bool(part.filename)
        and (part.content_type or "").startswith("image/")
        and part.data.startswith((JPEG_MAGIC, PNG_MAGIC))
    )
