"""The publish step: once and only once, through crashes, retries, thread failures and parallel runs."""

from __future__ import annotations

import json
import multiprocessing
import random
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.ledger import Ledger
from postwright.platforms.contract import CannotTell, Connection, PermanentError, Receipt, TransientError
from postwright.project import Project
from postwright.publish import RetryPolicy
from tests.fakes.publisher import Crash, FakePublisher, FakeServer

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/Madrid"))
LONG = "\n\n".join(f"Paragraph {n}. " + "A sentence about kites and wind. " * 12 for n in range(4))
POSTS = f"""
-- content/posts/2026-12-01-0900-single.md --
---
platforms: [mastodon]
---
A single post.
-- content/posts/2026-12-01-0930-thread.md --
---
platforms: [bluesky]
---
{LONG}
"""


def publish(project, publisher, **options):
    runner_options = {"sleep": lambda seconds: None, **options.pop("runner_options", {})}
    return pipeline.publish(
        project, NOW, publisher_for=lambda account: publisher, runner_options=runner_options, **options
    )


def test_outbox_publishes_due_posts_once(make_project):
    project = make_project(POSTS)
    first = pipeline.publish(project, NOW)
    assert sorted((o.key, o.status) for o in first.outcomes) == [
        ("2026-12-01-0900-single.en/masto", "published"),
        ("2026-12-01-0930-thread.en/sky", "published"),
    ]
    thread = json.loads((project.root / "state/ledger.jsonl").read_text().splitlines()[-1])
    assert thread["parts"] > 1  # split for Bluesky's 300 graphemes
    outbox = sorted((project.root / "outbox").rglob("*.json"))
    assert len(outbox) == 1 + thread["parts"]
    second = pipeline.publish(project, NOW)
    assert second.outcomes == () and len(sorted((project.root / "outbox").rglob("*.json"))) == len(outbox)
    planned = {item.post_id: item for item in pipeline.plan(project, NOW).items}
    assert planned["2026-12-01-0900-single"].status == "published"
    assert planned["2026-12-01-0900-single"].url.startswith("outbox/masto/")


class _FillingDisk:
    """The os module as the ledger sees it: now and then the disk fills up mid-record (part of the
    line is written, then ENOSPC), as often as `full["left"]` allows."""

    def __init__(self, rng: random.Random, full: dict[str, int]) -> None:
        import os

        self._os, self.rng, self.full, self.filled = os, rng, full, False

    def __getattr__(self, name):
        return getattr(self._os, name)

    def write(self, descriptor, data):
        if self.filled:
            self.filled = False
            raise OSError(28, "No space left on device")
        if self.full["left"] and self.rng.random() < 0.1:
            self.full["left"] -= 1
            self.filled = True
            return self._os.write(descriptor, data[: self.rng.randrange(len(data))])
        return self._os.write(descriptor, data)


def test_crash_injection_never_duplicates_or_loses(make_project, tmp_path, monkeypatch):
    """500 randomized runs, each crashing at random points between deciding to send and recording it,
    and finding the disk full in the middle of a record now and then."""
    from postwright import ledger as ledger_module

    template = make_project(POSTS).root
    rng = random.Random(2026)
    duplicates = lost = crashed = filled = 0
    for run in range(500):
        root = tmp_path / "runs" / str(run)
        _copy(template, root)
        project = Project(root)
        platform = FakeServer(root / "platform.jsonl")
        crashes = {"left": rng.randint(1, 3)}
        full = {"left": rng.randint(0, 2)}
        monkeypatch.setattr(ledger_module, "os", _FillingDisk(rng, full))

        def fail(moment, part, rng=rng, crashes=crashes):
            if crashes["left"] and rng.random() < 0.35:
                crashes["left"] -= 1
                raise Crash(f"killed {moment} the platform stored part {part}")

        for _attempt in range(10):  # the scheduled Action runs again until everything is out
            try:
                result = publish(project, FakePublisher(platform, fail=fail))
            except Crash:
                crashed += 1
                continue
            filled += result.stopped is not None
            if not _due(project):
                break
        received = [item["key"] for item in platform.received()]
        duplicates += len(received) - len(set(received))
        lost += len(_due(project))
        Ledger(root / "state").read()  # no torn line (plan shows nothing due for a ledger it cannot read)
    assert (duplicates, lost) == (0, 0)
    assert crashed > 400  # the runs really were interrupted
    assert filled > 100  # and the disk really was full


def _copy(source: Path, target: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file() and path.relative_to(source).parts[0] in ("config.yml", "content"):
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(path.read_bytes())


def _due(project) -> list[str]:
    return [item.key for item in pipeline.plan(project, NOW).items if item.status == "due"]


def test_crash_inside_the_ledger_write_is_settled_next_run(make_project, monkeypatch):
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")
    calls = {"n": 0}
    real_append = Ledger.append

    def dying_append(self, record):
        calls["n"] += 1
        if record.status == "published" and calls["n"] == 2:  # the platform has it; the ledger does not
            raise Crash("killed before the published record")
        real_append(self, record)

    monkeypatch.setattr(Ledger, "append", dying_append)
    with pytest.raises(Crash):
        publish(project, FakePublisher(platform), only="2026-12-01-0900-single")
    monkeypatch.setattr(Ledger, "append", real_append)
    result = publish(project, FakePublisher(platform), only="2026-12-01-0900-single")
    assert [o.status for o in result.outcomes] == ["already"]  # found by find_sent, not re-sent
    assert len(platform.received()) == 1


def test_unknown_state_is_unconfirmed_and_not_resent(make_project):
    project = make_project(POSTS)

    class Blind(FakePublisher):
        def find_sent(self, variant, part, key):
            raise CannotTell("this platform cannot list recent posts")

    platform = FakeServer(project.root / "platform.jsonl")

    def crash_after(moment, part):
        if moment == "after":
            raise RuntimeError("connection reset after sending")

    first = publish(project, Blind(platform, fail=crash_after), only="2026-12-01-0900-single")
    assert [o.status for o in first.outcomes] == ["unconfirmed"]
    second = publish(project, Blind(platform), only="2026-12-01-0900-single")
    assert [o.status for o in second.outcomes] == ["unconfirmed"] and len(platform.received()) == 1


def test_retries_honour_retry_after_and_give_up_on_permanent_errors(make_project):
    project = make_project(POSTS)
    waits: list[float] = []
    answers = iter([TransientError("429", retry_after=7), TransientError("503"), None])

    class Flaky(FakePublisher):
        idempotent = True

        def send(self, variant, part, reply_to, key):
            answer = next(answers)
            if answer is not None:
                raise answer
            return Receipt(key, "https://fake.example/" + key)

    result = pipeline.publish(
        project,
        NOW,
        only="2026-12-01-0900-single",
        publisher_for=lambda a: Flaky(FakeServer(Path("/dev/null"))),
        runner_options={"sleep": waits.append, "policy": RetryPolicy(attempts=4, base_delay=1.0)},
    )
    assert [o.status for o in result.outcomes] == ["published"]
    assert waits[0] == 7 and 1.0 <= waits[1] <= 2.5  # Retry-After, then backoff with jitter

    class Rejecting(Flaky):
        def send(self, variant, part, reply_to, key):
            raise PermanentError("422 Validation failed: Text character limit of 500 exceeded")

    project2 = make_project(POSTS.replace("single", "other"))
    failed = pipeline.publish(
        project2,
        NOW,
        only="2026-12-01-0900-other",
        publisher_for=lambda a: Rejecting(FakeServer(Path("/dev/null"))),
        runner_options={"sleep": waits.append},
    )
    assert [o.status for o in failed.outcomes] == ["failed"] and "422" in failed.outcomes[0].message
    planned = {i.post_id: i for i in pipeline.plan(project2, NOW).items}
    assert planned["2026-12-01-0900-other"].status == "failed"  # recorded, not retried automatically


def test_thread_failing_at_part_k_resumes_at_k_replying_to_k_minus_1(make_project):
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")

    def fail_part_3(moment, part):
        if moment == "before" and part == 3:
            raise TransientError("503 Service Unavailable")

    first = publish(
        project,
        FakePublisher(platform, fail=fail_part_3),
        only="2026-12-01-0930-thread",
        runner_options={"policy": RetryPolicy(attempts=1)},
    )
    assert [o.status for o in first.outcomes] == ["failed"] and first.outcomes[0].parts_sent == 2
    second = publish(project, FakePublisher(platform), only="2026-12-01-0930-thread")
    assert [o.status for o in second.outcomes] == ["published"]
    received = platform.received()
    assert [item["part"] for item in received] == list(range(1, len(received) + 1))
    assert received[2]["reply_to"] == received[1]["key"]  # part 3 replies to part 2


def _publish_in_process(root: str, store: str) -> None:
    from postwright.project import Project

    pipeline.publish(Project(Path(root)), NOW, publisher_for=lambda a: FakePublisher(FakeServer(Path(store))))


def test_two_runs_at_once_send_each_job_once(make_project):
    project = make_project(POSTS)
    store = project.root / "platform.jsonl"
    context = multiprocessing.get_context("fork")
    runs = [
        context.Process(target=_publish_in_process, args=(str(project.root), str(store))) for _ in range(2)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    keys = [item["key"] for item in FakeServer(store).received()]
    assert keys and len(keys) == len(set(keys))


def test_cli_publish_exit_codes_dry_run_and_job_summary(make_project, tmp_path, monkeypatch):
    project = make_project(POSTS)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    at = ["--at", "2026-12-01T10:00"]
    dry = CliRunner().invoke(cli, ["-C", str(project.root), "publish", "--dry-run", *at])
    assert dry.exit_code == 0 and "would send 2026-12-01-0900-single.en/masto" in dry.stdout
    assert not (project.root / "state").exists()
    real = CliRunner().invoke(cli, ["-C", str(project.root), "publish", *at])
    assert real.exit_code == 0, real.output
    assert "2 published" in summary.read_text() and "| published |" in summary.read_text()
    plan = CliRunner().invoke(cli, ["-C", str(project.root), "plan", "--format", "json", *at])
    assert {item["status"] for item in json.loads(plan.stdout)} == {"published"}


def test_invalid_due_post_is_not_sent_and_exit_1(make_project):
    project = make_project(
        POSTS + "-- content/posts/2026-12-01-0915-long.md --\n---\nplatforms: [mastodon]\n"
        "thread: never\n---\n" + "word " * 150 + "\n"
    )
    result = CliRunner().invoke(cli, ["-C", str(project.root), "publish", "--at", "2026-12-01T10:00"])
    assert result.exit_code == 1 and "PW401" in result.stderr
    assert "published   2026-12-01-0900-single.en/masto" in result.stdout  # the rest still went out


def test_an_edited_published_post_is_reported_not_resent(make_project):
    project = make_project(POSTS)
    pipeline.publish(project, NOW, only="2026-12-01-0900-single")
    post = project.root / "content/posts/2026-12-01-0900-single.md"
    post.write_text(post.read_text().replace("A single post.", "A single post, with a typo fixed."))
    items = {item.post_id: item for item in pipeline.plan(project, NOW).items}
    assert items["2026-12-01-0900-single"].status == "published"
    assert "edited after publishing" in items["2026-12-01-0900-single"].detail
    assert items["2026-12-01-0900-single"].edited and not items["2026-12-01-0900-single"].sent_twice
    assert pipeline.publish(project, NOW, only="2026-12-01-0900-single").outcomes == ()


def test_retract_deletes_every_part_and_the_post_never_returns(make_project):
    project = make_project(POSTS)
    pipeline.publish(project, NOW)
    outbox = project.root / "outbox" / "sky"
    assert len(list(outbox.glob("*.json"))) > 1  # the thread
    dry = CliRunner().invoke(cli, ["-C", str(project.root), "retract", "2026-12-01-0930-thread", "--dry-run"])
    assert dry.exit_code == 0 and "would delete 2026-12-01-0930-thread.en/sky" in dry.stdout
    result = CliRunner().invoke(cli, ["-C", str(project.root), "retract", "2026-12-01-0930-thread", "--yes"])
    assert result.exit_code == 0 and "retracted  2026-12-01-0930-thread.en/sky" in result.stdout
    assert list(outbox.glob("*.json")) == []
    items = {
        item.post_id: item.status for item in pipeline.plan(project, NOW, only="2026-12-01-0930-thread").items
    }
    assert items["2026-12-01-0930-thread"] == "retracted"
    assert pipeline.publish(project, NOW, only="2026-12-01-0930-thread").outcomes == ()
    missing = CliRunner().invoke(cli, ["-C", str(project.root), "retract", "no-such-post"])
    assert missing.exit_code == 1 and "nothing published for no-such-post" in missing.stderr


def test_retract_lists_what_it_deletes_and_asks_first(make_project, monkeypatch):
    project = make_project(POSTS)
    pipeline.publish(project, NOW)
    outbox = project.root / "outbox" / "sky"
    sent = sorted(outbox.glob("*.json"))
    retract = ["-C", str(project.root), "retract", "2026-12-01-0930-thread"]

    unattended = CliRunner().invoke(cli, retract)  # no terminal (CI, a pipe) and no --yes
    assert unattended.exit_code == 2 and "pass --yes" in unattended.stderr
    assert "to delete: 2026-12-01-0930-thread.en/sky (bluesky)" in unattended.stdout
    parts = [line for line in unattended.stdout.splitlines() if line.startswith("    part ")]
    assert len(parts) == len(sent) and parts[0].startswith(f"    part 1 of {len(sent)}: published ")
    assert sorted(outbox.glob("*.json")) == sent

    monkeypatch.setattr("postwright.cli._can_ask", lambda: True)
    declined = CliRunner().invoke(cli, retract, input="n\n")
    assert declined.exit_code == 2 and "Delete 2026-12-01-0930-thread from 1 account(s)?" in declined.stdout
    assert "nothing deleted" in declined.stderr and sorted(outbox.glob("*.json")) == sent
    confirmed = CliRunner().invoke(cli, retract, input="y\n")
    assert confirmed.exit_code == 0 and "retracted  2026-12-01-0930-thread.en/sky" in confirmed.stdout
    assert list(outbox.glob("*.json")) == []


def test_schedule_fills_date_next_into_free_slots_preserving_every_other_byte(make_project):
    config = (
        "brand: {name: B, timezone: Europe/Madrid}\naccounts:\n  masto: {platform: mastodon}\n"
        "  sky: {platform: bluesky}\nschedule: {slots: ['09:00', '17:30']}\n"
    )
    project = make_project(
        f"-- config.yml --\n{config}"
        "-- content/posts/2026-12-02-0900-taken.md --\n---\nplatforms: [mastodon]\n---\nTaken.\n"
        "-- content/posts/a.md --\n---\n# keep this comment\ndate:   next   # ask for a slot\n"
        "platforms: [mastodon]\n---\nA.\n"
        "-- content/posts/b.md --\n---\ndate: next\nplatforms: [mastodon, bluesky]\n---\nB.\n"
    )
    crlf = project.root / "content/posts/b.md"
    crlf.write_bytes(crlf.read_bytes().replace(b"\n", b"\r\n"))
    before = {path: path.read_bytes() for path in (project.root / "content/posts").glob("*.md")}
    assert {d.code for d in pipeline.check(project).diagnostics} == {"PW005", "PW214"}  # CRLF noted
    at = ["--at", "2026-12-01T20:00"]
    result = CliRunner().invoke(cli, ["-C", str(project.root), "schedule", *at])
    assert result.exit_code == 0, result.output
    a = (project.root / "content/posts/a.md").read_bytes()
    assert a == before[project.root / "content/posts/a.md"].replace(
        b"next", b"2026-12-02 17:30"
    )  # 09:00 taken
    assert crlf.read_bytes() == before[crlf].replace(b"next", b"2026-12-03 09:00")  # masto's 17:30 now taken
    assert {d.code for d in pipeline.check(project).diagnostics} == {"PW005"}


def test_outbox_receives_the_platform_rendition_with_alt_text(make_project):
    from PIL import Image

    project = make_project(
        "-- assets/photo.jpg --\n1600x1200\n"
        "-- content/posts/2026-12-01-0900-pic.md --\n---\nplatforms: [bluesky]\n"
        "images: [{src: photo.jpg, alt: An orange rectangle}]\n---\nLook.\n"
    )
    pipeline.publish(project, NOW)
    (message,) = [p for p in (project.root / "outbox/sky").glob("*.json")]
    sent = json.loads(message.read_text())
    (image,) = sent["media"]
    assert image["alt"] == "An orange rectangle"
    with Image.open(project.root / "outbox/sky" / image["file"]) as received:
        assert received.format == "JPEG" and max(received.size) <= 2000 and "exif" not in received.info
    CliRunner().invoke(cli, ["-C", str(project.root), "retract", "2026-12-01-0900-pic", "--yes"])
    assert list((project.root / "outbox/sky").iterdir()) == []


def test_a_begun_thread_is_finished_even_after_the_grace_period(make_project):
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")

    def fail_part_2(moment, part):
        if moment == "before" and part == 2:
            raise TransientError("503")

    publish(
        project,
        FakePublisher(platform, fail=fail_part_2),
        only="2026-12-01-0930-thread",
        runner_options={"policy": RetryPolicy(attempts=1)},
    )
    hours_later = NOW.replace(hour=15)  # far past the 3 h grace: an outage
    result = pipeline.publish(
        project,
        hours_later,
        publisher_for=lambda a: FakePublisher(platform),
        runner_options={"sleep": lambda s: None},
    )
    assert [o.status for o in result.outcomes if "thread" in o.key] == ["published"]
    parts = [item["part"] for item in platform.received()]
    assert parts == list(range(1, max(parts) + 1))  # each part once, in order


def test_a_retract_between_planning_and_sending_wins(make_project, monkeypatch):
    project = make_project(POSTS)
    pipeline.publish(project, NOW, only="2026-12-01-0900-single")
    real_render_due = pipeline._render_due

    def render_then_retract(*args):
        rendered = real_render_due(*args)
        pipeline.retract(project, "2026-12-01-0900-single")
        return rendered

    monkeypatch.setattr(pipeline, "_render_due", render_then_retract)
    (project.root / "state/ledger.jsonl").write_text(
        "\n".join(
            line
            for line in (project.root / "state/ledger.jsonl").read_text().splitlines()
            if '"published"' not in line
        )
        + "\n"
    )  # as if the send had crashed: the job is begun, so it is due again
    result = pipeline.publish(project, NOW, only="2026-12-01-0900-single")
    assert [o.status for o in result.outcomes] == ["retracted"]
    assert list((project.root / "outbox/masto").glob("*.json")) == []


def test_plan_exits_1_when_config_is_broken(make_project):
    project = make_project("-- config.yml --\nbrand: [oops\n")
    result = CliRunner().invoke(cli, ["-C", str(project.root), "plan"])
    assert result.exit_code == 1 and "PW010" in result.stderr


class Mute(FakePublisher):
    """A platform that cannot be asked what it received (Telegram, Discord webhooks)."""

    def find_sent(self, variant, part, key):
        raise CannotTell("this platform cannot list recent posts")


def test_a_refusal_is_retried_next_run_without_asking_a_platform_that_cannot_tell(make_project):
    """A 429 answer means nothing went out: the next run sends, instead of reporting it unconfirmed."""
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")

    def refuse(moment, part):
        if moment == "before":
            raise TransientError("429 Too Many Requests", retry_after=1, refused=True)

    first = publish(project, Mute(platform, fail=refuse), only="2026-12-01-0900-single")
    assert [o.status for o in first.outcomes] == ["failed"] and platform.received() == []
    second = publish(project, Mute(platform), only="2026-12-01-0900-single")
    assert [o.status for o in second.outcomes] == ["published"] and len(platform.received()) == 1


def test_a_post_edited_after_a_crash_is_not_looked_up_by_its_new_text(make_project):
    """find_sent matches text: after an edit it would miss the part that went out and send it again."""
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")

    def crash_after(moment, part):
        if moment == "after":
            raise Crash

    with pytest.raises(Crash):
        publish(project, FakePublisher(platform, fail=crash_after), only="2026-12-01-0900-single")
    source = project.root / "content/posts/2026-12-01-0900-single.md"
    source.write_text(source.read_text().replace("A single post.", "A single post, edited."))
    again = publish(project, FakePublisher(platform), only="2026-12-01-0900-single")
    assert [o.status for o in again.outcomes] == ["unconfirmed"] and "edited" in again.outcomes[0].message
    assert len(platform.received()) == 1


def test_retract_deletes_every_part_it_can_and_reports_the_one_it_cannot_settle(make_project):
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")

    def fail_part_3(moment, part):
        if part == 3 and moment == "after":
            raise TransientError("504 Gateway Timeout")  # maybe out: left for find_sent to settle

    publish(project, Mute(platform, fail=fail_part_3), only="2026-12-01-0930-thread")
    deleted: list[str] = []

    class Deleting(Mute):
        def delete(self, remote_id):
            deleted.append(remote_id)

    _, outcomes = pipeline.retract(
        project, "2026-12-01-0930-thread", publisher_for=lambda account: Deleting(platform)
    )
    (outcome,) = outcomes
    assert outcome.status == "unconfirmed" and outcome.parts_sent == 2 and "part 3" in outcome.message
    assert len(deleted) == 2  # parts 2 and 1 are gone although part 3 could not be settled


def test_a_due_post_whose_image_cannot_be_made_is_not_sent_without_it(make_project):
    project = make_project(
        """
-- content/posts/2026-12-01-0900-pictured.md --
---
platforms: [mastodon]
images: [{src: broken.jpg, alt: A kite}]
---
A post with a picture.
-- assets/broken.jpg --
800x600
"""
    )
    image = project.root / "assets" / "broken.jpg"
    image.write_bytes(image.read_bytes()[:400])  # a JPEG cut short: found, but it cannot be decoded
    planned = {item.post_id: item.status for item in pipeline.plan(project, NOW).items}
    assert planned["2026-12-01-0900-pictured"] == "due"  # loading does not decode images
    result = pipeline.publish(project, NOW, runner_options={"sleep": lambda seconds: None})
    assert result.outcomes == ()
    assert any(item.code.startswith("PW3") for item in result.invalid), result.invalid
    assert not (project.root / "outbox").exists()


_LIMITED_RUN = """
import resource, signal, sys
from pathlib import Path

root, limit, sent_before = sys.argv[1], int(sys.argv[2]), set(sys.argv[3].split())
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the kernel then writes short and fails with EFBIG
if limit >= 0:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

from postwright import cli, pipeline
from postwright.platforms.contract import Receipt


class Counting:
    '''Not idempotent; each send is told to the test on stdout (a pipe: no file size limit).'''

    idempotent = False

    def send(self, variant, part, reply_to, key):
        print("SENT", key, flush=True)
        sent_before.add(key)
        return Receipt(key, "https://fake.example/" + key)

    def find_sent(self, variant, part, key):
        return Receipt(key, "https://fake.example/" + key) if key in sent_before else None

    def delete(self, remote_id):
        pass


pipeline.publishers = lambda *args: lambda account: Counting()
sys.argv = ["postwright", "-C", root, "publish", "--at", "2026-12-01T10:00"]
cli.main()
"""


def _limited_publish(root: Path, limit: int, sent: list[str]) -> tuple[int, str]:
    import os
    import subprocess
    import sys

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(Path(__file__).parent.parent)}
    env.pop("GITHUB_STEP_SUMMARY", None)
    done = subprocess.run(
        [sys.executable, "-c", _LIMITED_RUN, str(root), str(limit), " ".join(sent)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    sent += [line.split()[1] for line in done.stdout.splitlines() if line.startswith("SENT ")]
    return done.returncode, done.stderr


def test_a_full_disk_stops_the_run_with_exit_3_and_the_next_run_completes(make_project, tmp_path):
    """A real short write (RLIMIT_FSIZE) at sizes around the ledger's records: never a torn line or an
    internal error, and once there is space again every part is out exactly once."""
    template = make_project(POSTS).root
    reference = tmp_path / "reference"
    _copy(template, reference)
    everything: list[str] = []
    assert _limited_publish(reference, -1, everything)[0] == 0
    ledger = (reference / "state/ledger.jsonl").read_bytes()
    first = len(ledger.split(b"\n")[0]) + 1
    for limit in (0, first // 2, first, first + 1, len(ledger) // 2, len(ledger) - 1):
        root = tmp_path / f"limit-{limit}"
        _copy(template, root)
        sent: list[str] = []
        code, errors = _limited_publish(root, limit, sent)
        assert code == 3, (limit, errors)
        assert "free space and run again" in errors and "internal error" not in errors, errors
        assert "Traceback" not in errors
        Ledger(root / "state").read()  # no torn line
        code, errors = _limited_publish(root, -1, sent)
        assert code == 0, (limit, errors)
        assert sorted(sent) == sorted(everything), limit  # none twice, none lost
        assert _due(Project(root)) == []


def test_a_record_that_cannot_be_written_stops_the_run_before_the_next_request(make_project, monkeypatch):
    from postwright.ledger import LedgerWriteError

    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")
    real_append = Ledger.append
    full = {"from": 3}  # the single post's two records fit; the thread's first `started` does not

    def append(self, record):
        full["from"] -= 1
        if full["from"] <= 0:
            raise LedgerWriteError(self.path, record, OSError(28, "No space left on device"))
        real_append(self, record)

    monkeypatch.setattr(Ledger, "append", append)
    result = publish(project, FakePublisher(platform))
    assert [(o.key, o.status) for o in result.outcomes] == [
        ("2026-12-01-0900-single.en/masto", "published"),
        ("2026-12-01-0930-thread.en/sky", "failed"),
    ]
    assert "part 1: not sent: " in result.outcomes[1].message and "the disk is full" in result.stopped
    assert len(platform.received()) == 1
    monkeypatch.setattr(Ledger, "append", real_append)
    again = publish(project, FakePublisher(platform))
    assert [o.status for o in again.outcomes] == ["published"]
    keys = [item["key"] for item in platform.received()]
    assert len(keys) == len(set(keys)) and _due(project) == []


def test_a_5xx_on_a_platform_that_cannot_be_asked_ends_as_unconfirmed_not_as_exit_3_forever(make_project):
    """A 5xx after its retries may have posted (the server can fail after storing): on a platform whose
    recent posts cannot be looked up, runs ask for one grace period, then the job waits for a person."""
    project = make_project(POSTS)
    platform = FakeServer(project.root / "platform.jsonl")

    def store_then_503(moment, part):
        if moment == "after":
            raise TransientError("503")

    class Blind(FakePublisher):
        def find_sent(self, variant, part, key):
            raise CannotTell("this platform has no way to list recent posts")

    single = "2026-12-01-0900-single"
    once = RetryPolicy(attempts=1)
    first = publish(
        project, Blind(platform, fail=store_then_503), only=single, runner_options={"policy": once}
    )
    assert [o.status for o in first.outcomes] == ["failed"]
    for minutes in (15, 30):  # within the grace period: asked again, unconfirmed, the run fails
        again = pipeline.publish(
            project,
            NOW.replace(minute=minutes),
            only=single,
            publisher_for=lambda account: Blind(platform),
            runner_options={
                "sleep": lambda seconds: None,
                "clock": lambda at=NOW.replace(minute=minutes): at,  # noqa: B008 (bound per loop)
            },
        )
        assert [o.status for o in again.outcomes] == ["unconfirmed"]
    late = NOW.replace(hour=16)
    item = next(i for i in pipeline.plan(project, late).items if i.post_id == single)
    assert item.status == "unconfirmed" and "postwright settle" in item.detail
    result = pipeline.publish(project, late, publisher_for=lambda account: Blind(platform))
    assert not any(o.key.startswith(single) for o in result.outcomes)
    assert len(platform.received()) == 1  # sent once, by the first run, and never again


def test_a_full_disk_while_making_images_is_the_machines_problem_not_the_images(make_project, monkeypatch):
    """The rendition cache cannot be written: not a PW3xx on the post (exit 1), but an OSError the
    command reports as a full disk (exit 3), with no half-written file left behind."""
    import errno

    from postwright.media import cache

    project = make_project(
        """
        -- assets/kite.png --
        40x30
        -- content/posts/2026-12-01-0900-photo.md --
        ---
        platforms: [mastodon]
        images: [{src: kite.png, alt: A kite}]
        ---
        A photo.
        """
    )
    real_replace = cache.os.replace

    def full(source, destination):
        raise OSError(errno.ENOSPC, "No space left on device", str(destination))

    monkeypatch.setattr(cache.os, "replace", full)
    with pytest.raises(OSError) as raised:
        pipeline.publish(project, NOW)
    assert raised.value.errno == errno.ENOSPC
    assert not list((project.root / ".postwright-cache").rglob("*.tmp"))
    monkeypatch.setattr(cache.os, "replace", real_replace)
    assert [o.status for o in pipeline.publish(project, NOW).outcomes] == ["published"]


def test_api_accounts_get_their_platforms_publisher_with_settings_and_secrets(make_project, monkeypatch):
    from dataclasses import replace

    from postwright import publish
    from postwright.platforms import PLATFORMS

    project = make_project(
        """
-- config.yml --
brand: {name: Acme, timezone: UTC, language: en}
platforms:
  mastodon: {settings: {visibility: unlisted, instance: https://shared.example}}
accounts:
  masto:
    platform: mastodon
    handle: "@acme@own.example"
    deliver: api
    credentials: {access_token: PW_MASTO_TOKEN}
    settings: {instance: https://own.example}
"""
    )
    built = []

    def factory(connection: Connection):
        built.append(connection)
        return "publisher"

    patched = dict(PLATFORMS)
    patched["mastodon"] = replace(PLATFORMS["mastodon"], publisher=factory)
    monkeypatch.setattr(publish, "PLATFORMS", patched)
    monkeypatch.setenv("PW_MASTO_TOKEN", "t0k")
    from postwright.config import load_config

    config, _ = load_config(project)
    publisher_for = publish.publishers(project, config, {}, project.root / ".postwright-cache" / "media")
    assert publisher_for("masto") == "publisher" and publisher_for("masto") == "publisher"
    (connection,) = built
    assert connection.settings == {
        "handle": "acme@own.example",  # the account's handle, unless its settings name another
        "visibility": "unlisted",
        "instance": "https://own.example",
    }
    assert connection.secrets["access_token"] == "t0k"
