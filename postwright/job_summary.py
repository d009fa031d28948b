"""The scheduled runs' job summaries ($GITHUB_STEP_SUMMARY): publishing's line of counts and table of what
happened, so whoever opens the run sees what went out without reading its log; the metrics job's report."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from postwright.diagnostics import printable
from postwright.publish import SendStatus
from postwright.status import PlanItem, PlanStatus

if TYPE_CHECKING:
    from datetime import datetime

    from postwright.pipeline import Published
    from postwright.project import Project


def in_ci() -> bool:
    return any(os.environ.get(name, "").lower() in ("true", "1") for name in ("CI", "GITHUB_ACTIONS"))


def rehearsal_note(result: Published) -> str | None:
    """How many of the posts this run delivered went to the outbox, where no follower sees them."""
    config = result.planned.config
    delivered = [outcome for outcome in result.outcomes if outcome.status == SendStatus.PUBLISHED]
    rehearsed = sum(1 for outcome in delivered if config.accounts[outcome.account].deliver == "outbox")
    if not rehearsed:
        return None
    posts = f"{rehearsed} post{'s' if rehearsed > 1 else ''}"
    if rehearsed == len(delivered):
        return (
            f"Rehearsal: {posts} {'were' if rehearsed > 1 else 'was'} written to the local outbox, nothing "
            "was sent to a platform; set `deliver: api` on an account to publish for real"
        )
    return (
        f"{rehearsed} of {len(delivered)} posts published were only rehearsed in the local outbox (accounts "
        "with `deliver: outbox`), not sent to a platform"
    )


def needs_a_person(result: Published) -> list[PlanItem]:
    """Jobs unconfirmed past the grace period: no run asks about them again until someone settles them."""
    sent = {outcome.key for outcome in result.outcomes}
    return [
        item
        for item in result.planned.items
        if item.status == PlanStatus.UNCONFIRMED and item.key not in sent
    ]


def publish_summary(result: Published, *, dry_run: bool, rehearsal: str | None = None) -> str:
    """Markdown: one line of counts, the rehearsal note when there is one, then a table of what happened."""
    counts: dict[str, int] = {}
    for outcome in result.outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    missed = sum(1 for item in result.planned.items if item.status == PlanStatus.MISSED)
    blocked = sum(1 for item in result.planned.items if item.status == PlanStatus.BLOCKED)
    waiting = needs_a_person(result)
    head = (
        "dry run: " + f"{len(result.jobs)} due"
        if dry_run
        else (", ".join(f"{count} {status}" for status, count in sorted(counts.items())) or "nothing due")
    )
    head += f", {missed} missed" if missed else ""
    head += f", {blocked} blocked by errors" if blocked else ""
    head += f", {len(waiting)} unconfirmed (a person must settle them)" if waiting else ""
    lines = [f"## postwright publish: {head}"]
    if rehearsal:  # a scheduled job that only rehearses must not look like one that publishes
        lines += ["", rehearsal]
    rows = [(o.status, o.key, o.url or "", o.message) for o in result.outcomes]
    rows += [(PlanStatus.UNCONFIRMED, item.key, "", item.detail) for item in waiting]
    if rows:
        lines += ["", "| status | job | link | note |", "| --- | --- | --- | --- |"]
        lines += [
            printable(f"| {status} | `{key}` | {url} | {note.replace('|', '/')} |")
            for status, key, url, note in rows
        ]
    return "\n".join(lines)


def write_step_summary(summary: str) -> str | None:
    """Append to $GITHUB_STEP_SUMMARY when set; why it could not be written (a full disk is reported,
    not a crash: the sends are recorded already), or None."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return None
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(summary + "\n")
    except OSError as error:
        return f"postwright: cannot write the job summary to {path}: {error.strerror or error}"
    return None


def metrics_summary(project: Project, *, at: datetime | None = None, since: str = "28d") -> str:
    """The metrics job's summary: the performance report of the last 28 days in Markdown. A report that
    cannot be made is one line saying why: the readings are stored already, the summary only shows them."""
    from postwright.insights.report import ReportError, from_project, markdown
    from postwright.insights.store import StoreError
    from postwright.ledger import LedgerError

    try:
        return markdown(from_project(project, since, at))
    except (ReportError, StoreError, LedgerError) as error:
        return f"## postwright metrics\n\nNo report: {printable(str(error))}"
