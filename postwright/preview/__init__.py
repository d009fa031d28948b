"""Views for reviewers, derived from a build: the preview site, calendar.ics (and the model they share).

    publish/index.html          every post as each account gets it, with statuses, problems, calendars
    publish/preview/site.css    its style and script (fixed names: nothing goes stale)
    publish/preview/site.js
    publish/preview/index.js    what the list and calendars show of every post (data)
    publish/preview/posts/<day>.js  the pages of that day's posts, loaded when one opens
    publish/calendar.ics        one event per post and account
    publish/performance.html    what the posts achieved (where state/metrics/ has readings)

`build` owns the rest of publish/; it keeps files it did not write while it knows what it wrote last
(its index), so `preview` builds first and then adds these files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from postwright.diagnostics import Diagnostic
from postwright.model import Built
from postwright.preview.model import Overview, overview
from postwright.preview.performance import PERFORMANCE_PAGE, site_page
from postwright.preview.site import POSTS_FOLDER, render_site
from postwright.project import Project

if TYPE_CHECKING:
    from postwright.pipeline import Checked

__all__ = ["Overview", "PreviewError", "Previewed", "gather", "write_calendar", "write_preview"]


class PreviewError(Exception):
    """The preview cannot be made: config.yml is unusable or the ledger cannot be read."""


@dataclass(frozen=True, slots=True)
class Previewed:
    overview: Overview
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[Path, ...]  # what was written
    built: Built | None


def gather(
    project: Project, checked: Checked | None = None
) -> Callable[[datetime], tuple[Overview, tuple[Diagnostic, ...]]]:
    """check (render, images from the cache, validate) once, unless a build just did (`checked`); then
    the plan at a time, joined. The text facts (each part's counts) come from the check: the render
    memo keeps them, so they are not counted again."""
    from postwright import pipeline  # here: `metrics report --format html` imports this package too

    checked = checked or pipeline.check(project, facts=True)
    if checked.config is None:
        raise PreviewError("config.yml cannot be used", checked.diagnostics)
    config = checked.config

    def at(now: datetime) -> tuple[Overview, tuple[Diagnostic, ...]]:
        planned = pipeline.plan(project, now, checked=checked)
        if planned.ledger_error:
            raise PreviewError(planned.ledger_error, ())
        view = overview(
            config,
            checked.loaded.posts,
            planned.items,
            checked.variants,
            checked.renditions,
            checked.diagnostics,
            now,
            checked.facts,
        )
        return view, checked.diagnostics

    return at


def write_preview(
    project: Project,
    now: datetime,
    out_dir: Path | None = None,
    *,
    preview_url: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    changed_since: str | None = None,
    source_url: str | None = None,
) -> Previewed:
    """Build publish/, then write the site and calendar.ics into it. Same inputs and `now`: same bytes.
    `preview_url` is where index.html will be served; without it, links are relative (never a path of
    the machine that built the site). `changed_since` (a git ref): only the posts changed since it get
    a page, the others link to `source_url` + their file (a pull request's preview); the diagnostics are
    then those `report` gives. Raises ReportError when git cannot tell what changed."""
    from postwright import pipeline
    from postwright.preview.ics import calendar_ics

    target = out_dir or project.root / "publish"
    seen: list[Checked] = []  # the build's check, when it made one (nothing changed: it did not)
    built = pipeline.build(project, target, progress=progress, seen=seen.append)
    if built.manifest is None:
        raise PreviewError("config.yml cannot be used", built.diagnostics)
    changed: set[str] | None = None
    if changed_since is None:
        view, diagnostics = gather(project, seen.pop() if seen else None)(now)
    else:
        from postwright.report import build_report  # it reads the preview's model: imported when needed

        report = build_report(project, changed_since, now)
        view, diagnostics = report.overview, report.problems
        changed = {post.post_id for post, _why in report.posts}
    performance = site_page(project, now, target) if changed_since is None else None
    files = render_site(
        view,
        target,
        project_root=project.root,
        preview_url=preview_url,
        changed=changed,
        source_url=source_url,
        performance=performance is not None,
        write=lambda relative, data: _write(target / relative, data),  # the days' pages, as they are made
    )
    if performance is not None:
        files[PERFORMANCE_PAGE] = performance
    elif changed_since is None:  # the metrics are gone: so is their page
        (target / PERFORMANCE_PAGE).unlink(missing_ok=True)
    files["calendar.ics"] = calendar_ics(view, preview_url or "index.html")
    _remove_stale_pages(target, files)
    written = [
        target / relative if data is None else _write(target / relative, data)
        for relative, data in sorted(files.items(), key=_last("index.html"))
    ]
    return Previewed(view, diagnostics, tuple(written), built)


def _remove_stale_pages(target: Path, files: dict[str, bytes | None]) -> None:
    """Pages of days that no longer have posts (or, for a pull request, no changed post)."""
    folder = target / POSTS_FOLDER
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if f"{POSTS_FOLDER}/{path.name}" not in files:
            path.unlink()


def write_calendar(
    project: Project, now: datetime, output: Path | None, *, preview_url: str | None
) -> tuple[Previewed, bytes]:
    """calendar.ics alone, into `output` (None: only returned): no build, no site (images come from the
    cache, or a temporary folder)."""
    from postwright.preview.ics import calendar_ics

    view, diagnostics = gather(project)(now)
    data = calendar_ics(view, preview_url)
    written = (_write(output, data),) if output is not None else ()
    return Previewed(view, diagnostics, written, None), data


def _last(name: str) -> Callable[[tuple[str, bytes | None]], tuple[bool, str]]:
    return lambda file: (file[0] == name, file[0])


def _write(path: Path, data: bytes) -> Path:
    """Atomically, and not at all when the file already holds exactly these bytes."""
    try:
        if path.read_bytes() == data:
            return path
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)
    return path
