"""`postwright metrics pull` end to end against a local Mastodon that checks each request: due posts in
batches, thread parts summed, account numbers once a day, failures recorded and left due without
stopping the other accounts, the ledger never written, outbox accounts never asked."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from postwright.cli import cli
from postwright.config import load_config
from postwright.insights import pull, store
from postwright.ledger import Ledger, Record, RecordStatus
from postwright.project import Project
from tests.fakes.http_platform import local_server, serve
from tests.fakes.mastodon_statuses import MastodonStatuses, rate_limited

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TOKENS = {"PW_MASTO_TOKEN": "metrics-token", "PW_MASTO_ES_TOKEN": "metrics-token-es"}

CONFIG = """\
brand:
  name: Test Brand
  timezone: UTC
  platforms: [mastodon, bluesky]
accounts:
  masto:
    platform: mastodon
    deliver: api
    settings: {{instance: "{url}"}}
    credentials: {{access_token: PW_MASTO_TOKEN}}
  masto_es:
    platform: mastodon
    language: es
    deliver: api
    settings: {{instance: "{url}"}}
    credentials: {{access_token: PW_MASTO_ES_TOKEN}}
  sky:
    platform: bluesky
    language: en
"""


@pytest.fixture(scope="module")
def local_http():
    with local_server() as server:
        yield server


@pytest.fixture
def fake(local_http):
    with serve(MastodonStatuses(local_http, TOKENS.values())) as server:
        yield server


def publish_record(
    ledger: Ledger, key: str, account: str, remote_ids: list[str], at: datetime, **more
) -> None:
    """What publish appends for a job sent through the API: started, then published, part by part."""
    post_id = key.split(".", 1)[0]
    platform = more.pop("platform", "mastodon")
    for part, remote_id in enumerate(remote_ids, 1):
        common = dict(
            key=key,
            part=part,
            parts=len(remote_ids),
            idempotency_key=f"{key}-{part}",
            post_id=post_id,
            account=account,
            platform=platform,
            content_hash="sha256:0",
            time=at.isoformat(),
            via=more.get("via", "api"),
        )
        ledger.append(Record(status=RecordStatus.STARTED, **common))
        url = f"https://masto.example/@brand/{remote_id}"
        ledger.append(Record(status=RecordStatus.PUBLISHED, remote_id=remote_id, url=url, **common))


@pytest.fixture
def brand(tmp_path: Path, fake) -> Path:
    (tmp_path / "config.yml").write_text(CONFIG.format(url=fake.url))
    ledger = Ledger(tmp_path / "state")
    (tmp_path / "state").mkdir()
    fake.add("101", favourites=3, reblogs=1, quotes=2)
    fake.add("102", favourites=1, replies=2, quotes=0)
    fake.add("201", favourites=7)
    publish_record(ledger, "2026-12-01-launch.en/masto", "masto", ["101", "102"], T0)
    publish_record(ledger, "2026-12-01-launch.es/masto_es", "masto_es", ["201"], T0)
    publish_record(ledger, "2026-12-01-launch.en/sky", "sky", ["sky-1"], T0, platform="bluesky", via="outbox")
    return tmp_path


def run(root: Path, at: datetime, *args: str):
    return CliRunner(env=TOKENS).invoke(
        cli, ["-C", str(root), "metrics", "pull", "--at", at.isoformat(), *args]
    )


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def test_due_posts_and_accounts_are_read_into_the_store_and_the_ledger_is_untouched(brand, fake) -> None:
    ledger_before = (brand / "state/ledger.jsonl").read_bytes()
    result = run(brand, T0 + timedelta(hours=1, minutes=5))
    assert result.exit_code == 0, result.output
    assert "masto (mastodon): read 1 post(s), account numbers" in result.stdout
    stored = rows(brand / "state/metrics/mastodon/2026-12.csv")
    assert [
        (row["account"], row["lang"], row["favourites_count"], row["replies_count"]) for row in stored
    ] == [
        ("masto", "en", "4", "2"),  # the thread's two statuses summed
        ("masto_es", "es", "7", "0"),
    ]
    assert stored[0]["quotes_count"] == "2" and stored[1]["quotes_count"] == ""  # not counted by that server
    assert stored[0]["observed"] == "2026-12-01T10:05:00Z"
    accounts = rows(brand / "state/metrics/mastodon/accounts-2026.csv")
    assert [(row["account"], row["followers_count"]) for row in accounts] == [
        ("masto", "42"),
        ("masto_es", "42"),
    ]
    assert (brand / "state/ledger.jsonl").read_bytes() == ledger_before
    assert not (brand / "state/metrics/bluesky").exists()  # the outbox account posted nothing to read
    assert not store.failures_file(brand).exists()


def test_a_second_run_with_nothing_due_asks_nothing(brand, fake) -> None:
    assert run(brand, T0 + timedelta(hours=1, minutes=5)).exit_code == 0
    asked = len(fake.calls)
    result = run(brand, T0 + timedelta(hours=5))
    assert result.exit_code == 0, result.output
    assert len(fake.calls) == asked
    assert "read 0 post(s)" in result.stdout


def test_a_refused_read_is_recorded_left_due_and_the_other_account_is_still_read(brand, fake) -> None:
    fake.fail_next(lambda call: call.headers.get("authorization") == "Bearer metrics-token-es", rate_limited)
    result = run(brand, T0 + timedelta(hours=1))
    assert result.exit_code == 3, result.output
    assert "failed 2026-12-01-launch.es/masto_es: temporarily refused" in result.stderr
    assert "429 Too many requests" in result.stderr
    failures = rows(store.failures_file(brand))
    assert [row["key"] for row in failures] == ["2026-12-01-launch.es/masto_es"]
    assert "429" in failures[0]["reason"] and failures[0]["gone"] == ""
    assert [row["account"] for row in rows(brand / "state/metrics/mastodon/2026-12.csv")] == ["masto"]
    again = run(brand, T0 + timedelta(hours=2))  # still within the 1 h band: due again because unread
    assert again.exit_code == 0, again.output
    assert "masto_es (mastodon): read 1 post(s)" in again.stdout
    assert not store.failures_file(brand).exists()


def test_a_deleted_status_is_recorded_as_gone_and_not_asked_for_again(brand, fake) -> None:
    del fake.statuses["201"]
    assert run(brand, T0 + timedelta(hours=1)).exit_code == 3
    [failure] = rows(store.failures_file(brand))
    assert failure["gone"] == "gone" and failure["key"] == "2026-12-01-launch.es/masto_es"
    asked = len(fake.calls)
    result = run(brand, T0 + timedelta(hours=7))
    assert result.exit_code == 0, result.output  # a gone post is no failure of this run
    assert not any("201" in str(call.query) or call.path.endswith("/201") for call in fake.calls[asked:])
    assert rows(store.failures_file(brand))[0]["gone"] == "gone"


def test_batches_follow_the_readers_limit_and_a_server_without_getstatuses_is_read_one_by_one(
    tmp_path, local_http
) -> None:
    ledger = Ledger(tmp_path / "state")
    (tmp_path / "state").mkdir()
    for batched in (True, False):
        with serve(MastodonStatuses(local_http, TOKENS.values(), batched=batched)) as fake:
            (tmp_path / "config.yml").write_text(CONFIG.format(url=fake.url))
            for number in range(25):
                fake.add(str(1000 + number), favourites=number)
                if batched:
                    publish_record(
                        ledger, f"2026-12-01-post-{number}.en/masto", "masto", [str(1000 + number)], T0
                    )
            result = run(tmp_path, T0 + timedelta(hours=6 if batched else 25))
            assert result.exit_code == 0, result.output
            many = fake.calls_to("GET", "/api/v1/statuses")
            one = fake.calls_to("GET", r"/api/v1/statuses/\d+")
            if batched:
                assert [len(call.query["id[]"]) for call in many] == [20, 5] and one == []
            else:
                assert len(many) == 1 and len(one) == 25  # asked once, then one by one
    assert len(rows(tmp_path / "state/metrics/mastodon/2026-12.csv")) == 25  # numbers unchanged: rows moved


def test_dry_run_asks_nothing_and_writes_nothing(brand, fake) -> None:
    result = run(brand, T0 + timedelta(hours=1), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "due 2026-12-01-launch.en/masto (published 2026-12-01 09:00 UTC)" in result.stdout
    assert fake.calls == [] and not (brand / "state/metrics").exists()


def test_a_damaged_metrics_file_stops_the_run_at_its_line_and_nothing_is_asked(brand, fake) -> None:
    damaged = brand / "state/metrics/mastodon/2026-12.csv"
    damaged.parent.mkdir(parents=True)
    damaged.write_text(
        "post_id,lang,account,published,observed,favourites_count\nx,en,masto,yesterday,now,1\n"
    )
    result = run(brand, T0 + timedelta(hours=1))
    assert result.exit_code == 3
    assert "2026-12.csv:2:" in result.stderr and "Traceback" not in result.output
    assert fake.calls == []
    assert damaged.read_text().endswith("yesterday,now,1\n")


def test_outbox_accounts_have_nothing_to_read(make_project) -> None:
    project = make_project()
    result = CliRunner().invoke(cli, ["-C", str(project.root), "metrics", "pull"])
    assert result.exit_code == 0, result.output
    assert "no account delivers through a platform's API" in result.stderr
    assert not (project.root / "state").exists()


def test_a_reader_that_raises_is_a_recorded_failure_not_a_crash(brand, fake, monkeypatch) -> None:
    from postwright.platforms.mastodon import metrics as mastodon_metrics

    def broken(self, deliveries):
        raise KeyError("surprise")

    monkeypatch.setattr(mastodon_metrics.MastodonMetrics, "posts", broken)
    config, _ = load_config(Project(brand))
    report = pull.pull(brand, config, T0 + timedelta(hours=1), environ=TOKENS)
    assert report.failed
    reasons = {failure.reason for account in report.accounts for failure in account.failures}
    assert reasons == {"unexpected error in the reader: KeyError: 'surprise'"}
    assert [row["account"] for row in rows(brand / "state/metrics/mastodon/accounts-2026.csv")] == [
        "masto",
        "masto_es",
    ]


def test_doctor_names_the_scopes_metrics_needs_and_says_why_telegram_has_none(tmp_path) -> None:
    config = CONFIG.format(url="https://masto.example").replace("  sky:\n", "  sky_api:\n", 1)
    config = config.replace("platforms: [mastodon, bluesky]", "platforms: [mastodon, bluesky, telegram]")
    config += (
        "  sky_real:\n    platform: bluesky\n    deliver: api\n    handle: brand.example\n"
        "    credentials: {app_password: PW_SKY}\n"
        "  tg:\n    platform: telegram\n    deliver: api\n    settings: {chat_id: '@brand'}\n"
        "    credentials: {bot_token: PW_TG}\n"
    )
    (tmp_path / "config.yml").write_text(config)
    env = {**TOKENS, "PW_SKY": "x", "PW_TG": "1:x"}
    result = CliRunner(env=env).invoke(cli, ["-C", str(tmp_path), "doctor", "--offline", "--format", "json"])
    said = {item["account"]: item["metrics"] for item in json.loads(result.stdout)}
    assert said["masto"] == "metrics pull: the token also needs read:statuses, read:accounts"
    assert said["sky_real"] == "metrics pull: nothing more than publishing needs"
    assert said["tg"].startswith("metrics pull: no numbers (Telegram's Bot API cannot read a post's views")
    assert said["sky_api"] == ""  # the outbox: nothing was posted, nothing to read
    human = CliRunner(env=env).invoke(cli, ["-C", str(tmp_path), "doctor", "--offline"]).stdout
    assert "metrics pull: the token also needs read:statuses, read:accounts" in human


def test_a_malformed_count_is_a_failure_of_that_post_only(brand, fake) -> None:
    fake.statuses["102"]["favourites_count"] = "3"  # a string where the Status entity has an integer
    result = run(brand, T0 + timedelta(hours=1))
    assert result.exit_code == 3
    assert "failed 2026-12-01-launch.en/masto: malformed answer: favourites_count is '3', not a count" in (
        result.stderr
    )
    assert [row["account"] for row in rows(brand / "state/metrics/mastodon/2026-12.csv")] == ["masto_es"]


def test_a_second_pull_at_the_same_time_stops_and_writes_nothing(brand, fake) -> None:
    import fcntl

    (brand / "state/metrics").mkdir()
    with open(brand / "state/metrics/pull.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        result = run(brand, T0 + timedelta(hours=1))
    assert result.exit_code == 3 and "another `metrics pull` is running" in result.stderr
    assert fake.calls == [] and list((brand / "state/metrics").iterdir()) == [
        brand / "state/metrics/pull.lock"
    ]
