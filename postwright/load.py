"""Stage 1: content/**/*.md → Post, with every problem reported at its line.

A post is `YYYY-MM-DD[-HHMM]-slug[.lang].md` (or any name with `date:` in its front matter):
YAML front matter between `---` lines, then the Markdown body. Every problem of a file is reported in one
pass; a file with problems stays a post (never sent: its jobs are `blocked`) wherever its id and date can
be known, so that it is still checked, previewed and on the calendar. The rest are reported and skipped.

Loading reads and resolves; what a post's content is judged by lives elsewhere and is called from here,
in the order its diagnostics are reported: the front matter's schema (frontmatter.py), dates in the
brand's time zone (when.py), and the content rules (validate.py).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from postwright import validate, workers
from postwright.cache.memo import Memo, is_problems, render_keys
from postwright.config import Config
from postwright.diagnostics import Diagnostic, Span, diag
from postwright.files import read_text
from postwright.frontmatter import FrontMatter, ImageRef, without_invalid_keys
from postwright.model import MediaRef, Post
from postwright.project import Project
from postwright.schema import did_you_mean, validate_model
from postwright.when import NameWhen, is_next, name_date_text, publish_time, read_date
from postwright.yamlpos import Document, KeyPath, load_yaml


@dataclass(frozen=True, slots=True)
class Loaded:
    posts: tuple[Post, ...]
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[str, ...] = field(default=())  # every post file looked at, repo-relative
    render_keys: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # memo.render_keys by source


_NAME = re.compile(
    r"^(?:(?P<date>\d{4}-\d{2}-\d{2})(?:-(?P<time>\d{4}))?-)?(?P<slug>[^.]+)(?:\.(?P<lang>[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*))?$"
)
_SLUG = re.compile(r"[\w-]+\Z")  # \Z: a name ending in a newline is not a slug


def _relative(project: Project, path: Path) -> str:
    """project.shown for files found under content/ (no symlink resolution per file: thousands of posts;
    a string prefix, not Path.relative_to, which costs more than reading the file's memo entry)."""
    text, root = str(path), str(project.root)
    if text.startswith(root) and text[len(root) : len(root) + 1] == os.sep:
        return text[len(root) + 1 :].replace(os.sep, "/")
    return project.shown(path)


def post_files(project: Project) -> list[Path]:
    """Every post file, sorted; names starting with . or _ are skipped (drafts folders, partials).
    Like rglob("*.md"), symlinked folders are not entered; symlinked files are posts. Listed with
    scandir, whose entries know their type: no stat per file."""
    if not project.content_dir.is_dir():
        return []
    found: list[tuple[tuple[str, ...], str]] = []

    def visit(folder: str, parts: tuple[str, ...]) -> None:
        try:
            with os.scandir(folder) as listing:
                entries = list(listing)
        except OSError:  # unreadable: skipped, as os.walk skips it
            return
        for entry in entries:
            name = entry.name
            if name.startswith((".", "_")):
                continue
            if entry.is_dir(follow_symlinks=False):
                visit(entry.path, (*parts, name))
            elif name.endswith(".md") and entry.is_file():
                found.append(((*parts, name), entry.path))

    visit(str(project.content_dir), ())
    return [Path(path) for _parts, path in sorted(found)]  # in Path order, as sorted(paths) gives it


def load_posts(project: Project, config: Config | None, memo: Memo[LoadedFile] | None = None) -> Loaded:
    """Load every post; without a valid config only the files' own syntax and schema are checked.

    With a `memo` (valid for this config.yml, the names under assets/ and this code), a file whose path,
    size and modification time are unchanged is not read again.
    """
    found: list[Diagnostic] = []
    files = post_files(project)
    if config is None:
        for path in files:
            found += _parse_file(project, path)[1]
        return Loaded((), tuple(found), tuple(_relative(project, path) for path in files))
    keys = [_memo_key(project, path) if memo is not None else str(path) for path in files]
    known = {key: entry for key in keys if memo is not None and (entry := memo.get(key)) is not None}
    missing = [(path, key) for path, key in zip(files, keys, strict=True) if key not in known]
    if len(missing) >= workers.PARALLEL_FROM:  # many files: parsed and resolved in worker processes
        for key, entry in workers.map_slices(
            lambda start, stop: _read(project, config, missing[start:stop]), len(missing)
        ):
            known[key] = entry
            if memo is not None:
                memo.put(key, entry)
    read: list[tuple[Path, str, LoadedFile]] = []  # the files that parsed, now or in an earlier build
    fresh: dict[str, _Parsed] = {}  # by memo key: parsed now
    for path, key in zip(files, keys, strict=True):
        remembered = known.get(key)
        if remembered is None:
            item, diagnostics = _parse_file(project, path)
            remembered = LoadedFile(item.id, _date_text(item), tuple(diagnostics)) if item else None
            if item is not None:
                fresh[key] = item
            elif memo is not None:
                memo.put(key, LoadedFile(None, None, tuple(diagnostics)))
            found += diagnostics
        else:
            found += remembered.parse_problems
        if remembered is not None and remembered.id is not None:
            read.append((path, key, remembered))
    dates: dict[str, str] = {}  # post id -> a dated sibling's date text, for variants without one
    for _path, _key, remembered in read:
        if remembered.date:
            dates.setdefault(str(remembered.id), remembered.date)
    posts: list[Post] = []
    keys_by_source: dict[str, tuple[str, ...]] = {}
    for path, key, remembered in read:
        inherited = dates.get(str(remembered.id))
        if key in fresh or remembered.inherited != inherited:  # new, edited, or a sibling's date moved
            item = fresh.get(key) or _parse_file(project, path)[0]
            assert item is not None, "it parsed before, unchanged"
            post, diagnostics = _resolve(project, config, item, dates)
            remembered = remembered._replace(
                inherited=inherited, post=post, problems=tuple(diagnostics), render_keys=_keys(post)
            )
            if memo is not None:
                memo.put(key, remembered)
        found += remembered.problems
        if remembered.post is not None:
            posts.append(remembered.post)
            keys_by_source[remembered.post.source] = remembered.render_keys
    found += validate.duplicate_ids(posts)
    return Loaded(
        tuple(posts), tuple(found), tuple(_relative(project, path) for path in files), keys_by_source
    )


def _read(project: Project, config: Config, files: list[tuple[Path, str]]) -> list[tuple[str, LoadedFile]]:
    """Parse and resolve `files` (path, memo key) in a worker, with the sibling dates these files give;
    load_posts resolves again any post whose sibling's date came from another worker's files."""
    entries: list[tuple[str, LoadedFile]] = []
    parsed: list[tuple[str, _Parsed, tuple[Diagnostic, ...]]] = []
    for path, key in files:
        item, diagnostics = _parse_file(project, path)
        if item is None:
            entries.append((key, LoadedFile(None, None, tuple(diagnostics))))
        else:
            parsed.append((key, item, tuple(diagnostics)))
    dates: dict[str, str] = {}
    for _key, item, _problems in parsed:
        if text := _date_text(item):
            dates.setdefault(item.id, text)
    for key, item, problems in parsed:
        post, diagnostics = _resolve(project, config, item, dates)
        inherited = dates.get(item.id)
        entries.append(
            (
                key,
                LoadedFile(
                    item.id, _date_text(item), problems, inherited, post, tuple(diagnostics), _keys(post)
                ),
            )
        )
    return entries


class LoadedFile(NamedTuple):
    """What loading one post file gave, for the load memo: its id and own date (for siblings), the
    problems of parsing it, the sibling date it was resolved with, and the post and problems resolving
    gave, and the post's render memo keys (hashing its repr costs more than reading them back). `id` is
    None for a file that did not parse."""

    id: str | None
    date: str | None
    parse_problems: tuple[Diagnostic, ...]
    inherited: str | None = None
    post: Post | None = None
    problems: tuple[Diagnostic, ...] = ()
    render_keys: tuple[str, ...] = ()


def _keys(post: Post | None) -> tuple[str, ...]:
    return tuple(render_keys(post)) if post is not None else ()


def is_loaded_file(entry: object) -> bool:
    """The shape of a posts memo entry (a file that reads back may hold anything allowed)."""
    return (
        isinstance(entry, LoadedFile)
        and (entry.post is None or isinstance(entry.post, Post))
        and is_problems(entry.parse_problems)
        and is_problems(entry.problems)
        and isinstance(entry.render_keys, tuple)
        and all(isinstance(key, str) for key in entry.render_keys)
        and (entry.post is None or len(entry.render_keys) == len(entry.post.targets))
    )


def _memo_key(project: Project, path: Path) -> str:
    """Path and content hash: a fresh checkout with a restored .postwright-cache/ (CI) finds every
    unchanged post, though its files' times and inodes are new; any edit misses, whatever its stat."""
    try:
        content = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:  # gone since it was listed: reading it reports why
        return f"{_relative(project, path)}\0unreadable {error.errno}"
    return f"{_relative(project, path)}\0{content}"


def _date_text(item: _Parsed) -> str | None:
    return item.front.date or name_date_text(item.name_when)


@dataclass(frozen=True, slots=True)
class _Parsed:
    """A post file that parsed and matched the schema, before config-dependent resolution."""

    id: str
    source: str
    name_lang: str | None
    name_when: NameWhen | None  # date and HHMM from the file name
    front: FrontMatter
    document: Document
    body: str
    body_line: int


def _parse_file(project: Project, path: Path) -> tuple[_Parsed | None, list[Diagnostic]]:
    shown = _relative(project, path)
    name = _NAME.match(path.name[: -len(".md")])
    if not name or not _SLUG.match(name["slug"]) or re.fullmatch(r"\d{4}-\d{2}-\d{2}(-\d{4})?", name["slug"]):
        return None, [
            diag(
                "PW209",
                Span(shown),
                f"'{path.name}' is not a valid post file name",
                hint="name posts like 2026-12-01-launch.md: the date, then a slug of letters, digits, - and _"
                " (optionally -0930 for the time before the slug, and .es for the language)",
            )
        ]
    name_when = None
    if name["date"]:
        try:
            day = date.fromisoformat(name["date"])
        except ValueError:
            return None, [
                diag(
                    "PW201",
                    Span(shown),
                    f"file name date {name['date']} is not a real date",
                    hint="rename the file: YYYY-MM-DD-slug.md with a real month and day",
                )
            ]
        if name["time"] and not (name["time"][:2] < "24" and name["time"][2:] < "60"):
            return None, [
                diag(
                    "PW201",
                    Span(shown),
                    f"file name time {name['time']} is not a time of day",
                    hint="rename the file: YYYY-MM-DD-HHMM-slug.md with a 24-hour time, e.g. 0930",
                )
            ]
        name_when = (day, name["time"])
    text, found = read_text(path, shown)
    if text is None:
        return None, found
    split = _split_front_matter(text, shown)
    if isinstance(split, Diagnostic):
        return None, [*found, split]
    front_text, body, body_line = split
    document, syntax = load_yaml(front_text, shown, line_offset=1)
    found += syntax
    if document is None:
        return None, found
    if not isinstance(document.data, dict):
        return None, [
            *found,
            diag("PW013", Span(shown, 2), "front matter must be a mapping of keys to values"),
        ]
    front, invalid = validate_model(FrontMatter, document)
    found += invalid
    if front is None and not syntax:
        front = without_invalid_keys(document.data)
    if front is None or syntax:
        return None, found
    post_id = path.name[: -len(".md")]
    if name["lang"]:
        post_id = post_id[: -len(name["lang"]) - 1]
    post_id = front.id or post_id
    return _Parsed(post_id, shown, name["lang"], name_when, front, document, body, body_line), found


def _split_front_matter(text: str, shown: str) -> tuple[str, str, int] | Diagnostic:
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return diag(
            "PW020",
            Span(shown),
            "post has no front matter",
            hint="start the file with a line '---', the YAML front matter, then another '---'",
        )
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "\n".join(lines[1:index]), "\n".join(lines[index + 1 :]).strip("\n"), index + 2
    return diag(
        "PW021",
        Span(shown),
        "front matter opened on line 1 is never closed",
        hint="add a line '---' after the front matter, before the body",
    )


def _resolve(
    project: Project, config: Config, item: _Parsed, dates: dict[str, str]
) -> tuple[Post | None, list[Diagnostic]]:
    """Apply config: language, dates in the brand's zone, targets, and cross-checks."""
    front, doc, shown = item.front, item.document, item.source
    found: list[Diagnostic] = []
    lang = item.name_lang or front.lang or config.brand.language
    if item.name_lang and front.lang and front.lang != item.name_lang:
        found.append(
            diag(
                "PW209",
                doc.span(("lang",)),
                f"lang: {front.lang} disagrees with the file name's language '.{item.name_lang}'",
                hint="rename the file or fix lang:",
            )
        )
    publish_at = publish_time(config, front.date, item.name_when, dates.get(item.id), doc, shown, found)
    expires = (
        read_date(config, front.expires, doc, ("expires",), found, end_of_day=True) if front.expires else None
    )
    found += validate.expires_before_publish(front, doc, publish_at, expires)
    platforms, targets = _targets(config, front, doc, lang, found)
    moved = {
        key: read_date(config, override.date, doc, ("overrides", key, "date"), found)
        for key, override in front.overrides.items()
        if override.date is not None
    }
    by_account = _account_times(config, targets, publish_at, moved)
    found += validate.check_overrides(config, front, doc, platforms, targets)
    found += validate.check_replies(config, front, doc, targets)
    found += validate.overrides_after_expiry(front, doc, moved, expires)
    media = _media(project, front.images, doc, ("images",), found)
    for key, override in front.overrides.items():
        if override.images is not None:
            _media(project, override.images, doc, ("overrides", key, "images"), found)
    found += validate.check_bodies(config, front, doc, item.body, item.body_line, shown, platforms)
    if publish_at is None:  # a post with other errors stays a post: plan shows it blocked, never sends it
        return None, found
    return (
        Post(
            id=item.id,
            source=shown,
            lang=lang,
            publish_at=publish_at,
            publish_at_by_account=MappingProxyType(by_account),
            expires=expires,
            platforms=platforms,
            targets=targets,
            title=front.title or item.id,
            body=item.body,
            body_line=item.body_line,
            tags=tuple(front.tags),
            link=front.link,
            media=media,
            thread=front.thread,
            draft=front.draft,
            overrides=MappingProxyType(
                {
                    key: MappingProxyType(value.model_dump(exclude_none=True))
                    for key, value in front.overrides.items()
                }
            ),
            spans=doc.spans,
            campaign=front.campaign,
            cost=front.cost,
            in_reply_to=front.in_reply_to,
        ),
        found,
    )


def _targets(
    config: Config, front: FrontMatter, doc: Document, lang: str, found: list[Diagnostic]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    for key in ("platforms", "accounts"):
        if getattr(front, key) == []:
            found.append(
                diag(
                    "PW031",
                    doc.span((key,), key=True),
                    f"{key}: is empty, so the post goes nowhere",
                    hint=f"name at least one, or remove {key}: for the brand's platforms "
                    "(draft: true keeps a post from being sent)",
                )
            )
    if front.accounts is not None and front.platforms is not None:
        found.append(
            diag(
                "PW031",
                doc.span(("accounts",), key=True),
                "give either platforms: or accounts:, not both",
                hint="accounts: already decides the platforms",
            )
        )
    if front.accounts is not None:
        accounts = []
        for index, name in enumerate(front.accounts):
            if name not in config.accounts:
                found.append(
                    diag(
                        "PW206",
                        doc.span(("accounts", index)),
                        f"unknown account '{name}'{did_you_mean(name, config.accounts)}",
                        hint="accounts are defined under accounts: in config.yml",
                    )
                )
                continue
            if name in accounts:
                found.append(_listed_twice("accounts", name, doc.span(("accounts", index))))
                continue
            accounts.append(name)
            language = config.accounts[name].language
            if language not in (None, lang):
                found.append(
                    diag(
                        "PW213",
                        doc.span(("accounts", index)),
                        f"account '{name}' posts in '{language}' but this post is in '{lang}'",
                        hint="pick an account for this language, or write a language variant",
                    )
                )
        platforms = dict.fromkeys(config.accounts[name].platform for name in accounts)
        return tuple(platforms), tuple(accounts)
    if front.platforms is None:  # defaults: only the platforms with an account in this language
        platforms = [name for name in config.brand.platforms if config.accounts_for(name, lang)]
        if not platforms:
            found.append(
                diag(
                    "PW207",
                    doc.span(()),
                    f"no account on the default platforms ({', '.join(config.brand.platforms)}) "
                    f"takes posts in language '{lang}'",
                    hint="add platforms: to the post, or an account for this language in config.yml",
                )
            )
        return tuple(platforms), tuple(a for name in platforms for a in config.accounts_for(name, lang))
    platforms = front.platforms
    targets: list[str] = []
    for index, platform in enumerate(platforms):
        if platform in platforms[:index]:
            found.append(_listed_twice("platforms", platform, doc.span(("platforms", index))))
            continue
        matching = config.accounts_for(platform, lang)
        if not matching:
            found.append(
                diag(
                    "PW207",
                    doc.span(("platforms", index)),
                    f"no account in config.yml posts to {platform} in language '{lang}'",
                    platform=platform,
                    hint=f"add an account with platform: {platform} (and language: {lang} or none), "
                    "or remove the platform",
                )
            )
        targets += matching
    return tuple(dict.fromkeys(platforms)), tuple(targets)


def _listed_twice(key: str, name: str, span: Span) -> Diagnostic:
    """A target listed twice is an error, never a second send: each account gets a post once."""
    return diag(
        "PW031",
        span,
        f"{name} is listed twice in {key}:",
        hint=f"remove the second {name}; each account gets the post once",
    )


def _account_times(
    config: Config, targets: tuple[str, ...], publish_at: datetime | None, moved: dict[str, datetime | None]
) -> dict[str, datetime]:
    """Per-account publish times: an account override beats a platform override beats date:."""
    if publish_at is None:
        return {}
    times = {}
    for account in targets:
        keys = (account, config.accounts[account].platform)
        times[account] = next((moved[key] for key in keys if moved.get(key)), publish_at)
    return dict(sorted(times.items()))


def _media(
    project: Project, images: Sequence[ImageRef], doc: Document, loc: KeyPath, found: list[Diagnostic]
) -> tuple[MediaRef, ...]:
    """The images that can be used; the others are reported (validate.image_problem) and left out."""
    if not images:  # most posts: no need to resolve assets/ (a system call per folder level)
        return ()
    assets = project.assets_dir.resolve()
    refs: list[MediaRef] = []
    for index, image in enumerate(images):
        span = doc.span((*loc, index, "src"))
        problem = validate.image_problem(project, assets, image, index + 1, span)
        if problem is not None:
            found.append(problem)
            continue
        refs.append(MediaRef(image.src, image.alt, image.focus, span))
    return tuple(refs)


@dataclass(frozen=True, slots=True)
class Waiting:
    """A post with `date: next`: where its date line is and which accounts it goes to."""

    path: Path
    date_line: int  # 1-based line in the file
    targets: tuple[str, ...]
    post_id: str  # seeds schedule.explore's choice


def waiting_posts(project: Project, config: Config) -> list[Waiting]:
    """Posts marked `date: next`, in file order, with the accounts they would go to."""
    waiting = []
    for path in post_files(project):
        item, _ = _parse_file(project, path)
        if item is None or not is_next(item.front.date):
            continue
        lang = item.name_lang or item.front.lang or config.brand.language
        _, targets = _targets(config, item.front, item.document, lang, [])
        waiting.append(Waiting(path, item.document.span(("date",)).line, targets, item.id))
    return waiting
