"""One truth about each post and account: every view shows the status plan derives (issue 16)."""

from __future__ import annotations

import json
import re
from dataclasses import asdict
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import icalendar
import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.ledger import Record
from postwright.preview import write_preview
from postwright.project import Project
from tests.conftest import MINIMAL_CONFIG, write_files
from tests.test_preview import index_data, post_pages
from tests.test_report import Git

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 12, 10, 12, 0, tzinfo=MADRID)
AT = ["--at", NOW.isoformat()]

POSTS = """
-- content/posts/2026-12-10-1130-due.md --
---
title: Due now
---
Due now.
-- content/posts/2026-12-12-0900-later.md --
---
title: Later
---
Later on.
-- content/posts/2026-12-10-1100-long.md --
---
title: Too long for Bluesky only
thread: never
---
{long}
-- content/posts/2026-12-11-0900-typo.md --
---
title: A typo and a missing image
plaforms: [mastodon]
images: [{{src: nope.jpg, alt: Nothing}}]
---
Tomorrow, with problems.
-- content/posts/2026-12-10-1000-draft.md --
---
title: Not yet
draft: true
---
Draft.
-- content/posts/2026-12-09-0900-sale.md --
---
title: Sale
expires: 2026-12-09
---
Sale today only.
-- content/posts/2026-12-08-0900-old.md --
---
title: Old
---
Too late now.
-- content/posts/2026-12-10-0900-sent.md --
---
title: Sent
---
Already out.
""".format(long="word " * 70)  # 350 graphemes: over Bluesky's 300, within Mastodon's 500

EXPECTED = {
    "2026-12-10-1130-due.en/masto": "due",
    "2026-12-10-1130-due.en/sky": "due",
    "2026-12-12-0900-later.en/masto": "upcoming",
    "2026-12-12-0900-later.en/sky": "upcoming",
    "2026-12-10-1100-long.en/masto": "due",
    "2026-12-10-1100-long.en/sky": "blocked",
    "2026-12-11-0900-typo.en/masto": "blocked",
    "2026-12-11-0900-typo.en/sky": "blocked",
    "2026-12-10-1000-draft.en/masto": "draft",
    "2026-12-10-1000-draft.en/sky": "draft",
    "2026-12-09-0900-sale.en/masto": "expired",
    "2026-12-09-0900-sale.en/sky": "expired",
    "2026-12-08-0900-old.en/masto": "missed",
    "2026-12-08-0900-old.en/sky": "missed",
    "2026-12-10-0900-sent.en/masto": "published",
    "2026-12-10-0900-sent.en/sky": "published",
}
LABELS = {"upcoming": "scheduled"}  # how the preview, calendar.ics and report name plan's statuses


def _published(key: str, platform: str) -> str:
    post_id, account = key.split(".en/")
    record = Record(
        key=key,
        part=1,
        parts=1,
        status="published",
        idempotency_key=f"id-{key}",
        post_id=post_id,
        account=account,
        platform=platform,
        content_hash="sha256:0",
        time="2026-12-10T08:01:00+00:00",
        remote_id="1",
        url=f"https://{platform}.example/{account}/1",
    )
    return json.dumps(asdict(record), sort_keys=True) + "\n"


@pytest.fixture(params=[False, True], ids=["running", "paused"])
def brand(request, make_project, monkeypatch) -> tuple[Project, dict[str, str]]:
    """A git repository whose branch adds every post: `report` shows them all."""
    config = MINIMAL_CONFIG + ("paused: true\n" if request.param else "")
    project = make_project(f"-- config.yml --\n{config}")
    git = Git(project.root)
    for name in ("HOME", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(name, git.env[name])
    git("init", "--quiet", "--initial-branch=main")
    (project.root / ".gitignore").write_text("/publish/\n/.postwright-cache/\n/outbox/\n")
    git.commit("brand")
    git("checkout", "--quiet", "-b", "posts")
    write_files(project.root, POSTS)
    (project.root / "state").mkdir()
    (project.root / "state" / "ledger.jsonl").write_text(
        _published("2026-12-10-0900-sent.en/masto", "mastodon")
        + _published("2026-12-10-0900-sent.en/sky", "bluesky")
    )
    expected = {
        key: "paused" if request.param and status == "due" else status for key, status in EXPECTED.items()
    }
    return project, expected


def _label(status: str) -> str:
    return LABELS.get(status, status)


class _StatusesInHtml(HTMLParser):
    """Every element that shows an entry's status, by view (the section it is in) and key."""

    def __init__(self) -> None:
        super().__init__()
        self.section = self.variant = ""
        self.found: dict[str, dict[str, set[str]]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        classes = str(attributes.get("class") or "").split()
        if tag == "section" and str(attributes.get("id")).startswith("view-"):
            self.section = str(attributes["id"])
        elif tag == "section" and attributes.get("role") == "tabpanel":
            self.variant = str(attributes["id"])
        elif tag == "span" and "status" in classes:  # the Status line of a variant's panel
            label = next(name.removeprefix("s-") for name in classes if name.startswith("s-"))
            self.found.setdefault("panel", {}).setdefault(self.variant, set()).add(label)
        status = attributes.get("data-status")
        if status is None or "data-entry" not in attributes:
            return
        key = attributes.get("data-key") or (attributes.get("href") or "").removeprefix("#")
        if key:
            self.found.setdefault(self.section, {}).setdefault(key, set()).add(status)


def test_every_view_agrees_post_by_post_and_account_by_account(brand):
    project, expected = brand
    runner = CliRunner()
    root = ["-C", str(project.root)]

    plan_json = runner.invoke(cli, [*root, "plan", *AT, "--format", "json"])
    assert {item["key"]: item["status"] for item in json.loads(plan_json.stdout)} == expected
    blocked = [item for item in json.loads(plan_json.stdout) if item["status"] == "blocked"]
    assert all(item["problems"] and item["detail"].startswith("not sent until fixed") for item in blocked)
    assert {p["code"] for p in blocked[0]["problems"]} >= {"PW401"}  # the long post's Bluesky text

    human = runner.invoke(cli, [*root, "plan", *AT]).stdout.splitlines()
    lines = [re.match(r"\S+ \S+\s+(\S+)\s+(\S+)\s+(\S+)", line).groups() for line in human]
    assert {f"{post}/{account}": status for status, account, post in lines} == expected

    dry_run = runner.invoke(cli, [*root, "publish", *AT, "--dry-run"])
    sent = set(re.findall(r"^would send (\S+)", dry_run.stdout, re.M))
    assert sent == {key for key, status in expected.items() if status == "due"}
    refused = set(re.findall(r"^blocked, not sent: (\S+)", dry_run.stderr, re.M))
    due_time = {item["key"] for item in json.loads(plan_json.stdout) if item["publish_at"] <= NOW.isoformat()}
    assert refused == {key for key, status in expected.items() if status == "blocked"} & due_time

    previewed = write_preview(project, NOW)
    assert {entry.key: entry.status for entry in previewed.overview.entries} == expected
    typo = next(entry for entry in previewed.overview.entries if entry.key == "2026-12-11-0900-typo.en/sky")
    assert {"PW030", "PW300"} <= {item.code for item in typo.all_problems}  # listed with its problems
    assert previewed.overview.other_problems == ()
    page = _StatusesInHtml()
    page.feed("".join(post_pages(project.root / "publish").values()))
    assert page.found["panel"] == {key: {_label(status)} for key, status in expected.items()}
    # the list and the calendars show what preview/index.js says (tests/test_browser.py draws them)
    listed = {entry["key"]: entry["status"] for entry in index_data(project.root / "publish")["entries"]}
    assert listed == {key: _label(status) for key, status in expected.items()}

    calendar = icalendar.Calendar.from_ical((project.root / "publish" / "calendar.ics").read_bytes())
    events = {}
    for event in calendar.walk("VEVENT"):
        key = str(event["uid"]).removesuffix("@postwright").replace(".en.", ".en/")
        events[key] = [str(name) for name in event["categories"].cats][-1]
        if events[key] == "blocked":
            assert str(event["summary"]).startswith("⚠ [blocked] ") and event["status"] == "TENTATIVE"
    assert events == {key: _label(status) for key, status in expected.items()}

    report = runner.invoke(cli, [*root, "report", *AT, "--changed-since", "main", "--format", "json"])
    document = json.loads(report.stdout)
    assert {e["key"]: e["status"] for post in document["posts"] for e in post["entries"]} == expected
    assert document["problems"] == []  # every file is a post, problems and all
    headline = runner.invoke(cli, [*root, "report", *AT, "--changed-since", "main"]).stdout.splitlines()[0]
    assert headline == "## postwright: 8 posts changed since `main`"  # for the 8 files added


def test_publish_sends_exactly_what_plan_calls_due(brand):
    project, expected = brand
    result = pipeline.publish(project, NOW, runner_options={"sleep": lambda seconds: None})
    assert {job.key for job in result.jobs} == {key for key, status in expected.items() if status == "due"}


def test_every_problem_of_a_file_in_one_check_and_it_stays_a_post(make_project):
    project = make_project(
        """
        -- content/posts/2026-12-20-three.md --
        ---
        plaforms: [mastodon]
        images: [{src: nope.jpg, alt: Nothing}]
        thread: never
        ---
        """
        + "word " * 120
    )
    checked = pipeline.check(project)
    codes = [(item.span.line, item.code, item.platform) for item in checked.diagnostics]
    assert (2, "PW030", None) in codes  # the typo, with its did-you-mean
    assert (3, "PW300", None) in codes  # the missing image
    assert (6, "PW401", "mastodon") in codes  # and the text, too long for Mastodon
    assert [post.id for post in checked.loaded.posts] == ["2026-12-20-three"]
    result = CliRunner().invoke(cli, ["-C", str(project.root), "check", "--at", "2026-12-01T00:00"])
    assert result.exit_code == 1 and "PW030" in result.stdout and "PW300" in result.stdout
    assert "PW401" in result.stdout


@pytest.mark.parametrize(
    "front",
    ["date: [2026, 12, 20]", "id: not an id!", "lang: not a language"],
    ids=["date", "id", "lang"],
)
def test_a_file_whose_id_date_or_language_cannot_be_known_is_not_a_post(make_project, front):
    project = make_project(f"-- content/posts/2026-12-20-what.md --\n---\n{front}\n---\nText.\n")
    checked = pipeline.check(project)
    assert checked.loaded.posts == ()  # its jobs' keys are unknown: never guessed, never sent
    assert checked.diagnostics and checked.diagnostics[0].span.path == "content/posts/2026-12-20-what.md"


def test_a_due_post_with_a_bad_key_is_blocked_and_never_sent(make_project):
    project = make_project(
        """
        -- content/posts/2026-12-10-1130-typo.md --
        ---
        tittle: Typo
        ---
        Due, but with a mistyped key.
        -- content/posts/2026-12-10-1130-fine.md --
        ---
        ---
        Due and fine.
        """
    )
    planned = pipeline.plan(project, NOW)
    statuses = {item.key: (item.status, [p.code for p in item.problems]) for item in planned.items}
    assert statuses["2026-12-10-1130-typo.en/masto"] == ("blocked", ["PW030"])
    assert statuses["2026-12-10-1130-fine.en/masto"] == ("due", [])
    result = pipeline.publish(project, NOW)
    assert sorted(outcome.key for outcome in result.outcomes) == [
        "2026-12-10-1130-fine.en/masto",
        "2026-12-10-1130-fine.en/sky",
    ]
    sent = list((project.root / "outbox").rglob("*.json"))
    assert sent and not any("typo" in path.name for path in sent)


def _check_at(project: Project, when: str) -> list[tuple[str, str]]:
    result = CliRunner().invoke(cli, ["-C", str(project.root), "check", "--format", "json", "--at", when])
    return [(item["code"], item["path"]) for item in json.loads(result.stdout)]


def test_a_ready_post_still_holding_the_new_placeholder_is_warned_about(make_project):
    from postwright.frontmatter import NEW_POST_BODY

    project = make_project(
        f"""
        -- content/posts/2026-12-20-ready.md --
        ---
        draft: false
        ---
        {NEW_POST_BODY}
        -- content/posts/2026-12-20-draft.md --
        ---
        draft: true
        ---
        {NEW_POST_BODY}
        """
    )
    assert _check_at(project, "2026-12-01T00:00") == [("PW250", "content/posts/2026-12-20-ready.md")]


def test_a_ready_post_already_past_the_grace_period_is_warned_about(make_project):
    project = make_project(
        """
        -- content/posts/2026-12-10-0900-late.md --
        ---
        date: 2026-12-10 09:00
        ---
        Late.
        -- content/posts/2026-12-10-0900-draft.md --
        ---
        draft: true
        ---
        A draft is never sent anyway.
        -- content/posts/2026-12-10-0900-sent.md --
        ---
        ---
        Out already.
        """
    )
    (project.root / "state").mkdir()
    (project.root / "state" / "ledger.jsonl").write_text(
        _published("2026-12-10-0900-sent.en/masto", "mastodon")
        + _published("2026-12-10-0900-sent.en/sky", "bluesky")
    )
    assert _check_at(project, "2026-12-10T11:00+01:00") == []  # within the grace period: still sent
    assert _check_at(project, "2026-12-10T12:01+01:00") == [
        ("PW251", "content/posts/2026-12-10-0900-late.md")
    ]
    result = CliRunner().invoke(cli, ["-C", str(project.root), "check", "--at", "2026-12-10T12:01+01:00"])
    assert "2026-12-10-0900-late.md:2:7: warning PW251 2026-12-10 09:00 is past (3h01m late" in result.stdout
    assert "not be sent to masto, sky" in result.stdout and result.exit_code == 0


THREAD = "word " * 97  # 484 graphemes: with the signature, over Mastodon's 500


def test_a_thread_whose_last_part_is_only_the_signature_is_warned_about(make_project):
    project = make_project(
        f"""
        -- templates/base.j2 --
        {{{{ body }}}}

        — The Test Brand team
        -- content/posts/2026-12-20-thread.md --
        ---
        platforms: [mastodon]
        ---
        {THREAD}
        -- content/posts/2026-12-21-short.md --
        ---
        platforms: [mastodon]
        ---
        Short enough for the signature.
        """
    )
    (thread,) = [v for v in pipeline.check(project).variants if v.post_id == "2026-12-20-thread"]
    assert thread.parts[-1] == "— The Test Brand team"
    assert _check_at(project, "2026-12-01T00:00") == [("PW252", "content/posts/2026-12-20-thread.md")]
    # once its time is past, or once it is out, there is nothing left to fix
    assert _check_at(project, "2026-12-25T00:00") == []
    (project.root / "state").mkdir()
    (project.root / "state" / "ledger.jsonl").write_text(_published("2026-12-20-thread.en/masto", "mastodon"))
    assert _check_at(project, "2026-12-01T00:00") == []
