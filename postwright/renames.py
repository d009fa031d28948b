"""Renames that would send a post again: a post file, its language or an account renamed after it went out.

The ledger knows a job by `<post-id>.<lang>/<account>`; a post's id comes from its file name and its
language from the name, `lang:` or `brand.language`. So a renamed file, a changed language, or an account
renamed in config.yml gives a post that already went out a key the ledger has never seen, and within the
grace period that post is due again. Only those posts are looked at: a post is due by its new key only
while it is at most `schedule.grace` late, and the send it repeats was recorded no earlier than that.
`--only`, which sends a missed post, looks at the forced post whatever its age.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from postwright import render
from postwright.config import Config
from postwright.diagnostics import Diagnostic, Span, diag
from postwright.ledger import JobState, RecordStatus
from postwright.model import Post
from postwright.status import job_key

_SENT = (RecordStatus.PUBLISHED, RecordStatus.STARTED)  # out, or maybe out


@dataclass(frozen=True, slots=True)
class Held:
    """A job not to send, because it went out under another key, and the error that says so."""

    key: str
    problem: Diagnostic


def renamed(
    posts: Iterable[Post],
    config: Config,
    states: Mapping[str, JobState],
    now: datetime,
    templates_of: Callable[[], render.Templates],
    *,
    forced: str | None = None,
) -> list[Held]:
    """Every job (post and account) that went out under another id, language or account."""
    posts = tuple(posts)
    grace = config.schedule.grace
    sent = [state for state in states.values() if _out(state)]
    recent = [state for state in sent if _recorded_since(state, now - 2 * grace)]
    if not recent and forced is None:
        return []
    variants = {(post.id, post.lang) for post in posts}
    known_accounts = {state.records[0].account for state in states.values()}
    # the states a job can repeat: of its own post id, or of a post whose file is gone, by account and
    # language; looked up per job, so a repository of thousands of upcoming posts stays quick
    by_id: dict[str, list[JobState]] = {}
    gone: dict[tuple[str, str], list[JobState]] = {}
    for state in recent:
        first = state.records[0]
        by_id.setdefault(first.post_id, []).append(state)
        if (first.post_id, _old_lang(state)) not in variants:
            gone.setdefault((first.account, _old_lang(state)), []).append(state)
    templates: list[render.Templates] = []  # loaded on the first file rename to compare
    held = []
    for post in posts:
        for account in post.targets:
            key = job_key(post, account)
            at = post.publish_at_by_account.get(account, post.publish_at)
            if key in states or (post.id != forced and at < now - grace):
                continue
            platform = config.accounts[account].platform
            candidates = (
                sent if post.id == forced else [*by_id.get(post.id, ()), *gone.get((account, post.lang), ())]
            )
            api = config.accounts[account].deliver != "outbox"
            for state in candidates:
                if api:  # a rehearsal in the outbox (of a gone account too) posted nothing to send again
                    state = state.without_rehearsals()
                    if not _out(state):
                        continue
                problem = _same_post(post, account, platform, state, variants, config, known_accounts)
                if problem is None and _same_text(post, account, platform, state, variants):
                    templates = templates or [templates_of()]
                    variant, _ = render.render(
                        replace(post, id=state.records[0].post_id), account, config, templates[0]
                    )
                    if variant is not None and variant.content_hash == state.content_hash:
                        problem = _file_renamed(post, account, platform, state)
                if problem is not None:
                    held.append(Held(key, problem))
                    break
    return held


def _old_lang(state: JobState) -> str:
    first = state.records[0]
    return state.key.rsplit("/", 1)[0].removeprefix(f"{first.post_id}.")


def _same_post(
    post: Post,
    account: str,
    platform: str,
    state: JobState,
    variants: set[tuple[str, str]],
    config: Config,
    known_accounts: set[str],
) -> Diagnostic | None:
    """This post, sent in another language to this account (that language's file is gone), or sent
    in this language through an account config.yml no longer has, on this platform, while this
    account has never sent anything (a renamed account)."""
    first, old_lang = state.records[0], _old_lang(state)
    if first.post_id != post.id or first.platform != platform:
        return None
    if first.account == account:
        if (post.id, old_lang) in variants:
            return None  # a language variant of its own, still there
        return _language_changed(post, account, platform, state, old_lang)
    if old_lang == post.lang and first.account not in config.accounts and account not in known_accounts:
        return _account_renamed(post, account, platform, state)
    return None


def _same_text(
    post: Post, account: str, platform: str, state: JobState, variants: set[tuple[str, str]]
) -> bool:
    """A job of a post id that is gone, sent to this account in this language: worth rendering this
    post under that id to compare what was sent."""
    first, old_lang = state.records[0], _old_lang(state)
    return (
        first.post_id != post.id
        and (first.post_id, old_lang) not in variants
        and first.account == account
        and first.platform == platform
        and old_lang == post.lang
    )


def _out(state: JobState) -> bool:
    """Some part is out, or maybe out: its last record is `published` or `started`."""
    lasts = (state.last(part) for part in range(1, state.parts + 1))
    return any(record is not None and record.status in _SENT for record in lasts)


def _recorded_since(state: JobState, since: datetime) -> bool:
    """Sent (or begun) at `since` or later, by the records' own times; a time without an offset is UTC."""
    for record in state.records:
        if record.status not in _SENT:
            continue
        try:
            when = datetime.fromisoformat(record.time)
        except ValueError:  # the ledger's own check reads every time: this is only a guard
            continue
        if (when if when.tzinfo else when.replace(tzinfo=UTC)) >= since:
            return True
    return False


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


def _language_changed(post: Post, account: str, platform: str, state: JobState, old_lang: str) -> Diagnostic:
    return diag(
        "PW215",
        Span(post.source),
        f"this post went out to {account} in language {old_lang} ({_when(state)}); as {post.lang} it "
        "would be sent again",
        platform=platform,
        hint=f"keep its language {old_lang} (lang: {old_lang}) until it is more than schedule.grace late",
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
