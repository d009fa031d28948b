"""Messages to writers say what a key takes, with an example, never pydantic's own wording.

Every field of post front matter and config.yml (nested ones included) gets a few values of the wrong
type; no message or hint may contain a phrase from pydantic's error texts.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from postwright.config import Config
from postwright.frontmatter import FrontMatter
from postwright.schema import _unwrap, validate_model
from postwright.yamlpos import KeyPath, load_yaml
from tests.conftest import MINIMAL_CONFIG

LIBRARY_PHRASES = (
    "Input should",
    "instance of",
    "valid dictionary",
    "Field required",
    "type=",
    "String should",
)
WRONG_VALUES = (7, 2.5, True, "text", [1, 2], {"a": 1}, None, [{"x": 1}], -3, "")

# one entry in every collection, so the walk reaches the fields of what it holds
CONFIG = {
    **yaml.safe_load(MINIMAL_CONFIG),
    "platforms": {"mastodon": {"images": {"specs": {"keep": {"width": 100}}, "overlay": {"logo": "a.png"}}}},
    "severity": {"PW302": "warning"},
}
CONFIG["brand"]["rules"] = {"disclosures": [{"tags": ["ad"], "text": "#ad"}]}
POST = {
    "images": [{"src": "a.png", "alt": "A kite", "focus": [0.5, 0.5]}],
    "overrides": {"mastodon": {"images": [{"src": "a.png"}]}},
}


def _model(annotation: Any) -> type[BaseModel] | None:
    inner = _unwrap(annotation)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def key_paths(model: type[BaseModel], data: Any, prefix: KeyPath = ()) -> Iterator[KeyPath]:
    """Every field of `model`, and of the models inside it, at the entries `data` has."""
    for name, field in model.model_fields.items():
        here = (*prefix, name)
        yield here
        annotation = _unwrap(field.annotation)
        value = data.get(name) if isinstance(data, dict) else None
        if inner := _model(annotation):
            yield from key_paths(inner, value or {}, here)
            continue
        args = typing.get_args(annotation)
        if typing.get_origin(annotation) is dict and args and (inner := _model(args[-1])):
            for key, item in (value or {}).items():
                yield (*here, key)
                yield from key_paths(inner, item, (*here, key))
        elif typing.get_origin(annotation) is list and args and (inner := _model(args[0])):
            for index, item in enumerate(value or []):
                yield (*here, index)
                yield from key_paths(inner, item, (*here, index))


def replaced(data: dict[str, Any], path: KeyPath, value: object) -> dict[str, Any]:
    data = copy.deepcopy(data)
    node: Any = data
    for part in path[:-1]:
        if isinstance(part, str) and not isinstance(node.get(part), dict | list):
            node[part] = {}
        node = node[part]
    node[path[-1]] = value
    return data


@pytest.mark.parametrize(("model", "base"), [(FrontMatter, POST), (Config, CONFIG)], ids=["post", "config"])
def test_no_wrong_value_shows_the_library_wording(model, base):
    paths = list(key_paths(model, base))
    assert len(paths) > (25 if model is FrontMatter else 100)  # the walk reached the nested fields
    shown = 0
    for path in paths:
        for value in WRONG_VALUES:
            document, _ = load_yaml(yaml.safe_dump(replaced(base, path, value)), "file.yml")
            _, problems = validate_model(model, document)
            for problem in problems:
                text = f"{problem.message} | {problem.hint}"
                assert not any(phrase in text for phrase in LIBRARY_PHRASES), (path, value, text)
                assert ".int" not in problem.message and ".float" not in problem.message, text
                shown += problem.code == "PW031"
    assert shown > 100


@pytest.mark.parametrize(
    ("front_matter", "message", "hint"),
    [
        (
            "images: [launch.png]",
            "images[1] should be a mapping with 'src' and 'alt', e.g. "
            "`- {src: launch.jpg, alt: A red kite over the beach}`",
            "write a mapping: one 'key: value' per line, indented",
        ),
        ("draft: maybe", "draft should be true or false, e.g. `draft: true`", "write true or false"),
        ("tags: launch", "tags should be a list, e.g. `tags: [OpenSource, launch]`", "write a list"),
        ("tags: [3, ok]", "tags[1] should be text, e.g. `- OpenSource`", "put the value in quotes"),
        ("thread: sometimes", "thread should be one of auto, never or always, e.g. `thread: auto`", ""),
        (
            "images: [{src: a.png, focus: [0.5, 3]}]",
            "images[1].focus[2] should be a number from 0 to 1, e.g. `- 0.2`",
            "write a smaller number",
        ),
        ("id: a b", "id should be text written like the example of at most 200 characters", ""),
        ("overrides: {x: 3}", "overrides.x should be a mapping with 'body' and 'date'", "write a mapping"),
        # the docstring's example goes on "(a date alone means …)": a remark, not part of the value
        ("expires: 12", "expires should be text, e.g. `expires: 2026-12-03`", ""),
    ],
)
def test_a_wrong_value_says_what_the_key_takes_with_an_example(front_matter, message, hint):
    document, _ = load_yaml(front_matter + "\n", "post.md")
    _, problems = validate_model(FrontMatter, document)
    assert [problem.code for problem in problems] == ["PW031"]
    assert problems[0].message.startswith(message) and problems[0].hint.startswith(hint)


@pytest.mark.parametrize(
    ("added", "message"),
    [
        (
            "platforms: {mastodon: {images: {overlay: {logo: a.png, size: '0.2'}}}}",
            "platforms.mastodon.images.overlay.size should be a number above 0, at most 1, e.g. `size: 0.15`",
        ),
        (
            "platforms: {x: {limits: {max_length: -1}}}",
            "platforms.x.limits.max_length should be a whole number from 1 to 1000000",
        ),
        ("  7: {platform: x}", "people: the key 7 should be text"),
        ("  joe: {discord: 42}", "people.joe.discord should be text, e.g. `discord: '80351110"),
        ("schedule: {slots: '09:00'}", "schedule.slots should be a list, e.g. `slots: ['09:00', '17:30']`"),
    ],
)
def test_config_values_are_explained_too(added, message):
    document, _ = load_yaml(MINIMAL_CONFIG + added + "\n", "config.yml")  # it ends with people:
    _, problems = validate_model(Config, document)
    messages = [problem.message for problem in problems if problem.code == "PW031"]
    assert len(messages) == 1 and messages[0].startswith(message), problems
