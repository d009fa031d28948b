import json
import random
import re
from functools import partial
from types import SimpleNamespace

import pytest

from postwright import pipeline
from postwright.config import load_config
from postwright.render import add_utm
from postwright.text import x_weighted_length

CONFIG = """\
brand:
  name: Kites
  timezone: Europe/Madrid
  platforms: [x, mastodon, linkedin, telegram, bluesky]
  signature: "— Kites & Co <team>"
  utm: {domains: [kites.example]}
accounts:
  x_main: {platform: x}
  masto: {platform: mastodon}
  li: {platform: linkedin}
  tg: {platform: telegram}
  sky: {platform: bluesky}
people:
  jane: {name: Jane Doe, x: janedoe, mastodon: "@jane@masto.example", linkedin: "urn:li:person:j1"}
"""

TEMPLATES = """\
-- templates/base.j2 --
{% block body %}{{ body }}{% endblock %}
{%- block link %}{% if link %}

{{ link }}{% endif %}{% endblock %}
{%- block hashtags %}{% if hashtags %}

{{ hashtags | hashtags }}{% endif %}{% endblock %}
{%- block signature %}

{{ brand.signature }}{% endblock %}
"""


def variants(project):
    checked = pipeline.check(project)
    return checked, {(v.post_id, v.account): v for v in checked.variants}


def test_each_platform_gets_its_syntax(make_project):
    project = make_project(
        f"-- config.yml --\n{CONFIG}{TEMPLATES}"
        "-- content/posts/2026-12-01-hi.md --\n---\ntags: [OpenSource]\n"
        "link: https://kites.example/new?ref=mail\n---\n**Big** news from @[jane] & friends! #kites\n"
    )
    checked, got = variants(project)
    no_handle = [("PW231", "bluesky"), ("PW231", "telegram")]
    assert sorted((d.code, d.platform) for d in checked.diagnostics) == no_handle
    x = got["2026-12-01-hi", "x_main"].parts[0]
    assert x.startswith("Big news from @janedoe & friends! #kites\n\nhttps://kites.example/new?ref=mail&utm_")
    assert x.endswith("\n\n#OpenSource\n\n— Kites & Co <team>")
    assert "@jane@masto.example" in got["2026-12-01-hi", "masto"].parts[0]
    linkedin = got["2026-12-01-hi", "li"].parts[0]
    assert "@[Jane Doe](urn:li:person:j1)" in linkedin and "{hashtag|\\#|kites}" in linkedin
    assert "{hashtag|\\#|OpenSource}" in linkedin
    telegram = got["2026-12-01-hi", "tg"].parts[0]
    assert telegram.startswith("<b>Big</b> news from Jane Doe &amp; friends!")
    assert telegram.endswith("— Kites &amp; Co &lt;team&gt;")  # autoescaped in the HTML dialect
    assert "Jane Doe" in got["2026-12-01-hi", "sky"].parts[0]  # no bluesky handle: the plain name


def test_utm_tags_only_brand_domains_and_never_duplicates(make_project):
    config, _ = load_config(make_project(f"-- config.yml --\n{CONFIG}"))
    tagged = add_utm(
        "https://shop.kites.example/a?utm_source=newsletter",
        config=config,
        platform="x",
        account="x_main",
        post_id="p1",
    )
    assert tagged == (
        "https://shop.kites.example/a?utm_source=newsletter&utm_medium=social&utm_campaign=p1&utm_content=x_main"
    )
    assert add_utm(
        "https://other.example/a", config=config, platform="x", account="x_main", post_id="p1"
    ) == ("https://other.example/a")


def test_utm_keeps_the_writers_query_as_written(make_project):
    config, _ = load_config(make_project(f"-- config.yml --\n{CONFIG}"))
    tag = partial(add_utm, config=config, platform="x", account="x_main", post_id="p1")
    assert tag("https://kites.example/s?q=red%20kite&empty=&sort=a+b#top") == (
        "https://kites.example/s?q=red%20kite&empty=&sort=a+b&utm_source=x&utm_medium=social&utm_campaign=p1"
        "&utm_content=x_main#top"
    )
    assert tag("https://kites.example/") == (
        "https://kites.example/?utm_source=x&utm_medium=social&utm_campaign=p1&utm_content=x_main"
    )
    complete = "https://kites.example/?utm_source=a&utm_medium=b&utm_campaign=c&utm_content=d"
    assert tag(complete) == complete
    # what a URL cannot hold raw is %-encoded: X would end the link at "ñ", leaving the tags outside
    assert tag("https://kites.example/shop?q=cometa+niño&x=a b&") == (
        "https://kites.example/shop?q=cometa+ni%C3%B1o&x=a%20b&utm_source=x&utm_medium=social&utm_campaign=p1"
        "&utm_content=x_main"
    )
    on_a_real_tld = tag("https://kites.example/shop?q=niño").replace("kites.example", "kites.com")
    assert x_weighted_length("see " + on_a_real_tld) == 4 + 23  # one link, tags included
    assert x_weighted_length("see https://kites.com/shop?q=niño&utm_source=x") > 4 + 23  # as it was


def test_utm_content_tells_two_accounts_of_one_platform_apart(make_project):
    """Issue 19: the English and the Spanish X account got identical tags, so analytics could not tell
    which one brought a visit; utm_content is the account unless config.yml says otherwise."""
    config, _ = load_config(make_project(f"-- config.yml --\n{CONFIG}"))
    english, spanish = (
        add_utm("https://kites.example/", config=config, platform="x", account=name, post_id="p1")
        for name in ("x_main", "x_es")
    )
    assert english.endswith("&utm_content=x_main") and spanish.endswith("&utm_content=x_es")
    for setting, expected in (("'{platform}-{post_id}'", "&utm_content=x-p1"), ("false", "&utm_campaign=p1")):
        utm = f"utm: {{domains: [kites.example], content: {setting}}}"
        text = CONFIG.replace("utm: {domains: [kites.example]}", utm)
        assert text != CONFIG
        config, problems = load_config(make_project(f"-- config.yml --\n{text}"))
        assert problems == []
        url = add_utm("https://kites.example/", config=config, platform="x", account="x_es", post_id="p1")
        assert url.endswith(expected), url


def test_overrides_apply_platform_then_account(make_project):
    project = make_project(
        f"-- config.yml --\n{CONFIG}{TEMPLATES}"
        "-- content/posts/2026-12-01-o.md --\n---\nplatforms: [x, mastodon]\noverrides:\n"
        "  x: {body: For X, tags: []}\n  masto: {body: For the masto account}\n---\nFor everyone.\n"
    )
    _, got = variants(project)
    assert got["2026-12-01-o", "x_main"].parts[0].startswith("For X\n\n— Kites")
    assert got["2026-12-01-o", "masto"].parts[0].startswith("For the masto account")


def test_long_post_becomes_a_thread_where_allowed(make_project):
    sentences = " ".join(f"Sentence number {n} tells a little more about our kites." for n in range(30))
    project = make_project(
        f"-- config.yml --\n{CONFIG}{TEMPLATES}"
        "-- content/posts/2026-12-01-long.md --\n---\nplatforms: [x, linkedin]\n---\n"
        f"{sentences}\n\n---\n\nThe end.\n"
    )
    checked, got = variants(project)
    x = got["2026-12-01-long", "x_main"]
    assert len(x.parts) > 2 and x.parts[-1].startswith("The end.")
    assert " ".join(x.parts).count("Sentence number") == 30  # nothing lost, nothing cut mid-word
    assert all(len(part) <= 280 for part in x.parts)
    assert len(got["2026-12-01-long", "li"].parts) == 1  # LinkedIn has no threads
    assert checked.diagnostics == ()


def test_thread_never_reports_the_count_and_limit(make_project):
    body = "word " * 80
    project = make_project(
        f"-- config.yml --\n{CONFIG}{TEMPLATES}"
        f"-- content/posts/2026-12-01-never.md --\n---\nplatforms: [x]\nthread: never\n---\n{body}\n"
    )
    checked, _ = variants(project)
    (problem,) = checked.diagnostics
    assert (problem.code, problem.span.line, problem.platform) == ("PW401", 5, "x")
    assert "is 420 weighted for x_main; X allows 280" in problem.message


def test_template_errors_point_at_the_template_line(make_project):
    project = make_project(
        f"-- config.yml --\n{CONFIG}"
        "-- templates/base.j2 --\n{{ body }}\n-- templates/x.j2 --\n{% extends 'base.j2' %}\n"
        "-- templates/mastodon.j2 --\nline one\n{{ brand.nosuch }}\n"
        "-- content/posts/2026-12-01-t.md --\n---\nplatforms: [x, mastodon]\n---\nHi.\n"
    )
    checked, got = variants(project)
    assert [(d.code, d.span.path, d.span.line) for d in checked.diagnostics] == [
        ("PW400", "templates/mastodon.j2", 2)
    ]
    assert ("2026-12-01-t", "x_main") in got


def test_a_template_whose_own_code_fails_is_a_located_problem(make_project):
    project = make_project(
        f"-- config.yml --\n{CONFIG}"
        "-- templates/base.j2 --\n{{ body }}\n-- templates/x.j2 --\n{{ body }}\n{{ 1 / 0 }}\n"
        "-- templates/mastodon.j2 --\n{{ body ~ 1 }}\n{{ 'a' + 1 }}\n"
        "-- content/posts/2026-12-01-t.md --\n---\nplatforms: [x, mastodon]\n---\nHi.\n"
    )
    checked, _ = variants(project)
    assert [(d.code, d.span.path, d.span.line, d.message) for d in checked.diagnostics] == [
        ("PW400", "templates/x.j2", 2, "template error: ZeroDivisionError: division by zero"),
        (
            "PW400",
            "templates/mastodon.j2",
            2,
            'template error: TypeError: can only concatenate str (not "int") to str',
        ),
    ]


def test_example_brand_renders_every_post_for_every_account():
    from postwright.project import Project
    from tests.conftest import REPO

    checked = pipeline.check(Project(REPO))
    assert checked.diagnostics == ()
    expected = sum(len(post.targets) for post in checked.loaded.posts)
    assert len(checked.variants) == expected > 40
    persian = [v for v in checked.variants if v.lang == "fa"]
    assert persian and all(part for v in persian for part in v.parts)
    json.dumps([v.parts for v in checked.variants], ensure_ascii=False)


def test_escaped_and_numeric_hashes_are_not_tags_and_names_are_escaped(make_project):
    config = CONFIG.replace("people:\n", "people:\n  bo: {name: 'Bo (CEO) #1'}\n")
    project = make_project(
        f"-- config.yml --\n{config}-- templates/base.j2 --\n{{{{ body }}}}\n"
        "-- content/posts/2026-12-01-e.md --\n---\nplatforms: [linkedin]\n---\n"
        "We're \\#NotATag and #1, thanks to @[bo]! #Real\n"
    )
    checked = pipeline.check(project)
    (linkedin,) = [v.parts[0] for v in checked.variants]
    assert linkedin == "We're \\#NotATag and \\#1, thanks to Bo \\(CEO\\) \\#1! {hashtag|\\#|Real}"


def test_templates_are_chosen_per_platform_once_and_rebuilt_per_load(make_project):
    """<platform>.j2, else base.j2, else the bare body; a Templates looks each platform up once (no stat
    per post), so a template added later shows in the next load_templates, as in the next build."""
    from postwright import render

    project = make_project("-- templates/x.j2 --\nX: {{ body }}\n")
    templates = render.load_templates(project)
    assert (templates.name_for("x"), templates.name_for("mastodon")) == ("x.j2", None)
    (project.templates_dir / "base.j2").write_text("B: {{ body }}\n", encoding="utf-8")
    assert templates.name_for("mastodon") is None
    assert render.load_templates(project).name_for("mastodon") == "base.j2"


def test_a_template_that_does_not_compile_is_reported_for_every_post_and_one_that_does_is_kept(make_project):
    """Templates keeps the templates that compiled, per environment (base.j2 escapes for Telegram's HTML,
    not for X), and asks again for one that did not: every post on that platform fails (one problem, said
    once), not only the first."""
    project = make_project(
        f"-- config.yml --\n{CONFIG}"
        "-- templates/base.j2 --\n{{ body }} {{ brand.signature }}\n-- templates/mastodon.j2 --\n{% if %}\n"
        "-- content/posts/2026-12-01-a.md --\n---\nplatforms: [x, mastodon, telegram]\n---\nA.\n"
        "-- content/posts/2026-12-02-b.md --\n---\nplatforms: [x, mastodon, telegram]\n---\nB.\n"
    )
    checked, got = variants(project)
    assert [(d.code, d.span.path, d.span.line) for d in checked.diagnostics] == [
        ("PW400", "templates/mastodon.j2", 1)
    ]
    posts = ("2026-12-01-a", "2026-12-02-b")
    assert [(post, "masto") in got for post in posts] == [False, False]
    assert [got[(post, "x_main")].parts for post in posts] == [
        ("A. — Kites & Co <team>",),
        ("B. — Kites & Co <team>",),
    ]
    assert [got[(post, "tg")].parts for post in posts] == [
        ("A. — Kites &amp; Co &lt;team&gt;",),
        ("B. — Kites &amp; Co &lt;team&gt;",),
    ]


def test_utm_values_are_encoded_as_urlencode_does():
    from urllib.parse import urlencode

    from postwright.render import _query_value

    for value in ("p1", "2026-12-01-launch.es", "a~b_c", "spring sale", "año/ñ", "x&y=z", "", "+%#"):
        assert _query_value(value) == urlencode([("k", value)])[2:], value


def test_utm_tags_every_kind_of_url_as_urlunsplit_does():
    """add_utm reads a URL once and keeps where the tags go: each URL, for each account, is tagged exactly
    as splitting, appending to the query and joining it again gives."""
    from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

    from postwright.config import Config

    config = Config.model_validate(
        {
            "brand": {"name": "K", "timezone": "UTC", "platforms": ["x"], "utm": {"content": "{account}"}},
            "accounts": {"a": {"platform": "x"}, "b": {"platform": "x"}},
        }
    )
    urls = [
        "https://kites.example",
        "https://kites.example/",
        "http://kites.example:8080/a/b?x=1&y=2#top",
        "https://user@kites.example/p?q=ñ&&#frag?#",
        "https://kites.example/p?utm_source=mine&utm_medium=",
        "https://kites.example/%E2%9C%93/a%2Fb?",
        "https://KITES.example/Año#",
        "https://kites.example/\0/x?a=\0",
    ]

    def expected(url: str, account: str) -> str:
        parts = urlsplit(url)
        present = {key for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
        wanted = {"utm_source": "x", "utm_medium": "social", "utm_campaign": "p", "utm_content": account}
        added = "&".join(f"{key}={value}" for key, value in wanted.items() if key not in present)
        query = quote(parts.query, safe="!$&'()*+,;=:@/?%").rstrip("&")
        return urlunsplit(parts._replace(query=f"{query}&{added}" if query else added))

    for url in urls:
        for account in ("a", "b", "a"):
            tagged = add_utm(url, config=config, platform="x", account=account, post_id="p")
            assert tagged == expected(url, account), url
    assert add_utm("mailto:a@kites.example", config=config, platform="x", account="a", post_id="p") == (
        "mailto:a@kites.example"
    )


LINKEDIN_TEMPLATE = """\
-- templates/linkedin.j2 --
{% extends "base.j2" %}
{% block link %}{% if link %}

Read more (2 min) -> {{ link }}{% endif %}{% endblock %}
"""


def test_linkedin_escapes_the_template_link_tags_and_signature(make_project):
    """Not only the body: LinkedIn cuts the commentary at the first unescaped reserved character, and
    the template's "(", the link's "_" (utm_source), a tag's "_" and the signature's "<" are ones."""
    project = make_project(
        f"-- config.yml --\n{CONFIG}{TEMPLATES}{LINKEDIN_TEMPLATE}"
        "-- content/posts/2026-12-01-hi.md --\n---\nplatforms: [linkedin]\ntags: [open_source]\n"
        "link: https://kites.example/new\n---\nNew kites (at last), from @[jane]! #kites\n"
    )
    checked, got = variants(project)
    assert checked.diagnostics == ()
    assert got["2026-12-01-hi", "li"].parts[0] == (
        "New kites \\(at last\\), from @[Jane Doe](urn:li:person:j1)! {hashtag|\\#|kites}\n\n"
        "Read more \\(2 min\\) -\\> https://kites.example/new?utm\\_source=linkedin&utm\\_medium=social"
        "&utm\\_campaign=2026-12-01-hi&utm\\_content=li\n\n"
        "{hashtag|\\#|open\\_source}\n\n"
        "— Kites & Co \\<team\\>"
    )


def test_linkedin_hashtags_written_by_the_template_stay_hashtags(make_project):
    """The scaffold's base.j2 writes `#{{ tag }}`: escaped, `\\#launch` would be the text "#launch", not a
    hashtag. A bare #tag becomes the HashtagTemplate the body's hashtags become; `#1` stays text."""
    template = (
        "-- templates/linkedin.j2 --\n{{ body }}\n\n"
        "{% for tag in hashtags %}#{{ tag }} {% endfor %}#1 C#x a#b\n"
    )
    project = make_project(
        f"-- config.yml --\n{CONFIG}{template}"
        "-- content/posts/2026-12-01-hi.md --\n---\nplatforms: [linkedin]\ntags: [launch, open_source]\n"
        "---\nNew kites #kites\n"
    )
    checked, got = variants(project)
    assert checked.diagnostics == ()
    assert got["2026-12-01-hi", "li"].parts[0] == (
        "New kites {hashtag|\\#|kites}\n\n{hashtag|\\#|launch} {hashtag|\\#|open\\_source} \\#1 C\\#x a\\#b"
    )


_RESERVED = "\\|{}@[]()<>#*_~"  # little-text-format's reserved characters
# a MentionElement or a HashtagTemplate: their text is escaped, not their syntax
_LITTLE_ELEMENT = re.compile(
    r"@\[((?:[^\\\[\]\n]|\\.)*)\]\(urn:li:[A-Za-z]+:[^\s()\\]+\)|\{hashtag\|\\#\|((?:[^\s{}|\\]|\\.)+)\}"
)


def _unescaped_reserved(text: str) -> list[str]:
    """Every reserved character LinkedIn would read as syntax where it is meant as text."""
    found: list[str] = []
    at = 0
    while at < len(text):
        element = _LITTLE_ELEMENT.match(text, at)
        if element:
            found += _unescaped_reserved(element[1] or element[2])
            at = element.end()
        elif text[at] == "\\" and text[at + 1 : at + 2] and text[at + 1] in _RESERVED:
            at += 2
        else:
            found += [text[at]] if text[at] in _RESERVED else []
            at += 1
    return found


def _random_text(rng: random.Random, length: int) -> str:
    alphabet = _RESERVED * 3 + "ab Kz09 \n:.!-`'\"&é🪁"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, length)))


@pytest.mark.parametrize("seed", range(4))
def test_no_linkedin_commentary_holds_an_unescaped_reserved_character(make_project, seed):
    """Random bodies, tags, links, template text and signatures, heavy in reserved characters: the
    commentary that reaches LinkedIn never holds one unescaped (seeded, so a failure repeats)."""
    rng = random.Random(seed)
    literal = _random_text(rng, 30).replace("{", "{ ")  # not "{{", "{%" or "{#": Jinja's own syntax
    signature = json.dumps(_random_text(rng, 20), ensure_ascii=False)  # a YAML double-quoted string
    posts = ""
    for number in range(25):
        body = _random_text(rng, 120).replace("@[", "@ [") or "x"  # no mention of an unknown person
        tag = "".join(rng.choice("ab_Z") for _ in range(6)) + "k"
        path = "".join(rng.choice("a_(~)*-.") for _ in range(8))
        posts += (
            f"-- content/posts/2026-12-{number + 1:02d}-p.md --\n---\nplatforms: [linkedin]\n"
            f"tags: [{tag}]\nlink: https://kites.example/{path}\n---\n{body}\n"
        )
    template = f"-- templates/linkedin.j2 --\n{literal}{{{{ body }}}}{literal}\n{{{{ link }}}}\n"
    template += "{{ hashtags | hashtags }} {{ brand.signature }} @[jane]\n"
    config = CONFIG.replace('signature: "— Kites & Co <team>"', f"signature: {signature}")
    checked = pipeline.check(make_project(f"-- config.yml --\n{config}{template}{posts}"))
    commentaries = [part for variant in checked.variants for part in variant.parts]
    assert len(commentaries) == 25, [str(d) for d in checked.diagnostics][:5]
    for commentary in commentaries:
        assert _unescaped_reserved(commentary) == [], commentary


def test_the_sandbox_remembers_only_what_is_safe_per_kind_of_object():
    """The answers the sandbox remembers are per kind of object and name: a safe `keys` of a dict does not
    make its `pop` safe, nor a list's `index` its `append`, however often they are asked."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import SecurityError

    from postwright.render import _BoundedSandbox

    environment = _BoundedSandbox(undefined=StrictUndefined)
    safe = environment.from_string(
        "{{ d.keys() | list }} {{ l.index(2) }} {{ d.a }} {{ o.pop }} {{ o.append }}"
    )
    for _ in range(3):
        assert safe.render(d={"a": 1}, l=[1, 2], o=SimpleNamespace(pop=4, append=5)) == "['a'] 1 1 4 5"
        for unsafe in ("{{ d.pop('a') }}", "{{ l.append(3) }}", "{{ d.__class__ }}"):
            with pytest.raises(SecurityError):
                environment.from_string(unsafe).render(d={"a": 1}, l=[1, 2])


def test_filters_give_what_jinjas_own_environment_gives():
    """Filters with an async variant are called as their sync function: same output as Jinja's own."""
    from jinja2 import StrictUndefined
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    from postwright.render import _sync_filters

    ours = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    ours.filters.update(_sync_filters(ours.filters))
    assert {"list", "unique", "join", "first", "sum", "map", "select", "groupby"} <= set(
        _sync_filters(ImmutableSandboxedEnvironment().filters)
    )
    source = (
        "{{ (a | list + b | list) | unique | list }} {{ a | join(', ') }} {{ a | first }} {{ n | sum }} "
        "{{ a | map('upper') | join }} {{ n | select('odd') | list }} {{ n | reject('odd') | list }} "
        "{{ p | selectattr('k') | map(attribute='k') | list }} {{ p | rejectattr('k') | list }} "
        "{% for g in p | groupby('k') %}{{ g.grouper }}{% endfor %} {{ n | slice(2) | list }} "
        "{{ a | unique(case_sensitive=true) | list }} {{ n | sum(start=10) }}"
    )
    values = {"a": ["x", "Y", "x"], "b": ["y", "z"], "n": [1, 2, 3], "p": [{"k": 1}, {"k": 0}, {"k": 1}]}
    expected = ImmutableSandboxedEnvironment(undefined=StrictUndefined).from_string(source).render(values)
    assert ours.from_string(source).render(values) == expected
