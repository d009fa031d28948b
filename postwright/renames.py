"""Renames that would send a post again: a post file or an account renamed after the post went out.

The ledger knows a job by `<post-id>.<lang>/<account>`, and a post's id comes from its file name. So a
renamed file, or an account renamed in config.yml, gives a post that already went out a key the ledger
has never seen, and within the grace period that post is due again. Only those posts are looked at: a
post is due by its new key only while it is at most `schedule.grace` late, and the send it repeats was
recorded no earlier than that.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from postwright import render
from postwright.config import Config
from postwright.diagnostics import Diagnostic, Span, diag
from postwright.ledger import JobState
from postwright.model import Post
from postwright.schedule import job_key

_SENT = ("published", "started")  # out, or maybe out


def renamed(
    posts: Iterable[Post],
    config: Config,
    states: Mapping[str, JobState],
    now: datetime,
    templates_of: Callable[[], render.Templates],
) -> list[Diagnostic]:
    """A PW215 error on each post (and platform) that went out under another id or account."""
    grace = config.schedule.grace
    recent = [state for state in states.values() if _sent_since(state, now - 2 * grace)]
    if not recent:
        return []
    ids = {post.id for post in posts}
    templates: list[render.Templates] = []  # loaded on the first file rename to compare
    found = []
    for post in posts:
        for account in post.targets:
            at = post.publish_at_by_account.get(account, post.publish_at)
            if job_key(post, account) in states or at < now - grace:
                continue
            platform = config.accounts[account].platform
            for state in recent:
                first = state.records[0]
                if first.platform != platform:
                    continue
                if first.post_id == post.id and first.account not in config.accounts:
                    found.append(_account_renamed(post, account, platform, state))
                    break
                if (
                    first.post_id in ids
                    or first.account != account
                    or state.key != f"{first.post_id}.{post.lang}/{account}"
                ):
                    continue
                templates = templates or [templates_of()]
                variant, _ = render.render(replace(post, id=first.post_id), account, config, templates[0])
                if variant is not None and variant.content_hash == state.content_hash:
                    found.append(_file_renamed(post, account, platform, state))
                    break
    return found


def _sent_since(state: JobState, since: datetime) -> bool:
    """Out (or maybe out) at `since` or later, by the records' own times."""
    try:
        times = [datetime.fromisoformat(r.time) for r in state.records if r.status in _SENT]
    except ValueError:  # the ledger's own check reads every time: this is only a guard
        return False
    return any(time >= since for time in times)


def _file_renamed(post: Post, account: str, platform: str, state: JobState) -> Diagnostic:
    old = state.records[0].post_id
    return diag(
        "PW215",
        Span(post.source),
        f"this post went out to {account} as {old} ({_when(state)}); under its new id {post.id} it would "
        "be sent again",
        platform=platform,
        hint=f"add `id: {old}` to the front matter to keep the id it was published under",
    )


def _account_renamed(post: Post, account: str, platform: str, state: JobState) -> Diagnostic:
    old = state.records[0].account
    return diag(
        "PW215",
        Span(post.source),
        f"this post went out through account {old} ({_when(state)}), which config.yml no longer has; "
        f"through {account} it would be sent again",
        platform=platform,
        hint=f"keep the account's name {old} in config.yml until this post is more than schedule.grace "
        "late (then it is missed, not sent)",
    )


def _when(state: JobState) -> str:
    return f"state/ledger.jsonl, {state.records[-1].time}"
