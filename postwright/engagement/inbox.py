"""The inbox a person works from: one GitHub issue per account, updated in place on each run.

The issue holds a managed block between `<!-- postwright:inbox start -->` and `<!-- postwright:inbox
end -->`: the unanswered replies (grouped by the brand's post) and mentions, newest first, each with a
link to answer it on the platform. Whatever a person writes outside the block is kept. The body is sent
only when it differs, so a run that heard nothing new changes nothing.

People's words are personal data: they appear only where the repository is private or the brand set
`engagement.show_text: true`; otherwise the block holds counts and links only. Their text is made inert
for GitHub (no @mentions of GitHub users, no #issue links, no HTML, no way to end the block early).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from postwright.engagement.act import CrisisAction, act_on_crisis
from postwright.engagement.github import GitHub, Issue
from postwright.engagement.model import Conversation
from postwright.engagement.pull import AccountPull, Pulled
from postwright.platforms import PLATFORMS

INBOX_LABEL = "postwright-inbox"
START = "<!-- postwright:inbox start -->"
END = "<!-- postwright:inbox end -->"
_TEXT_CHARS = 500  # enough to decide whether to answer; the link has the rest


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


def publish_inboxes(
    github: GitHub, inboxes: Sequence[AccountPull], *, show_text: bool = False
) -> list[InboxResult]:
    """Create or update each account's inbox issue, with people's words where the repository is private
    or `show_text` (config.yml's engagement.show_text) says so."""
    if not inboxes:
        return []
    with_text = show_text or github.repo().private
    existing = github.open_issues(INBOX_LABEL)
    return [_publish_one(github, inbox, existing, with_text) for inbox in inboxes]


def _publish_one(
    github: GitHub, inbox: AccountPull, existing: Sequence[Issue], with_text: bool
) -> InboxResult:
    block = managed_block(inbox, with_text=with_text)
    found = _find(inbox, existing)
    count = len(inbox.unanswered)
    if inbox.failures:  # a list missing what could not be read would look like all was answered
        return InboxResult(inbox.account, found.html_url if found else "", count, "kept: could not read all")
    if found is None:
        github.ensure_label(
            INBOX_LABEL, "0e8a16", "postwright: unanswered replies and mentions of an account"
        )
        made = github.create_issue(inbox_title(inbox), block + "\n", [INBOX_LABEL])
        return InboxResult(inbox.account, made.html_url, count, "created")
    body = replace_block(found.body, block)
    if body == found.body:
        return InboxResult(inbox.account, found.html_url, count, "unchanged")
    github.update_issue_body(found.number, body)
    return InboxResult(inbox.account, found.html_url, count, "updated")


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


def managed_block(inbox: AccountPull, *, with_text: bool) -> str:
    """The block's Markdown; the same conversations give the same bytes."""
    replies = [item for item in inbox.unanswered if item.kind == "reply"]
    mentions = [item for item in inbox.unanswered if item.kind == "mention"]
    lines = [START, _marker(inbox.account), "", _counts_line(len(replies), len(mentions))]
    by_post: dict[str, list[Conversation]] = {}
    for reply in _newest_first(replies):
        by_post.setdefault(reply.delivery_key or "?", []).append(reply)
    posts = {count.key: count.url for count in inbox.counts}
    for key, group in by_post.items():
        post = f" ([the post]({_safe_url(posts[key])}))" if posts.get(key) else ""
        title = f"`{_inert(key)}`{post}" if key != "?" else "the account's other posts"  # notified only
        lines += ["", f"### Replies to {title} ({len(group)})", ""]
        lines += [_item(item, with_text) for item in group]
    if mentions:
        lines += ["", f"### Mentions ({len(mentions)})", ""]
        lines += [_item(item, with_text) for item in _newest_first(mentions)]
    if not with_text and inbox.unanswered:
        lines += ["", _PRIVACY_NOTE]
    lines.append(END)
    return "\n".join(lines)


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


def to_github(github: GitHub, pulled: Pulled, *, show_text: bool = False) -> str:
    """Crisis issues and the pause pull request first, then every account's inbox; the job summary's
    Markdown (counts and links, never people's words)."""
    actions = act_on_crisis(github, pulled.crisis)
    results = publish_inboxes(
        github, [account for account in pulled.accounts if not account.note], show_text=show_text
    )
    return github_summary(actions, results)


def github_summary(actions: Sequence[CrisisAction], results: Sequence[InboxResult]) -> str:
    """Crisis first (what was found, the issue, the pause pull request), then the counts per account."""
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
    return "\n".join(lines) + "\n"


def _linked(text: str, url: str) -> str:
    return f"[{text}]({url})" if url else text
