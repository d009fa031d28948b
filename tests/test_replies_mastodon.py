"""Mastodon's replies reader against Takahē, a real server with Mastodon's client API, and against a local
server for what Takahē cannot be made to answer (garbage, a thread whose middle was deleted).

On Takahē, a second local user (bob, takahe_add_user.sh) replies to the brand's status and mentions the
brand; Takahē makes mention notifications in its background worker (Stator), which the test runs for a
few seconds, as a server would. The pull finds both; after the brand answers bob's reply in the thread,
the reply counts as answered; the mention stays listed on the next pull until the brand replies to it.
Without Takahē these tests skip with the reason (fail under CI=true).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from postwright.credentials import Secrets
from postwright.engagement import pull as pulling
from postwright.engagement.model import PostGone
from postwright.insights.model import Delivery
from postwright.ledger import Ledger
from postwright.platforms.contract import Connection, UnexpectedAnswer
from postwright.platforms.mastodon.replies import MastodonReplies
from tests.fakes.http_platform import Call, FakePlatform, json_response, local_server, serve
from tests.fakes.replies import api_project, published
from tests.takahe_server import REALPEERS_HOME, SERVERS, Takahe
from tests.test_publisher_takahe import takahe  # noqa: F401 - the session's Takahē, shared

ACCOUNT = """\
  masto:
    platform: mastodon
    deliver: api
    handle: "@alice@localhost"
    credentials: {access_token: TAKAHE_TOKEN}
    settings: {instance: "%s"}
"""


def _takahe_env(server: Takahe) -> dict[str, str]:
    return {**server._environ(), "TAKAHE_SRC": str(SERVERS / "takahe")}


def add_user(server: Takahe, name: str) -> str:
    """A second local identity on Takahē and its token (through Takahē's own OAuth flow)."""
    subprocess.run(
        ["bash", str(SERVERS / "takahe_add_user.sh"), name],
        env=_takahe_env(server),
        check=True,
        capture_output=True,
        timeout=120,
    )
    token = subprocess.run(
        [
            sys.executable,
            SERVERS / "takahe_token.py",
            server.base_url,
            f"{name}@example.test:{name}-pass-12345",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return token.stdout.strip()


def run_stator(server: Takahe, seconds: int = 4) -> None:
    """Takahē's background worker for a few seconds: it fans posts out into notifications."""
    state = REALPEERS_HOME / f"takahe-state-{server.port}"
    script = f'set -a; . "{state}/env"; set +a; cd "{SERVERS}/takahe"; '
    script += f'"{REALPEERS_HOME}/takahe-venv/bin/python" manage.py runstator --run-for {seconds}'
    subprocess.run(
        ["bash", "-c", script], env=_takahe_env(server), capture_output=True, timeout=120, check=True
    )


@pytest.fixture(scope="module")
def bob(takahe):  # noqa: F811 - the fixture imported above
    return add_user(takahe, "bob")


def test_a_reply_and_a_mention_on_takahe_are_heard_then_answered(takahe, bob, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TAKAHE_TOKEN", takahe.token)
    project, config = api_project(tmp_path, ACCOUNT % takahe.base_url)
    brand = takahe.client()
    other = takahe.client()
    other.headers["Authorization"] = f"Bearer {bob}"
    ours = brand.post(
        "/api/v1/statuses", data={"status": "Our new kite is out", "visibility": "public"}
    ).json()
    created = datetime.fromisoformat(ours["created_at"].replace("Z", "+00:00"))
    key = published(
        Ledger(project.state_dir), "launch", "masto", "mastodon", (ours["id"],), created, url=ours["url"]
    )
    reply = other.post(
        "/api/v1/statuses", data={"status": "@alice when does it ship?", "in_reply_to_id": ours["id"]}
    ).json()
    mention = other.post("/api/v1/statuses", data={"status": "Flying with @alice today ¡qué viento!"}).json()
    run_stator(takahe)
    at = datetime.now(UTC) + timedelta(minutes=1)

    first = pulling.pull(config, project.state_dir, at)
    (heard,) = first.accounts
    assert heard.failures == ()
    found = {item.remote_id: item for item in heard.unanswered}
    assert found[reply["id"]].kind == "reply" and found[reply["id"]].delivery_key == key
    assert found[reply["id"]].author.startswith("@bob") and "when does it ship?" in found[reply["id"]].text
    assert found[mention["id"]].kind == "mention" and "¡qué viento!" in found[mention["id"]].text
    assert heard.new == 2 and heard.counts[0].unanswered == 1

    brand.post("/api/v1/statuses", data={"status": "@bob next week!", "in_reply_to_id": reply["id"]})
    second = pulling.pull(config, project.state_dir, at + timedelta(minutes=5))
    (heard,) = second.accounts
    assert [item.remote_id for item in heard.unanswered] == [mention["id"]]  # still unanswered: listed
    assert heard.new == 0 and (heard.counts[0].replies, heard.counts[0].unanswered) == (1, 0)

    brand.post("/api/v1/statuses", data={"status": "@bob enjoy!", "in_reply_to_id": mention["id"]})
    (heard,) = pulling.pull(config, project.state_dir, at + timedelta(minutes=10)).accounts
    assert heard.failures == () and heard.unanswered == () and heard.new == 0

    brand.delete(f"/api/v1/statuses/{ours['id']}").raise_for_status()
    reader = MastodonReplies(_connection(takahe.base_url, takahe.token))
    with pytest.raises(PostGone):
        list(reader.replies([_delivery(ours["id"])], created))


# -- a local server for what Takahē will not answer --------------------------------------------------


def _connection(instance: str, token: str) -> Connection:
    return Connection(
        "masto",
        "mastodon",
        {"instance": instance},
        Secrets("masto", {"access_token": "T"}, environ={"T": token}),
    )


def _delivery(remote_id: str) -> Delivery:
    return Delivery(
        "p.en/masto", "p", "en", "masto", "mastodon", (remote_id,), (None,), datetime(2026, 12, 1, tzinfo=UTC)
    )


class ScriptedMastodon(FakePlatform):
    """Checks each request as Mastodon's documentation gives it (methods/statuses.md context,
    methods/notifications.md, methods/accounts.md verify_credentials) and answers what the test set."""

    context: object = {"ancestors": [], "descendants": []}
    notifications: object = []
    own: list[list[object]] = [[]]  # the brand's statuses, page by page (Link: rel="next" with max_id)

    def routes(self):
        yield "GET", r"/api/v1/accounts/verify_credentials", self._me
        yield "GET", r"/api/v1/accounts/1/statuses", self._statuses
        yield "GET", r"/api/v1/statuses/(\w+)/context", self._context
        yield "GET", r"/api/v1/notifications", self._notifications

    def _statuses(self, call, match):
        self._authorised(call)
        self.expect(call.arg("limit") == "40", "limit: at most 40 (accounts.md)")
        self.expect(call.arg("exclude_replies") in (None, "false"), "the brand's replies are the answers")
        self.expect(call.arg("exclude_reblogs") == "true", "boosts answer nothing")
        page = int(call.arg("max_id") or 0)
        response = json_response(self.own[page])
        if page + 1 < len(self.own):
            response.headers["Link"] = (
                f'<{self.url}/api/v1/accounts/1/statuses?max_id={page + 1}>; rel="next"'
            )
        return response

    def _authorised(self, call: Call) -> None:
        self.expect(call.headers.get("authorization") == "Bearer t0ken", f"{call.path}: no bearer token")

    def _me(self, call, match):
        self._authorised(call)
        return json_response({"id": "1", "acct": "brand", "username": "brand"})

    def _context(self, call, match):
        self._authorised(call)
        return json_response(self.context)

    def _notifications(self, call, match):
        self._authorised(call)
        self.expect(call.query.get("types[]") == ["mention"], f"types[] is {call.query.get('types[]')}")
        self.expect(call.arg("limit") == "80", "limit: at most 80 (notifications.md), all asked")
        return json_response(self.notifications)


def _status(status_id: str, account_id: str, parent: str | None, minute: int) -> dict[str, object]:
    return {
        "id": status_id,
        "account": {"id": account_id, "acct": "ana@example.social" if account_id != "1" else "brand"},
        "created_at": f"2026-12-01T10:{minute:02d}:00.000Z",
        "in_reply_to_id": parent,
        "url": f"https://example.social/@x/{status_id}",
        "content": f"<p>status {status_id}</p>",
    }


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


@pytest.fixture
def fake(local_http):
    with serve(ScriptedMastodon(local_http)) as platform:
        yield platform


def test_a_reply_whose_parent_was_deleted_is_still_heard_and_the_brands_answer_below_it_counts(fake):
    # 11 replies to our 10; 12 replied to 11 and was then deleted; 13 replies to 12 (gone); we answer 13
    fake.context = {
        "ancestors": [],
        "descendants": [
            _status("11", "7", "10", 1),
            _status("13", "8", "12", 3),
            _status("14", "1", "13", 4),
        ],
    }
    reader = MastodonReplies(_connection(fake.url, "t0ken"))
    found = {
        item.remote_id: item for item in reader.replies([_delivery("10")], datetime(2026, 12, 1, tzinfo=UTC))
    }
    assert set(found) == {"11", "13"}  # the brand's own status is the answer, not a conversation
    assert (found["11"].answered, found["13"].answered) == (False, True)
    assert found["13"].parent_id == "12" and found["13"].text == "status 13"


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ({"descendants": "nope"}, "context has no list of descendants"),
        ({"descendants": [{"id": 5}]}, "a status without id, account or created_at"),
        ({"descendants": [{**_status("5", "7", "10", 1), "created_at": "yesterday"}]}, "is not a time"),
        (["not", "a", "context"], "answered with a JSON list, not a dict"),
    ],
)
def test_garbage_from_the_server_is_an_unexpected_answer(fake, answer, reason):
    fake.context = answer
    reader = MastodonReplies(_connection(fake.url, "t0ken"))
    with pytest.raises(UnexpectedAnswer, match=reason):
        list(reader.replies([_delivery("10")], datetime(2026, 12, 1, tzinfo=UTC)))


def test_mentions_stop_at_the_cursor_and_skip_other_notifications(fake):
    fake.notifications = [
        {"id": "n3", "type": "mention", "status": _status("33", "7", None, 30)},
        {
            "id": "n2",
            "type": "favourite",
            "status": _status("22", "1", None, 20),
        },  # a server ignoring types[]
        {"id": "n1", "type": "mention", "status": _status("11", "7", None, 5)},
    ]
    reader = MastodonReplies(_connection(fake.url, "t0ken"))
    found = list(reader.mentions(datetime(2026, 12, 1, 10, 10, tzinfo=UTC)))
    assert [item.remote_id for item in found] == ["33"]
    assert found[0].kind == "mention" and found[0].author == "@ana@example.social"


def test_the_brands_replies_across_pages_are_what_it_answered_until_older_than_asked(fake):
    fake.own = [
        [_status("40", "1", "33", 40), _status("39", "1", None, 39)],
        [_status("38", "1", "22", 38), _status("5", "1", "11", 5)],  # 5 is before the time asked
    ]
    reader = MastodonReplies(_connection(fake.url, "t0ken"))
    assert reader.replied_to(datetime(2026, 12, 1, 10, 10, tzinfo=UTC)) == {"33", "22"}
