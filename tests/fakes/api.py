"""A small base for the fake platforms of the API publisher tests (pytest-httpserver on 127.0.0.1).

Each fake routes requests to handlers that check them the way the platform documents them and answer
with the documented shapes. A failed check never passes silently: the fake answers 400 with what was
wrong (so the publisher fails) and records it in `problems`, which the test's fixture asserts empty.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

Handler = Callable[..., Response]


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    """One local server per test module (starting and stopping one per test costs ~0.5 s each)."""
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    yield server
    server.clear()
    server.stop()


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body), status=status, headers=dict(headers or {}), content_type="application/json"
    )


class FakeApi:
    """Routes, the one-shot rate limit and rejection the contract asks for, and a record of problems."""

    def __init__(self, server: HTTPServer) -> None:
        server.clear()
        self.server = server
        self.problems: list[str] = []
        self.seen: list[tuple[str, str]] = []  # (method, path) of every request, in order
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._rate_limit: int | None = None
        self._reject = False
        server.expect_request(re.compile(".*")).respond_with_handler(self._dispatch)

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return self.server.url_for("/").rstrip("/")

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """`pattern` is a regular expression for the whole path; named groups become keyword arguments."""
        self._routes.append((method, re.compile(pattern), handler))

    # -- what the contract's Server protocol asks of every fake ------------------------------------

    def rate_limit_next(self, seconds: int) -> None:
        self._rate_limit = seconds

    def take_rate_limit(self) -> int | None:
        """The pending rate limit, once: create handlers call it first."""
        seconds, self._rate_limit = self._rate_limit, None
        return seconds

    def take_reject(self) -> bool:
        rejected, self._reject = self._reject, False
        return rejected

    def arm_reject(self) -> None:
        self._reject = True

    # -- dispatch -------------------------------------------------------------------------------------

    def _dispatch(self, request: Request) -> Response:
        self.seen.append((request.method, request.path))
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(request.path)
            if match and method == request.method:
                try:
                    return handler(request, **match.groupdict())
                except AssertionError as error:
                    return self._problem(request, f"request does not follow the documentation: {error}")
        return self._problem(request, "no such endpoint in the fake (not a documented call)")

    def _problem(self, request: Request, message: str) -> Response:
        text = f"{request.method} {request.path}: {message}"
        self.problems.append(text)
        return json_response({"message": f"fake platform: {text}"}, 400)


def strict_model(model: Any, data: Any, where: str = "body") -> None:
    """Validate `data` with an SDK's pydantic model, also refusing fields the model does not declare
    (the SDK's models allow extra fields; a misspelt field would otherwise pass unnoticed)."""
    model.model_validate(data)
    _no_unknown_fields(model, data, where)


def _no_unknown_fields(model: Any, data: Any, where: str) -> None:
    if not isinstance(data, dict):
        return
    fields = model.model_fields
    aliases = {field.alias or name: name for name, field in fields.items()}
    unknown = set(data) - set(aliases)
    assert not unknown, f"{where}: fields not in {model.__name__}: {sorted(unknown)}"
    for key, value in data.items():
        annotation = fields[aliases[key]].annotation
        for inner in _models_in(annotation, model):
            if isinstance(value, list):
                for item in value:
                    _no_unknown_fields(inner, item, f"{where}.{key}[]")
            else:
                _no_unknown_fields(inner, value, f"{where}.{key}")


def _models_in(annotation: Any, owner: Any) -> list[Any]:
    """The pydantic models inside an annotation such as Optional["CreatePostsReply"]."""
    import typing

    from pydantic import BaseModel

    found: list[Any] = []
    stack = [annotation]
    module = __import__(owner.__module__, fromlist=["_"])
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            item = getattr(module, item, None)
        if isinstance(item, typing.ForwardRef):
            item = getattr(module, item.__forward_arg__, None)
        if isinstance(item, type) and issubclass(item, BaseModel):
            found.append(item)
        else:
            stack.extend(typing.get_args(item))
    return found
