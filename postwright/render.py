"""Stage 2: Post × account → Variant, through the platform's dialect and the brand's templates.

Order: pick the fields (post, then platform override, then account override) → Markdown to the
platform's dialect → @[person] mentions and #tags in the platform's syntax → the Jinja template
(templates/<platform>.j2, else base.j2) → thread parts.
"""

from __future__ import annotations

import functools
import html
import inspect
import re
import traceback
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, quote_plus, urlsplit, urlunsplit

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from postwright import workers
from postwright.cache.memo import Memo, is_problems, render_keys
from postwright.config import Config, limits_for
from postwright.diagnostics import Diagnostic, Span, diag
from postwright.dialects import escape_text, little_text, to_dialect
from postwright.model import MediaRef, Post, Variant
from postwright.platforms import PLATFORMS
from postwright.platforms.base import Limits, Platform
from postwright.project import Project
from postwright.split import Budget, PieceCounts, split_to_fit
from postwright.syntax import HASHTAG, MENTION, THREAD_BREAK, mentioned
from postwright.text import telegram_markup_spans

_FALLBACK_TEMPLATE = "{{ body }}"


@dataclass(frozen=True, slots=True)
class Templates:
    """The brand's Jinja environments: plain text, and HTML-escaping for HTML dialects."""

    text: jinja2.Environment
    html: jinja2.Environment
    folder: Path
    names: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    compiled: dict[tuple[bool, str | None], jinja2.Template] = field(
        default_factory=dict, compare=False, repr=False
    )

    def for_platform(self, platform: Platform) -> jinja2.Environment:
        return self.html if platform.dialect == "telegram_html" else self.text

    def name_for(self, platform: str) -> str | None:
        """templates/<platform>.j2, else base.j2, else None; looked up once per platform."""
        if platform not in self.names:
            candidates = (f"{platform}.j2", "base.j2")
            self.names[platform] = next((n for n in candidates if (self.folder / n).is_file()), None)
        return self.names[platform]

    def template(self, environment: jinja2.Environment, name: str | None) -> jinja2.Template:
        """The compiled template `name` (None: the body alone), kept once it compiled: Jinja's own cache
        is asked with a lock and a key per render, and a template that fails to compile raises each time."""
        key = (environment is self.html, name)
        known = self.compiled.get(key)
        if known is None:
            known = environment.get_template(name) if name else environment.from_string(_FALLBACK_TEMPLATE)
            self.compiled[key] = known
        return known


def load_templates(project: Project) -> Templates:
    """Environments over templates/ with StrictUndefined: a typo in a template is an error, not a blank.

    Templates run in Jinja's sandbox: a template (changed in any pull request) must not reach Python
    internals, and through them the process environment and its publishing tokens.
    """

    def make(autoescape: bool) -> jinja2.Environment:
        environment = _BoundedSandbox(
            loader=_TemplatesFolder(project.templates_dir, project.root),
            undefined=jinja2.StrictUndefined,
            autoescape=autoescape,
            keep_trailing_newline=False,
            auto_reload=False,  # one Templates per build or check: no need to stat every file per render
        )
        environment.filters.update(hashtags=_hashtags_filter, hashtag=_hashtag_filter, utm=_utm_filter)
        environment.filters.update(_sync_filters(environment.filters))
        return environment

    return Templates(make(False), make(True), project.templates_dir)


_LONGEST_REPEAT = 100_000  # characters or items a template may make with *: far above any post
_LARGEST_EXPONENT = 1_000  # 10 ** 1000 still prints at once; 9 ** 9 ** 9 would run for hours


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The sandbox, with `*` and `**` bounded: a template in a pull request cannot make the check run out
    of memory or time with a gigabyte string or a number of millions of digits."""

    intercepted_binops = frozenset({"*", "**"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.safe_attributes: dict[tuple[type, str, type], bool] = {}

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """The sandbox's answer, remembered: it depends on the kinds of object and value and the name only
        (what Jinja's is_internal_attribute and modifies_known_mutable look at), and templates ask it for
        every `brand.x` of every render."""
        key = (type(obj), attr, type(value))
        safe = self.safe_attributes.get(key)
        if safe is None:
            safe = super().is_safe_attribute(obj, attr, value)
            if len(self.safe_attributes) < _MOST_REMEMBERED:
                self.safe_attributes[key] = safe
        return safe

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        """A template's globals as one plain dict rather than Jinja's ChainMap over the environment's:
        each render copies them, and a dict copies ~5× faster. The environment's globals never change
        after load_templates, so nothing is missed."""
        return {**self.globals, **(d or {})}

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int) and abs(right) > _LARGEST_EXPONENT:
            raise SecurityError(f"the exponent {right} is larger than templates may use")
        for sequence, times in ((left, right), (right, left)) if operator == "*" else ():
            repeats = isinstance(sequence, (str, list, tuple)) and isinstance(times, int)
            if repeats and len(sequence) * times > _LONGEST_REPEAT:
                raise SecurityError(f"* would make {len(sequence) * times:,} characters or items")
        return super().call_binop(context, operator, left, right)


_MOST_REMEMBERED = 10_000  # attribute answers: templates name few; item lookups by data could name many


def _sync_filters(filters: Mapping[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Jinja's filters that have an async variant (list, unique, join, …) as their plain sync function:
    our environments are never async, and the wrapper that chooses costs a call and a check each time."""
    return {
        name: function.__wrapped__
        for name, function in filters.items()
        if getattr(function, "jinja_async_variant", False)
        and callable(getattr(function, "__wrapped__", None))
        and not inspect.iscoroutinefunction(function.__wrapped__)
    }


class _TemplatesFolder(jinja2.FileSystemLoader):
    """templates/, whose symlinks may lead elsewhere in the repository (shared partials) but never out of
    it (to /proc/self/environ, ~/.netrc)."""

    def __init__(self, folder: Path, repository: Path) -> None:
        super().__init__(folder)
        self.repository = repository.resolve()

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Any]:  # Any: Jinja's own uptodate callable
        for folder in self.searchpath:
            path = Path(folder, *split_template_path(template))
            if path.exists() and not path.resolve().is_relative_to(self.repository):
                raise SecurityError(f"template '{template}' leads outside the repository")
        return super().get_source(environment, template)


def render(
    post: Post, account_name: str, config: Config, templates: Templates
) -> tuple[Variant | None, list[Diagnostic]]:
    """One post for one account, or the template diagnostics that prevented it."""
    account = config.accounts[account_name]
    platform = PLATFORMS[account.platform]
    fields = _fields(post, account_name, account.platform)
    body = to_dialect(str(fields["body"]), platform.dialect)
    body = _platform_syntax(body, platform, config)
    link = _tag_link(fields.get("link"), config, platform.name, account_name, post.id)
    tags = list(fields.get("tags", post.tags))
    media = tuple(_media(post, fields))
    environment = templates.for_platform(platform)
    if platform.dialect == "telegram_html":
        body = Markup(body)  # already HTML; the template must not escape it again
    variables = {
        "body": body,
        "hashtags": tags,
        "link": link,
        "brand": config.brand,
        "account": account,
        "platform": platform.name,
        "post": {"id": post.id, "title": post.title, "lang": post.lang, "images": len(media)},
        "_utm": partial(
            add_utm, config=config, platform=platform.name, account=account_name, post_id=post.id
        ),
    }
    name = templates.name_for(platform.name)
    text, problem = _render_template(templates, environment, name, variables)
    if problem:
        return None, [problem]
    if platform.dialect == "linkedin":  # the template's own text and what it inserted, escaped too
        text = little_text(text)
    limits = limits_for(config, account)
    thread = fields.get("thread", post.thread)
    parts = _parts(text, thread, limits, config, platform.name)
    body_line = _body_line(post, account_name, account.platform)
    found = []
    if _template_only_tail(text, str(body), link, parts):
        found.append(
            diag(
                "PW252",
                Span(post.source, body_line),
                f"part {len(parts)} of {len(parts)} holds only what the template adds (signature, hashtags), "
                "so it would be posted on its own",
                platform=platform.name,
                hint="shorten the text so that the template's lines fit in one part with its end, or break "
                "the thread earlier with a --- line in the text",
            )
        )
    return (
        Variant(
            post_id=post.id,
            lang=post.lang,
            account=account_name,
            platform=platform.name,
            source=post.source,
            parts=tuple(parts),
            link=link,
            media=media,
            publish_at=post.publish_at_by_account.get(account_name, post.publish_at),
            draft=post.draft,
            expires=post.expires,
            body_line=body_line,
            thread=thread,
            title=post.title,
            privacy_level=fields.get("privacy_level"),
            in_reply_to=fields.get("in_reply_to"),
        ),
        found,
    )


_NUMBERING = re.compile(r"\n\d+/\d+\Z")  # the "\n2/3" thread_numbering appends to each part


def _template_only_tail(text: str, body: str, link: str | None, parts: list[str]) -> bool:
    """Whether a thread's last part starts after the post's own text ends in `text` and is not its link
    either: a part made only of what the template adds, which belongs with the last part that says
    something."""
    if len(parts) < 2:
        return False
    own = _tidy(body).strip()
    start = text.find(own) if own else -1
    last = _NUMBERING.sub("", parts[-1])
    if start < 0 or (link and link in last):
        return False
    return text.rfind(last) >= start + len(own)


def _fields(post: Post, account: str, platform: str) -> dict[str, Any]:
    """The post's fields with the platform override, then the account override, applied."""
    fields: dict[str, Any] = {"body": post.body, "tags": post.tags, "link": post.link, "thread": post.thread}
    fields["in_reply_to"] = post.in_reply_to
    for key in (platform, account):
        fields.update(post.overrides.get(key, {}))
    return fields


def _body_line(post: Post, account: str, platform: str) -> int:
    for key in (account, platform):
        if "body" in post.overrides.get(key, {}):
            span = post.spans.get(("overrides", key, "body"))
            return span.line if span else post.body_line
    return post.body_line


def _media(post: Post, fields: Mapping[str, Any]) -> list[MediaRef]:
    images = fields.get("images")
    if images is None:
        return list(post.media)
    by_src = {ref.src: ref for ref in post.media}
    return [
        by_src.get(image["src"])
        or MediaRef(image["src"], image.get("alt", ""), image.get("focus"), Span(post.source))
        for image in images
    ]


def _platform_syntax(body: str, platform: Platform, config: Config) -> str:
    """@[person] → the platform's mention (the name where no handle); #tag → its hashtag syntax."""

    def mention(match: re.Match[str]) -> str:
        name = mentioned(match)
        person = config.people.get(name.strip())
        if person is None:  # reported by check; keep the writer's text
            return match[0]
        handle = getattr(person, platform.name, None)
        if not handle:  # the plain name is text like any other: escape it for the dialect
            return escape_text(person.name or name, platform.dialect)
        shown = platform.mention(handle, person.name or name)
        return html.escape(shown) if platform.dialect == "telegram_html" else shown

    if "@[" in body:  # every mention starts so; most posts have none
        body = MENTION.sub(mention, body)
    if platform.hashtag_format != "#{tag}":
        body = HASHTAG.sub(lambda match: platform.hashtag(match[0][1:]), body)
    return body


def _tag_link(link: object, config: Config, platform: str, account: str, post_id: str) -> str | None:
    if not link:
        return None
    return add_utm(str(link), config=config, platform=platform, account=account, post_id=post_id)


def add_utm(url: str, *, config: Config, platform: str, account: str, post_id: str) -> str:
    """URL with the brand's utm_ parameters, never duplicating ones the writer already set."""
    utm = config.brand.utm
    link = _parsed_link(url) if utm.enabled else None
    if link is None:
        return url
    if utm.domains and not any(
        link.host == domain or link.host.endswith("." + domain) for domain in utm.domains
    ):
        return url
    values = {"platform": platform, "account": account, "post_id": post_id}
    wanted = (
        ("utm_source", utm.source),
        ("utm_medium", utm.medium),
        ("utm_campaign", utm.campaign),
        ("utm_content", utm.content),
    )
    added = "&".join(
        f"{key}={_query_value(text.format(**values))}"
        for key, text in wanted
        if key not in link.present and text
    )
    return f"{link.before}{added}{link.after}" if added else url


class _Link(NamedTuple):
    """What add_utm needs of a URL: read once, however many accounts and templates tag it."""

    host: str  # lower case
    present: frozenset[str]  # the keys its query already has
    before: str  # the tagged URL up to the tags: through "?" or its own query and "&"
    after: str  # the tagged URL after the tags: its #fragment, if any


@functools.lru_cache(maxsize=4096)
def _parsed_link(url: str) -> _Link | None:
    """The URL read, or None where it is no http(s) link (left as it is)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return None
    present = frozenset(key for key, _ in parse_qsl(parts.query, keep_blank_values=True))
    # the writer's own query stays as written (decoding and encoding it again could change it), only
    # what a URL cannot hold raw is %-encoded (X ends a link at a raw "ñ", leaving the tags outside it)
    query = quote(parts.query, safe=_QUERY_SAFE).rstrip("&")
    # the URL urlunsplit makes with the tags in its query, cut where they go (at a mark the URL lacks)
    mark = "\0"
    while mark in url:
        mark += "\0"
    tagged = urlunsplit(parts._replace(query=f"{query}&{mark}" if query else mark))
    before, _, after = tagged.partition(mark)
    return _Link((parts.hostname or "").lower(), present, before, after)


_QUERY_SAFE = "!$&'()*+,;=:@/?%"  # RFC 3986 query characters besides letters, digits and -._~


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*")  # what quote_plus leaves as it is


def _query_value(value: str) -> str:
    """As urlencode writes a value; a plain one (the usual) without its slower quoting."""
    return value if _URL_SAFE.fullmatch(value) else quote_plus(value)


@jinja2.pass_context
def _hashtags_filter(context: jinja2.runtime.Context, tags: list[str], limit: int | None = None) -> str:
    """{{ tags | hashtags(3) }}: the first `limit` tags in the platform's syntax, space-separated."""
    platform = PLATFORMS[context["platform"]]
    return " ".join(platform.hashtag(tag) for tag in list(tags)[:limit])


@jinja2.pass_context
def _hashtag_filter(context: jinja2.runtime.Context, tag: str) -> str:
    return PLATFORMS[context["platform"]].hashtag(tag)


@jinja2.pass_context
def _utm_filter(context: jinja2.runtime.Context, url: str) -> str:
    """{{ brand.url | utm }}: tag any URL the template adds, like the post's own link."""
    return context["_utm"](url)


def _render_template(
    templates: Templates, environment: jinja2.Environment, name: str | None, variables: dict[str, Any]
) -> tuple[str, Diagnostic | None]:
    folder = templates.folder
    try:
        text = templates.template(environment, name).render(variables)
    except jinja2.TemplateSyntaxError as error:
        return "", _template_problem(folder, error.filename or name or "", error.lineno, error.message or "")
    except jinja2.TemplateError as error:
        filename, line = _template_frame(error)
        return "", _template_problem(folder, filename or name or "", line, str(error))
    except Exception as error:  # the template's own code failed ({{ 1 / 0 }}, {{ "a" + 1 }}): its error
        filename, line = _template_frame(error)
        return "", _template_problem(folder, filename or name or "", line, f"{type(error).__name__}: {error}")
    return _tidy(text), None


def _template_frame(error: BaseException) -> tuple[str | None, int]:
    """The deepest template line in the traceback: Jinja maps compiled frames back to .j2 lines."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")]
    return (frames[-1].filename, frames[-1].lineno or 1) if frames else (None, 1)


def _template_problem(folder: Path, filename: str, line: int, message: str) -> Diagnostic:
    path = Path(filename)
    shown = f"templates/{path.relative_to(folder).as_posix() if path.is_absolute() else path.as_posix()}"
    return diag(
        "PW400",
        Span(shown, line or 1),
        f"template error: {message}",
        hint="variables: body, hashtags, link, brand, account, platform, post; "
        "filters: hashtags, hashtag, utm",
    )


_BLANK_LINES = re.compile(r"\n{3,}")


def _tidy(text: str) -> str:
    """No trailing spaces, at most one blank line in a row, no leading or trailing blank lines."""
    text = "\n".join([line.rstrip() for line in text.split("\n")])
    if "\n\n\n" in text:  # a plain search is ~20× quicker than the pattern's, and most texts have none
        text = _BLANK_LINES.sub("\n\n", text)
    return text.strip("\n")


@functools.lru_cache(maxsize=64)
def _budget(limits: Limits, label: str) -> Budget:
    """One per platform and numbering: word counts are remembered across posts (words repeat)."""
    return Budget(
        tuple(PieceCounts(measure.count).__getitem__ for measure in limits.measures),
        tuple(measure.limit - measure.count(label) for measure in limits.measures),
    )


def _parts(text: str, mode: str, limits: Limits, config: Config, platform: str) -> list[str]:
    """Explicit parts (a --- line in the body), each split further where too long, on threading platforms."""
    explicit = [part.strip() for part in text.split(THREAD_BREAK) if part.strip()]
    if mode == "never" or limits.max_thread_parts == 1:
        return ["\n\n".join(explicit)] if explicit else [""]
    settings = config.platforms.get(platform)
    label = "\n{index}/{total}" if settings and settings.thread_numbering else ""
    widest = label.format(index=99, total=99)  # thread parts are capped well below 100

    measures = [(measure.count, measure.limit) for measure in limits.measures]

    def fits(part: str) -> bool:  # asked ~15 times a thread: a plain loop, no generator
        part += widest
        for count, limit in measures:  # noqa: SIM110
            if count(part) > limit:
                return False
        return True

    budget = _budget(limits, widest)
    # Telegram parts are HTML: a boundary inside an element or an entity would leave one Telegram refuses
    markup = telegram_markup_spans if PLATFORMS[platform].dialect == "telegram_html" else None
    pieces = [piece for part in explicit for piece in split_to_fit(part, fits, budget, markup)] or [""]
    if not label or len(pieces) == 1:
        return pieces
    return [piece + label.format(index=index, total=len(pieces)) for index, piece in enumerate(pieces, 1)]


class RenderedJob(NamedTuple):
    """What rendering one post for one account gave, as the render memo keeps it: the variant (None when
    it failed), the render problems, the variant's own rule problems and its text facts in publish/
    (None when not computed)."""

    variant: Variant | None
    problems: tuple[Diagnostic, ...]
    checked: tuple[Diagnostic, ...]
    facts: dict[str, Any] | None


def is_rendered_job(entry: object) -> bool:
    """The shape of a render memo entry (a file that reads back may hold anything allowed)."""
    return (
        isinstance(entry, RenderedJob)
        and (entry.variant is None or isinstance(entry.variant, Variant))
        and is_problems(entry.problems)
        and is_problems(entry.checked)
        and (entry.facts is None or isinstance(entry.facts, dict))
    )


@dataclass(frozen=True, slots=True)
class Rendered:
    """Every post rendered for every account, in order."""

    variants: tuple[Variant, ...]
    problems: tuple[Diagnostic, ...]  # rendering's own (a template error, …)
    checked: tuple[Diagnostic, ...]  # each variant's own rules, checked where it was rendered
    facts: Mapping[str, dict[str, Any]]  # the text facts of publish/ by variant key, when asked for


CheckVariant = Callable[[Variant, Config], Iterable[Diagnostic]]
TextFacts = Callable[[Config, Variant], dict[str, Any]]
RENDER_MEMO_FROM = 200  # jobs to render: below this, rendering them costs less than reading the memo


def render_all(
    posts: Iterable[Post],
    config: Config,
    templates: Templates,
    *,
    check: CheckVariant,
    facts: TextFacts | None = None,
    memo: Memo[RenderedJob] | None = None,
    known_keys: Mapping[str, tuple[str, ...]] | None = None,
) -> Rendered:
    """Every post for every account, rendered and checked against its own rules (`check`), with its
    text `facts` where asked, in order.

    What `memo` remembers from the last build is reused; the rest is rendered, on Linux with every core
    when there is much of it. `known_keys` are the memo keys the posts memo kept, by source.
    """
    posts = tuple(posts)
    jobs = [(post, account) for post in posts for account in post.targets]
    known_keys = known_keys or {}
    keys = (
        [key for post in posts for key in known_keys.get(post.source) or render_keys(post)]
        if memo is not None
        else []
    )
    entries = [memo.get(key) for key in keys] if memo is not None else [None] * len(jobs)
    missing = [index for index, entry in enumerate(entries) if entry is None]
    render_job = partial(_render_job, config=config, templates=templates, check=check, facts=facts)
    made = _render_in_workers([jobs[index] for index in missing], render_job)
    for index, entry in zip(missing, made, strict=True):
        entries[index] = entry
        if memo is not None:
            memo.put(keys[index], entry)
    return _gathered([entry for entry in entries if entry is not None], facts is not None)


def _gathered(entries: list[RenderedJob], with_facts: bool) -> Rendered:
    variants: list[Variant] = []
    problems: list[Diagnostic] = []
    checked: list[Diagnostic] = []
    facts: dict[str, dict[str, Any]] = {}
    for entry in entries:
        problems += entry.problems
        if entry.variant is not None:
            variants.append(entry.variant)
            checked += entry.checked
            if with_facts and entry.facts is not None:
                facts[entry.variant.key] = entry.facts
    return Rendered(tuple(variants), tuple(problems), tuple(checked), facts)


def _render_in_workers(
    jobs: list[tuple[Post, str]], render_job: Callable[..., RenderedJob]
) -> list[RenderedJob]:
    if len(jobs) >= workers.PARALLEL_FROM:
        # one post per account rendered here first: templates compiled and counters' patterns built once,
        # before forking, instead of in every worker (5,000 posts: ~0.2 s)
        for post, account in {account: (post, account) for post, account in jobs}.values():
            render_job(post, account)
    return workers.map_slices(
        lambda start, stop: [render_job(post, account) for post, account in jobs[start:stop]], len(jobs)
    )


def _render_job(
    post: Post,
    account: str,
    *,
    config: Config,
    templates: Templates,
    check: CheckVariant,
    facts: TextFacts | None,
) -> RenderedJob:
    variant, problems = render(post, account, config, templates)
    if variant is None:
        return RenderedJob(None, tuple(problems), (), None)
    checked = tuple(check(variant, config))
    # the counts each publish/posts/*.json holds, computed where the counters' caches are warm
    known = facts(config, variant) if facts is not None else None
    return RenderedJob(variant, tuple(problems), checked, known)
