from postwright.diagnostics import Span
from postwright.yamlpos import load_yaml


def test_values_keep_line_and_column_with_offset():
    document, problems = load_yaml(
        "title: Hi\nimages:\n  - src: a.jpg\n    alt: A cat\n", "p.md", line_offset=1
    )
    assert problems == []
    assert document.spans[("images", 0, "alt")] == Span("p.md", 5, 10)
    assert document.key_spans[("images", 0, "alt")] == Span("p.md", 5, 5)
    assert document.span(("images", 0, "focus")) == Span("p.md", 4, 5)  # nearest located ancestor


def test_yaml_1_1_surprises_are_plain_strings():
    document, _ = load_yaml("lang: no\ntime: 9:30\nday: 2026-12-01\non: yes\nflag: true\nn: 012\n", "c.yml")
    assert document.data == {
        "lang": "no",
        "time": "9:30",
        "day": "2026-12-01",
        "on": "yes",
        "flag": True,
        "n": 12,
    }


def test_duplicate_key_is_reported_where_it_repeats():
    _, problems = load_yaml("a: 1\nb: 2\na: 3\n", "c.yml")
    assert [(p.code, p.span.line) for p in problems] == [("PW012", 3)]
    assert "first defined on line 1" in problems[0].message


def test_tab_indentation_has_its_own_code():
    document, problems = load_yaml("a:\n\t- 1\n", "c.yml", line_offset=1)
    assert document is None
    assert [(p.code, p.span.line) for p in problems] == [("PW011", 3)]


def test_syntax_error_is_located():
    _, problems = load_yaml('a: "open\nb: 2\n', "c.yml")
    assert [(p.code, p.span.line) for p in problems] == [("PW010", 1)]  # where the quote opens
    assert "on line 3" in problems[0].message  # where YAML noticed


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
    document, problems = load_yaml("\n".join(lines) + "\n", "c.yml")
    assert document is None and [p.code for p in problems] == ["PW010"]
    assert "too many values" in problems[0].message


def test_empty_document_is_an_empty_mapping():
    document, problems = load_yaml("", "c.yml")
    assert document.data == {} and problems == []


def test_values_are_what_the_yaml_constructor_gives():
    """Plain text is taken from the parser as it is; every other tag still goes through the constructor."""
    import yaml

    from postwright.yamlpos import _Loader

    text = (
        'a: "true"\nb: !!str 12\nc: !!int "7"\nd: !!float 1\ne: |\n  two\n  lines\n'
        "f: 'it''s'\n"
        "g: !!binary aGk=\nh: [1, 2.5, ~, null, True, x y]\ni: {j: .inf}\nk: -0\n12: twelve\n"
    )
    document, problems = load_yaml(text, "c.yml")
    assert problems == []
    assert document.data == yaml.load(text, Loader=_Loader)
    assert document.data["b"] == "12" and document.data["c"] == 7 and document.data[12] == "twelve"


def test_a_nul_in_quoted_text_is_an_error_at_the_value():
    _, problems = load_yaml('title: ok\nbody: "a\\0b"\n', "p.md", line_offset=1)
    assert [(p.code, p.span.line, p.span.column) for p in problems] == [("PW007", 3, 7)]
