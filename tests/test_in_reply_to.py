"""`in_reply_to:` in front matter: a post written as an answer, through check (PW216 where the link is not
a post on the account's platform, or the platform takes no replies), build, the preview and the report
("replying to"), and publish: part 1 answers the resolved post, once, through the same ledger.

The publishers' own resolution is tested against real servers where there is one (Takahē for Mastodon:
test_in_reply_to_on_takahe; the PDS for Bluesky: test_in_reply_to_on_the_pds) and here against X's local
fake (the id in the link)."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.ledger import Ledger
from postwright.model import Variant
from postwright.platforms.contract import Receipt
from tests.fakes.publisher import FakePublisher, FakeServer
from tests.test_report import Git

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Madrid"))
SKY_POST = "https://bsky.app/profile/ana.example.social/post/3kxyzabc2def2"
TOOT = "https://mastodon.example/@ana/112233445566"
CONFIG = """\
brand:
  name: Test Brand
  timezone: Europe/Madrid
  platforms: [mastodon, bluesky]
accounts:
  masto:
    platform: mastodon
  sky:
    platform: bluesky
  tg:
    platform: telegram
"""


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
