"""`postwright report --changed-since REF`: the posts a pull request adds or changes, for its reviewers.

Which posts: those whose file changed since REF (committed since the merge base, as
`git diff REF...HEAD` sees it, plus uncommitted and untracked files); those using an image under
assets/ that changed; and, when config.yml or templates/ changed, every post whose output changed:
both sides are rendered (the base from `git archive`, without images) and compared by content hash
and time. Listing every post whenever a template changes would bury the one that matters.

Each post is shown as each account gets it: text parts with the platform's count against its limit,
images with their alt text, link, time and status, and every problem, in Markdown for a pull-request
comment or a job summary (or JSON).
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from postwright import render
from postwright.config import load_config
from postwright.console import count_line, escape_markdown, json_text, ordered
from postwright.diagnostics import Diagnostic, Severity, printable
from postwright.insights.best_time import SlotScore
from postwright.insights.report import interval_text, stats_json
from postwright.load import load_posts
from postwright.platforms import PLATFORMS
from postwright.preview import gather
from postwright.preview.model import Entry, Overview, PostView
from postwright.project import Project


class ReportError(Exception):
    """git cannot answer: not a repository, an unknown ref, no common history."""


@dataclass(frozen=True, slots=True)
class Changes:
    ref: str
    added: tuple[str, ...] = ()  # project-relative POSIX paths
    modified: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()

    @property
    def paths(self) -> tuple[str, ...]:
        return (*self.added, *self.modified)

    def touches(self, *prefixes: str) -> bool:
        return any(_under(path, prefix) for path in (*self.paths, *self.deleted) for prefix in prefixes)


@dataclass(frozen=True, slots=True)
class Report:
    """What `report` shows: the changed posts (with why), removed post files, and problems elsewhere."""

    changes: Changes
    overview: Overview
    posts: tuple[tuple[PostView, str], ...]  # the changed accounts of a post, and why: added, changed, …
    removed: tuple[str, ...]
    other_problems: tuple[Diagnostic, ...]  # config.yml, and changed files that are not valid posts
    notes: tuple[str, ...] = field(default=())
    history: Mapping[str, SlotScore] = field(default_factory=dict)  # entry key -> how its like did before

    @property
    def problems(self) -> tuple[Diagnostic, ...]:
        found = [item for post, _ in self.posts for entry in post.entries for item in entry.all_problems]
        return tuple(ordered(dict.fromkeys([*found, *self.other_problems])))


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix.rstrip("/") + "/")


def _git(project: Project, *args: str, binary: bool = False) -> str | bytes:
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=project.root,
            capture_output=True,
            check=False,
            env=_git_env(),
        )
    except FileNotFoundError as error:
        raise ReportError("git is not installed (report --changed-since needs it)") from error
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ReportError(f"git {args[0]} failed: {message[-1] if message else f'exit {result.returncode}'}")
    return result.stdout if binary else result.stdout.decode("utf-8", "surrogateescape")


def _git_env() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def changed_files(project: Project, ref: str) -> Changes:
    """Files under the project changed since `ref`'s merge base with HEAD, including uncommitted ones."""
    try:
        _git(project, "rev-parse", "--show-toplevel")
    except ReportError as error:
        raise ReportError(f"{project.root} is not in a git repository") from error
    try:
        _git(project, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except ReportError as error:
        raise ReportError(
            f"unknown git ref '{ref}': fetch it first (e.g. git fetch origin main), "
            "and in CI check out the whole history (actions/checkout with fetch-depth: 0)"
        ) from error
    base = merge_base(project, ref)
    status: dict[str, str] = {}
    for line in _name_status(project, base, "HEAD"):
        status[line[1]] = line[0]
    for kind, path in _name_status(project, "HEAD"):  # staged and unstaged edits
        status[path] = "A" if status.get(path) == "A" and kind != "D" else kind
    untracked = str(_git(project, "ls-files", "--others", "--exclude-standard", "-z")).split("\0")
    for path in filter(None, untracked):
        status[path] = "A"
    added = sorted(p for p, kind in status.items() if kind == "A" and (project.root / p).exists())
    deleted = sorted(p for p, kind in status.items() if not (project.root / p).exists())
    modified = sorted(p for p in status if p not in added and p not in deleted)
    return Changes(ref, tuple(added), tuple(modified), tuple(deleted))


def merge_base(project: Project, ref: str) -> str:
    try:
        return str(_git(project, "merge-base", ref, "HEAD")).strip()
    except ReportError as error:
        raise ReportError(
            f"'{ref}' and HEAD have no common history here; in a shallow clone fetch the whole history "
            "(actions/checkout with fetch-depth: 0)"
        ) from error


def _name_status(project: Project, *revisions: str) -> list[tuple[str, str]]:
    """(A|M|D|T, path) relative to the project; --no-renames: a rename is a delete and an add."""
    output = str(_git(project, "diff", "--name-status", "--no-renames", "--relative", "-z", *revisions))
    fields = output.split("\0")
    return [(fields[i][0], fields[i + 1]) for i in range(0, len(fields) - 1, 2) if fields[i]]


def build_report(project: Project, ref: str, now: datetime) -> Report:
    """The changed posts at `now`, with everything a reviewer checks."""
    changes = changed_files(project, ref)
    view, diagnostics = gather(project)(now)
    reasons: dict[str, str] = {}  # entry key -> why it is shown
    added = set(changes.added)
    assets = project.shown(project.assets_dir)
    changed_assets = {p.removeprefix(assets + "/") for p in changes.paths if _under(p, assets)}
    for entry in view.entries:
        if entry.source in changes.paths:
            reasons[entry.key] = "added" if entry.source in added else "changed"
        elif any(image.src in changed_assets for image in entry.images):
            reasons[entry.key] = "image changed"
    notes = []
    config_path = project.shown(project.config_path)
    templates = project.shown(project.templates_dir)
    if changes.touches(config_path, templates):
        notes.append(
            f"{config_path} or {templates}/ changed: posts whose rendered output changed are included."
        )
        for key in _output_changed(project, merge_base(project, ref), view):
            reasons.setdefault(key, "output changed")
    posts = []
    for post in view.posts:
        mine = tuple(entry for entry in post.entries if entry.key in reasons)
        if mine:
            why = ", ".join(dict.fromkeys(reasons[entry.key] for entry in mine))
            posts.append((replace(post, entries=mine, sources=_sources(mine)), why))
    content = project.shown(project.content_dir)
    sources = {source for post in view.posts for source in post.sources}
    removed = tuple(p for p in changes.deleted if _under(p, content) and p.endswith(".md"))
    others = [
        item
        for item in diagnostics
        if item.span.path == config_path
        or (item.span.path in changes.paths and item.span.path not in sources)
    ]
    history = _history(project, [entry for post, _ in posts for entry in post.entries], view, notes)
    return Report(changes, view, tuple(posts), removed, tuple(ordered(others)), tuple(notes), history)


def _history(
    project: Project, entries: list[Entry], view: Overview, notes: list[str]
) -> dict[str, SlotScore]:
    """For each reported entry, how posts on its platform at its weekday × hour in its format (thread or
    single, image or not) did over the last year, from state/metrics/; nothing where there is none. A
    damaged metrics file or ledger adds a note instead (the review goes on)."""
    if not entries or not (project.state_dir / "metrics").is_dir():
        return {}
    from postwright.insights import report as insights
    from postwright.insights.store import StoreError
    from postwright.ledger import LedgerError

    try:
        year = insights.from_project(project, "365d").posts
    except (insights.ReportError, StoreError, LedgerError) as error:
        notes.append(f"No history of past posts: {error}")
        return {}
    return {
        entry.key: insights.history_for(
            year,
            entry.platform,
            entry.publish_at.astimezone(view.zone),
            len(entry.parts) > 1,
            bool(entry.images),
        )
        for entry in entries
    }


def _sources(entries: tuple[Entry, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(entry.source for entry in entries))


def _output_changed(project: Project, base: str, view: Overview) -> list[str]:
    """Keys of the entries whose text, link, images or time differ from what the merge base renders."""
    before = _base_outputs(project, base)
    if before is None:
        return [entry.key for entry in view.entries]
    return [
        entry.key for entry in view.entries if before.get(entry.key) != (entry.content_hash, entry.publish_at)
    ]


def _base_outputs(project: Project, base: str) -> dict[str, tuple[str, datetime]] | None:
    """Render the merge base's posts (config.yml, templates/, content/; images by name only). None:
    the base has no usable config.yml, so every post counts as changed."""
    wanted = [
        project.shown(path) for path in (project.config_path, project.templates_dir, project.content_dir)
    ]
    present = str(_git(project, "ls-tree", "--name-only", base, "--", *wanted)).split()
    if project.shown(project.config_path) not in present:
        return None
    archive = _git(project, "archive", "--format=tar", base, "--", *present, binary=True)
    with tempfile.TemporaryDirectory(prefix="postwright-base-") as folder:
        with tarfile.open(fileobj=io.BytesIO(bytes(archive))) as tar:
            tar.extractall(folder, filter="data")
        old = Project(Path(folder))
        # Posts only check that their images exist: empty stand-ins keep the large files out.
        assets = project.shown(project.assets_dir)
        for name in str(_git(project, "ls-tree", "-r", "-z", "--name-only", base, "--", assets)).split("\0"):
            if name and _under(name, assets):
                (old.root / name).parent.mkdir(parents=True, exist_ok=True)
                (old.root / name).touch()
        config, _ = load_config(old)
        if config is None:
            return None
        templates = render.load_templates(old)
        outputs = {}
        for post in load_posts(old, config).posts:
            for account in post.targets:
                variant, _ = render.render(post, account, config, templates)
                if variant is not None:
                    at = post.publish_at_by_account.get(account, post.publish_at)
                    outputs[variant.key] = (variant.content_hash, at)
        return outputs


# Markdown --------------------------------------------------------------------------------------------

_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.INFO: "ℹ️"}


def _fence(text: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _code_block(text: str) -> list[str]:
    text = printable(text, keep="\n\t")
    fence = _fence(text)
    return [f"{fence}text", text, fence]


def _inline_code(text: str) -> str:
    text = printable(text.replace("\n", " "))
    ticks = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def _when(entry: Entry, view: Overview) -> str:
    local = entry.publish_at.astimezone(view.zone)
    utc = entry.publish_at.astimezone(UTC)
    return f"{local:%a %-d %b %Y %H:%M} {local.tzname()} ({utc:%H:%M} UTC)"


def _counts(entry: Entry) -> str:
    if not entry.parts:
        return "not rendered"
    worst = []
    for part in entry.parts:
        first = part.counts[0]
        mark = " ❌" if any(count.over for count in part.counts) else ""
        worst.append(f"{first.count}/{first.limit}{mark}")
    unit = entry.parts[0].counts[0].unit
    return f"{', '.join(worst)} {unit}" + (f" in {len(entry.parts)} parts" if len(entry.parts) > 1 else "")


def _diagnostic_line(item: Diagnostic) -> str:
    scope = f" [{item.platform}]" if item.platform else ""
    where = _inline_code(f"{item.span.path}:{item.span.line}:{item.span.column}")
    hint = f" — hint: {escape_markdown(item.hint)}" if item.hint else ""
    return f"- {_ICON[item.severity]} **{item.code}**{scope} {escape_markdown(item.message)} ({where}){hint}"


def markdown(report: Report, *, max_chars: int | None = None) -> str:
    """The report; over `max_chars` (a comment's limit), texts are left out, then whole posts."""
    for detail in ("full", "summary"):
        text = _markdown(report, detail=detail)
        if max_chars is None or len(text) <= max_chars:
            return text
    lines = _markdown(report, detail="summary").splitlines()
    cut = "\n\n… (cut to fit; the job summary and the preview artifact have everything)"
    kept = []
    for line in lines:
        if len("\n".join([*kept, line])) + len(cut) > max_chars:
            break
        kept.append(line)
    return "\n".join(kept) + cut


def _markdown(report: Report, *, detail: str) -> str:
    view = report.overview
    count = len(report.posts)
    kinds = {}
    for _, reason in report.posts:
        kinds[reason] = kinds.get(reason, 0) + 1
    summary = ", ".join(f"{number} {reason}" for reason, number in kinds.items())
    lines = [
        f"## postwright: {count} post{'s' * (count != 1)} changed since {_inline_code(report.changes.ref)}",
        "",
        f"{summary + ' · ' if summary else ''}{count_line(report.problems)} · statuses as of "
        f"{view.now.astimezone(view.zone):%Y-%m-%d %H:%M %Z}",
    ]
    lines += [f"\n> {escape_markdown(note)}" for note in report.notes]
    if report.other_problems:
        lines += ["", "### Problems outside posts", ""]
        lines += [_diagnostic_line(item) for item in report.other_problems]
    for path in report.removed:
        lines += ["", f"### Removed: {_inline_code(path)}"]
    for post, reason in report.posts:
        lines += ["", *_post_markdown(post, reason, view, detail=detail, history=report.history)]
    if not report.posts and not report.removed:
        lines += ["", "No post was added or changed."]
    return "\n".join(lines) + "\n"


def _post_markdown(
    post: PostView, reason: str, view: Overview, *, detail: str, history: Mapping[str, SlotScore]
) -> list[str]:
    lines = [f"### {escape_markdown(post.title)} ({reason})", ""]
    sources = ", ".join(_inline_code(source) for source in post.sources)
    lines.append(f"{_inline_code('#' + post.post_id)} · {sources}")
    problems = list(ordered({item for entry in post.entries for item in entry.all_problems}))
    if problems:
        lines += ["", *[_diagnostic_line(item) for item in problems]]
    lines += [
        "",
        "| account | language | time | status | text | images |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for entry in post.entries:
        title = PLATFORMS[entry.platform].title if entry.platform in PLATFORMS else entry.platform
        status = entry.status_label + (f" ({escape_markdown(entry.detail)})" if entry.detail else "")
        if entry.url and entry.url.startswith(("https://", "http://")):
            status += f" [live]({entry.url})"
        mark = f" {_ICON[entry.worst]}" if entry.worst else ""
        lines.append(
            f"| {title} {_inline_code(entry.account)}{mark} | {entry.lang} | {_when(entry, view)} "
            f"| {status} | {_counts(entry)} | {len(entry.images)} |"
        )
    if history:
        lines += ["", *_history_lines(post, history)]
    if detail == "full":
        lines += _texts(post)
    return lines


def _history_lines(post: PostView, history: Mapping[str, SlotScore]) -> list[str]:
    """'How posts like this did': per account, its platform × slot × format over the last year, by lift."""
    lines = []
    for entry in post.entries:
        stats = history.get(entry.key)
        if stats is None:
            continue
        shape = "thread" if len(entry.parts) > 1 else "single"
        image = "with image" if entry.images else "no image"
        told = interval_text(stats)
        lift = told if not stats.enough else f"median lift {told}, n={stats.n}"
        account = _inline_code(entry.account)
        lines.append(f"- {stats.platform} {stats.label}, {shape} {image} ({account}): {lift}")
    return ["How posts like these did in the last year (lift: 1.0 = ordinary for the account):", "", *lines]


def _texts(post: PostView) -> list[str]:
    lines: list[str] = []
    shown: dict[tuple[str, ...], str] = {}
    for entry in post.entries:
        title = PLATFORMS[entry.platform].title if entry.platform in PLATFORMS else entry.platform
        parts = tuple(part.text for part in entry.parts)
        lines += [
            "",
            f"<details><summary>{title} · {entry.account} · {entry.lang}: {_counts(entry)}</summary>",
            "",
        ]
        if parts in shown:
            lines.append(f"Same text as {_inline_code(shown[parts])}.")
        elif not parts:
            lines.append("Not rendered (see the problems above).")
        else:
            shown[parts] = entry.account
            for number, part in enumerate(entry.parts, 1):
                counts = ", ".join(
                    f"{c.count}/{c.limit} {c.unit}{' ❌ over the limit' if c.over else ''}"
                    for c in part.counts
                )
                label = f"Part {number} of {len(entry.parts)}: " if len(entry.parts) > 1 else ""
                lines += [f"{label}{counts}", "", *_code_block(part.text), ""]
        if entry.in_reply_to:
            lines.append(f"- replying to {_inline_code(entry.in_reply_to)}")
        if entry.link:
            lines.append(f"- link: {_inline_code(entry.link)}")
        for image in entry.images:
            made = image.rendition
            size = f"{made.width}×{made.height} {made.format}, crop {made.spec}" if made else "not made"
            alt = escape_markdown(image.alt) if image.alt else "**no alt text**"
            lines.append(f"- image {_inline_code(image.src)} ({size}): alt “{alt}”")
        lines += ["", "</details>"]
    return lines


def as_json(report: Report) -> str:
    """The same report for programs."""
    view = report.overview

    def entry_json(entry: Entry) -> dict[str, object]:
        return {
            "key": entry.key,
            "account": entry.account,
            "platform": entry.platform,
            "lang": entry.lang,
            "publish_at": entry.publish_at.isoformat(),
            "status": entry.status,
            "detail": entry.detail,
            "url": entry.url,
            "link": entry.link,
            **({"in_reply_to": entry.in_reply_to} if entry.in_reply_to else {}),
            "parts": [
                {
                    "text": part.text,
                    "counts": [{"unit": c.unit, "count": c.count, "limit": c.limit} for c in part.counts],
                }
                for part in entry.parts
            ],
            "images": [
                {
                    "src": image.src,
                    "alt": image.alt,
                    "path": image.rendition.path if image.rendition else None,
                    "width": image.rendition.width if image.rendition else None,
                    "height": image.rendition.height if image.rendition else None,
                }
                for image in entry.images
            ],
            "problems": [item.as_dict() for item in entry.all_problems],
            **({"history": _history_json(report.history[entry.key])} if entry.key in report.history else {}),
        }

    document = {
        "ref": report.changes.ref,
        "now": view.now.isoformat(),
        "posts": [
            {"post_id": post.post_id, "title": post.title, "reason": reason, "sources": list(post.sources),
             "entries": [entry_json(entry) for entry in post.entries]}
            for post, reason in report.posts
        ],
        "removed": list(report.removed),
        "problems": [item.as_dict() for item in report.other_problems],
    }  # fmt: skip
    return json_text(document)


def _history_json(stats: SlotScore) -> dict[str, object]:
    """How posts like it did: the median lift and its interval (the `metrics report` JSON's shape)."""
    return {"platform": stats.platform, "slot": stats.label, **stats_json(stats)}
