"""Conversions import: Plausible Stats API v2 and the GA4 Data API against local servers that check each
request as the references document it, the CSV drop-in folder, and state/conversions/ (atomic, sorted,
only what changed, a damaged file located)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from click.testing import CliRunner
from werkzeug import Request, Response

from postwright.cli import cli
from postwright.config import load_config
from postwright.insights import analytics, conversions
from postwright.insights.conversions import Conversion, ConversionsError, pull, read_conversions, store
from tests.fakes.api import FakeApi, http_server, json_response

__all__ = ["http_server"]  # the module-scoped fixture, used by name

PLAUSIBLE_KEY = "plausible-key-0123456789"
GA4_TOKEN = "ya29.ga4-token-0123456789"

# https://plausible.io/docs/stats-api: the query keys, metrics, dimensions and filter operators it documents
PLAUSIBLE_KEYS = {
    "site_id",
    "date_range",
    "metrics",
    "dimensions",
    "filters",
    "order_by",
    "include",
    "pagination",
}
PLAUSIBLE_METRICS = {
    *("visitors", "visits", "pageviews", "views_per_visit", "bounce_rate", "visit_duration", "events"),
    *("scroll_depth", "percentage", "conversion_rate", "group_conversion_rate", "average_revenue"),
    *("total_revenue", "time_on_page"),
}
PLAUSIBLE_GOAL_METRICS = {"conversion_rate", "group_conversion_rate", "average_revenue", "total_revenue"}
PLAUSIBLE_DIMENSIONS = {
    *(
        "event:goal",
        "event:page",
        "event:hostname",
        "time",
        "time:hour",
        "time:day",
        "time:week",
        "time:month",
    ),
    *(f"visit:{name}" for name in ("entry_page", "exit_page", "source", "referrer", "channel", "device")),
    *(f"visit:utm_{name}" for name in ("medium", "source", "campaign", "content", "term")),
}
PLAUSIBLE_OPERATORS = {"is", "is_not", "contains", "contains_not", "matches", "matches_not"}

# https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport
GA4_KEYS = {
    *("property", "dimensions", "metrics", "dateRanges", "dimensionFilter", "metricFilter", "offset"),
    *("limit", "metricAggregations", "orderBys", "currencyCode", "cohortSpec", "keepEmptyRows"),
    *("returnPropertyQuota", "comparisons"),
}
# https://developers.google.com/analytics/devguides/reporting/data/v1/api-schema (those this import may ask)
GA4_DIMENSIONS = {"date", "sessionCampaignName", "sessionManualAdContent", "sessionSource", "sessionMedium"}
GA4_METRICS = {"sessions", "keyEvents", "totalRevenue", "purchaseRevenue", "activeUsers"}


def _project(make_project, conversions_block: str = ""):
    return make_project(
        "-- config.yml --\nbrand: {name: B, timezone: Europe/Madrid}\n"
        "accounts: {x_main: {platform: x}}\n" + conversions_block
    )


PLAUSIBLE_CONFIG = (
    "conversions:\n  plausible: {site_id: kites.example, goals: [Signup, Purchase], key: PLAUSIBLE_KEY}\n"
)


class PlausibleFake:
    """POST /api/v2/query, checked as documented; answers from `visits` and `goals` rows, paged."""

    def __init__(self, server, visits: list[list[Any]], goals: list[list[Any]]) -> None:
        self.api = FakeApi(server)
        self.visits, self.goals = visits, goals
        self.queries: list[dict[str, Any]] = []
        self.status: int | None = None
        self.api.route("POST", "/api/v2/query", self.query)

    def query(self, request: Request) -> Response:
        assert request.headers.get("Authorization") == f"Bearer {PLAUSIBLE_KEY}", "Authorization: Bearer key"
        assert request.mimetype == "application/json", "Content-Type: application/json"
        body = json.loads(request.get_data())
        self.queries.append(body)
        assert set(body) <= PLAUSIBLE_KEYS, f"unknown keys {set(body) - PLAUSIBLE_KEYS}"
        assert {"site_id", "metrics", "date_range"} <= set(body), "site_id, metrics, date_range are required"
        assert body["site_id"] == "kites.example"
        assert set(body["metrics"]) <= PLAUSIBLE_METRICS, body["metrics"]
        assert set(body["dimensions"]) <= PLAUSIBLE_DIMENSIONS, body["dimensions"]
        first, last = (date.fromisoformat(day) for day in body["date_range"])
        assert first <= last
        for operator, dimension, clauses in body.get("filters", []):
            assert operator in PLAUSIBLE_OPERATORS and dimension in PLAUSIBLE_DIMENSIONS
            assert isinstance(clauses, list)
            if dimension == "event:goal":
                assert operator in ("is", "contains"), "only is and contains are valid for event:goal"
        goal_filtered = any(item[1] == "event:goal" for item in body.get("filters", []))
        if set(body["metrics"]) & PLAUSIBLE_GOAL_METRICS:
            assert goal_filtered, "revenue and conversion metrics require an event:goal filter"
        page = body.get("pagination", {"limit": 10000, "offset": 0})
        assert 1 <= page["limit"] <= 10000 and page["offset"] >= 0
        if self.status is not None:
            return json_response({"error": "Invalid API key or site ID"}, self.status)
        rows = self.goals if goal_filtered else self.visits
        chosen = rows[page["offset"] : page["offset"] + page["limit"]]
        return json_response(
            {
                "results": [{"dimensions": dims, "metrics": metrics} for dims, metrics in chosen],
                "meta": {},
                "query": body,
            }
        )


def test_plausible_visits_and_goal_conversions_by_day_campaign_and_content(
    make_project, http_server, monkeypatch
):
    fake = PlausibleFake(
        http_server,
        visits=[
            [["2026-11-20", "2026-11-20-launch", "x_main"], [40]],
            [["2026-11-20", "2026-11-20-launch", "x_es"], [12]],
            [["2026-12-01", "2026-11-20-launch", ""], [3]],
            [["2026-11-21", "(none)", ""], [900]],
        ],
        goals=[
            [
                ["2026-11-20", "2026-11-20-launch", "x_main"],
                [4, {"value": 120.5, "currency": "EUR", "short": "€120.5"}],
            ],
            [["2026-11-20", "2026-11-20-launch", "x_es"], [1, None]],
        ],
    )
    project = _project(make_project, PLAUSIBLE_CONFIG.replace("}\n", f", url: '{fake.api.url}'}}\n"))
    config, problems = load_config(project)
    assert problems == []
    pulled = pull(
        project.root, config, date(2026, 11, 1), date(2026, 12, 7), {"PLAUSIBLE_KEY": PLAUSIBLE_KEY}
    )
    assert [item.error for item in pulled] == [None, None] and fake.api.problems == []
    visits_query, goals_query = fake.queries
    assert visits_query["metrics"] == ["visits"] and visits_query["date_range"] == [
        "2026-11-01",
        "2026-12-07",
    ]
    assert visits_query["dimensions"] == ["time:day", "visit:utm_campaign", "visit:utm_content"]
    assert ["is", "event:goal", ["Signup", "Purchase"]] in goals_query["filters"]
    written = store(project.root, pulled)
    assert [path.name for path in written] == ["2026-11.csv", "2026-12.csv"]
    assert (project.root / "state/conversions/2026-11.csv").read_text() == (
        "date,source,utm_campaign,utm_content,visits,conversions,revenue,currency\n"
        "2026-11-20,plausible,2026-11-20-launch,x_es,12,1,0.00,\n"
        "2026-11-20,plausible,2026-11-20-launch,x_main,40,4,120.50,EUR\n"
    )
    again = pull(project.root, config, date(2026, 11, 1), date(2026, 12, 7), {"PLAUSIBLE_KEY": PLAUSIBLE_KEY})
    assert store(project.root, again) == []  # the same numbers: no file is rewritten


def test_plausible_pages_through_results(make_project, http_server, monkeypatch):
    monkeypatch.setattr(analytics, "PLAUSIBLE_PAGE", 2)
    fake = PlausibleFake(
        http_server,
        visits=[[["2026-11-0" + str(day), "p", "x_main"], [day]] for day in range(1, 6)],
        goals=[],
    )
    project = _project(make_project, PLAUSIBLE_CONFIG.replace("}\n", f", url: '{fake.api.url}'}}\n"))
    config, problems = load_config(project)
    assert problems == []
    (_, plausible_pulled) = pull(
        project.root, config, date(2026, 11, 1), date(2026, 11, 30), {"PLAUSIBLE_KEY": PLAUSIBLE_KEY}
    )
    assert [row.visits for row in plausible_pulled.rows] == [1, 2, 3, 4, 5]
    assert [query["pagination"]["offset"] for query in fake.queries] == [0, 2, 4, 0]
    assert fake.api.problems == []


def test_a_refused_key_changes_nothing_and_is_never_printed(make_project, http_server):
    fake = PlausibleFake(http_server, visits=[], goals=[])
    fake.status = 401
    project = _project(make_project, PLAUSIBLE_CONFIG.replace("}\n", f", url: '{fake.api.url}'}}\n"))
    config, _ = load_config(project)
    before = [Conversion(date(2026, 11, 2), "plausible", "p", "x_main", 5, 1, 0.0, "")]
    from postwright.insights.conversions import Pulled

    store(project.root, [Pulled("plausible", tuple(before), date(2026, 11, 1), date(2026, 11, 30))])
    pulled = pull(
        project.root, config, date(2026, 11, 1), date(2026, 11, 30), {"PLAUSIBLE_KEY": PLAUSIBLE_KEY}
    )
    error = pulled[1].error
    assert error is not None and "401" in error and "Invalid API key" in error and PLAUSIBLE_KEY not in error
    store(project.root, pulled)
    assert list(read_conversions(project.root)) == before
    missing = pull(project.root, config, date(2026, 11, 1), date(2026, 11, 30), {})[1].error
    assert (
        missing == "environment variable PLAUSIBLE_KEY is not set: it should hold a Plausible Stats API key"
    )


class Ga4Fake:
    """POST /v1beta/properties/{property}:runReport, checked as documented; answers in pages."""

    def __init__(self, server, rows: list[tuple[list[str], list[str]]]) -> None:
        self.api = FakeApi(server)
        self.rows = rows
        self.requests: list[dict[str, Any]] = []
        self.api.route("POST", r"/v1beta/properties/(?P<property>[0-9]+):runReport", self.run_report)

    def run_report(self, request: Request, property: str) -> Response:
        assert property == "312345678"
        assert request.headers.get("Authorization") == f"Bearer {GA4_TOKEN}", "OAuth bearer token"
        body = json.loads(request.get_data())
        self.requests.append(body)
        assert set(body) <= GA4_KEYS, f"unknown fields {set(body) - GA4_KEYS}"
        (date_range,) = body["dateRanges"]
        date.fromisoformat(date_range["startDate"]), date.fromisoformat(date_range["endDate"])
        assert all(set(item) == {"name"} for item in body["dimensions"] + body["metrics"])
        assert {item["name"] for item in body["dimensions"]} <= GA4_DIMENSIONS
        assert {item["name"] for item in body["metrics"]} <= GA4_METRICS
        assert 0 < body.get("limit", 10000) <= 250_000, "limit: at most 250,000"
        offset, limit = body.get("offset", 0), body.get("limit", 10000)
        page = self.rows[offset : offset + limit]
        answer: dict[str, Any] = {
            "dimensionHeaders": [{"name": item["name"]} for item in body["dimensions"]],
            "metricHeaders": [
                {
                    "name": item["name"],
                    "type": "TYPE_CURRENCY" if "Revenue" in item["name"] else "TYPE_INTEGER",
                }
                for item in body["metrics"]
            ],
            "rowCount": len(self.rows),
            "metadata": {"currencyCode": "EUR", "timeZone": "Europe/Madrid"},
            "kind": "analyticsData#runReport",
        }
        if page:  # the reference's JSON leaves out an empty rows list
            answer["rows"] = [
                {
                    "dimensionValues": [{"value": value} for value in dims],
                    "metricValues": [{"value": value} for value in metrics],
                }
                for dims, metrics in page
            ]
        return json_response(answer)


def test_ga4_sessions_key_events_and_revenue_paged(make_project, http_server, monkeypatch):
    monkeypatch.setattr(analytics, "GA4_PAGE", 2)
    fake = Ga4Fake(
        http_server,
        [
            (["20261120", "2026-11-20-launch", "x_main"], ["30", "2", "99.9"]),
            (["20261120", "2026-11-20-launch", "(not set)"], ["5", "0", "0"]),
            (["20261121", "(not set)", "(not set)"], ["700", "9", "10"]),
            (["20261122", "2026-11-20-launch", "x_es"], ["7", "1", "15"]),
        ],
    )
    project = _project(
        make_project,
        f"conversions:\n  ga4: {{property: '312345678', token: GA4_TOKEN, url: '{fake.api.url}'}}\n",
    )
    config, problems = load_config(project)
    assert problems == []
    pulled = pull(project.root, config, date(2026, 11, 1), date(2026, 11, 30), {"GA4_TOKEN": GA4_TOKEN})
    assert pulled[1].error is None and fake.api.problems == []
    assert [request["offset"] for request in fake.requests] == [0, 2]
    assert pulled[1].rows == (
        Conversion(date(2026, 11, 20), "ga4", "2026-11-20-launch", "", 5, 0, 0.0, ""),
        Conversion(date(2026, 11, 20), "ga4", "2026-11-20-launch", "x_main", 30, 2, 99.9, "EUR"),
        Conversion(date(2026, 11, 22), "ga4", "2026-11-20-launch", "x_es", 7, 1, 15.0, "EUR"),
    )
    names = [item["name"] for item in fake.requests[0]["dimensions"]]
    assert names == ["date", "sessionCampaignName", "sessionManualAdContent"]


def test_the_csv_drop_in_replaces_only_the_days_it_covers(make_project):
    """A brand that keeps only this month's export, or moves the folder, keeps the history imported."""
    project = _project(make_project)
    config, _ = load_config(project)
    folder = project.root / "conversions"
    folder.mkdir()
    (folder / "shop.csv").write_text(
        "date,utm_campaign,conversions\n2026-10-20,a,1\n2026-11-20,b,2\n2026-11-25,c,3\n"
    )
    store(project.root, pull(project.root, config, date(2026, 10, 1), date(2026, 11, 30)))
    (folder / "shop.csv").write_text("date,utm_campaign,conversions\n2026-11-20,b,5\n2026-11-21,d,4\n")
    store(project.root, pull(project.root, config, date(2026, 11, 1), date(2026, 11, 30)))
    assert [(row.day.day, row.campaign, row.conversions) for row in read_conversions(project.root)] == [
        (20, "a", 1),  # October: not covered by the new file, kept
        (20, "b", 5),  # 20-21 November: the file's days, replaced
        (21, "d", 4),
        (25, "c", 3),  # after the file's last day: kept
    ]
    (folder / "shop.csv").unlink()  # the folder emptied: nothing is deleted
    store(project.root, pull(project.root, config, date(2026, 11, 1), date(2026, 11, 30)))
    assert len(list(read_conversions(project.root))) == 4


def test_the_csv_drop_in_is_the_whole_truth_of_its_days(make_project):
    project = _project(make_project)
    config, _ = load_config(project)
    folder = project.root / "conversions"
    folder.mkdir()
    (folder / "shop.csv").write_text(
        "\ufeffDate,utm_campaign,utm_content,conversions,revenue,currency\n"
        "2026-11-20,2026-11-20-launch,x_main,2,59.80,eur\n"
        "2026-11-20,2026-11-20-launch,x_main,1,10,EUR\n"
    )
    store(project.root, pull(project.root, config, date(2026, 11, 1), date(2026, 11, 30)))
    assert list(read_conversions(project.root)) == [
        Conversion(date(2026, 11, 20), "csv", "2026-11-20-launch", "x_main", 0, 3, 69.8, "EUR")
    ]
    (folder / "shop.csv").write_text("date,utm_campaign,conversions\n2026-11-21,p,2\n2026-11-22,p,two\n")
    (csv_pulled,) = pull(project.root, config, date(2026, 11, 1), date(2026, 11, 30))
    assert csv_pulled.error == "conversions/shop.csv:3: conversions 'two' is not a whole number"
    store(project.root, [csv_pulled])
    assert [row.conversions for row in read_conversions(project.root)] == [3]  # nothing half-imported
    (folder / "shop.csv").write_text("day,utm_campaign\n")
    assert pull(project.root, config, date(2026, 11, 1), date(2026, 11, 30))[0].error == (
        "conversions/shop.csv:1: unknown column 'day'; the columns are date, utm_campaign, utm_content, "
        "visits, conversions, revenue, currency"
    )


def test_a_damaged_state_file_is_a_located_error(make_project):
    project = _project(make_project)
    path = project.root / "state/conversions/2026-11.csv"
    path.parent.mkdir(parents=True)
    header = ",".join(conversions.COLUMNS)
    path.write_text(f"{header}\n2026-11-20,csv,p,x_main,1,1,1.00,EUR\n2026-11-2")
    with pytest.raises(
        ConversionsError, match=r"^state/conversions/2026-11.csv:3: .*restore the file from git"
    ):
        list(read_conversions(project.root))
    path.write_text("date,source\n")
    with pytest.raises(ConversionsError, match=r"^state/conversions/2026-11.csv:1: the header should be"):
        list(read_conversions(project.root))


def test_the_command_stores_what_it_could_and_says_what_failed(make_project, http_server):
    from click.testing import CliRunner

    from postwright.cli import cli

    fake = PlausibleFake(http_server, visits=[[["2026-11-20", "p", "x_main"], [4]]], goals=[])
    project = _project(make_project, PLAUSIBLE_CONFIG.replace("}\n", f", url: '{fake.api.url}'}}\n"))
    (project.root / "conversions").mkdir()
    (project.root / "conversions/shop.csv").write_text("date,utm_campaign,conversions\n2026-11-21,p,2\n")
    run = [
        "-C",
        str(project.root),
        "metrics",
        "conversions",
        "--since",
        "2026-11-01",
        "--at",
        "2026-12-01T10:00",
    ]
    result = CliRunner().invoke(cli, run, env={"PLAUSIBLE_KEY": PLAUSIBLE_KEY})
    assert result.exit_code == 0, result.output
    assert "plausible: 1 row(s)" in result.output and "csv: 1 row(s)" in result.output
    assert fake.queries[0]["date_range"] == ["2026-11-01", "2026-12-01"]
    assert [row.source for row in read_conversions(project.root)] == ["plausible", "csv"]
    fake.status = 401
    result = CliRunner().invoke(cli, run, env={"PLAUSIBLE_KEY": PLAUSIBLE_KEY})
    assert result.exit_code == 3 and "plausible: Plausible: 401" in result.output
    assert PLAUSIBLE_KEY not in result.output
    assert [row.source for row in read_conversions(project.root)] == ["plausible", "csv"]  # kept
    bad = CliRunner().invoke(cli, [*run[:4], "--since", "last week"])
    assert bad.exit_code == 2 and "give days (28d) or a date" in bad.output


def test_a_malformed_answer_is_a_reason_not_a_traceback(make_project, http_server):
    fake = PlausibleFake(http_server, visits=[[["yesterday", "p", "x_main"], ["many"]]], goals=[])
    project = _project(make_project, PLAUSIBLE_CONFIG.replace("}\n", f", url: '{fake.api.url}'}}\n"))
    config, _ = load_config(project)
    (_, pulled) = pull(
        project.root, config, date(2026, 11, 1), date(2026, 11, 30), {"PLAUSIBLE_KEY": PLAUSIBLE_KEY}
    )
    assert (
        pulled.error == "Plausible: an answer is not shaped as its reference documents" and pulled.rows == ()
    )


def test_without_a_source_the_command_ends_at_once_and_writes_nothing(make_project):
    """The scheduled metrics job runs it for every brand: one configuring nothing gets a line, no files."""
    project = make_project("-- config.yml --\nbrand: {name: B, timezone: UTC}\naccounts: {}\n")

    result = CliRunner().invoke(cli, ["-C", str(project.root), "metrics", "conversions", "--since", "7d"])

    assert result.exit_code == 0, result.output
    assert "no source (conversions: in config.yml, CSV files in conversions/)" in result.stderr
    assert not (project.root / "state").exists()
    # a CSV file dropped in is a source; once it is gone again, what it brought stays
    (project.root / "conversions").mkdir()
    (project.root / "conversions" / "shop.csv").write_text("date,utm_campaign,visits\n2026-11-20,launch,3\n")
    assert CliRunner().invoke(cli, ["-C", str(project.root), "metrics", "conversions"]).exit_code == 0
    assert [row.visits for row in read_conversions(project.root)] == [3]
    (project.root / "conversions" / "shop.csv").unlink()
    again = CliRunner().invoke(cli, ["-C", str(project.root), "metrics", "conversions"])
    assert again.exit_code == 0 and "no source" in again.stderr
    assert [row.visits for row in read_conversions(project.root)] == [3]
