"""`replies pull`: hear the replies to the brand's published posts and the mentions of its accounts.

Each post is read on age bands (every run while fresh, then once a day, then never), mentions every run
over the last `engagement.mention_days`, so one stays listed until the brand's account replies to it (the
reader's `replied_to`: what the account's own recent posts answer). What each account's reader finds is
compared with what earlier pulls saw (ids only, in state/engagement/), counted per delivery, and checked
for a crisis. A refused or malformed answer is a reason in the result; the other deliveries and accounts
still run. `Pulled` is what the inbox (the GitHub issue, or stdout locally) is made from.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from postwright.account_settings import connection_for
from postwright.config import Config
from postwright.credentials import CredentialsError, redact
from postwright.diagnostics import printable
from postwright.engagement import state as store
from postwright.engagement.crisis import CrisisRules, CrisisSignal, detect, hour_of
from postwright.engagement.model import Conversation, PostGone, RepliesReader
from postwright.insights.due import deliveries
from postwright.insights.model import Delivery
from postwright.ledger import Ledger
from postwright.platforms import PLATFORMS
from postwright.platforms.contract import Connection, PermanentError, TransientError, UnexpectedAnswer

ACCOUNTS_AT_ONCE = 8  # accounts read side by side: each waits on its platform, not on the CPU
DAILY = timedelta(hours=23)  # "once a day" for a scheduled run that drifts by minutes
OVERLAP = timedelta(minutes=5)  # after an outage, mentions are asked from a little before the last read


@dataclass(frozen=True, slots=True)
class Bands:
    """How often a post is read: every run while younger than `fresh`, then daily until `stop`; and how
    long an unanswered mention stays listed (`mentions`)."""

    fresh: timedelta = timedelta(hours=48)
    stop: timedelta = timedelta(days=14)
    mentions: timedelta = timedelta(days=7)

    def due(self, delivery: Delivery, counts: store.DeliveryCounts | None, at: datetime) -> bool:
        age = at - delivery.published
        if (counts is not None and counts.gone) or age >= self.stop or age < timedelta(0):
            return False
        if age < self.fresh or counts is None or counts.read is None:
            return True
        return at - counts.read >= DAILY


@dataclass(frozen=True, slots=True)
class DeliveryCount:
    """A post's replies as last read (this pull or an earlier one: `read` says when)."""

    key: str  # Delivery.key
    post_id: str
    url: str | None
    replies: int
    unanswered: int
    read: datetime | None


@dataclass(frozen=True, slots=True)
class AccountPull:
    """One account's inbox: unanswered replies and mentions newest first, with the counts."""

    account: str
    platform: str
    handle: str
    unanswered: tuple[Conversation, ...]
    new: int  # conversations no earlier pull saw
    mentions: int  # mentions heard this pull (over the mention window)
    counts: tuple[DeliveryCount, ...]  # per delivery that is still followed, newest post first
    failures: tuple[str, ...] = ()
    note: str = ""  # why the account was not read at all (no reader, outbox)
    learnt: store.AccountState | None = field(default=None, compare=False, repr=False)  # for save_learnt


@dataclass(frozen=True, slots=True)
class Pulled:
    at: datetime
    accounts: tuple[AccountPull, ...]
    crisis: list[CrisisSignal]

    @property
    def unanswered(self) -> int:
        return sum(len(account.unanswered) for account in self.accounts)

    @property
    def new(self) -> int:
        return sum(account.new for account in self.accounts)


Connect = Callable[[str], Connection]


def default_connect(config: Config) -> Connect:
    def connect(account: str) -> Connection:
        return connection_for(config, account)

    return connect


def rules_of(config: Config) -> tuple[Bands, CrisisRules]:
    engagement = config.engagement
    bands = Bands(
        timedelta(hours=engagement.fresh_hours),
        timedelta(days=engagement.follow_days),
        timedelta(days=engagement.mention_days),
    )
    rules = CrisisRules(engagement.spike_factor, engagement.window_hours, tuple(engagement.watch_words))
    return bands, rules


def pull(
    config: Config,
    state_dir: Path,
    at: datetime,
    *,
    connect: Connect | None = None,
    accounts: Sequence[str] | None = None,
    save: bool = True,
) -> Pulled:
    """Hear every API account (or `accounts`), update state/engagement/ (unless `save` is False) and
    return the inbox with any crisis signals."""
    at = at.astimezone(UTC)
    names = list(accounts) if accounts is not None else list(config.accounts)
    platforms = {name: config.accounts[name].platform for name in names}
    live = deliveries(Ledger(state_dir).read(), platforms)  # insights.due: the ledger's live jobs
    published = sorted(live, key=lambda item: (item.published, item.key), reverse=True)  # newest first
    bands, rules = rules_of(config)
    connect = connect or default_connect(config)

    def hear(name: str) -> tuple[AccountPull, list[CrisisSignal]]:
        mine = [delivery for delivery in published if delivery.account == name]
        return _account(config, name, mine, state_dir, at, bands, rules, connect, save)

    # accounts wait on different platforms and write different state files: heard side by side, in
    # config order all the same
    with ThreadPoolExecutor(max_workers=max(1, min(ACCOUNTS_AT_ONCE, len(names)))) as pool:
        heard = list(pool.map(hear, names))
    return Pulled(
        at, tuple(pull for pull, _ in heard), [signal for _, signals in heard for signal in signals]
    )


def _account(
    config: Config,
    name: str,
    mine: list[Delivery],
    state_dir: Path,
    at: datetime,
    bands: Bands,
    rules: CrisisRules,
    connect: Connect,
    save: bool,
) -> tuple[AccountPull, list[CrisisSignal]]:
    account = config.accounts[name]
    platform = PLATFORMS[account.platform]
    empty = AccountPull(name, platform.name, account.handle, (), 0, 0, ())
    if account.deliver == "outbox":
        return replace(empty, note="delivers to the outbox: nothing is published to hear from"), []
    if platform.replies is None:
        return replace(empty, note=platform.replies_note or f"{platform.title} offers no replies to read"), []
    try:
        before = store.load(state_dir, name)
    except store.StateError as error:
        return replace(empty, failures=(redact(str(error)),)), []
    try:
        reader = platform.replies(connect(name))
    except Exception as error:  # a setting or secret missing (or a bug): the other accounts still run
        return replace(empty, failures=(_reason(error),)), []
    due = [delivery for delivery in mine if bands.due(delivery, before.deliveries.get(delivery.key), at)]
    heard = _Heard(reader, at)
    counts = dict(before.deliveries)
    for delivery in due:
        counts[delivery.key] = heard.replies(delivery, counts.get(delivery.key))
    listed_since = at - bands.mentions
    mentions_read = heard.mentions(_mentions_since(before, listed_since, at))
    conversations = heard.conversations()
    unseen = [item for item in conversations if store.seen_key(item.remote_id) not in before.seen]
    # a first pull takes mentions older than the fresh band as heard before: listed, but not news
    backlog = at - bands.fresh - OVERLAP if before.mentions_since is None else None
    new = [item for item in unseen if backlog is None or not heard.old_mention(item, backlog)]
    heard_hours = {store.seen_key(item.remote_id): hour_of(item.created.astimezone(UTC)) for item in unseen}
    seen = {**before.seen, **heard_hours}
    followed = {delivery.key for delivery in mine}
    after = store.AccountState(
        name,
        at if mentions_read else before.mentions_since,
        seen,
        {key: value for key, value in counts.items() if key in followed},
    ).pruned(at)
    learnt = None if heard.failures_only() else after
    if save and learnt is not None:
        store.save(state_dir, learnt)
    signals = detect(name, after.hours(), new, at, rules)
    listed = (c for c in conversations if not c.answered and not heard.old_mention(c, listed_since))
    unanswered = tuple(sorted(listed, key=_newest_first))
    return AccountPull(
        name,
        platform.name,
        account.handle,
        unanswered,
        len(new),
        sum(1 for item in conversations if item.kind == "mention"),
        _counts(mine, after, at, bands),
        tuple(heard.failures),
        learnt=learnt,
    ), signals


def _mentions_since(before: store.AccountState, listed_since: datetime, at: datetime) -> datetime:
    """From where mentions are read: the listing window, or the last read when that is older (a run
    after an outage still hears all that came since), but never before what the state remembers."""
    since = listed_since
    if before.mentions_since is not None:
        since = min(since, before.mentions_since - OVERLAP)
    return max(since, store.remembered_since(at))


def _newest_first(conversation: Conversation) -> tuple[float, str]:
    return (-conversation.created.timestamp(), conversation.remote_id)


def save_learnt(state_dir: Path, pulled: Pulled, accounts: Collection[str]) -> None:
    """Write what `pull(..., save=False)` learnt of `accounts`: the caller saves only once what was heard
    is shown (the inbox issues written), so a failure there leaves it to be heard again."""
    for heard in pulled.accounts:
        if heard.account in accounts and heard.learnt is not None:
            store.save(state_dir, heard.learnt)


def _counts(
    mine: list[Delivery], state: store.AccountState, at: datetime, bands: Bands
) -> tuple[DeliveryCount, ...]:
    """The deliveries still followed (younger than the bands' stop, not deleted), as last read."""
    shown = []
    for delivery in mine:
        counts = state.deliveries.get(delivery.key)
        if counts is None or counts.gone or at - delivery.published >= bands.stop:
            continue
        url = next((url for url in delivery.urls if url), None)
        shown.append(
            DeliveryCount(delivery.key, delivery.post_id, url, counts.replies, counts.unanswered, counts.read)
        )
    return tuple(shown)


class _Heard:
    """One account's reader asked once per due delivery and once for mentions, every failure kept as a
    reason (never a traceback), what it found merged by remote id (a reply that also mentions is a reply)."""

    def __init__(self, reader: RepliesReader, at: datetime) -> None:
        self.reader = reader
        self.at = at
        self.found: dict[str, Conversation] = {}
        self.from_mentions: set[str] = set()  # remote ids only the mentions read found
        self.failures: list[str] = []
        self.asked = 0

    def replies(self, delivery: Delivery, before: store.DeliveryCounts | None) -> store.DeliveryCounts:
        self.asked += 1
        try:
            replies = list(self.reader.replies([delivery], delivery.published))
        except PostGone:
            self.asked -= 1
            return store.DeliveryCounts(before.replies if before else 0, 0, self.at, gone=True)
        except Exception as error:  # one refusal leaves the rest of the pull to run
            self.failures.append(f"{delivery.key}: {_reason(error)}")
            return before or store.DeliveryCounts()
        for reply in replies:
            self.found[reply.remote_id] = reply
        unanswered = sum(1 for reply in replies if not reply.answered)
        return store.DeliveryCounts(len(replies), unanswered, self.at)

    def mentions(self, since: datetime) -> bool:
        """True when the mentions were read, and with them what the account's own posts since answer."""
        self.asked += 1
        try:
            mentions = [item for item in self.reader.mentions(since) if item.created >= since]
            replied = self._replied_to(since) if mentions else frozenset()
        except Exception as error:  # one refusal leaves the rest of the pull to run
            self.failures.append(f"mentions: {_reason(error)}")
            return False
        for mention in mentions:
            if mention.remote_id not in self.found:
                answered = mention.answered or mention.remote_id in replied
                self.found[mention.remote_id] = replace(mention, answered=answered)
                self.from_mentions.add(mention.remote_id)
        return True

    def _replied_to(self, since: datetime) -> frozenset[str]:
        """The ids the account's own posts since `since` answer; a reader that cannot tell answers
        nothing, so its mentions stay listed for the whole window (docs/engagement.md says which)."""
        replied_to = getattr(self.reader, "replied_to", None)
        return frozenset(replied_to(since)) if replied_to is not None else frozenset()

    def old_mention(self, item: Conversation, before: datetime) -> bool:
        """Found by the mentions read (not in a followed post's thread) and written before `before`."""
        return item.remote_id in self.from_mentions and item.created < before

    def conversations(self) -> list[Conversation]:
        return list(self.found.values())

    def failures_only(self) -> bool:
        """Every request failed: nothing learnt, so the state is left as it was."""
        return self.asked > 0 and len(self.failures) == self.asked


def _reason(error: Exception) -> str:
    """A reason for people, without secrets: the platform's refusal, or what was wrong in its answer."""
    if isinstance(error, TransientError | PermanentError | CredentialsError):
        return redact(str(error))
    if isinstance(error, UnexpectedAnswer):
        return redact(f"malformed answer: {error}")
    return redact(f"failed unexpectedly: {type(error).__name__}: {error}")


def _one_line(text: str, most: int = 280) -> str:
    """A person's words on one line, shortened, safe to print (control characters escaped)."""
    flat = " ".join(text.split())
    return printable(flat if len(flat) <= most else flat[: most - 1] + "…")


def _shown_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _item_markdown(item: Conversation) -> str:
    who = printable(item.author)
    return f"- {_shown_time(item.created)} {who}: {_one_line(item.text)} [answer]({item.url})"


def _carried_markdown(heard: AccountPull, at: datetime) -> list[str]:
    """Posts not read this run (the daily band) that still had unanswered replies when last read."""
    lines = [
        f"- {count.key} ({count.url or 'no link'}): {count.unanswered} unanswered "
        f"at {_shown_time(count.read)}"
        for count in heard.counts
        if count.unanswered and count.read is not None and count.read < at
    ]
    return ["### Not read this run (as last read)", *lines, ""] if lines else []


def _account_markdown(heard: AccountPull, at: datetime) -> list[str]:
    title = PLATFORMS[heard.platform].title
    lines = [f"## Inbox: {heard.handle or heard.account} on {title} ({heard.account})", ""]
    if heard.note:
        return [*lines, f"Not read: {heard.note}.", ""]
    urls = {count.key: count.url for count in heard.counts}
    groups: dict[str | None, list[Conversation]] = {}
    for conversation in heard.unanswered:
        groups.setdefault(conversation.delivery_key, []).append(conversation)
    for key, items in sorted(groups.items(), key=lambda group: group[0] is None):  # mentions last
        lines.append(f"### Replies to {key} ({urls.get(key) or 'no link'})" if key else "### Mentions")
        lines += [_item_markdown(item) for item in items]
        lines.append("")
    lines += _carried_markdown(heard, at)
    lines.append(f"{len(heard.unanswered)} unanswered, {heard.new} new, {heard.mentions} mentions heard.")
    lines += [f"- could not read {failure}" for failure in heard.failures]
    return [*lines, ""]


def as_markdown(pulled: Pulled) -> str:
    """The inbox as Markdown: per account, unanswered replies grouped by post, then mentions, newest
    first, each with the link to answer it; then any crisis signals."""
    lines = [line for heard in pulled.accounts for line in _account_markdown(heard, pulled.at)]
    for signal in pulled.crisis:
        lines.append(f"## Crisis? {signal.account}: {signal.reason}")
        lines += [f"- {printable(line)}" for line in signal.evidence]
        lines.append("")
    return "\n".join(lines).rstrip("\n")


def _conversation_json(item: Conversation) -> dict[str, object]:
    return {
        "kind": item.kind,
        "post": item.delivery_key,
        "created": item.created.astimezone(UTC).isoformat(),
        "author": item.author,
        "text": item.text,
        "url": item.url,
        "remote_id": item.remote_id,
    }


def as_json(pulled: Pulled) -> dict[str, object]:
    """The inbox for programs: the same facts as the Markdown, with times in ISO 8601 UTC."""
    return {
        "at": pulled.at.isoformat(),
        "accounts": [
            {
                "account": heard.account,
                "platform": heard.platform,
                "handle": heard.handle,
                "note": heard.note,
                "new": heard.new,
                "mentions": heard.mentions,
                "unanswered": [_conversation_json(item) for item in heard.unanswered],
                "posts": [
                    {"post": c.key, "url": c.url, "replies": c.replies, "unanswered": c.unanswered}
                    for c in heard.counts
                ],
                "failures": list(heard.failures),
            }
            for heard in pulled.accounts
        ],
        "crisis": [
            {
                "account": signal.account,
                "reason": signal.reason,
                "evidence": list(signal.evidence),
                "window": [signal.window[0].isoformat(), signal.window[1].isoformat()],
            }
            for signal in pulled.crisis
        ],
    }


def count_line(pulled: Pulled) -> str:
    """One line for stderr and the job summary."""
    failed = sum(1 for heard in pulled.accounts if heard.failures)
    read = sum(1 for heard in pulled.accounts if not heard.note)
    line = f"{pulled.unanswered} unanswered ({pulled.new} new) on {read} account(s) read"
    line += f"; {failed} with failures" if failed else ""
    return line + (f"; {len(pulled.crisis)} crisis signal(s)" if pulled.crisis else "")
