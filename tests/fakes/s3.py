"""A real S3 protocol on 127.0.0.1: moto's server (the app `moto_server` runs), in a thread, with a log
of the requests it got and a hook to refuse some (a bot rule, an outage).

moto implements the S3 REST API as AWS documents it (PUT/HEAD/GET object, ListObjectsV2, DeleteObjects,
presigned GETs), so the hosting code is tested against the wire protocol rather than a stand-in.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import httpx
import pytest
from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug import Request, Response
from werkzeug.serving import make_server

BUCKET = "windward-media"
KEY_ID, SECRET = "AKIAPOSTWRIGHTTEST01", "postwright-test-secret-0123456789abcdef"


@dataclass
class S3Server:
    """moto's S3 on a free port. `requests`: (method, path, user agent) of each request;
    `refuse(request)` may answer instead of moto (e.g. 403 to Meta's crawler)."""

    requests: list[tuple[str, str, str]] = field(default_factory=list)
    refuse: Callable[[Request], Response | None] | None = None

    def __post_init__(self) -> None:
        self.app = DomainDispatcherApplication(create_backend_app)
        self.server = make_server("127.0.0.1", 0, self.wsgi, threaded=True)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        if request.path.startswith("/moto-api/"):
            return self.app(environ, start_response)
        self.requests.append((request.method, request.path, request.headers.get("User-Agent", "")))
        answer = self.refuse(request) if self.refuse else None
        if answer is not None:
            return answer(environ, start_response)
        return self.app(environ, start_response)

    def reset(self) -> None:
        """Empty every bucket (moto's documented reset endpoint) and the log."""
        httpx.post(f"{self.url}/moto-api/reset").raise_for_status()
        self.requests.clear()
        self.refuse = None

    def puts(self) -> list[str]:
        """The object paths PUT so far (uploads)."""
        return [path for method, path, _ in self.requests if method == "PUT" and path.count("/") > 1]

    def client(self):
        """A client for the test's own setup and checks (not the code under test)."""
        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET,
        )

    def stored_keys(self) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return sorted(item["Key"] for item in listed)


@contextmanager
def running() -> Iterator[S3Server]:
    """The server, running in a thread for as long as the block lasts."""
    server = S3Server()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()


def prepared(server: S3Server, monkeypatch: pytest.MonkeyPatch) -> S3Server:
    """The server emptied, with the test bucket and the keys in the environment config.yml names."""
    server.reset()
    server.client().create_bucket(Bucket=BUCKET)
    server.requests.clear()
    monkeypatch.setenv("PW_S3_KEY_ID", KEY_ID)
    monkeypatch.setenv("PW_S3_SECRET", SECRET)
    for name in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    return server


def media_host_yaml(s3: S3Server, **extra: str) -> str:
    """config.yml's media section for this server."""
    fields = {
        "bucket": BUCKET,
        "endpoint": s3.url,
        "region": "us-east-1",
        "credentials": "{access_key_id: PW_S3_KEY_ID, secret_access_key: PW_S3_SECRET}",
        **extra,
    }
    lines = "".join(f"    {name}: {value}\n" for name, value in fields.items())
    return f"media:\n  host:\n{lines}"
