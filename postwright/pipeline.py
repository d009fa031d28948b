"""The only place that knows the order of the stages: one function per command lists them.

build    stamp → check → write (the memos saved on another core meanwhile)
check    config → load → render → media → validate
plan     config → load → ledger → status → render and validate what would go out → block
publish  plan → what is due → media → send
retract  config → ledger → delete
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from postwright import branch, renames, render, status, validate, workers
from postwright.account_settings import all_problems
from postwright.cache import INDEX, MEDIA, RENDER_MEMO, memo
from postwright.cache import stamp as build_stamp
from postwright.cache.memo import Memo, collector_paused
from postwright.cache.stamp import Stamp
from postwright.config import Config, apply_severity, load_config
from postwright.diagnostics import Diagnostic, Severity, Span, diag
from postwright.ledger import JobState, Ledger, LedgerError, RecordStatus
from postwright.load import Loaded, LoadedFile, is_loaded_file, load_posts
from postwright.model import Built, Post, Variant
from postwright.platforms.contract import Publisher
from postwright.project import Project
from postwright.publish import Job, Outcome, Runner, publishers
from postwright.status import PlanItem, PlanStatus

if TYPE_CHECKING:
    from postwright import media


def build(
    project: Project,
    out_dir: Path | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
    stamp: Stamp | None = None,
    seen: Callable[[Checked], None] | None = None,
) -> Built:
    """check, then write publish/ (every rendered variant, with its problems next to it).

    When no input changed since the last build into the same folder, nothing is read or written.
    `stamp` is the build stamp as the caller read it (the CLI, before importing the stages): it is read
    once per command. `seen` is handed the check made (the preview reads it instead of checking again).
    """
    stamp = stamp or build_stamp.read(project, out_dir or project.root / "publish")
    if stamp.unchanged is not None:
        return stamp.unchanged
    (project.root / MEDIA).mkdir(parents=True, exist_ok=True)
    with collector_paused():
        # config → load → render → media → validate
        checked = check(project, cache=project.root / MEDIA, progress=progress, facts=True)
        if seen is not None:
            seen(checked)
        # memos rewritten whole are saved on another core while publish/ is written (0.3 s at 5,000
        # posts); a few changed entries are appended here (forking would cost more)
        if any(kept.rewrites() for kept in checked.memos):
            saved = workers.in_background(checked.remember)
        else:
            checked.remember()
            saved = _nothing
        try:
            # write
            return _write(project, stamp, checked)
        finally:
            saved()


def _nothing() -> None:
    pass


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

    def remember(self) -> None:
        for kept in self.memos:
            kept.save()


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
    views show them as missed at the time they are made for. With `facts` (a build), each variant's
    text facts are computed as it is rendered and the memos are kept for `build` to save.
    """
    from postwright import media, write  # not on plan's and publish's path

    if cache is None:
        with _media_cache(project) as folder:
            return check(project, cache=folder, progress=progress, facts=facts, now=now)
    with collector_paused():
        # config → load
        posts_memo = memo.posts_memo(project, is_loaded_file)
        config, loaded, found = load(project, posts_memo)
        if config is None:
            return Checked(None, loaded, (), apply_severity(config, dict.fromkeys(found)))
        # render, each variant checked against its own rules where it is rendered
        render_memo = memo.render_memo(project, render.is_rendered_job)
        rendered = render.render_all(
            loaded.posts,
            config,
            render.load_templates(project),
            check=validate.check_variant,
            facts=write.text_facts if facts else None,
            memo=render_memo,
            known_keys=loaded.render_keys,
        )
        # media
        renditions, unmade, reused = media.for_variants(
            project, config, list(rendered.variants), cache, progress
        )
        # validate
        found = [*found, *rendered.problems, *unmade, *rendered.checked]
        found = _validated(project, config, loaded.posts, rendered.variants, found, now)
    memos = (posts_memo, render_memo) if facts else ()  # build remembers them; check only reads them
    # a broken template fails every variant that uses it: report it once
    diagnostics = apply_severity(config, dict.fromkeys(found))
    return Checked(config, loaded, rendered.variants, diagnostics, renditions, reused, rendered.facts, memos)


def load(
    project: Project, posts_memo: Memo[LoadedFile] | None = None
) -> tuple[Config | None, Loaded, list[Diagnostic]]:
    """config → load: what `new`, `schedule` and `plan` need, without rendering anything."""
    config, config_diagnostics = load_config(project)
    loaded = load_posts(project, config, posts_memo)
    return config, loaded, [*config_diagnostics, *loaded.diagnostics]


@contextmanager
def _media_cache(project: Project) -> Iterator[Path]:
    """postwright's media cache if a build created one, else a temporary folder: `check` on a fresh
    checkout creates no file."""
    persistent = project.root / MEDIA
    if persistent.is_dir():
        yield persistent
        return
    with tempfile.TemporaryDirectory(prefix="postwright-check-") as folder:
        yield Path(folder)


def _validated(
    project: Project,
    config: Config,
    posts: tuple[Post, ...],
    variants: tuple[Variant, ...],
    found: list[Diagnostic],
    now: datetime | None,
) -> list[Diagnostic]:
    """`found` and the rules over several variants, the ledger (renames, threads already out, posts too
    late) and the publish workflow's schedule."""
    from postwright import workflow

    found = [*found, *validate.check_variants(variants, config, each=False)]
    states, at = _states(project), now or datetime.now(UTC)
    if states is not None:  # as plan and publish see it: a rehearsal of an API account posted nothing
        states = as_delivered(config, states)
    found += [item.problem for item in _renamed(project, config, posts, states, at)]
    found = _unsent_threads_only(found, variants, states or {}, at - config.schedule.grace)
    if now is not None and states is not None and Ledger(project.state_dir).path.is_file():
        found += _too_late(config, posts, states, now)
    return found + workflow.problems(project, config, posts, at)


def _states(project: Project) -> dict | None:
    try:
        return Ledger(project.state_dir).read()
    except LedgerError:  # plan and publish report it; check is about the content
        return None


def _unsent_threads_only(
    found: list[Diagnostic], variants: Iterable[Variant], states: dict, since: datetime
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
    for item in status.plan(posts, config, states, now):
        if item.status == PlanStatus.MISSED:
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


def _write(project: Project, stamp: Stamp, checked: Checked) -> Built:
    from postwright import media, write
    from postwright.brandkit import brand_kit

    if checked.config is None:
        return Built(None, checked.diagnostics, len(checked.loaded.posts), reused=False)
    documents = memo.documents_memo(project, write.is_document)
    manifest = write.write_publish(
        checked.config,
        checked.variants,
        checked.diagnostics,
        stamp.target,
        index=project.root / INDEX,
        renditions=checked.renditions,
        cache_dir=project.root / MEDIA,
        facts=checked.facts,
        sources=_sources(checked),
        documents=documents,
        extra=brand_kit(
            project.assets_dir / "brand",
            (account.platform for account in checked.config.accounts.values()),
            media.background(checked.config),
        ),
    )
    documents.save()
    build_stamp.record(project, stamp, len(checked.loaded.posts), checked.diagnostics)
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


def _sources(checked: Checked) -> dict[str, str]:
    """What each variant was rendered from, by variant key: the render memo's key for its post and
    account, under the memo's inputs digest (write.document_key); none where two files share a key."""
    rendered = next((kept for kept in checked.memos if kept.path.name == RENDER_MEMO.name), None)
    if rendered is None or rendered.inputs() != rendered.digest:  # a template saved during the build
        return {}
    digest = rendered.digest
    sources: dict[str, str] = {}
    shared: set[str] = set()
    for post in checked.loaded.posts:
        for account, key in zip(post.targets, checked.loaded.render_keys.get(post.source, ()), strict=False):
            variant_key = f"{post.id}.{post.lang}/{account}"
            if variant_key in sources:
                shared.add(variant_key)
            sources[variant_key] = f"{digest}\0{key}"
    return {key: source for key, source in sources.items() if key not in shared}


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
    """config → load → ledger → status; then every job that would go out is rendered and validated,
    and one with an error is `blocked` (publish, with `upcoming=False`, renders only the due ones).

    With `checked` (a check of the same files: the preview's), its variants and every problem it found
    (images too) are used instead of rendering again. The last build's memos (or a restored cache's)
    are read and never written, except plan's light copy of the render memo (cache.PLAN_MEMO): only
    posts changed since are parsed and rendered.
    """
    # config → load (the last build's posts memo read, never written)
    config, loaded, found = load(project, memo.posts_memo(project, is_loaded_file))
    found = apply_severity(config, found)
    if config is None:
        return Planned(None, (), (), found, None)
    # ledger
    try:
        recorded = Ledger(project.state_dir).read()
    except LedgerError as error:
        return Planned(config, loaded.posts, (), found, str(error))
    states = as_delivered(config, recorded)
    # status: of every job, and the jobs that went out under another key
    held = _renamed(project, config, loaded.posts, states, now, only)
    items = status.plan(loaded.posts, config, states, now, only=only)
    wanted = status.BLOCKABLE if upcoming else (PlanStatus.DUE, PlanStatus.PAUSED)
    pending = [item for item in items if item.status in wanted]
    # render and validate what would go out
    if checked is None:
        going = _render_due(project, config, loaded.posts, pending, loaded.render_keys)
    else:
        going = _checked_due(project, config, loaded.posts, pending, checked)
    # block the jobs with errors; say which were edited after publishing or only rehearsed
    everything = tuple(dict.fromkeys([*found, *(item.problem for item in held), *going.problems]))
    errors = blocking(pending, everything, going.unrendered, held, _account_errors(project, config, found))
    items = status.blocked(items, errors)
    items = _mark_edits(project, config, loaded.posts, items, states)
    items = _mark_rehearsed(items, recorded, states)
    due = {item.key for item in items if item.status == PlanStatus.DUE}
    return Planned(
        config,
        loaded.posts,
        tuple(items),
        everything,
        None,
        frozenset(item.key for item in held),
        {key: variant for key, variant in going.variants.items() if key in due},
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
    PlanStatus.DUE: "rehearsed in the outbox, now due through the API",
    PlanStatus.UPCOMING: "rehearsed in the outbox, to be sent through the API",
    PlanStatus.MISSED: "rehearsed in the outbox only: too late to send through the API",
    PlanStatus.EXPIRED: "rehearsed in the outbox only: expired before it was sent through the API",
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
        published_at = state.records[-1].time if state and item.status == PlanStatus.PUBLISHED else None
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
    """plan → render and validate only what is due → media → send through each account's publisher."""
    # config → load → ledger → status → render and validate what is due
    planned = plan(project, now, only=only, upcoming=False)
    config = planned.config
    if config is None or planned.ledger_error or config.paused:
        return Published(planned, (), (), ())
    # only the publishing branch sends; a dry run may look from anywhere
    refused = None if dry_run else branch.refusal(project.root, config.schedule.branch)
    if refused:
        return Published(planned, (), (), (), refused=refused)
    # a job with an error is `blocked`, never due: only due jobs, rendered and checked by plan, go out
    jobs = tuple(Job(planned.variants[item.key]) for item in planned.items if _chosen(item, only, account))
    if dry_run or not jobs:
        return Published(planned, jobs, (), ())
    # media: the images of what is due only, made (or found in the cache) now
    invalid: tuple[Diagnostic, ...] = ()
    if publisher_for is None:
        renditions, invalid = _due_renditions(project, config, [job.variant for job in jobs])
        jobs = tuple(job for job in jobs if not any(_concerns(item, job.variant) for item in invalid))
        publisher_for = publishers(project, config, renditions, project.root / MEDIA)
    # send (records carry the wall-clock time of the send, also under --at: plan compares it with file times)
    runner = Runner(Ledger(project.state_dir), publisher_for, **(runner_options or {}))
    outcomes = tuple(runner.run(jobs))
    return Published(planned, jobs, outcomes, invalid, runner.stopped)


def _chosen(item: PlanItem, only: str | None, account: str | None) -> bool:
    return (
        item.status == PlanStatus.DUE
        and (only is None or item.post_id == only)
        and account in (None, item.account)
    )


def _due_renditions(
    project: Project, config: Config, variants: list[Variant]
) -> tuple[dict[tuple[str, str], media.Rendition | None], tuple[Diagnostic, ...]]:
    """The renditions of due variants, and the errors of those that cannot be made: a post is not
    sent without its image."""
    from postwright import media

    (project.root / MEDIA).mkdir(parents=True, exist_ok=True)
    renditions, problems, _ = media.for_variants(project, config, variants, project.root / MEDIA)
    broken = tuple(item for item in apply_severity(config, problems) if item.severity >= Severity.ERROR)
    return renditions, broken


def _rendered(
    project: Project,
    config: Config,
    templates: render.Templates,
    chosen: tuple[Post, ...],
    due: list[PlanItem],
    known_keys: Mapping[str, tuple[str, ...]],
) -> render.Rendered:
    """The `chosen` posts rendered and checked for `due`. A few jobs are rendered now (sooner than a big
    brand's memo is read). Many (plan's thousands of upcoming jobs) come from plan's light memo: only the
    jobs that go out now need their whole variant, the others only their problems and what the rules
    over several variants read. On a miss, from the last build's render memo, which refreshes it."""
    if len(due) < render.RENDER_MEMO_FROM:
        return render.render_all(chosen, config, templates, check=validate.check_variant)
    now_due = [item for item in due if item.status == PlanStatus.DUE]
    going_out = {(item.post_id, item.lang) for item in now_due}
    jobs = [
        (post, account, key)
        for post in chosen
        for account, key in zip(
            post.targets, known_keys.get(post.source) or memo.render_keys(post), strict=True
        )
    ]
    render_chosen = partial(render.render_all, chosen, config, templates, check=validate.check_variant)
    if len(now_due) >= render.RENDER_MEMO_FROM:  # whole variants, many: the render memo's
        return render_chosen(memo=memo.render_memo(project, render.is_rendered_job), known_keys=known_keys)
    light = memo.plan_memo(project, render.is_rendered_job)
    entries = [None if (post.id, post.lang) in going_out else light.get(key) for post, _account, key in jobs]
    if any(
        entry is None and (post.id, post.lang) not in going_out
        for (post, _account, _key), entry in zip(jobs, entries, strict=True)
    ):
        whole = memo.render_memo(project, render.is_rendered_job)
        rendered = render_chosen(memo=whole, known_keys=known_keys)
        for _post, _account, key in jobs:
            if (entry := whole.get(key)) is not None:
                light.put(key, _lightened(entry))
        light.save()
        return rendered
    for index, (post, account, _key) in enumerate(jobs):
        if entries[index] is None:  # goes out now: rendered whole
            variant, problems = render.render(post, account, config, templates)
            checked = tuple(validate.check_variant(variant, config)) if variant is not None else ()
            entries[index] = render.RenderedJob(variant, tuple(problems), checked, None)
    return _gathered([entry for entry in entries if entry is not None])


def _lightened(entry: render.RenderedJob) -> render.RenderedJob:
    variant = entry.variant
    if variant is not None:
        variant = replace(variant, parts=variant.parts[:1], link=None, title="")
    return entry._replace(variant=variant, facts=None)


def _gathered(entries: list[render.RenderedJob]) -> render.Rendered:
    """render.render_all's answer from its entries, in order."""
    variants = tuple(entry.variant for entry in entries if entry.variant is not None)
    problems = tuple(item for entry in entries for item in entry.problems)
    checked = tuple(item for entry in entries if entry.variant is not None for item in entry.checked)
    return render.Rendered(variants, problems, checked, {})


@dataclass(frozen=True, slots=True)
class _Going:
    """What plan found about the jobs that would go out."""

    variants: dict[str, Variant]  # by job key
    unrendered: dict[str, list[Diagnostic]]  # the problems that kept a job from being rendered, by key
    problems: tuple[Diagnostic, ...]  # every problem found


def _render_due(
    project: Project,
    config: Config,
    posts: tuple[Post, ...],
    due: list[PlanItem],
    known_keys: Mapping[str, tuple[str, ...]],
) -> _Going:
    """The jobs in `due` rendered and checked. What the last build rendered is reused when there are
    many (a few due jobs are rendered sooner than a big brand's memo is read); many posts are rendered
    on every core. `known_keys` are the render memo's keys the posts memo kept (Loaded.render_keys)."""
    if not due:
        return _Going({}, {}, ())
    keys = {item.key for item in due}
    wanted = {(item.post_id, item.lang) for item in due}
    chosen = tuple(post for post in posts if (post.id, post.lang) in wanted)
    templates = render.load_templates(project)
    rendered = _rendered(project, config, templates, chosen, due, known_keys)
    variants = {variant.key: variant for variant in rendered.variants if variant.key in keys}
    where = {
        (variant.source, platform) for variant in variants.values() for platform in (variant.platform, None)
    }
    found = [
        *rendered.problems,
        *(item for item in rendered.checked if (item.span.path, item.platform) in where),
    ]
    unrendered: dict[str, list[Diagnostic]] = {}
    by_id = {(post.id, post.lang): post for post in chosen}
    for item in due:
        if item.key not in variants:  # a template error: rare, so rendered again for its own problems
            unrendered[item.key] = render.render(
                by_id[item.post_id, item.lang], item.account, config, templates
            )[1]
    found += validate.check_variants(variants.values(), config, each=False)
    return _Going(variants, unrendered, tuple(apply_severity(config, dict.fromkeys(found))))


def _checked_due(
    project: Project, config: Config, posts: tuple[Post, ...], due: list[PlanItem], checked: Checked
) -> _Going:
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
    return _Going(variants, unrendered, checked.diagnostics)


def _concerns(problem: Diagnostic, variant: Variant) -> bool:
    return problem.span.path == variant.source and problem.platform in (None, variant.platform)


def retract(
    project: Project,
    post_id: str,
    *,
    account: str | None = None,
    dry_run: bool = False,
    publisher_for: Callable[[str], Publisher] | None = None,
) -> tuple[list[str], list[Outcome]]:
    """Crisis control: delete a published post from its platforms; the ledger keeps it from returning."""
    # config
    config, _ = load_config(project)
    # ledger: that post's jobs that went out, or may have
    ledger = Ledger(project.state_dir)
    keys = _retractable(ledger.read(), post_id, account)
    if dry_run or not keys:
        return keys, []
    # delete through each account's publisher
    if publisher_for is None:
        if config is None:
            raise LedgerError("config.yml cannot be used, so the accounts' publishers are unknown")
        publisher_for = publishers(project, config, {}, project.root / MEDIA)
    return keys, Runner(ledger, publisher_for).retract(keys)


def _retractable(states: dict[str, JobState], post_id: str, account: str | None) -> list[str]:
    """The keys of the post's jobs (on `account`, or every one) not only failed for good, sorted."""
    return sorted(
        key
        for key, state in states.items()
        if state.records[0].post_id == post_id
        and account in (None, state.records[0].account)
        and any(record.status != RecordStatus.FAILED or not record.permanent for record in state.records)
    )
