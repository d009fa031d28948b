"""Mastodon's API as the tests see it: the OpenAPI description (../shared/platform-specs/mastodon/,
read in place) that checks each request, and the proxy that puts that check in front of a server (the
mastodon-mock in test_publisher_mastodon.py, Takahē in test_publisher_takahe.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from mastodon_mock.testing import MockServer
from referencing import Registry
from referencing.jsonschema import DRAFT202012
from werkzeug.wrappers import Response

from tests.fakes.http_platform import Call, FakePlatform, json_response

SPEC = Path(__file__).resolve().parents[3] / "shared" / "platform-specs" / "mastodon" / "openapi.json"
_SPEC_URI = "urn:postwright:mastodon-openapi"
_HOP_HEADERS = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


class OpenApi:
    """Checks one request against its operation: the path and method exist, every query parameter
    and body field is declared, and the values validate against their JSON Schemas (2020-12)."""

    def __init__(self, path: Path) -> None:
        self.doc = json.loads(path.read_text("utf-8"))
        # SOURCES.md: createStatus' request schema is a oneOf that rejects a status with both text and
        # media ids (TextStatus and MediaStatus both match); Mastodon accepts it, so treat it as anyOf
        body = self.doc["paths"]["/api/v1/statuses"]["post"]["requestBody"]["content"]["application/json"]
        body["schema"]["anyOf"] = body["schema"].pop("oneOf")
        self.registry = Registry().with_resource(_SPEC_URI, DRAFT202012.create_resource(self.doc))
        templates = sorted(self.doc["paths"], key=lambda template: (template.count("{"), -len(template)))
        self.templates = [
            (re.compile(re.sub(r"\{[^}]+\}", "[^/]+", template)), template) for template in templates
        ]

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """The most literal path template that matches and has the method (verify_credentials before {id})."""
        for pattern, template in self.templates:
            if pattern.fullmatch(path) and method.lower() in self.doc["paths"][template]:
                return template, self.doc["paths"][template][method.lower()]
        return None

    def problems(self, call: Call) -> list[str]:
        found = self.operation(call.method, call.path)
        if found is None:
            return [f"{call.method} {call.path}: no such operation in the Mastodon API description"]
        template, operation = found
        where = f"{call.method} {template} ({operation.get('operationId')})"
        return [
            f"{where}: {problem}"
            for problem in self._query(call, operation) + self._body(call, template, operation)
        ]

    def _query(self, call: Call, operation: dict[str, Any]) -> list[str]:
        declared = {
            param["name"]: param for param in operation.get("parameters", []) if param["in"] == "query"
        }
        problems = []
        for name, values in call.query.items():
            param = declared.get(name.removesuffix("[]"))
            if param is None:
                problems.append(f"query parameter {name!r} is not declared")
                continue
            for value in values:
                problems += [
                    f"query {name}={value!r}: {error.message}"
                    for error in self._errors(param["schema"], _typed(value, param["schema"]))
                ]
        return problems

    def _body(self, call: Call, template: str, operation: dict[str, Any]) -> list[str]:
        request_body = operation.get("requestBody")
        if request_body is None:
            return (
                [] if not call.body else [f"a body ({len(call.body)} bytes) where the operation takes none"]
            )
        content = request_body["content"]
        if call.mimetype not in content:
            return [f"Content-Type {call.mimetype!r}; the operation takes {sorted(content)}"]
        if call.mimetype == "application/json":
            instance = call.json
        else:  # multipart/form-data: fields as strings, files as binary strings
            instance = {name: values[0] for name, values in call.form.items()} | dict.fromkeys(
                call.files, "<binary>"
            )
        pointer = "/".join(
            [
                "#",
                "paths",
                _escape(template),
                call.method.lower(),
                "requestBody",
                "content",
                _escape(call.mimetype),
                "schema",
            ]
        )
        schema = {"$ref": _SPEC_URI + pointer}
        problems = [f"body: {error.message}" for error in self._errors(schema, instance)]
        known = self._properties(content[call.mimetype]["schema"])
        if isinstance(instance, dict) and known is not None:
            problems += [f"body field {name!r} is not declared" for name in sorted(set(instance) - known)]
        return problems

    def _errors(self, schema: dict[str, Any], instance: Any) -> list[Any]:
        return list(Draft202012Validator(schema, registry=self.registry).iter_errors(instance))

    def _properties(self, schema: dict[str, Any]) -> set[str] | None:
        """Every property a schema declares through $ref, allOf, anyOf and oneOf; None when open."""
        if "$ref" in schema:
            name = schema["$ref"].removeprefix("#/components/schemas/")
            return self._properties(self.doc["components"]["schemas"][name])
        found = set(schema.get("properties", {}))
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                nested = self._properties(part)
                if nested is None:
                    return None
                found |= nested
        return found or None


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _typed(value: str, schema: dict[str, Any]) -> Any:
    """A query string value as the type its schema names."""
    kind = schema.get("type")
    if kind == "integer" and re.fullmatch(r"-?\d+", value):
        return int(value)
    if kind == "boolean" and value in ("true", "false"):
        return value == "true"
    return value


class MastodonProxy(FakePlatform):
    """Forwards every request to the mock after checking it; plays media processing on request."""

    def __init__(self, httpserver, mock: MockServer, openapi: OpenApi | None) -> None:
        super().__init__(httpserver)
        self.mock = mock
        self.openapi = openapi
        self.processing_polls = 0  # > 0: uploads answer 202 and stay 206 for this many polls
        self._processing: dict[str, int] = {}

    def routes(self):
        return [(method, r"/.*", self._forward) for method in ("GET", "POST", "PUT", "DELETE")]

    def _forward(self, call: Call, match: re.Match[str]) -> Response:
        if self.openapi is not None:
            self.problems += self.openapi.problems(call)
        if call.path != "/api/v2/instance":
            self.expect(
                call.headers.get("authorization", "").startswith("Bearer "), f"{call.path}: no Bearer token"
            )
        if (injected := self.injected(call)) is not None:
            return injected
        media = re.fullmatch(r"/api/v1/media/(\w+)", call.path)
        if call.method == "GET" and media and self._processing.get(media[1], 0) > 0:
            self._processing[media[1]] -= 1
            return Response(status=206)  # "Partial content": still processing (OpenAPI getMedia)
        if call.method == "POST" and call.path == "/api/v1/statuses":
            pending = [str(m) for m in (call.json or {}).get("media_ids", []) if self._processing.get(str(m))]
            if not self.expect(not pending, f"status created with media {pending} still processing"):
                message = "Cannot attach files that have not finished processing. Try again in a moment!"
                return json_response({"error": message}, 422)
        response = httpx.request(
            call.method,
            self.mock.base_url + call.path,
            params=[(name, value) for name, values in call.query.items() for value in values],
            headers={name: value for name, value in call.headers.items() if name not in _HOP_HEADERS},
            content=call.body,
        )
        headers = {
            name: value
            for name, value in response.headers.items()
            if name.startswith("x-ratelimit") or name == "retry-after"
        }
        if (
            call.method == "POST"
            and call.path == "/api/v2/media"
            and response.status_code == 200
            and self.processing_polls
        ):
            attachment = {**response.json(), "url": None}  # 202: "url will be null while processing"
            self._processing[str(attachment["id"])] = self.processing_polls
            return json_response(attachment, 202)
        return Response(
            response.content,
            status=response.status_code,
            headers=headers,
            content_type=response.headers.get("content-type"),
        )
