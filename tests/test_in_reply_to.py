"""`in_reply_to:` in front matter: a post written as an answer, through check (PW216 where the link is not
a post on the account's platform, or the platform takes no replies), build, the preview and the report
("replying to"), and publish: part 1 answers the resolved post, once, through the same ledger.

The publishers' own resolution is tested against real servers where there is one (Takahē for Mastodon:
test_in_reply_to_on_takahe; the PDS for Bluesky: test_in_reply_to_on_the_pds) and here against X's local
fake (the id in the link)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.credentials import Secrets
from postwright.ledger import Ledger
from postwright.model import Variant
from postwright.platforms.bluesky.publisher import BlueskyPublisher
from postwright.platforms.contract import Connection, PermanentError, Receipt
from postwright.platforms.mastodon.publisher import MastodonPublisher
from postwright.platforms.x.publisher import XPublisher
from tests.conftest import MINIMAL_CONFIG
from tests.fakes.api import FakeApi, http_server, json_response  # noqa: F401  (the module's local server)
from tests.fakes.publisher import FakePublisher, FakeServer
from tests.pds_server import create_account
from tests.test_publisher_bluesky import pds  # noqa: F401  (the session's PDS)
from tests.test_publisher_takahe import takahe  # noqa: F401  (the session's Takahē)
from tests.test_publisher_x import OAUTH2 as X_KEYS
from tests.test_publisher_x import FakeX
from tests.test_replies_mastodon import add_user
from tests.test_report import Git

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Madrid"))
SKY_POST = "https://bsky.app/profile/ana.example.social/post/3kxyzabc2def2"
TOOT = "https://mastodon.example/@ana/112233445566"
CONFIG = MINIMAL_CONFIG.replace("people:", "  tg:\n    platform: telegram\npeople:")


def post(front: str, body: str = "We hear you: the recall covers every 2025 kite.") -> str:
    return (
        f"-- config.yml --\n{CONFIG}-- content/posts/2026-12-01-0900-answer.md --\n---\n{front}---\n{body}\n"
    )


def check_json(project) -> list[dict]:
    run = CliRunner().invoke(cli, ["-C", str(project.root), "check", "--format", "json"])
    return [item for item in json.loads(run.stdout) if item["code"] == "PW216"]


def test_a_link_of_another_platform_is_pw216_at_its_line(make_project):
    project = make_project(post(f"in_reply_to: {SKY_POST}\n"))

    [problem] = check_json(project)

    assert (problem["line"], problem["severity"], problem["platform"]) == (2, "error", "mastodon")
    assert f"{SKY_POST} is not a post on Mastodon (account masto)" in problem["message"]
    assert "overrides: {mastodon: {in_reply_to: …}}" in problem["hint"]


def test_every_platform_the_link_does_not_fit_is_named_and_blocked(make_project):
    """One post line, one problem per platform: each account's variant is blocked, not only the first."""
    project = make_project(post(f"platforms: [mastodon, telegram, bluesky]\nin_reply_to: {TOOT}\n"))

    problems = check_json(project)

    assert sorted((problem["platform"], problem["line"]) for problem in problems) == [
        ("bluesky", 3),
        ("telegram", 3),
    ]
    planned = pipeline.plan(project, NOW.replace(hour=9, minute=1))
    blocked = {item.account for item in planned.items if item.status == "blocked"}
    assert blocked == {"sky", "tg"} and not any(
        "PW216" in str(item) for item in planned.items if item.account == "masto"
    )


def test_per_platform_links_pass_and_a_platform_without_replies_is_named(make_project):
    front = f"platforms: [mastodon, bluesky, telegram]\noverrides:\n  mastodon: {{in_reply_to: '{TOOT}'}}\n"
    project = make_project(post(front + f"in_reply_to: {SKY_POST}\n"))

    [problem] = check_json(project)

    assert problem["platform"] == "telegram" and problem["line"] == 5
    assert "cannot publish a reply on Telegram (account tg)" in problem["message"]
    assert "Bluesky, Mastodon, X" in problem["hint"]


def test_build_preview_and_report_say_what_it_answers(make_project, tmp_path):
    project = make_project(f"-- config.yml --\n{CONFIG}")
    git = Git(project.root)
    git("init", "--quiet", "--initial-branch=main")
    git.commit("brand")
    project = make_project(post(f"platforms: [bluesky]\nin_reply_to: {SKY_POST}\n"))
    root = ["-C", str(project.root)]

    built = CliRunner().invoke(cli, [*root, "build"])
    document = json.loads((project.root / "publish/posts/2026-12-01-0900-answer.en.json").read_text())
    report = CliRunner().invoke(cli, [*root, "report", "--changed-since", "main"])
    preview = CliRunner().invoke(cli, [*root, "preview", "--at", "2026-11-30T10:00"])
    site = [path for path in (project.root / "publish").rglob("*") if path.suffix in (".html", ".js")]
    pages = "".join(path.read_text() for path in site)

    assert built.exit_code == report.exit_code == preview.exit_code == 0, built.output + report.output
    assert document["sky"]["in_reply_to"] == SKY_POST
    assert f"- replying to `{SKY_POST}`" in report.stdout
    assert "Replying to</dt>" in pages and f'href=\\"{SKY_POST}\\"' in pages  # in the chunk's JSON


def test_the_reply_counts_in_the_content_hash_only_where_set() -> None:
    plain = Variant("p", "en", "sky", "bluesky", "p.md", ("Hi",), None, (), NOW, False, None, 5, "auto")
    answer = Variant(**{**{name: getattr(plain, name) for name in plain.__slots__}, "in_reply_to": SKY_POST})
    assert plain.content_hash == "sha256:" + _hash_without_reply(plain)
    assert answer.content_hash != plain.content_hash


def _hash_without_reply(variant: Variant) -> str:
    import hashlib

    sent = {"platform": "bluesky", "account": "sky", "lang": "en", "parts": ["Hi"], "link": None, "media": []}
    return hashlib.sha256(json.dumps(sent, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class AnsweringPublisher(FakePublisher):
    """The fake platform, able to reply: it resolves a link to an id of its own, as a platform does."""

    resolved: list[str] = []

    def reply_target(self, url: str) -> Receipt:
        AnsweringPublisher.resolved.append(url)
        return Receipt("remote-" + url.rsplit("/", 1)[-1], url)


def test_publish_answers_the_resolved_post_once(make_project, tmp_path):
    project = make_project(post(f"platforms: [mastodon]\nin_reply_to: {TOOT}\n"))
    server = FakeServer(tmp_path / "received.jsonl")
    AnsweringPublisher.resolved = []

    first = pipeline.publish(project, NOW, publisher_for=lambda account: AnsweringPublisher(server))
    second = pipeline.publish(project, NOW, publisher_for=lambda account: AnsweringPublisher(server))

    assert [outcome.status for outcome in first.outcomes] == ["published"] and second.outcomes == ()
    assert [item["reply_to"] for item in server.received()] == ["remote-112233445566"]
    assert AnsweringPublisher.resolved == [TOOT]
    assert len([r for r in Ledger(project.state_dir).read().values() if r.published]) == 1


def test_a_post_that_cannot_be_resolved_is_not_sent_and_asked_again(make_project, tmp_path):
    project = make_project(post(f"platforms: [mastodon]\nin_reply_to: {TOOT}\n"))
    server = FakeServer(tmp_path / "received.jsonl")

    [outcome] = pipeline.publish(project, NOW, publisher_for=lambda account: FakePublisher(server)).outcomes

    assert (
        outcome.status == "failed" and "cannot publish a reply on mastodon (nothing sent)" in outcome.message
    )
    assert server.received() == [] and Ledger(project.state_dir).read() == {}


def test_the_outbox_rehearses_the_answer_and_a_thread_continues_from_part_1(make_project):
    long = "\n\n".join(f"Paragraph {n}. " + "We are sorry about the kites. " * 12 for n in range(3))
    project = make_project(post(f"platforms: [bluesky]\nin_reply_to: {SKY_POST}\n", long))

    pipeline.publish(project, NOW)

    messages = sorted(
        (json.loads(path.read_text()) for path in (project.root / "outbox").rglob("*.json")),
        key=lambda item: item["part"],
    )
    assert len(messages) > 1 and messages[0]["in_reply_to"] == SKY_POST
    assert messages[1]["in_reply_to"] == messages[0]["idempotency_key"]


# -- X: the id in the link (a local server that checks POST /2/tweets against X's SDK models) ------------


def test_x_answers_the_post_whose_id_is_in_the_link_and_finds_it_after_a_crash(http_server):  # noqa: F811
    environ = {f"PW_TEST_{name.upper()}": value for name, value in X_KEYS.items()}
    fake = FakeX(http_server, X_KEYS)
    names = {name: f"PW_TEST_{name.upper()}" for name in X_KEYS}
    connection = Connection("brand", "x", {"api_url": fake.url}, Secrets("brand", names, environ=environ))
    theirs = XPublisher(connection).send(x_variant("Is the Gale 9 covered?"), 1, None, "theirs-1")
    link = f"https://x.com/ana/status/{theirs.remote_id}"
    answer = replace(x_variant("Yes: every Gale 9 is covered by our repair promise."), in_reply_to=link)

    publisher = XPublisher(connection)
    target = publisher.reply_target(link)
    sent = publisher.send(answer, 1, target, "answer-1")

    assert target == Receipt(theirs.remote_id, link)
    assert fake.bodies[-1]["reply"] == {"in_reply_to_tweet_id": theirs.remote_id}
    assert XPublisher(connection).find_sent(answer, 1, "answer-1") == sent
    assert XPublisher(connection).find_sent(replace(answer, in_reply_to=None), 1, "answer-1") is None
    assert fake.problems == []


def x_variant(text: str) -> Variant:
    return Variant("p", "en", "brand", "x", "p.md", (text,), None, (), NOW, False, None, 5, "auto")


# -- Mastodon on Takahē: the link resolved through /api/v2/search?resolve=true ---------------------------


def test_mastodon_in_reply_to_on_takahe_answers_the_status(takahe, monkeypatch):  # noqa: F811
    monkeypatch.setenv("TAKAHE_TOKEN", takahe.token)
    other = takahe.client()
    other.headers["Authorization"] = f"Bearer {add_user(takahe, 'dora')}"
    theirs = other.post("/api/v1/statuses", data={"status": "Is the Gale 9 covered?"}).json()
    settings = {"instance": takahe.base_url, "visibility": "public"}
    secrets = Secrets("masto", {"access_token": "TAKAHE_TOKEN"})
    publisher = MastodonPublisher(Connection("masto", "mastodon", settings, secrets))
    answer = replace(variant("mastodon", "Yes, every Gale 9 is."), in_reply_to=theirs["url"])

    target = publisher.reply_target(theirs["url"])
    sent = publisher.send(answer, 1, target, "answer-1")

    assert target.remote_id == theirs["id"]
    assert takahe.client().get(f"/api/v1/statuses/{sent.remote_id}").json()["in_reply_to_id"] == theirs["id"]
    assert (
        MastodonPublisher(Connection("masto", "mastodon", settings, secrets)).find_sent(answer, 1, "answer-1")
        == sent
    )
    other.delete(f"/api/v1/statuses/{theirs['id']}")
    with pytest.raises(PermanentError, match="cannot find the status"):
        publisher.reply_target(theirs["url"].rstrip("/") + "0/")


# -- Bluesky on the PDS: the app link's handle resolved and the record read for its cid --------------


def test_bluesky_in_reply_to_on_the_pds_answers_the_record(pds):  # noqa: F811
    brand, ana = create_account(pds.url, "brand"), create_account(pds.url, "ana")
    theirs = _create_post(pds.url, ana, "Is the Gale 9 covered?")
    link = f"https://bsky.app/profile/{ana.handle}/post/{theirs['uri'].rsplit('/', 1)[-1]}"
    settings = {"handle": brand.handle, "service": pds.url}
    secrets = Secrets("sky", {"app_password": "P"}, environ={"P": brand.app_password})
    publisher = BlueskyPublisher(Connection("sky", "bluesky", settings, secrets))
    answer = replace(variant("bluesky", "Yes, every Gale 9 is."), in_reply_to=link)

    target = publisher.reply_target(link)
    sent = publisher.send(answer, 1, target, "2026-12-01-answer.en/sky-1")

    record = httpx.get(
        f"{pds.url}/xrpc/com.atproto.repo.getRecord",
        params=dict(
            zip(("repo", "collection", "rkey"), sent.remote_id.removeprefix("at://").split("/"), strict=True)
        ),
    ).json()["value"]
    assert target.remote_id == theirs["uri"]
    assert record["reply"] == {"root": theirs, "parent": theirs}
    with pytest.raises(PermanentError, match="resolves to no account"):
        publisher.reply_target("https://bsky.app/profile/nobody-here.test/post/3kxyzabc2def2")
    with pytest.raises(PermanentError, match="not there"):
        publisher.reply_target(link.replace(link.rsplit("/", 1)[-1], "3kxyzabc2def2"))


def _create_post(pds_url: str, account, text: str) -> dict[str, str]:
    """A post written by another account, straight on the PDS: its strong ref {uri, cid}."""
    with httpx.Client(base_url=pds_url, timeout=30) as client:
        session = client.post(
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": account.handle, "password": account.password},
        ).json()
        record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": "2026-12-01T08:00:00.000Z"}
        created = client.post(
            "/xrpc/com.atproto.repo.createRecord",
            json={"repo": session["did"], "collection": "app.bsky.feed.post", "record": record},
            headers={"authorization": f"Bearer {session['accessJwt']}"},
        )
        created.raise_for_status()
        return {"uri": created.json()["uri"], "cid": created.json()["cid"]}


def variant(platform: str, text: str) -> Variant:
    account = {"mastodon": "masto", "bluesky": "sky"}[platform]
    return Variant("answer", "en", account, platform, "p.md", (text,), None, (), NOW, False, None, 5, "auto")


def test_mastodon_resolves_a_remote_status_through_search(http_server):  # noqa: F811
    """GET /api/v2/search as content/en/methods/search.md documents it: q, type=statuses, resolve=true
    (a remote status is fetched from its server), the token as a bearer; answers a Search entity."""
    fake = FakeApi(http_server)

    def search(request):
        assert request.headers.get("Authorization") == "Bearer masto-token", "Authorization: Bearer"
        args = request.args
        assert (args.get("q"), args.get("type"), args.get("resolve")) == (TOOT, "statuses", "true")
        status = {"id": "9001", "url": TOOT, "uri": TOOT.replace("/@ana/", "/users/ana/statuses/")}
        return json_response({"accounts": [], "statuses": [status], "hashtags": []})

    fake.route("GET", "/api/v2/search", search)
    secrets = Secrets("masto", {"access_token": "T"}, environ={"T": "masto-token"})
    publisher = MastodonPublisher(Connection("masto", "mastodon", {"instance": fake.url}, secrets))

    assert publisher.reply_target(TOOT) == Receipt("9001", TOOT)
    assert fake.problems == []
