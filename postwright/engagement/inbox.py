"""The inbox a person works from: one GitHub issue per account, updated in place on each run.

The issue holds a managed block between `<!-- postwright:inbox start -->` and `<!-- postwright:inbox
end -->`: the unanswered replies (one section per brand's post) and mentions, newest first, each with a
link to answer it on the platform. Whatever a person writes outside the block is kept. The body is sent
only when it differs, so a run that heard nothing new changes nothing.

The issue is also the inbox's memory: a post read once a day, or whose read failed, keeps its section
(found again by its `<!-- postwright:post … -->` marker) until it is read again or no longer followed.
The block is bounded so the body stays within GitHub's limit, however many replies pile up.

People's words are personal data: they appear only where the repository is private or the brand set
`engagement.show_text: true`; otherwise the block holds counts and links only. Their text is made inert
for GitHub (no @mentions of GitHub users, no #issue links, no HTML, no way to end the block early).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote

from postwright.engagement.act import PAUSE_BRANCH, CrisisAction, act_on_crisis
from postwright.engagement.github import GitHub, GitHubError, Issue, PullRequest
from postwright.engagement.model import Conversation
from postwright.engagement.pull import AccountPull, DeliveryCount, Pulled
from postwright.platforms import PLATFORMS

INBOX_LABEL = "postwright-inbox"
START = "<!-- postwright:inbox start -->"
END = "<!-- postwright:inbox end -->"
_TEXT_CHARS = 500  # enough to decide whether to answer; the link has the rest
# GitHub refuses a longer issue body: 422 "body is too long (maximum is 65536 characters)"
# (https://github.com/googleapis/release-please/issues/1034, https://github.com/PyGithub/PyGithub/issues/1906)
BODY_MAX = 65_536
BLOCK_MAX = 60_000  # the block's share: the rest is left for a person's notes around it
_ITEMS = (1, 3, 10, 30)  # items listed per section, as room allows: one each first, then more


def inbox_title(pull: AccountPull) -> str:
    """ "Inbox: @handle on Bluesky"; a person may rename it (the marker finds it again)."""
    platform = PLATFORMS.get(pull.platform)
    return f"Inbox: {pull.handle or pull.account} on {platform.title if platform else pull.platform}"


def _marker(account: str) -> str:
    return f"<!-- postwright:inbox account={account} -->"


@dataclass(frozen=True, slots=True)
class InboxResult:
    account: str
    url: str
    unanswered: int
    change: str  # "created", "updated", "unchanged", or why it was left as it was
    shown: bool = True  # the issue shows what was heard: the account's state may be saved


def publish_inboxes(
    github: GitHub, inboxes: Sequence[AccountPull], *, at: datetime, show_text: bool = False
) -> list[InboxResult]:
    """Create or update each account's inbox issue (as heard at `at`), with people's words where the
    repository is private or `show_text` (config.yml's engagement.show_text) says so. GitHub refusing one
    account's issue is that account's result; the others are still written."""
    if not inboxes:
        return []
    with_text = show_text or github.repo().private
    existing = github.open_issues(INBOX_LABEL)
    return [_publish_one(github, inbox, existing, with_text, at) for inbox in inboxes]


def _publish_one(
    github: GitHub, inbox: AccountPull, existing: Sequence[Issue], with_text: bool, at: datetime
) -> InboxResult:
    found = _find(inbox, existing)
    url = found.html_url if found else ""
    if inbox.failures and not inbox.counts and not inbox.unanswered:  # nothing read at all: as it was
        return InboxResult(inbox.account, url, 0, "kept: could not read", shown=False)
    body = found.body if found else ""
    sections = _sections(inbox, previous_sections(body, with_text), at, with_text)
    head = _head(inbox, sections, with_text)
    block = _fitted(head, sections, lambda block: _body(found, block))
    count = sum(section.total for section in sections)
    if block is None:
        reason = f"not sent: the issue's own text is too long for GitHub's {BODY_MAX} characters; shorten it"
        return InboxResult(inbox.account, url, count, reason, shown=False)
    new_body = _body(found, block)
    try:
        if found is None:
            github.ensure_label(
                INBOX_LABEL, "0e8a16", "postwright: unanswered replies and mentions of an account"
            )
            made = github.create_issue(inbox_title(inbox), new_body, [INBOX_LABEL])
            return InboxResult(inbox.account, made.html_url, count, "created")
        if new_body == found.body:
            return InboxResult(inbox.account, url, count, "unchanged")
        github.update_issue_body(found.number, new_body)
    except GitHubError as error:  # this account's inbox only: the others are still written
        return InboxResult(inbox.account, url, count, f"failed: {error}", shown=False)
    return InboxResult(inbox.account, url, count, "updated")


def _body(found: Issue | None, block: str) -> str:
    return replace_block(found.body, block) if found is not None else block + "\n"


def _find(inbox: AccountPull, existing: Sequence[Issue]) -> Issue | None:
    """The account's open inbox issue: by the marker inside its block, else (a person removed the
    block) by its title."""
    return next((issue for issue in existing if _marker(inbox.account) in issue.body), None) or next(
        (issue for issue in existing if issue.title == inbox_title(inbox)), None
    )


def replace_block(body: str, block: str) -> str:
    """`body` with its managed block replaced by `block`; added at the end when a person removed it.
    GitHub hands bodies back with CRLF line ends where a person edited them in the browser: the block is
    compared and written in the body's own line ends, so an unchanged inbox stays unchanged."""
    newline = "\r\n" if "\r\n" in body else "\n"
    block = block.replace("\n", newline)
    start, end = body.find(START), body.find(END)
    if start == -1 or end < start:
        return (body.rstrip() + newline * 2 if body.strip() else "") + block + newline
    return body[:start] + block + body[end + len(END) :]


@dataclass(frozen=True, slots=True)
class Section:
    """One post's unanswered replies, or the mentions, in the block: a marker that a later run finds it
    by, a heading, and the items newest first (`total` may be more than are listed)."""

    key: str  # the delivery's key; MENTIONS for the mentions
    heading: str
    items: tuple[str, ...]
    total: int
    link: str  # where the rest are: the post ("" for the mentions)

    def lines(self, most: int) -> list[str]:
        listed = self.items[:most]
        lines = [_section_marker(self.key, self.total), self.heading, "", *listed]
        hidden = self.total - len(listed)
        if hidden > 0:
            where = f"[open the post]({_safe_url(self.link)})" if self.link else "see them on the platform"
            lines.append(f"- … and {hidden} more: {where}" if listed else f"- … {hidden} unanswered: {where}")
        return lines


MENTIONS = ""
_SECTION = re.compile(r"<!-- postwright:(?:post key=(?P<key>\S+)|mentions) unanswered=(?P<total>\d+) -->")


def _section_marker(key: str, total: int) -> str:
    if key == MENTIONS:
        return f"<!-- postwright:mentions unanswered={total} -->"
    return f"<!-- postwright:post key={quote(key, safe='/')} unanswered={total} -->"


def previous_sections(body: str, with_text: bool) -> dict[str, Section]:
    """The sections of the block as the last run left it, by key: what was not read this run is carried
    from here (the issue is the inbox's memory; people's words never go to git). Without `with_text`
    (the repository became public), items that hold words are left out: their count stays."""
    start, end = body.find(START), body.find(END)
    if start == -1 or end < start:
        return {}
    found: dict[str, Section] = {}
    lines = body[start:end].replace("\r\n", "\n").split("\n")
    for index, line in enumerate(lines):
        marker = _SECTION.fullmatch(line.strip())
        if marker is None or index + 1 >= len(lines):
            continue
        key = unquote(marker["key"]) if marker["key"] is not None else MENTIONS
        items = _items(lines[index + 2 :])
        kept = tuple(item for item in items if with_text or "\n" not in item)
        found[key] = Section(key, lines[index + 1], kept, int(marker["total"]), "")
    return found


def _items(lines: Sequence[str]) -> tuple[str, ...]:
    """A section's items up to the next marker: "- " starts one, an indented line continues it; the
    "- … more" line is made again from the count."""
    items: list[str] = []
    for line in lines:
        if _SECTION.fullmatch(line.strip()):
            break
        if line.startswith("- ") and not line.startswith("- …"):
            items.append(line)
        elif line.startswith("  ") and items:
            items[-1] += "\n" + line
    return tuple(items)


def _sections(
    inbox: AccountPull, previous: dict[str, Section], at: datetime, with_text: bool
) -> list[Section]:
    """Newest post first, then the mentions: what was read now replaces what the block held; a post not
    read now (read once a day, or its read failed) keeps its section as last shown; a post no longer
    followed (past engagement.follow_days, or deleted) is dropped."""
    fresh: dict[str, list[Conversation]] = {}
    for reply in _newest_first([item for item in inbox.unanswered if item.kind == "reply"]):
        fresh.setdefault(reply.delivery_key or "?", []).append(reply)
    sections = []
    for count in inbox.counts:
        link = count.url or ""
        if count.read is not None and count.read >= at:
            if count.key in fresh:
                sections.append(_fresh(count.key, fresh[count.key], link, with_text))
        elif count.key in previous:
            sections.append(replace(previous[count.key], link=link))
        elif count.unanswered:
            sections.append(_as_last_read(count))
    followed = {count.key for count in inbox.counts}
    sections += [_fresh(key, group, "", with_text) for key, group in fresh.items() if key not in followed]
    mentions = _newest_first([item for item in inbox.unanswered if item.kind == "mention"])
    if any(failure.startswith("mentions:") for failure in inbox.failures):  # pull's reason for a failed read
        sections += [previous[MENTIONS]] if MENTIONS in previous else []
    elif mentions:
        items = tuple(_item(item, with_text) for item in mentions)
        sections.append(Section(MENTIONS, f"### Mentions ({len(mentions)})", items, len(items), ""))
    return sections


def _fresh(key: str, group: Sequence[Conversation], link: str, with_text: bool) -> Section:
    post = f" ([the post]({_safe_url(link)}))" if link else ""
    title = f"`{_inert(key)}`{post}" if key != "?" else "the account's other posts"  # heard as notifications
    heading = f"### Replies to {title} ({len(group)})"
    return Section(key, heading, tuple(_item(item, with_text) for item in group), len(group), link)


def _as_last_read(count: DeliveryCount) -> Section:
    """A post not read this run that the block does not list yet: its count as last read."""
    post = f" ([the post]({_safe_url(count.url)}))" if count.url else ""
    when = f"{count.read:%Y-%m-%d %H:%M} UTC" if count.read else "never"
    heading = f"### Replies to `{_inert(count.key)}`{post} ({count.unanswered}, as last read {when})"
    return Section(count.key, heading, (), count.unanswered, count.url or "")


def _head(inbox: AccountPull, sections: Sequence[Section], with_text: bool) -> list[str]:
    """The lines above the sections: the counts, why something could not be read, the privacy note."""
    mentions = sum(section.total for section in sections if section.key == MENTIONS)
    replies = sum(section.total for section in sections) - mentions
    lines = [START, _marker(inbox.account), "", _counts_line(replies, mentions)]
    if inbox.failures:
        lines += ["", "Could not read this run (what they hold is listed as last shown):"]
        lines += [f"- {_inert(failure)}" for failure in inbox.failures]
    if not with_text and sections:
        lines += ["", _PRIVACY_NOTE]
    return lines


def _fitted(head: list[str], sections: Sequence[Section], body: Callable[[str], str]) -> str | None:
    """The block that keeps the issue body within GitHub's limit (and the block within its share): every
    section's heading (the oldest posts left out while even those are too long), then items as room
    allows: one per section first, then more for the newest posts. None when even the counts alone do
    not fit (a person's text around the block is too long)."""
    posts = [section for section in sections if section.key != MENTIONS]
    mentions = [section for section in sections if section.key == MENTIONS]

    def fits(block: str) -> bool:
        return len(block) <= BLOCK_MAX and len(body(block)) <= BODY_MAX

    for kept in range(len(posts), -1, -1):
        shown, left_out = posts[:kept] + mentions, len(posts) - kept
        base = _assemble(head, shown, [0] * len(shown), left_out)
        if fits(base):
            break
    else:
        return None
    room = min(BLOCK_MAX - len(base), BODY_MAX - len(body(base)))
    most = [0] * len(shown)
    for cap in _ITEMS:
        for index, section in enumerate(shown):
            cost = _size(section, cap) - _size(section, most[index])
            if most[index] < cap and cost <= room:
                most[index], room = cap, room - cost
    block = _assemble(head, shown, most, left_out)
    return block if fits(block) else base


def _size(section: Section, most: int) -> int:
    """The section's characters in the body, its line ends counted as CRLF (a body a browser edited)."""
    text = "\n".join(section.lines(most))
    return len(text) + text.count("\n")


def _assemble(head: list[str], sections: Sequence[Section], most: Sequence[int], left_out: int) -> str:
    lines = list(head)
    for section, items in zip(sections, most, strict=True):
        lines += ["", *section.lines(items)]
    if left_out:
        lines += [
            "",
            f"_… and {left_out} more {_plural(left_out, 'post', 'posts')} with unanswered replies._",
        ]
    lines.append(END)
    return "\n".join(lines)


def managed_block(inbox: AccountPull, *, with_text: bool, at: datetime, previous: str = "") -> str:
    """The block's Markdown, carrying from `previous` (the issue's body) what was not read at `at`;
    the same conversations give the same bytes."""
    sections = _sections(inbox, previous_sections(previous, with_text), at, with_text)
    block = _fitted(_head(inbox, sections, with_text), sections, lambda block: block)
    return block or _assemble(_head(inbox, sections, with_text), [], [], 0)


_PRIVACY_NOTE = (
    "_Counts and links only: this repository is public, so people's words are not copied here "
    "(set `engagement.show_text: true` in config.yml to show them anyway)._"
)


def _counts_line(replies: int, mentions: int) -> str:
    if not replies and not mentions:
        return "Nothing unanswered."
    return f"**{replies + mentions} unanswered**: {replies} {_plural(replies, 'reply', 'replies')}, " + (
        f"{mentions} {_plural(mentions, 'mention', 'mentions')}; newest first."
    )


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


def _newest_first(items: Sequence[Conversation]) -> list[Conversation]:
    return sorted(items, key=lambda item: (item.created, item.remote_id), reverse=True)


def _item(item: Conversation, with_text: bool) -> str:
    when = f"{item.created:%Y-%m-%d %H:%M} UTC"
    link = f"[answer]({_safe_url(item.url)})"
    if not with_text:
        return f"- {when} · {item.kind} · {link}"
    text = _inert(" ".join(item.text.split()))
    if len(text) > _TEXT_CHARS:
        text = text[: _TEXT_CHARS - 1] + "…"
    return f"- {when} · `{_code(item.author)}` · {link}\n  > {text or '(no text)'}"


def _safe_url(url: str) -> str:
    """A link only when it is one (http/https), with what would end a Markdown link escaped."""
    if not re.match(r"https?://", url):
        return "#"
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def _code(text: str) -> str:
    return text.replace("`", "'").replace("\n", " ")


def _inert(text: str) -> str:
    """A stranger's words as plain text in an issue: no HTML (or our block markers), no @mention that
    would notify a GitHub user, no #123 issue link, no Markdown structure."""
    return text.translate(_INERT)


_INERT = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", "@": "&#64;", "#": "&#35;"}
    | {char: "\\" + char for char in "\\`*_[]|~"}
)


@dataclass(frozen=True, slots=True)
class GitHubRun:
    """What `to_github` did: the job summary, the accounts whose state may now be saved, what failed."""

    summary: str
    shown: frozenset[str]  # inbox written and any crisis of the account acted on
    errors: tuple[str, ...]  # GitHub's refusals, each naming the account or the crisis (never words)


def to_github(github: GitHub, pulled: Pulled, *, show_text: bool = False) -> GitHubRun:
    """Crisis issues and the pause pull request first, then every account's inbox. An account whose
    inbox or crisis GitHub refused is left out of `shown`: its state is not saved, so the next run hears
    it all again (the crisis signal included) instead of losing it."""
    errors: list[str] = []
    try:
        actions = act_on_crisis(github, pulled.crisis)
    except GitHubError as error:
        actions = []
        errors += [f"crisis: {signal.reason} on {signal.account}: {error}" for signal in pulled.crisis]
    # the issue opened but the pause pull request did not: the signal stays unsettled, so the next run
    # hears it again and asks for the pull request again (the open issue is found, not opened twice)
    errors += [
        f"crisis: {action.signal.reason} on {action.signal.account}: pause pull request {action.pause}"
        for action in actions
        if action.pause.startswith("not opened")
    ]
    unsettled = {signal.account for signal in pulled.crisis} if errors else set()
    readable = [account for account in pulled.accounts if not account.note]
    try:
        results = publish_inboxes(github, readable, at=pulled.at, show_text=show_text)
    except GitHubError as error:  # the repository or its issues could not be read: no inbox at all
        results = [
            InboxResult(account.account, "", 0, f"failed: {error}", shown=False) for account in readable
        ]
    errors += [
        f"{item.account}: {item.change}" for item in results if item.change.startswith(("failed", "not sent"))
    ]
    shown = frozenset(item.account for item in results if item.shown) - unsettled
    return GitHubRun(github_summary(actions, results, errors), shown, tuple(errors))


class DryRunGitHub(GitHub):
    """GitHub as it is read, with every write only described in `would` (for `--dry-run`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.would: list[str] = []

    def create_issue(self, title: str, body: str, labels: Sequence[str]) -> Issue:
        self.would.append(f"Would open issue {title!r} labelled {', '.join(labels)}:\n\n{body}")
        return Issue(0, title, body, "")

    def update_issue_body(self, number: int, body: str) -> None:
        self.would.append(f"Would update issue #{number} to:\n\n{body}")

    def ensure_label(self, name: str, color: str, description: str) -> None:
        self.would.append(f"Would make sure the label {name!r} exists")

    def create_branch(self, branch: str, sha: str) -> None:
        self.would.append(f"Would create branch {branch} at {sha}")

    def reset_branch(self, branch: str, sha: str) -> None:
        self.would.append(f"Would move branch {branch} to {sha}")

    def file(self, path: str, ref: str) -> tuple[bytes, str]:
        """The pause branch is not made in a dry run: its file is read from the default branch."""
        if ref == PAUSE_BRANCH and self.branch_sha(PAUSE_BRANCH) is None:
            ref = self.repo().default_branch
        return super().file(path, ref)

    def put_file(self, path: str, content: bytes, *, sha: str, branch: str, message: str) -> None:
        self.would.append(f"Would commit {path} on {branch}: {message}")

    def create_pull(self, title: str, head: str, base: str, body: str) -> PullRequest:
        self.would.append(f"Would open pull request {title!r} from {head} into {base}:\n\n{body}")
        return PullRequest(0, "")


def github_summary(
    actions: Sequence[CrisisAction], results: Sequence[InboxResult], errors: Sequence[str] = ()
) -> str:
    """Crisis first (what was found, the issue, the pause pull request), then the counts per account,
    then what GitHub refused."""
    lines = ["## Replies and mentions", ""]
    for action in actions:
        state = "opened" if action.opened else "still open"
        pause = f"[pause pull request]({action.pause})" if action.pause.startswith("http") else action.pause
        lines.append(
            f"- :rotating_light: **Crisis: {action.signal.reason} on {action.signal.account}**: "
            f"[issue]({action.issue_url}) {state}; {pause}"
        )
    if actions:
        lines.append("")
    total = sum(item.unanswered for item in results)
    lines.append(f"{total} unanswered across {len(results)} {_plural(len(results), 'account', 'accounts')}.")
    if results:
        lines += ["", "| account | unanswered | inbox |", "| --- | ---: | --- |"]
        lines += [
            f"| {item.account} | {item.unanswered} | {_linked(item.change, item.url)} |" for item in results
        ]
    if errors:
        lines += ["", "GitHub refused (the next run tries again; nothing heard is lost):", ""]
        lines += [f"- {error}" for error in errors]
    return "\n".join(lines) + "\n"


def _linked(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text
