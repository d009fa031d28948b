"""The only place that knows the order of the stages."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from postwright import branch, forked, media, renames, render, schedule, stamp, validate, workflow, write
from postwright.account_settings import all_problems, connection_settings
from postwright.api import Connection, Upload
from postwright.brandkit import brand_kit
from postwright.config import Config, apply_severity, load_config
from postwright.credentials import Secrets
from postwright.diagnostics import Diagnostic, Severity, Span, diag
from postwright.ledger import JobState, Ledger, LedgerError
from postwright.load import Loaded, Remembered, is_remembered, load_posts
from postwright.memo import Entry, Memo, inputs_digest, is_entry, render_keys
from postwright.model import Post, Variant
from postwright.outbox import OutboxPublisher
from postwright.platforms import PLATFORMS
from postwright.project import Project
from postwright.publish import Job, Outcome, PermanentError, Publisher, Receipt, Runner
from postwright.schedule import PlanItem
from postwright.stamp import Built

STAMP = stamp.STAMP  # beside the other files of .postwright-cache/

INDEX = Path(".postwright-cache") / "publish-index.json"
"""The hash of every file the last build wrote, so the next one writes only what changed."""


@dataclass(frozen=True, slots=True)
class Checked:
    config: Config | None
    loaded: Loaded
    variants: tuple[Variant, ...]
    diagnostics: tuple[Diagnostic, ...]
    renditions: Mapping[tuple[str, str], media.Rendition | None] = field(
        default_factory=dict
    )  # (src, platform)
    reused: int = 0  # renditions found in the cache
    facts: Mapping[str, dict[str, Any]] = field(default_factory=dict)  # write.text_facts by key, for build
    memos: tuple[Memo[Any], ...] = ()  # what this run read and rendered, for build to remember


def load(
    project: Project, memo: Memo[Remembered] | None = None
) -> tuple[Config | None, Loaded, list[Diagnostic]]:
    """config → load: what `new`, `schedule` and `plan` need, without rendering anything."""
    config, config_diagnostics = load_config(project)
    loaded = load_posts(project, config, memo)
    return config, loaded, [*config_diagnostics, *loaded.diagnostics]


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A build makes hundreds of thousands of objects and no cycles worth collecting (its memory is the
    same with the collector off): the collector's walks over them cost 10% of a big build, for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check(
    project: Project,
    *,
    cache: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    facts: bool = False,
    now: datetime | None = None,
) -> Checked:
    """config → load → render → media → validate: every problem.

    Images are made in `cache`; by default in postwright's cache if a build created one, else in a
    temporary folder, so `check` on a fresh checkout creates no file at all. With `now` (the `check`
    command's) and the ledger, posts already too late to be sent are reported too (PW251): the other
    views show them as missed at the time they are made for.
    """
    with _collector_paused():
        return _check(project, cache, progress, facts, now)


def _check(
    project: Project,
    cache: Path | None,
    progress: Callable[[int, int], None] | None,
    facts: bool,
    now: datetime | None,
) -> Checked:
    if cache is None:
        persistent = project.root / MEDIA_CACHE
        if not persistent.is_dir():
            with tempfile.TemporaryDirectory(prefix="postwright-check-") as folder:
                return check(project, cache=Path(folder), progress=progress, facts=facts, now=now)
        cache = persistent
    read = _posts_memo(project)
    config, loaded, found = load(project, read)
    variants: list[Variant] = []
    if config is not None:
        rendered = _render_memo(project)
        variants, problems, checked, known = _render_all(
            loaded.posts, config, render.load_templates(project), facts, rendered, loaded.render_keys
        )
        memos = (read, rendered) if facts else ()  # build remembers them; check only reads them
        found += problems
        renditions, problems, reused = _renditions(project, config, variants, cache, progress)
        found += problems
        found += checked  # each variant's own rules, checked where it was rendered
        found += validate.check_variants(variants, config, each=False)
        states, at = _states(project), now or datetime.now(UTC)
        if states is not None:  # as plan and publish see it: a rehearsal of an API account posted nothing
            states = as_delivered(config, states)
        found += [item.problem for item in _renamed(project, config, loaded.posts, states, at)]
        found = _unsent_threads_only(found, variants, states or {}, at - config.schedule.grace)
        if now is not None and states is not None and Ledger(project.state_dir).path.is_file():
            found += _too_late(config, loaded.posts, states, now)
        found += workflow.problems(project, config, loaded.posts, at)
    else:
        renditions, reused, known, memos = {}, 0, {}, ()
    # a broken template fails every variant that uses it: report it once
    diagnostics = apply_severity(config, dict.fromkeys(found))
    return Checked(config, loaded, tuple(variants), diagnostics, renditions, reused, known, memos)


def _states(project: Project) -> dict | None:
    try:
        return Ledger(project.state_dir).read()
    except LedgerError:  # plan and publish report it; check is about the content
        return None


def _unsent_threads_only(
    found: list[Diagnostic], variants: list[Variant], states: dict, since: datetime
) -> list[Diagnostic]:
    """PW252 (a thread's last part holds only template text) only where that thread may still be sent:
    not out (by the ledger) and not past the grace period (`since`), so a thread that went out is not
    warned about where the ledger is elsewhere (a state branch)."""
    if not any(item.code == "PW252" for item in found):
        return found  # most runs: no set of 20,000 variants to make
    unsent = {
        (variant.source, variant.platform)
        for variant in variants
        if variant.publish_at > since
        and (not (state := states.get(variant.key)) or not (state.published or state.retracted))
    }
    return [item for item in found if item.code != "PW252" or (item.span.path, item.platform) in unsent]


def _too_late(config: Config, posts: tuple[Post, ...], states: dict, now: datetime) -> list[Diagnostic]:
    """PW251: posts that are not drafts whose time is already past the grace period: no run sends them.
    Only where this checkout has the ledger: without it (none yet, or kept on a state branch) a post
    that went out cannot be told from one that was missed."""
    missed: dict[str, list[PlanItem]] = {}
    for item in schedule.plan(posts, config, states, now):
        if item.status == "missed":
            missed.setdefault(item.source, []).append(item)
    found = []
    for post in posts:
        if post.source in missed:
            first = missed[post.source][0]
            accounts = ", ".join(item.account for item in missed[post.source])
            found.append(
                diag(
                    "PW251",
                    post.spans.get(("date",)) or Span(post.source),
                    f"{first.publish_at.astimezone(config.zone):%Y-%m-%d %H:%M} is past ({first.detail}): "
                    f"this post will not be sent to {accounts}",
                    hint="give it a date ahead, set draft: true, or send it late once with "
                    f"`postwright publish --only {post.id}`",
                )
            )
    return found


MEDIA_CACHE = Path(".postwright-cache") / "media"
RENDER_MEMO = Path(".postwright-cache") / "render.pickle"
POSTS_MEMO = Path(".postwright-cache") / "posts.pickle"
RENDER_MEMO_FROM = 200  # jobs to render: below this, rendering them costs less than reading the memo
PARALLEL_FROM = 2000  # variants: below this, starting worker processes costs more than it saves


# variants, render problems, each variant's rule problems, and (for build) write.text_facts by key
Rendered = tuple[list[Variant], list[Diagnostic], list[Diagnostic], dict[str, dict[str, Any]]]


def _posts_memo(project: Project) -> Memo[Remembered]:
    """The last build's loaded posts, valid while config.yml, postwright and what the images' names lead
    to under assets/ (a post's images are looked up by name, through symlinks) are unchanged."""

    def inputs() -> str:
        assets = sorted(
            f"{path.relative_to(project.assets_dir).as_posix()}\0{os.path.realpath(path)}\0{path.is_file()}"
            for path in stamp.files(project.assets_dir)
        )
        return inputs_digest(stamp.code_fingerprint(), [project.config_path], *assets)

    return Memo(project.root / POSTS_MEMO, inputs, is_remembered)


def _render_memo(project: Project) -> Memo[Entry]:
    """The last build's rendered variants, valid while config.yml, templates/ and postwright are unchanged."""

    def inputs() -> str:
        return inputs_digest(
            stamp.code_fingerprint(), [project.config_path, *stamp.files(project.templates_dir)]
        )

    return Memo(project.root / RENDER_MEMO, inputs, is_entry)


def _render_all(
    posts: tuple[Post, ...],
    config: Config,
    templates: Any,
    facts: bool = False,
    memo: Memo[Entry] | None = None,
    known_keys: Mapping[str, tuple[str, ...]] | None = None,
) -> Rendered:
    """Every post for every account, rendered and checked against its own rules, in order.

    What `memo` remembers from the last build is reused; the rest is rendered, on Linux with every core
    when there is much of it. `known_keys` are the memo keys the posts memo kept, by source.
    """
    jobs = [(post, account) for post in posts for account in post.targets]
    known_keys = known_keys or {}
    keys = (
        [key for post in posts for key in known_keys.get(post.source) or render_keys(post)]
        if memo is not None
        else []
    )
    entries: list[Entry | None] = [memo.get(key) for key in keys] if memo is not None else [None] * len(jobs)
    missing = [index for index, entry in enumerate(entries) if entry is None]
    made = _render_parallel([jobs[index] for index in missing], config, templates, facts)
    for index, entry in zip(missing, made, strict=True):
        entries[index] = entry
        if memo is not None:
            memo.put(keys[index], entry)
    variants: list[Variant] = []
    problems: list[Diagnostic] = []
    checked: list[Diagnostic] = []
    known: dict[str, dict[str, Any]] = {}
    for variant, render_problems, rule_problems, variant_facts in entries:  # type: ignore[misc]
        problems += render_problems
        if variant is not None:
            variants.append(variant)
            checked += rule_problems
            if facts and variant_facts is not None:
                known[variant.key] = variant_facts
    return variants, problems, checked, known


def _render_parallel(
    jobs: list[tuple[Post, str]], config: Config, templates: Any, facts: bool
) -> list[Entry]:
    if len(jobs) >= PARALLEL_FROM:
        # one post per account rendered here first: templates compiled and counters' patterns built once,
        # before forking, instead of in every worker (5,000 posts: ~0.2 s)
        one_each = {account: (post, account) for post, account in jobs}
        _render_jobs(list(one_each.values()), config, templates, facts)
    return forked.map_slices(
        lambda start, stop: _render_jobs(jobs[start:stop], config, templates, facts),
        len(jobs),
        at_least=PARALLEL_FROM,
    )


def _render_jobs(jobs: list[tuple[Post, str]], config: Config, templates: Any, facts: bool) -> list[Entry]:
    entries: list[Entry] = []
    for post, account in jobs:
        variant, problems = render.render(post, account, config, templates)
        if variant is None:
            entries.append((None, tuple(problems), (), None))
            continue
        checked = tuple(validate.check_variant(variant, config))
        # the counts each publish/posts/*.json holds, computed where the counters' caches are warm
        known = write.text_facts(config, variant) if facts else None
        entries.append((variant, tuple(problems), checked, known))
    return entries


def _background(config: Config) -> tuple[int, int, int]:
    colour = config.brand.background
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _renditions(
    project: Project,
    config: Config,
    variants: list[Variant],
    cache: Path,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[tuple[str, str], media.Rendition | None], list[Diagnostic], int]:
    """Stage 3: every image each platform gets, one decode per source for all its platforms' specs."""
    specs: dict[str, media.ImageSpec] = {}  # platform -> the spec its posts use (the first)
    wanted: dict[tuple[str, tuple[float, float] | None], dict[str, media.ImageSpec]] = {}
    spans: dict[tuple[str, tuple[float, float] | None], list[tuple[Span, str]]] = {}
    for variant in variants:
        if variant.platform not in specs:
            settings = config.platforms.get(variant.platform)
            overrides = settings.images.changes() if settings else None
            specs[variant.platform] = media.specs_for(
                variant.platform, overrides or None, base_dir=project.assets_dir
            )[0]
        for ref in variant.media:
            key = (ref.src, ref.focus)
            wanted.setdefault(key, {})[variant.platform] = specs[variant.platform]
            spans.setdefault(key, []).append((ref.span, variant.platform))
    background = _background(config)
    jobs = []
    for (src, focus), by_platform in sorted(wanted.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        unique = tuple(dict.fromkeys(by_platform.values()))
        jobs.append(media.Job(project.assets_dir / src, src, focus, unique, background))
    outcomes = media.make_all(jobs, cache, progress=progress) if jobs else []
    renditions: dict[tuple[str, str], media.Rendition | None] = {}
    found: list[Diagnostic] = []
    for job, outcome in zip(jobs, outcomes, strict=True):
        for platform, spec in wanted[job.src, job.focus].items():
            renditions[job.src, platform] = outcome.renditions[job.specs.index(spec)]
        first_span = spans[job.src, job.focus][0][0]
        found += [problem.diagnostic(first_span) for problem in outcome.problems]
    return renditions, found, media.reused_count(outcomes)


def build(
    project: Project,
    out_dir: Path | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    fingerprint: str | None = None,
) -> Built:
    """check, then write publish/ (every rendered variant, with its problems next to it).

    When no input changed since the last build into the same folder, nothing is read or written.
    `fingerprint` is stamp.fingerprint_of(project) where the caller has just taken it.
    """
    target = out_dir or project.root / "publish"
    fingerprint = fingerprint or stamp.fingerprint_of(project)
    reused = stamp.reused(project, target, fingerprint)
    if reused is not None:
        return reused
    (project.root / MEDIA_CACHE).mkdir(parents=True, exist_ok=True)
    with _collector_paused():
        return _build(project, target, fingerprint, progress)


def _build(
    project: Project, target: Path, fingerprint: str, progress: Callable[[int, int], None] | None
) -> Built:
    checked = check(project, cache=project.root / MEDIA_CACHE, progress=progress, facts=True)

    def remember() -> None:
        for memo in checked.memos:
            memo.save()

    saved = forked.in_background(remember)  # on another core while publish/ is written (0.3 s at 5,000 posts)
    try:
        return _write(project, target, fingerprint, checked)
    finally:
        saved()


def _write(project: Project, target: Path, fingerprint: str, checked: Checked) -> Built:
    if checked.config is None:
        return Built(None, checked.diagnostics, len(checked.loaded.posts), reused=False)
    manifest = write.write_publish(
        checked.config,
        checked.variants,
        checked.diagnostics,
        target,
        index=project.root / INDEX,
        renditions=checked.renditions,
        cache_dir=project.root / MEDIA_CACHE,
        facts=checked.facts,
        extra=brand_kit(
            project.assets_dir / "brand",
            (account.platform for account in checked.config.accounts.values()),
            _background(checked.config),
        ),
    )
    stamp.record(project, target, fingerprint, len(checked.loaded.posts), checked.diagnostics)
    made = {r.path: r for r in checked.renditions.values() if r is not None}
    fitted = tuple(
        sorted(
            (r for r in made.values() if (r.quality or media.QUALITY_MAX) < media.QUALITY_MAX),
            key=lambda r: r.path,
        )
    )
    return Built(
        manifest,
        checked.diagnostics,
        len(checked.loaded.posts),
        False,
        len(made),
        min(checked.reused, len(made)),
        fitted,
    )


@dataclass(frozen=True, slots=True)
class Planned:
    config: Config | None
    posts: tuple[Post, ...]
    items: tuple[PlanItem, ...]
    diagnostics: tuple[Diagnostic, ...]  # config and post problems (invalid posts are never sent)
    ledger_error: str | None
    held: frozenset[str] = frozenset()  # keys of jobs that went out under another key (renames.py)
    variants: Mapping[str, Variant] = field(default_factory=dict)  # the due jobs without errors, by key


def plan(
    project: Project,
    now: datetime,
    *,
    only: str | None = None,
    upcoming: bool = True,
    checked: Checked | None = None,
) -> Planned:
    """config → load → ledger → schedule; then every job that would go out is rendered and validated,
    and one with an error is `blocked` (publish, with `upcoming=False`, renders only the due ones).

    With `checked` (a check of the same files: the preview's), its variants and every problem it found
    (images too) are used instead of rendering again. The last build's memos (or a restored cache's)
    are read, never written: only posts changed since are parsed and rendered.
    """
    config, loaded, found = load(project, _posts_memo(project))
    found = apply_severity(config, found)
    if config is None:
        return Planned(None, (), (), found, None)
    try:
        recorded = Ledger(project.state_dir).read()
    except LedgerError as error:
        return Planned(config, loaded.posts, (), found, str(error))
    states = as_delivered(config, recorded)
    held = _renamed(project, config, loaded.posts, states, now, only)
    items = schedule.plan(loaded.posts, config, states, now, only=only)
    wanted = schedule.BLOCKABLE if upcoming else ("due", "paused")
    pending = [item for item in items if item.status in wanted]
    if checked is None:
        variants, unrendered, problems = _render_due(project, config, loaded.posts, pending)
    else:
        variants, unrendered, problems = _checked_due(project, config, loaded.posts, pending, checked)
    everything = tuple(dict.fromkeys([*found, *(item.problem for item in held), *problems]))
    errors = blocking(pending, everything, unrendered, held, _account_errors(project, config, found))
    items = schedule.blocked(items, errors)
    items = _mark_edits(project, config, loaded.posts, items, states)
    items = _mark_rehearsed(items, recorded, states)
    due = {item.key for item in items if item.status == "due"}
    return Planned(
        config,
        loaded.posts,
        tuple(items),
        everything,
        None,
        frozenset(item.key for item in held),
        {key: variant for key, variant in variants.items() if key in due},
    )


def blocking(
    items: Iterable[PlanItem],
    diagnostics: Iterable[Diagnostic],
    unrendered: Mapping[str, Sequence[Diagnostic]],
    held: Iterable[renames.Held],
    accounts: Mapping[str, Sequence[Diagnostic]] | None = None,
) -> dict[tuple[str, str], list[Diagnostic]]:
    """The errors that keep each job from going out, by job key and post file (two files with one id
    each have their own): its file's errors for its platform or for every platform, its account's
    errors in config.yml (`accounts`, by account name), what kept it from being rendered, and a send
    under another key (renames.py)."""
    by_source: dict[str, list[Diagnostic]] = {}
    for item in diagnostics:
        if item.severity >= Severity.ERROR and item.code != "PW215":  # PW215 holds only its own job
            by_source.setdefault(item.span.path, []).append(item)
    held_by_key: dict[str, list[Diagnostic]] = {}
    for found in held:
        held_by_key.setdefault(found.key, []).append(found.problem)
    errors: dict[tuple[str, str], list[Diagnostic]] = {}
    for job in items:
        mine = [item for item in by_source.get(job.source, ()) if item.platform in (None, job.platform)]
        mine += (accounts or {}).get(job.account, ())
        mine += unrendered.get(job.key, ())
        mine += held_by_key.get(job.key, ())
        if mine:
            errors[job.key, job.source] = mine
    return errors


def _account_errors(
    project: Project, config: Config, found: Iterable[Diagnostic]
) -> dict[str, list[Diagnostic]]:
    """config.yml's errors in settings and credentials, by the account whose sending they make uncertain:
    those under accounts.<name> for that account, those under platforms.<p> for every account on p (a
    misspelt `visibility` would otherwise post publicly what was meant to be direct)."""
    shown = project.shown(project.config_path)
    errors: dict[tuple[str, str], list[Diagnostic]] = {}
    for item in found:
        if item.span.path == shown and item.severity >= Severity.ERROR:
            errors.setdefault((item.code, item.message), []).append(item)
    by_account: dict[str, list[Diagnostic]] = {}
    for problem in all_problems(config):  # in the order config.yml's diagnostics were made from them
        same = errors.get((problem.code, problem.message))
        if not same:
            continue  # relaxed below an error in config.yml's severity table
        item = same.pop(0) if len(same) > 1 else same[0]
        scope, name = problem.at[0], problem.at[1]
        for account, settings in config.accounts.items():
            if (scope, name) in (("accounts", account), ("platforms", settings.platform)):
                by_account.setdefault(account, []).append(item)
    return by_account


def _renamed(
    project: Project,
    config: Config,
    posts: tuple[Post, ...],
    states: dict | None,
    now: datetime,
    only: str | None = None,
) -> list[renames.Held]:
    """Jobs that went out under another id, language or account (postwright/renames.py)."""
    if states is None:
        try:
            states = as_delivered(config, Ledger(project.state_dir).read())
        except LedgerError:  # plan and publish report it; check is about the content
            return []
    return renames.renamed(posts, config, states, now, lambda: render.load_templates(project), forced=only)


def as_delivered(config: Config, states: dict[str, JobState]) -> dict[str, JobState]:
    """The ledger as each account delivers now: for an account that posts through its API, what was only
    rehearsed in the outbox is left out (a job with nothing else is not in the ledger at all), so the
    job is due again within its grace period and missed after it, like any post never sent. The
    publish runner leaves the same records out, by its publisher (publish.py)."""
    real = {}
    for key, state in states.items():
        account = config.accounts.get(state.records[0].account)
        if account is not None and account.deliver != "outbox":
            state = state.without_rehearsals()
        if state.records:
            real[key] = state
    return real


def _mark_rehearsed(
    items: list[PlanItem], recorded: dict[str, JobState], states: dict[str, JobState]
) -> list[PlanItem]:
    """Say why a job that was delivered to the outbox is due, or missed, through the API now."""
    marked = []
    for item in items:
        said = _REHEARSED.get(item.status)
        kept = states.get(item.key)
        ignored = item.key in recorded and (kept is None or kept.records != recorded[item.key].records)
        if said and ignored:
            item = replace(item, detail="; ".join(filter(None, (said, item.detail))))
        marked.append(item)
    return marked


_REHEARSED = {
    "due": "rehearsed in the outbox, now due through the API",
    "upcoming": "rehearsed in the outbox, to be sent through the API",
    "missed": "rehearsed in the outbox only: too late to send through the API",
    "expired": "rehearsed in the outbox only: expired before it was sent through the API",
}


def _mark_edits(
    project: Project, config: Config, posts: tuple[Post, ...], items: list[PlanItem], states: dict
) -> list[PlanItem]:
    """Published jobs whose text changed since: reported, never re-sent. Only files modified after
    their publication are rendered, so this costs nothing on a repository nobody edits."""
    by_id = {(post.id, post.lang): post for post in posts}
    templates = None
    marked = []
    for item in items:
        state = states.get(item.key)
        published_at = state.records[-1].time if state and item.status == "published" else None
        if published_at and _modified_since(project.root / item.source, published_at):
            templates = templates or render.load_templates(project)
            variant, _ = render.render(by_id[item.post_id, item.lang], item.account, config, templates)
            if variant is not None and variant.content_hash != state.content_hash:
                edited = "edited after publishing: the change is not sent"
                item = replace(item, detail="; ".join(filter(None, (edited, item.detail))), edited=True)
        marked.append(item)
    return marked


def _modified_since(path: Path, published_at: str) -> bool:
    """A path made only for published jobs: 20,000 jobs' paths cost more than their few stats."""
    return path.stat().st_mtime > datetime.fromisoformat(published_at).timestamp() - 1


@dataclass(frozen=True, slots=True)
class Published:
    planned: Planned
    jobs: tuple[Job, ...]
    outcomes: tuple[Outcome, ...]
    invalid: tuple[Diagnostic, ...]  # images of due variants that could not be made, so those were not sent
    stopped: str | None = None  # why sending stopped early (the ledger could not be written)
    refused: str | None = None  # why nothing was sent from this branch (postwright/branch.py)


def publish(
    project: Project,
    now: datetime,
    *,
    dry_run: bool = False,
    only: str | None = None,
    account: str | None = None,
    publisher_for: Callable[[str], Publisher] | None = None,
    runner_options: dict[str, Any] | None = None,
) -> Published:
    """plan → render and validate only what is due → send through each account's publisher."""
    planned = plan(project, now, only=only, upcoming=False)
    config = planned.config
    if config is None or planned.ledger_error or config.paused:
        return Published(planned, (), (), ())
    # only the publishing branch sends; a dry run may look from anywhere
    refused = None if dry_run else branch.refusal(project.root, config.schedule.branch)
    if refused:
        return Published(planned, (), (), (), refused=refused)
    # a job with an error is `blocked`, never due: only due jobs, rendered and checked by plan, go out
    due = [
        item
        for item in planned.items
        if item.status == "due" and (only is None or item.post_id == only) and account in (None, item.account)
    ]
    variants = [planned.variants[item.key] for item in due]
    invalid: tuple[Diagnostic, ...] = ()
    jobs = tuple(Job(variant) for variant in variants)
    if dry_run or not jobs:
        return Published(planned, jobs, (), invalid)
    # records carry the wall-clock time of the send, also under --at: plan compares it with file times
    if publisher_for is None:  # the images of what is due only: made (or found in the cache) now
        (project.root / MEDIA_CACHE).mkdir(parents=True, exist_ok=True)
        renditions, problems, _ = _renditions(project, config, variants, project.root / MEDIA_CACHE)
        broken = [item for item in apply_severity(config, problems) if item.severity >= Severity.ERROR]
        if broken:  # an image that cannot be made: that post is not sent without it
            invalid = (*invalid, *broken)
            jobs = tuple(job for job in jobs if not any(_concerns(item, job.variant) for item in broken))
        publisher_for = _publishers(project, config, renditions)
    runner = Runner(Ledger(project.state_dir), publisher_for, **(runner_options or {}))
    outcomes = tuple(runner.run(jobs))
    return Published(planned, jobs, outcomes, invalid, runner.stopped)


def _render_due(
    project: Project, config: Config, posts: tuple[Post, ...], due: list[PlanItem]
) -> tuple[dict[str, Variant], dict[str, list[Diagnostic]], tuple[Diagnostic, ...]]:
    """The jobs in `due` rendered and checked: the variants by key, the problems that kept a job from
    being rendered (a template error) by key, and every problem found. What the last build rendered
    is reused when there are many (a few due jobs are rendered sooner than a big brand's memo is read);
    many posts are rendered on every core."""
    if not due:
        return {}, {}, ()
    keys = {item.key for item in due}
    wanted = {(item.post_id, item.lang) for item in due}
    chosen = tuple(post for post in posts if (post.id, post.lang) in wanted)
    templates = render.load_templates(project)
    memo = _render_memo(project) if len(due) >= RENDER_MEMO_FROM else None
    rendered, found, checked, _ = _render_all(chosen, config, templates, memo=memo)
    variants = {variant.key: variant for variant in rendered if variant.key in keys}
    where = {
        (variant.source, platform) for variant in variants.values() for platform in (variant.platform, None)
    }
    found += [item for item in checked if (item.span.path, item.platform) in where]
    unrendered: dict[str, list[Diagnostic]] = {}
    by_id = {(post.id, post.lang): post for post in chosen}
    for item in due:
        if item.key not in variants:  # a template error: rare, so rendered again for its own problems
            unrendered[item.key] = render.render(
                by_id[item.post_id, item.lang], item.account, config, templates
            )[1]
    found += validate.check_variants(variants.values(), config, each=False)
    return variants, unrendered, tuple(apply_severity(config, dict.fromkeys(found)))


def _checked_due(
    project: Project, config: Config, posts: tuple[Post, ...], due: list[PlanItem], checked: Checked
) -> tuple[dict[str, Variant], dict[str, list[Diagnostic]], tuple[Diagnostic, ...]]:
    """_render_due's answer from a check that rendered every job already."""
    keys = {item.key for item in due}
    variants = {variant.key: variant for variant in checked.variants if variant.key in keys}
    missing = [item for item in due if item.key not in variants]
    templates = render.load_templates(project) if missing else None
    by_id = {(post.id, post.lang): post for post in posts}
    unrendered = {
        item.key: render.render(by_id[item.post_id, item.lang], item.account, config, templates)[1]
        for item in missing
    }
    return variants, unrendered, checked.diagnostics


def _concerns(problem: Diagnostic, variant: Variant) -> bool:
    return problem.span.path == variant.source and problem.platform in (None, variant.platform)


def _publishers(
    project: Project, config: Config, renditions: Mapping[tuple[str, str], media.Rendition | None]
) -> Callable[[str], Publisher]:
    """Outbox accounts write to the outbox folder; API accounts get their platform's publisher."""
    cache: dict[str, Publisher] = {}

    def images(variant: Variant) -> list[tuple[Path, str]]:
        """The files the platform gets for this variant, with their alt text."""
        return [(upload.path, upload.alt) for upload in uploads(variant)]

    def uploads(variant: Variant) -> list[Upload]:
        base = connection_settings(config, variant.account).get("media_base_url")
        found = [(renditions.get((ref.src, variant.platform)), ref) for ref in variant.media]
        return [
            Upload(
                path=rendition.cache_file(project.root / MEDIA_CACHE),
                alt=ref.alt,
                width=rendition.width,
                height=rendition.height,
                mime=f"image/{rendition.format.lower()}",
                focus=(float(ref.focus[0]), float(ref.focus[1])) if ref.focus else None,
                public_url=f"{str(base).rstrip('/')}/{rendition.path}" if base else None,
            )
            for rendition, ref in found
            if rendition
        ]

    def publisher_for(account: str) -> Publisher:
        if account not in cache:
            settings = config.accounts[account]
            platform = PLATFORMS[settings.platform]
            if settings.deliver == "outbox":
                cache[account] = OutboxPublisher(
                    project.root / config.outbox, account, root=project.root, images=images
                )
            elif platform.publisher is None:
                cache[account] = _NoApiPublisher(settings.platform)
            else:
                cache[account] = platform.publisher(
                    Connection(
                        account=account,
                        platform=platform.name,
                        settings=connection_settings(config, account),
                        secrets=Secrets(account, dict(settings.credentials)),
                        uploads=uploads,
                    )
                )
        return cache[account]

    return publisher_for


def retract(
    project: Project,
    post_id: str,
    *,
    account: str | None = None,
    dry_run: bool = False,
    publisher_for: Callable[[str], Publisher] | None = None,
) -> tuple[list[str], list[Outcome]]:
    """Crisis control: delete a published post from its platforms; the ledger keeps it from returning."""
    config, _ = load_config(project)
    ledger = Ledger(project.state_dir)
    keys = sorted(
        key
        for key, state in ledger.read().items()
        if state.records[0].post_id == post_id
        and account in (None, state.records[0].account)
        and any(record.status != "failed" or not record.permanent for record in state.records)
    )
    if dry_run or not keys:
        return keys, []
    if publisher_for is None:
        if config is None:
            raise LedgerError("config.yml cannot be used, so the accounts' publishers are unknown")
        publisher_for = _publishers(project, config, {})
    return keys, Runner(ledger, publisher_for).retract(keys)


class _NoApiPublisher:
    """Stands for a platform whose API publisher is not written yet: every send fails permanently."""

    idempotent = True

    def __init__(self, platform: str) -> None:
        self.platform = platform

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        raise PermanentError(f"postwright cannot send to the {self.platform} API yet; use deliver: outbox")

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None:
        return None

    def delete(self, remote_id: str) -> None:
        raise PermanentError(f"postwright cannot delete from the {self.platform} API yet")
