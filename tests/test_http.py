"""The shared HTTP client and secrets: error mapping, Retry-After, redaction, config wiring."""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from postwright.credentials import CredentialsError, Secrets, redact
from postwright.ledger import Ledger
from postwright.platforms.contract import Connection, PermanentError, TransientError
from postwright.platforms.http_client import ApiClient, retry_after_header
from postwright.publish import Job, Runner

TOKEN = "tok-3f9a/very+secret"


def client(handler, **options) -> ApiClient:
    secrets = Secrets("brand", {"token": "PW_TOKEN"}, environ={"PW_TOKEN": TOKEN})
    connection = Connection("brand", "mastodon", {}, secrets, transport=httpx.MockTransport(handler))
    return ApiClient(connection, f"https://api.example/bot{secrets['token']}/", **options)


def answer(status: int, body: object = None, headers: dict | None = None):
    return lambda request: httpx.Response(status, json=body, headers=headers)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, TransientError),
        (503, TransientError),
        (401, CredentialsError),
        (403, CredentialsError),  # a missing scope or permission: fixed in settings, then sent
        (301, CredentialsError),  # a wrong URL (http:// for https://)
        (422, PermanentError),
    ],
)
def test_answers_map_to_the_publish_steps_errors(status, error):
    with pytest.raises(error) as raised:
        client(answer(status, {"error": "Validation failed: Text is too long"})).request("POST", "statuses")
    assert str(status) in str(raised.value)
    if error is PermanentError:
        assert "Validation failed: Text is too long" in str(raised.value)


def test_retry_after_in_seconds_as_a_date_or_as_a_reset_time():
    now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    request = httpx.Request("POST", "https://x.example/2/tweets")

    def wait(headers):
        return retry_after_header(httpx.Response(429, headers=headers, request=request), now.timestamp())

    assert wait({"Retry-After": "7"}) == 7
    assert wait({"Retry-After": format_datetime(now + timedelta(seconds=30), usegmt=True)}) == 30
    assert wait({"x-rate-limit-reset": str(int(now.timestamp()) + 90)}) == 90
    assert wait({"x-ratelimit-reset": "42"}) == 42  # a delta, as some APIs send it
    assert wait({}) is None


def test_a_429_carries_retry_after():
    with pytest.raises(TransientError) as raised:
        client(answer(429, {"error": "slow down"}, {"Retry-After": "12"})).request("POST", "statuses")
    assert raised.value.retry_after == 12


def test_secrets_never_appear_in_errors_even_when_the_url_or_answer_holds_them():
    def echo(request):
        return httpx.Response(
            400, json={"description": f"Bad Request: token {TOKEN} invalid for {request.url}"}
        )

    with pytest.raises(PermanentError) as raised:
        client(echo).request("POST", "sendMessage")
    assert TOKEN not in str(raised.value) and "tok-3f9a%2Fvery%2Bsecret" not in str(raised.value)
    assert "[secret]" in str(raised.value)

    def broken(request):
        raise httpx.ConnectError(f"cannot reach {request.url}")

    with pytest.raises(TransientError) as raised:
        client(broken).request("POST", "sendMessage")
    assert TOKEN not in str(raised.value) and raised.value.__cause__ is None


def test_a_missing_secret_names_the_variable_not_a_value():
    secrets = Secrets("brand", {"token": "PW_MISSING"}, environ={})
    with pytest.raises(CredentialsError, match="PW_MISSING is not set"):
        secrets["token"]
    with pytest.raises(CredentialsError, match=r"credentials\.other is not set in config.yml"):
        secrets["other"]
    assert secrets.missing(["token", "other"]) == ["PW_MISSING", "credentials.other"]
    assert "PW_MISSING" in repr(secrets) and TOKEN not in repr(Secrets("b", {"t": "X"}, {"X": TOKEN}))


def test_runner_records_credentials_problems_as_retryable_and_redacts_messages(make_project, tmp_path):
    from tests.contract import PublisherContract

    Secrets("brand", {"token": "PW_TOKEN"}, environ={"PW_TOKEN": TOKEN})["token"]  # read: now known

    class Leaky:
        idempotent = True

        def send(self, variant, part, reply_to, key):
            raise CredentialsError(f"token {TOKEN} was rejected")

        def find_sent(self, variant, part, key):
            return None

        def delete(self, remote_id):
            pass

    contract = PublisherContract()
    contract.platform = "mastodon"
    variant = contract.variant(("Hello",))
    ledger = Ledger(tmp_path / "state")
    (outcome,) = Runner(ledger, lambda account: Leaky()).run([Job(variant)])
    assert outcome.status == "failed" and TOKEN not in outcome.message
    record = ledger.read()[variant.key].last(1)
    assert record.status == "failed" and not record.permanent and TOKEN not in (record.error or "")
    assert TOKEN not in (tmp_path / "state" / "ledger.jsonl").read_text()
    assert redact(f"x {TOKEN} y") == "x [secret] y"


def test_http_library_logs_are_redacted(caplog):
    import logging

    with caplog.at_level(logging.DEBUG):
        client(answer(200, {"ok": True})).request("POST", "sendMessage")
    assert "sendMessage" in caplog.text and TOKEN not in caplog.text
    assert "tok-3f9a%2Fvery%2Bsecret" not in caplog.text


def test_only_answers_that_say_no_are_refusals():
    """A refused attempt certainly posted nothing, so the next one needs no lookup first."""
    for status, refused in ((429, True), (408, True), (503, False)):
        with pytest.raises(TransientError) as raised:
            client(answer(status, {"error": "x"})).request("POST", "statuses")
        assert raised.value.refused is refused, status

    def unreachable(request):
        raise httpx.ConnectError("connection refused")

    def lost(request):
        raise httpx.ReadTimeout("no answer")

    for handler, refused in ((unreachable, True), (lost, False)):
        with pytest.raises(TransientError) as raised:
            client(handler).request("POST", "statuses")
        assert raised.value.refused is refused


def test_a_pasted_secret_is_trimmed_and_one_no_token_could_hold_is_refused_unshown():
    assert Secrets("b", {"t": "PW_T"}, environ={"PW_T": "abc123\n"})["t"] == "abc123"
    for bad in ("abc\x00123", "abc123\xa0x", "abc\n123"):
        with pytest.raises(CredentialsError, match="PW_T holds a character") as raised:
            Secrets("b", {"t": "PW_T"}, environ={"PW_T": bad})["t"]
        assert bad not in str(raised.value)


def test_redaction_covers_the_forms_an_exception_shows_a_secret_in():
    Secrets("b", {"t": "PW_T"}, environ={"PW_T": "s3cr\u00e9t-token\n"})
    secret = "s3cr\u00e9t-token"
    with pytest.raises(CredentialsError):
        Secrets("b", {"t": "PW_T"}, environ={"PW_T": secret})["t"]
    shown = [repr(secret.encode()), repr(secret + "\n"), json.dumps(secret), urllib.parse.quote(secret)]
    for text in shown:
        assert "s3cr" not in redact(f"error: {text}"), text
