"""The example brand at the repository root is the first thing a new user runs: it must stay complete."""

from collections import Counter
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from postwright import pipeline
from postwright.cli import cli
from postwright.project import Project
from tests.conftest import REPO

TODAY = datetime(2026, 11, 22, tzinfo=UTC)  # when the example was written; posts spread around it


@pytest.fixture(scope="module")
def checked():
    return pipeline.check(Project(REPO), now=TODAY)


def test_check_passes_strictly(checked):
    # as of when it was written: on the clock, posts nobody published since are late (PW251)
    assert checked.diagnostics == ()
    result = CliRunner().invoke(cli, ["-C", str(REPO), "check", "--strict", "--at", TODAY.isoformat()])
    assert result.exit_code == 0, result.output


def test_every_post_file_loads(checked):
    assert len(checked.loaded.files) >= 15
    assert len(checked.loaded.posts) == len(checked.loaded.files)


def test_covers_what_a_new_user_should_see(checked):
    posts = checked.loaded.posts
    assert {"en", "es", "ru", "fa"} <= {post.lang for post in posts}
    assert {1, 2, 3, 4} <= {len(post.media) for post in posts}
    assert all(ref.alt for post in posts for ref in post.media)
    assert any(post.draft for post in posts)
    assert any(post.expires and post.expires < TODAY for post in posts)
    assert any(post.overrides for post in posts)
    assert any("@[" in post.body for post in posts)
    assert any(post.thread == "auto" and len(post.body) > 1000 for post in posts)
    assert sum(post.publish_at < TODAY for post in posts) >= 2
    assert sum(post.publish_at > TODAY for post in posts) >= 12
    variants = Counter(post.id for post in posts)
    assert any(count > 1 for count in variants.values())  # language variants share an id


def test_an_account_per_platform_delivering_to_the_outbox(checked):
    accounts = checked.config.accounts.values()
    required = {"x", "bluesky", "mastodon", "linkedin", "instagram", "facebook", "threads"}
    assert required <= {account.platform for account in accounts}
    assert all(account.deliver == "outbox" for account in accounts)


def test_every_platform_has_a_template():
    from postwright.platforms import PLATFORMS

    names = {path.stem for path in (REPO / "templates").glob("*.j2")}
    assert {"base", *PLATFORMS} <= names


def test_the_preview_is_alive_on_any_day_someone_clones_it(checked):
    """The example pins its preview to a time (preview.at) when its posts are published, upcoming and
    drafts, not all missed or expired; the README's first lines say how to see it."""
    from postwright.cli import _at
    from postwright.preview import gather

    at = checked.config.preview.at
    assert at is not None
    entries = gather(Project(REPO))(_at(Project(REPO), at))[0].entries
    statuses = Counter(entry.status for entry in entries)
    assert statuses["published"] >= 10 and statuses["upcoming"] >= 50 and statuses["draft"]
    assert not statuses["missed"] and not statuses["failed"]
    launch = [entry for entry in entries if "launch" in entry.post_id]
    assert launch and all(entry.status == "upcoming" for entry in launch)  # the flagship post, ahead
    opening = "\n".join((REPO / "README.md").read_text("utf-8").splitlines()[:12])
    assert "build.py preview" in opening and at in opening
