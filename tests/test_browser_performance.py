"""The performance page in a real browser (headless Chromium, as tests/test_browser.py drives it): reached
from the preview's top bar, drawn without a script or a request, every chart named and its numbers written.
Screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from postwright.preview import write_preview
from postwright.project import Project
from tests.test_insights_report import metrics_brand

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"

if not CHROMIUM.exists():
    if os.environ.get("CI") == "true":
        pytest.fail(f"{CHROMIUM} is missing: run .ci/setup", pytrace=False)
    pytest.skip(
        f"{CHROMIUM} is missing (bash .ci/setup.d/20-chromium.sh installs it)", allow_module_level=True
    )

sync_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("brand")
    metrics_brand(root, days=120)  # to early January: both sides of the DST change
    write_preview(Project(root), datetime(2026, 12, 20, 12, tzinfo=UTC))
    return root / "publish" / "index.html"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield launched
        launched.close()


def open_page(browser, *, width: int, scheme: str):
    """A page that records every console error (a CSP violation is one), page error and request off disk."""
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    context.set_default_timeout(5000)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else problems.append(r.url))
    return context, page, problems


def test_from_the_preview_to_charts_with_names_and_numbers(browser, site):
    context, page, problems = open_page(browser, width=1300, scheme="light")
    page.goto(site.as_uri())
    page.get_by_role("link", name="Performance").click()
    page.wait_for_url("**/performance.html")
    assert page.title() == "Fix-it Café · performance"
    charts = page.locator("svg[role=img]")
    assert charts.count() >= 5  # two accounts' weeks, tags, campaign, format, weekday × hour
    for index in range(charts.count()):
        chart = charts.nth(index)
        label = page.evaluate(
            "svg => svg.getAttribute('aria-labelledby').split(' ').map(id => document.getElementById(id)"
            ".textContent).join(' | ')",
            chart.element_handle(),
        )
        assert label.count(" | ") == 1 and len(label) > 30, label  # a title and a description
        assert chart.locator("text").count() > 0  # numbers written, not colour alone
    heat = page.get_by_role("img", name="Median lift by weekday and hour")
    cells = heat.locator("rect.cell")
    assert cells.count() >= 14
    assert heat.locator("rect.cell title").first.text_content().count("posts") == 1
    # the heat map's shades grow with the number written in the cell
    shades = page.evaluate(
        "svg => [...svg.querySelectorAll('rect.cell')].map(r => [Number(r.getAttribute('fill-opacity')),"
        " Number(r.nextElementSibling.textContent.replace('*', ''))])",
        heat.element_handle(),
    )
    ordered = sorted(shades, key=lambda pair: pair[1])
    assert [pair[0] for pair in ordered] == sorted(pair[0] for pair in ordered)
    page.get_by_text("Numbers").first.click()  # the first account's weeks, as a table
    assert (
        page.locator("details[open] table tbody tr").count() == charts.first.locator("rect.bar").count() >= 4
    )
    link = page.get_by_role("link", name="on X").first
    assert link.get_attribute("href").startswith("https://x.example/x_main/")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "performance-light.png"), full_page=True)
    page.get_by_role("link", name="back to the posts").click()
    page.wait_for_url("**/index.html")
    context.close()
    assert problems == []


@pytest.mark.parametrize(("width", "scheme"), [(375, "dark"), (1440, "dark")])
def test_readable_on_a_phone_and_in_dark_mode(browser, site, width, scheme):
    context, page, problems = open_page(browser, width=width, scheme=scheme)
    page.goto((site.parent / "performance.html").as_uri())
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0  # charts shrink to the screen, tables scroll inside their section
    ink, ground = page.evaluate(
        "() => [getComputedStyle(document.querySelector('svg text')).fill,"
        " getComputedStyle(document.body).backgroundColor]"
    )
    assert ink != ground
    page.screenshot(path=str(ARTIFACTS / f"performance-{width}-{scheme}.png"), full_page=True)
    context.close()
    assert problems == []
