"""`postwright new` and `postwright init`: correctly named, commented files that pass `check`.

Neither ever overwrites a file: every target is checked before anything is written.
"""

from __future__ import annotations

import io
import json
import re
import string
import subprocess
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from importlib.resources import files
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from slugify import slugify

from postwright.config import Config
from postwright.diagnostics import Span
from postwright.frontmatter import NEW_POST_BODY
from postwright.model import Post
from postwright.platforms import PLATFORMS
from postwright.project import Project
from postwright.schema import did_you_mean
from postwright.schema_export import schema_files
from postwright.slots import next_free_slot
from postwright.when import parse_when


class ScaffoldError(Exception):
    """A file would be overwritten, or the input cannot make a valid file."""


ACTION = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}@[0-9a-f]{40}")
"""OWNER/REPO@<full commit SHA>: a tag or branch can later point at other code, a commit cannot."""

_SELF_ACTION = re.compile(r"(?m)^(?P<indent> +)uses: \./(?: #.*)?$")
"""The line in postwright's own workflows that runs the action from the checkout (`uses: ./`)."""


def default_action() -> str:
    """The action `init` writes: postwright's repository at the commit a release was built from
    (the release workflow writes scaffold/action.txt), else at the commit action.txt names."""
    return (files("postwright") / "scaffold" / "action.txt").read_text("utf-8").strip()


def action_problem(action: str) -> str | None:
    """Why `action` cannot be the `uses:` of a brand's workflows, or None when it can."""
    if ACTION.fullmatch(action):
        return None
    repository, at, ref = action.partition("@")
    if not at or not ACTION.fullmatch(f"{repository}@{'0' * 40}"):
        return "expected OWNER/REPO@<full commit SHA>, e.g. acme/postwright@" + "0" * 40
    if re.fullmatch(r"[0-9a-fA-F]{7,39}", ref):
        return f"'{ref}' is a shortened commit SHA: use all 40 hex digits (git rev-parse {ref})"
    if re.fullmatch(r"[0-9a-fA-F]{40}", ref):
        return f"write the commit SHA in lower case: {ref.lower()}"
    return (
        f"'{ref}' is a tag or branch, which can be moved to other code: use the full commit SHA it "
        f"points to (git ls-remote https://github.com/{repository} {ref})"
    )


def workflow_text(name: str, action: str) -> str:
    """postwright's own workflow `name` as a brand's: the same file, but running `action` instead of
    the action in the checkout (tests/test_install.py keeps the two copies identical)."""
    text = (files("postwright") / "scaffold" / "github" / "workflows" / name).read_text("utf-8")
    return _SELF_ACTION.sub(lambda line: f"{line['indent']}uses: {action}", text)


def _publish_workflow(action: str, config_text: str, timezone: str, today: date) -> str:
    """publish.yml for a new brand: its schedule runs at the scaffold config's slots in `timezone`."""
    from postwright.workflow import daily_schedule, replace_schedule

    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ScaffoldError(
            f"unknown time zone {timezone!r}: use an IANA name such as Europe/Madrid"
        ) from error
    schedule = yaml.safe_load(config_text)["schedule"]
    times = [time.fromisoformat(text) for text in [*schedule["slots"], schedule["default_time"]]]
    lines = daily_schedule(zone, times, today.year)
    return replace_schedule(workflow_text("publish.yml", action), lines, timezone)


class NewPostError(ScaffoldError):
    """`new`'s options cannot make a post; `option` names the one to change (None: the command line)."""

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


def new_post(
    project: Project,
    config: Config,
    posts: Sequence[Post],
    *,
    title: str | None,
    when_text: str | None,
    platforms: Sequence[str] | None,
    lang: str | None,
    variant_of: str | None,
    draft: bool,
    now: datetime,
) -> tuple[Path, str]:
    """Where `new` writes a post and its text: at `when_text`, else the next free slot; or, with
    `variant_of`, that post's `lang` variant beside it (same id and date)."""
    original = None if variant_of is None else _original(config, posts, variant_of, lang, when_text)
    if title is None and original is None:
        raise NewPostError("give the post's TITLE (or --variant-of POST-ID for a language variant)")
    if original is not None:
        when = original.publish_at.astimezone(config.zone)
        title = title or original.title
        language = lang or config.brand.language
        platforms = platforms or [name for name in original.platforms if config.accounts_for(name, language)]
        if not platforms:
            raise NewPostError(
                f"no account in config.yml takes '{language}' posts on {', '.join(original.platforms)}",
                "--lang",
            )
    elif when_text is None:
        when = next_free_slot(config, (post.publish_at for post in posts), now)
    else:
        when, problems = parse_when(config, when_text, Span("--date"))
        if when is None:
            raise NewPostError(problems[0].message + f" ({problems[0].hint})", "--date")
    if lang is not None and lang == config.brand.language:
        lang = None
    path = (
        post_path(project, title, when.date(), lang)
        if original is None
        else variant_path(original, project, lang)
    )
    text = post_text(
        title or "", when, platforms, draft=draft, lang=lang, zone=config.brand.timezone, variant_of=original
    )
    return path, text


def _original(
    config: Config, posts: Sequence[Post], post_id: str, lang: str | None, when_text: str | None
) -> Post:
    """The post --variant-of names: its variant in the brand's language, else its first."""
    if lang is None:
        raise NewPostError("--variant-of needs --lang: the language of the new variant")
    if when_text is not None:
        raise NewPostError("a language variant keeps its post's date: leave out --date")
    found = [post for post in posts if post.id == post_id]
    if not found:
        ids = sorted({post.id for post in posts})
        raise NewPostError(f"no post has the id '{post_id}'{did_you_mean(post_id, ids)}", "--variant-of")
    if any(post.lang == lang for post in found):
        taken = next(post.source for post in found if post.lang == lang)
        raise NewPostError(f"{post_id} has a '{lang}' variant already: {taken}", "--lang")
    return min(found, key=lambda post: post.lang != config.brand.language)


def post_path(project: Project, title: str, when: date, lang: str | None) -> Path:
    """content/posts/YYYY/YYYY-MM-DD-slug[.lang].md"""
    slug = slugify(title, max_length=60, word_boundary=True) or "post"
    suffix = f".{lang}" if lang else ""
    return project.content_dir / "posts" / f"{when:%Y}" / f"{when:%Y-%m-%d}-{slug}{suffix}.md"


def variant_path(original: Post, project: Project, lang: str | None) -> Path:
    """Beside the original, under its name with .LANG: the name gives the variant the same post id."""
    source = project.root / original.source
    return source.with_name(source.name.split(".")[0] + (f".{lang}" if lang else "") + ".md")


def post_text(
    title: str,
    when: datetime,
    platforms: Sequence[str] | None,
    *,
    draft: bool,
    lang: str | None,
    zone: str,
    body: str = "",
    variant_of: Post | None = None,
    images: Sequence[tuple[str, str]] = (),
) -> str:
    """Front matter with a comment on every key, then a body; `images` as (src, alt) pairs."""
    quoted_title = (
        yaml.safe_dump(title, allow_unicode=True, default_style=None).removesuffix("\n...\n").strip()
    )
    lines = ["---", f"title: {quoted_title}"]
    if variant_of is not None:
        lines.append(f"# The {lang or 'main'} variant of {variant_of.source}: same id and date.")
        if Path(variant_of.source).name.split(".")[0] != variant_of.id:  # its id is not its file name's
            lines.append(f"id: {variant_of.id}")
    lines += [
        f"# When to publish, in {zone} time (or add an offset such as +01:00).",
        f"date: {when:%Y-%m-%d %H:%M}",
    ]
    if lang:
        lines.append(f"lang: {lang}")
    if platforms:
        lines += [
            "# Where to post; brand.platforms in config.yml when absent.",
            f"platforms: [{', '.join(platforms)}]",
        ]
    else:
        lines.append("# platforms: [x, bluesky, mastodon]   # default: brand.platforms in config.yml")
    lines += [
        "# tags: [OpenSource]                   # hashtags, without #",
        "# link: https://example.com/page       # UTM-tagged per platform",
    ]
    if images:
        lines += ["images:  # relative to assets/; alt: what the image shows, for people who cannot see it"]
        for src, alt in images:
            lines += [f"  - src: {src}", f"    alt: {json.dumps(alt, ensure_ascii=False)}"]
    else:
        lines += [
            "# images:",
            "#   - src: photo.jpg                   # relative to assets/",
            "#     alt: What the image shows, for people who cannot see it",
            "#     focus: [0.5, 0.3]                # point that crops keep in view",
        ]
    lines += [
        "# overrides:",
        "#   x: {body: A shorter text for X}",
        "# In the body, mention people as @[name], with names from people: in config.yml.",
        "# Drafts are checked and previewed but never published: set false when the post is ready.",
        f"draft: {'true' if draft else 'false'}",
        "---",
        body or NEW_POST_BODY,
        "",
    ]
    return "\n".join(lines)


def write_new(path: Path, text: str | bytes) -> None:
    """Create `path` with `text` (or bytes), refusing to replace anything that exists."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        if isinstance(text, bytes):
            with path.open("xb") as binary:
                binary.write(text)
            return
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError as error:
        raise ScaffoldError(f"{path} already exists; not overwriting it") from error


def init_brand(
    target: Path,
    *,
    name: str,
    timezone: str,
    language: str,
    platforms: Sequence[str],
    today: date,
    action: str | None = None,
) -> list[Path]:
    """Write a new brand repository into `target`, its workflows running postwright's action at
    `action` (default: `default_action()`); returns the files written."""
    action = default_action() if action is None else action
    if problem := action_problem(action):
        raise ScaffoldError(f"action {action!r}: {problem}")
    unknown = [platform for platform in platforms if platform not in PLATFORMS]
    if unknown:
        raise ScaffoldError(f"unknown platform(s): {', '.join(unknown)}; known: {', '.join(PLATFORMS)}")
    scaffold = files("postwright") / "scaffold"
    accounts = "".join(
        f"  {platform}_main:\n    platform: {platform}\n    deliver: outbox\n" for platform in platforms
    )
    config_text = string.Template(scaffold.joinpath("config.yml").read_text("utf-8")).substitute(
        name=json.dumps(name, ensure_ascii=False),
        timezone=timezone,
        language=language,
        platforms=", ".join(_default_platforms(platforms)),
        accounts=accounts,
    )
    first = today + timedelta(days=7)
    # Instagram and Pinterest take no post without an image: when only they are chosen, the sample post
    # gets one, or the new repository would fail its first check (PW410)
    needs_image = bool(platforms) and all(PLATFORMS[platform].limits.requires_media for platform in platforms)
    sample_images = [(_SAMPLE_IMAGE, f"A placeholder image for {name}'s first post")] if needs_image else []
    planned: dict[Path, str | bytes] = {
        target / "config.yml": config_text,
        target / ".gitignore": scaffold.joinpath("gitignore").read_text("utf-8"),
        target / "templates" / "base.j2": scaffold.joinpath("templates", "base.j2").read_text("utf-8"),
        target / "assets" / ".gitkeep": "",
        **({target / "assets" / _SAMPLE_IMAGE: _placeholder_jpeg()} if needs_image else {}),
        # the same files as this repository's .github/ (tests/test_install.py keeps them equal), the
        # workflows with `uses: action` for `uses: ./`
        target / ".github" / "workflows" / "publish.yml": _publish_workflow(
            action, config_text, timezone, today
        ),
        target / ".github" / "scripts" / "publish.sh": scaffold.joinpath(
            "github", "scripts", "publish.sh"
        ).read_text("utf-8"),
        target / ".github" / "workflows" / "check.yml": workflow_text("check.yml", action),
        **{target / ".postwright" / name: text for name, text in schema_files().items()},
        post_path(Project(target), f"Hello from {name}", first, None): post_text(
            f"Hello from {name}",
            datetime(first.year, first.month, first.day, 9, 0),
            None,
            draft=True,
            lang=None,
            zone=timezone,
            body=f"Hello! This is the first post of {name}, written with postwright.",
            images=sample_images,
        ),
    }
    existing = [path for path in planned if path.exists()]
    if existing:
        raise ScaffoldError(f"{existing[0]} already exists; `init` never overwrites files")
    for path, text in planned.items():
        write_new(path, text)
    (target / ".github" / "scripts" / "publish.sh").chmod(0o755)
    return list(planned)


_SAMPLE_IMAGE = "hello.jpg"


def _placeholder_jpeg() -> bytes:
    """A plain 1080×1350 (4:5) JPEG, a shape Instagram and Pinterest both take; the same bytes each time."""
    from PIL import Image  # only init needs it here

    buffer = io.BytesIO()
    Image.new("RGB", (1080, 1350), (222, 229, 236)).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _default_platforms(platforms: Sequence[str]) -> list[str]:
    """brand.platforms: the chosen platforms but those where every post needs an image (Instagram,
    Pinterest), so a post without one (the sample post too) passes check; a post with images names them."""
    texts = [name for name in platforms if not PLATFORMS[name].limits.requires_media]
    return texts or list(platforms)


def make_repository(target: Path) -> str:
    """`git init` in `target` unless it is inside a git work tree already (a brand repository is
    published from git); what was done, for the user, or '' when nothing was."""
    try:
        inside = subprocess.run(
            ["git", "-C", str(target), "rev-parse", "--is-inside-work-tree"], capture_output=True, text=True
        )
        if inside.returncode == 0 and inside.stdout.strip() == "true":
            return ""
        subprocess.run(  # main: the branch GitHub publishes from by default
            ["git", "init", "--quiet", "--initial-branch=main", str(target)],
            check=True,
            capture_output=True,
            text=True,
        )
    except OSError:
        return "git was not found: run `git init` in the folder yourself (publishing works from git)"
    except subprocess.CalledProcessError as error:
        return f"git init failed ({error.stderr.strip() or error.returncode}): run it in the folder yourself"
    return f"made {target} a git repository (git init)"
