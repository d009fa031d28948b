"""The outbox is a rehearsal: once an account delivers through its API, what only reached the outbox is
sent for real while it is still on time, and missed after that; a real post is never sent again."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.ledger import Ledger, LedgerError
from postwright.platforms.outbox import OutboxPublisher
from postwright.project import Project
from postwright.settle import settle
from tests.fakes.publisher import Crash, FakePublisher, FakeServer
from tests.test_publish import NOW, POSTS

SINGLE = "2026-12-01-0900-single"
SINGLE_KEY = f"{SINGLE}.en/masto"
THREAD_KEY = "2026-12-01-0930-thread.en/sky"
AT = ["--at", "2026-12-01T10:00"]


class Platform(FakePublisher):
    """A platform that can delete, and remembers what it was asked to delete."""

    def __init__(self, platform: FakeServer) -> None:
        super().__init__(platform)
        self.deleted: list[str] = []

    def delete(self, remote_id: str) -> None:
        self.deleted.append(remote_id)


# what an API account needs besides `deliver: api` (check refuses it without them: PW041, PW044)
_NEEDS = {
    "masto": "    settings: {instance: https://fake.example}\n    credentials: {access_token: PW_FAKE}\n",
    "sky": "    handle: brand.example\n    credentials: {app_password: PW_FAKE_PASSWORD}\n",
}


def to_api(project, account: str = "masto") -> None:
    """The person's switch in config.yml: the account now posts for real."""
    config = project.root / "config.yml"
    marker = "platform: mastodon\n" if account == "masto" else "platform: bluesky\n"
    config.write_text(config.read_text().replace(marker, f"{marker}    deliver: api\n{_NEEDS[account]}", 1))


def records(project) -> list[dict]:
    return [json.loads(line) for line in (project.root / "state/ledger.jsonl").read_text().splitlines()]


def rewrite_ledger(project, change) -> None:
    path = project.root / "state/ledger.jsonl"
    lines = [json.dumps(change(record), sort_keys=True) for record in records(project)]
    path.write_text("".join(line + "\n" for line in lines))


def send_through(project, platform, when=NOW, **options):
    """Publish with every API account on `platform` (outbox accounts keep their outbox)."""
    config = pipeline.load(project)[0]
    outbox = {
        name: OutboxPublisher(project.root / "outbox", name, root=project.root)
        for name, account in config.accounts.items()
        if account.deliver == "outbox"
    }
    return pipeline.publish(
        project,
        when,
        publisher_for=lambda account: outbox.get(account) or platform,
        runner_options={"sleep": lambda seconds: None},
        **options,
    )


def statuses(project, when=NOW) -> dict[str, tuple[str, str]]:
    return {item.key: (item.status, item.detail) for item in pipeline.plan(project, when).items}


@pytest.fixture
def rehearsed(make_project):
    """Both posts delivered to the outbox (how a new brand's scheduled job starts), records saying so."""
    project = make_project(POSTS)
    first = pipeline.publish(project, NOW)
    assert {outcome.status for outcome in first.outcomes} == {"published"}
    assert {record["via"] for record in records(project)} == {"outbox"}
    return project


def test_after_the_switch_a_recent_rehearsed_post_is_sent_once(rehearsed):
    to_api(rehearsed)
    status, detail = statuses(rehearsed)[SINGLE_KEY]
    assert status == "due" and "rehearsed in the outbox, now due through the API" in detail
    assert statuses(rehearsed)[THREAD_KEY][0] == "published"  # sky still rehearses: its outbox counts
    platform = FakeServer(rehearsed.root / "platform.jsonl")
    first = send_through(rehearsed, Platform(platform))
    assert [(o.key, o.status) for o in first.outcomes] == [(SINGLE_KEY, "published")]
    assert send_through(rehearsed, Platform(platform)).outcomes == ()
    assert len(platform.received()) == 1
    assert records(rehearsed)[-1]["via"] == "api"
    assert statuses(rehearsed)[SINGLE_KEY] == ("published", "")


def test_after_the_switch_an_old_rehearsed_post_is_missed_not_sent(rehearsed):
    to_api(rehearsed)
    to_api(rehearsed, "sky")
    later = NOW + timedelta(days=30)
    for key in (SINGLE_KEY, THREAD_KEY):
        status, detail = statuses(rehearsed, later)[key]
        assert (
            status == "missed" and "rehearsed in the outbox only: too late to send through the API" in detail
        )
    platform = FakeServer(rehearsed.root / "platform.jsonl")
    assert send_through(rehearsed, Platform(platform), later).outcomes == ()
    assert platform.received() == []


def test_a_rehearsal_cut_off_by_a_crash_is_missed_not_settled_through_the_api(rehearsed):
    """A part left `started` in the outbox would be 'begun: to be settled' whatever its age; a rehearsal
    is no beginning of a real post, so an old one is missed like the rest."""
    path = rehearsed.root / "state/ledger.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    started = [line for line in lines if json.loads(line)["key"] == THREAD_KEY and '"started"' in line]
    path.write_text("".join(line for line in lines if THREAD_KEY not in line) + started[-1])
    to_api(rehearsed, "sky")
    assert statuses(rehearsed, NOW + timedelta(days=30))[THREAD_KEY][0] == "missed"


def test_a_real_post_stays_published_when_the_account_goes_back_to_the_outbox(make_project):
    project = make_project(POSTS)
    to_api(project)
    platform = FakeServer(project.root / "platform.jsonl")
    send_through(project, Platform(platform), only=SINGLE)
    assert records(project)[-1]["via"] == "api"
    config = project.root / "config.yml"
    config.write_text(config.read_text().replace("    deliver: api\n", ""))  # back to the outbox
    assert statuses(project)[SINGLE_KEY][0] == "published"
    assert pipeline.publish(project, NOW, only=SINGLE).outcomes == ()
    assert len(platform.received()) == 1 and not (project.root / "outbox/masto").exists()


def test_a_legacy_record_with_the_outbox_receipt_is_a_rehearsal(rehearsed):
    """Records written before `via` existed: the outbox's receipt (its file, named by the key) says it."""
    rewrite_ledger(rehearsed, lambda record: {k: v for k, v in record.items() if k != "via"})
    assert statuses(rehearsed)[SINGLE_KEY][0] == "published"  # while the account rehearses
    to_api(rehearsed)
    assert statuses(rehearsed)[SINGLE_KEY][0] == "due"
    platform = FakeServer(rehearsed.root / "platform.jsonl")
    send_through(rehearsed, Platform(platform))
    send_through(rehearsed, Platform(platform))
    assert len(platform.received()) == 1


def test_a_legacy_record_with_a_platforms_receipt_is_real_and_never_sent_again(make_project):
    project = make_project(POSTS)
    to_api(project)
    platform = FakeServer(project.root / "platform.jsonl")
    send_through(project, Platform(platform), only=SINGLE)
    rewrite_ledger(project, lambda record: {k: v for k, v in record.items() if k != "via"})
    assert statuses(project)[SINGLE_KEY][0] == "published"
    assert send_through(project, Platform(platform), only=SINGLE).outcomes == ()
    assert len(platform.received()) == 1


def test_a_legacy_part_without_a_receipt_is_treated_as_maybe_sent_not_as_a_rehearsal(make_project):
    """A crash left only `started`: nothing tells outbox from platform, so the platform is asked first."""
    project = make_project(POSTS)
    to_api(project)
    platform = FakeServer(project.root / "platform.jsonl")
    send_through(project, Platform(platform), only=SINGLE)
    rewrite_ledger(project, lambda record: {k: v for k, v in record.items() if k != "via"})
    path = project.root / "state/ledger.jsonl"
    path.write_text("".join(line + "\n" for line in path.read_text().splitlines() if '"started"' in line))
    result = send_through(project, Platform(platform), only=SINGLE)
    assert [o.status for o in result.outcomes] == ["already"]  # found on the platform, not sent again
    assert len(platform.received()) == 1


def test_retracting_a_rehearsed_post_on_an_api_account_deletes_nothing_there_and_it_never_goes_out(rehearsed):
    to_api(rehearsed)
    platform = Platform(FakeServer(rehearsed.root / "platform.jsonl"))
    keys, outcomes = pipeline.retract(rehearsed, SINGLE, publisher_for=lambda account: platform)
    assert keys == [SINGLE_KEY] and [o.status for o in outcomes] == ["retracted"]
    assert platform.deleted == []  # the platform never had it: its id is the outbox's file name
    assert statuses(rehearsed)[SINGLE_KEY][0] == "retracted"
    assert send_through(rehearsed, platform).outcomes == ()


def test_settled_as_sent_at_a_platforms_link_is_a_real_post(make_project):
    """A part started in the outbox that a person says is on the platform must not be sent again."""
    project = make_project(POSTS)
    pipeline.publish(project, NOW, only=SINGLE)
    ledger = Ledger(project.root / "state")
    started = next(record for record in records(project) if record["status"] == "started")
    (project.root / "state/ledger.jsonl").write_text(json.dumps(started) + "\n")
    [settled] = settle(ledger, SINGLE_KEY, sent_url="https://mastodon.example/@acme/111")
    assert settled.record.via == "api"
    assert ledger.read()[SINGLE_KEY].without_rehearsals().published


def test_a_hand_edited_via_must_be_outbox_or_api(rehearsed):
    rewrite_ledger(rehearsed, lambda record: {**record, "via": "API"})
    with pytest.raises(LedgerError, match=r"ledger.jsonl:1: .*via must be outbox or api, not 'API'"):
        Ledger(rehearsed.root / "state").read()


def test_plan_json_says_a_rehearsed_post_is_due_through_the_api(rehearsed):
    to_api(rehearsed)
    planned = CliRunner().invoke(cli, ["-C", str(rehearsed.root), "plan", "--format", "json", *AT])
    item = next(item for item in json.loads(planned.stdout) if item["key"] == SINGLE_KEY)
    assert item["status"] == "due" and item["detail"] == "rehearsed in the outbox, now due through the API"


def test_a_rehearsal_in_ci_says_so_in_its_output_and_job_summary(make_project, tmp_path, monkeypatch):
    project = make_project(POSTS)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("CI", "true")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "publish", *AT])
    assert result.exit_code == 0, result.output
    said = (
        "Rehearsal: 2 posts were written to the local outbox, nothing was sent to a platform; "
        "set `deliver: api` on an account to publish for real"
    )
    assert said in result.stdout
    assert summary.read_text().startswith(f"## postwright publish: 2 published\n\n{said}\n\n| status |")


def test_a_mixed_run_in_ci_says_how_many_were_rehearsed(make_project, tmp_path, monkeypatch):
    project = make_project(POSTS)
    to_api(project)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("CI", "true")
    real = Platform(FakeServer(project.root / "platform.jsonl"))

    def publishers(project, config, renditions, media_cache):
        sky = OutboxPublisher(project.root / "outbox", "sky", root=project.root)
        return lambda account: sky if account == "sky" else real

    monkeypatch.setattr(pipeline, "publishers", publishers)
    result = CliRunner().invoke(cli, ["-C", str(project.root), "publish", *AT])
    assert result.exit_code == 0, result.output
    said = "1 of 2 posts published were only rehearsed in the local outbox"
    assert said in result.stdout and said in summary.read_text()
    assert "Rehearsal:" not in result.stdout


def test_outside_ci_a_rehearsal_prints_no_note(make_project, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    project = make_project(POSTS)
    result = CliRunner().invoke(cli, ["-C", str(project.root), "publish", *AT])
    assert result.exit_code == 0 and "published   2026-12-01-0900-single.en/masto" in result.stdout
    assert "Rehearsal" not in result.output and "rehearsed" not in result.output


def test_a_rehearsal_receipt_names_its_outbox_file(rehearsed):
    """What the legacy rule reads: the outbox's receipt is its file, named by the idempotency key."""
    for record in records(rehearsed):
        if record["status"] == "published":
            assert record["remote_id"] == record["idempotency_key"]
            assert Path(record["url"]).name == f"{record['idempotency_key']}.json"


@pytest.mark.parametrize("name", ["CI", "GITHUB_ACTIONS"])
def test_ci_is_told_by_either_variable(monkeypatch, name):
    from postwright.job_summary import in_ci

    monkeypatch.delenv("CI", raising=False)
    assert not in_ci()
    monkeypatch.setenv(name, "true")
    assert in_ci()


class CrashingOutbox:
    """The outbox of every account, with the process dying now and then around a write."""

    def __init__(self, folder: Path, fail, root: Path) -> None:
        self.folder, self.fail, self.root = folder, fail, root

    def of(self, account: str) -> OutboxPublisher:
        fail = self.fail

        class Crashing(OutboxPublisher):
            def send(self, variant, part, reply_to, key):
                fail("before", part)
                receipt = OutboxPublisher.send(self, variant, part, reply_to, key)
                fail("after", part)
                return receipt

        return Crashing(self.folder, account, root=self.root)


def test_crashes_before_and_after_the_switch_never_send_twice_nor_lose_a_post(make_project, tmp_path):
    """60 runs: a rehearsal cut off by crashes, the switch to the API, then runs that crash between
    deciding to send and recording it until everything is out: every part on the platform, once."""
    import random

    from tests.test_publish import _copy, _due

    template = make_project(POSTS).root
    parts = sum(len(job.variant.parts) for job in pipeline.publish(Project(template), NOW, dry_run=True).jobs)
    rng = random.Random(15)
    duplicates = lost = crashed = 0
    for run in range(60):
        root = tmp_path / "runs" / str(run)
        _copy(template, root)
        project = Project(root)
        crashes = {"left": rng.randint(1, 3)}

        def fail(moment, part, rng=rng, crashes=crashes):
            if crashes["left"] and rng.random() < 0.35:
                crashes["left"] -= 1
                raise Crash(f"killed {moment} part {part}")

        rehearsal = CrashingOutbox(root / "outbox", fail, root=root)
        try:
            pipeline.publish(
                project, NOW, publisher_for=lambda account, rehearsal=rehearsal: rehearsal.of(account)
            )
        except Crash:
            crashed += 1
        to_api(project)
        to_api(project, "sky")
        platform = FakeServer(root / "platform.jsonl")
        for _attempt in range(10):
            try:
                send_through(project, FakePublisher(platform, fail=fail))
            except Crash:
                crashed += 1
                continue
            if not _due(project):
                break
        received = [item["key"] for item in platform.received()]
        duplicates += len(received) - len(set(received))
        lost += parts - len(set(received))
    assert (duplicates, lost) == (0, 0)
    assert crashed > 50
