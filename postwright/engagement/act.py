"""What a crisis signal does on GitHub: an issue labelled `crisis` with the evidence, and a pull request
whose only change is `paused: true` in config.yml, so that one merge stops every scheduled post.

Each happens once: an open crisis issue for the same account and reason, or an open pull request from the
pause branch, is found again (by label and marker, by branch) and nothing new is opened. Nothing here
decides whether there is a crisis (engagement/crisis.py does); a person decides whether to merge.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from postwright.engagement.crisis import CrisisSignal
from postwright.engagement.github import ChangeRequest, GitHub, GitHubError, propose_change

CRISIS_LABEL = "crisis"
PAUSE_BRANCH = "postwright/pause"
CONFIG_PATH = "config.yml"
_PAUSED_LINE = re.compile(rb"^paused:[ \t]*(?P<value>[^#\r\n]*?)(?P<rest>[ \t]*(?:#[^\r\n]*)?)(?=\r?$)", re.M)


@dataclass(frozen=True, slots=True)
class CrisisAction:
    """What the run did about one signal, for the job summary (links, never people's words)."""

    signal: CrisisSignal
    issue_url: str
    opened: bool  # False: an open issue for this account and reason was already there
    pause: str  # the pause pull request's link, or why there is none


def act_on_crisis(github: GitHub, signals: Sequence[CrisisSignal]) -> list[CrisisAction]:
    """One crisis issue per (account, reason) still open, and one pause pull request for all of them."""
    if not signals:
        return []
    github.ensure_label(CRISIS_LABEL, "b60205", "postwright: replies or mentions need attention now")
    open_issues = github.open_issues(CRISIS_LABEL)
    pause = _pause_pull_request(github, signals)
    actions = []
    for signal in signals:
        marker = _marker(signal)
        existing = next((issue for issue in open_issues if marker in issue.body), None)
        if existing is not None:
            actions.append(CrisisAction(signal, existing.html_url, False, pause))
            continue
        title = f"Crisis: {signal.reason} on {signal.account}"
        issue = github.create_issue(title, _issue_body(signal, marker, pause), [CRISIS_LABEL])
        actions.append(CrisisAction(signal, issue.html_url, True, pause))
    return actions


def paused_config(text: bytes) -> bytes:
    """config.yml with `paused: true`, every other byte as it was: the top-level `paused:` line's value
    replaced (its comment kept), or the line added at the end when the file has none."""
    found = _PAUSED_LINE.search(text)
    if found is not None:
        return text[: found.start("value")] + b"true" + text[found.end("value") :]
    newline = b"\r\n" if b"\r\n" in text else b"\n"
    ending = b"" if not text or text.endswith(b"\n") else newline
    note = b"# Set by postwright's crisis check: true stops every publish run from sending anything."
    return text + ending + note + newline + b"paused: true" + newline


def is_paused(text: bytes) -> bool:
    found = _PAUSED_LINE.search(text)
    return found is not None and found.group("value").strip().strip(b"'\"").lower() == b"true"


def _pause_pull_request(github: GitHub, signals: Sequence[CrisisSignal]) -> str:
    """The open pause pull request's link (made now if there is none), or why there is none."""
    reasons = "\n".join(f"- {signal.reason} on {signal.account}" for signal in signals)
    change = ChangeRequest(
        branch=PAUSE_BRANCH,
        path=CONFIG_PATH,
        edit=lambda config: None if is_paused(config) else paused_config(config),
        title="Pause publishing (crisis check)",
        body=(
            "postwright's crisis check saw:\n\n"
            f"{reasons}\n\n"
            "Merging this sets `paused: true` in config.yml: no scheduled run sends anything until it is "
            "set back to `false`. The crisis issue has the evidence."
        ),
        message="Pause publishing: paused: true in config.yml (postwright crisis check)",
    )
    try:
        proposal = propose_change(github, change)
    except GitHubError as error:  # the issue still opens and says why the pull request could not
        return f"not opened: {error}"
    if proposal.outcome == "unneeded":
        return f"none needed: {CONFIG_PATH} on {proposal.base} already says paused: true"
    return proposal.url


def _marker(signal: CrisisSignal) -> str:
    reason = signal.reason.replace(" ", "-")
    return f"<!-- postwright:crisis account={signal.account} reason={reason} -->"


def _issue_body(signal: CrisisSignal, marker: str, pause: str) -> str:
    evidence = "\n".join(f"- {line}" for line in signal.evidence) or "- (no detail)"
    pause_line = f"[the pause pull request]({pause})" if pause.startswith("http") else f"pause: {pause}"
    return (
        f"{marker}\n"
        f"postwright's crisis check found a **{signal.reason}** on account `{signal.account}` "
        f"({_window(signal)}).\n\n"
        f"Evidence:\n\n{evidence}\n\n"
        f"To stop every scheduled post, merge {pause_line}. Close this issue when it is over; a new signal "
        "then opens a new one.\n"
    )


def _window(signal: CrisisSignal) -> str:
    window = signal.window
    if isinstance(window, tuple) and len(window) == 2:
        start, end = window
        return f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC"
    return str(window)
