"""engagement.crisis: a spike over the 28-day hourly median, and watch words in any script."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from postwright.engagement.crisis import CrisisRules, detect, hourly_median, matches, spike
from postwright.engagement.model import Conversation

NOW = datetime(2026, 12, 7, 12, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def usual(per_hour: int) -> dict[datetime, int]:
    """28 days of `per_hour` replies every hour before the current one."""
    start = NOW.replace(minute=0) - timedelta(days=28)
    return {start + HOUR * n: per_hour for n in range(28 * 24)}


def test_the_median_counts_quiet_hours_as_zero():
    hours = {NOW.replace(minute=0) - HOUR * n: 10 for n in range(1, 100)}  # 99 busy hours of 672
    assert hourly_median(hours, NOW) == 0


def test_a_spike_is_more_than_factor_times_the_median_over_the_window():
    rules = CrisisRules(spike_factor=4, window_hours=3)
    hours = usual(2)
    this_hour = NOW.replace(minute=0)
    calm = {**hours, this_hour: 8, this_hour - HOUR: 8, this_hour - 2 * HOUR: 8}  # 24 = 4 × 2 × 3: not over
    assert spike("masto", calm, NOW, rules) is None
    loud = {**calm, this_hour: 9}
    signal = spike("masto", loud, NOW, rules)
    assert signal is not None and signal.reason == "spike"
    assert signal.evidence[0] == "25 replies and mentions in the last 3 h"
    assert signal.window == (this_hour - 2 * HOUR, NOW)


def test_a_quiet_account_needs_more_than_a_handful_to_spike():
    rules = CrisisRules(spike_factor=4, window_hours=3)
    assert spike("masto", {NOW.replace(minute=0): 12}, NOW, rules) is None  # median 0 counts as 1: 12 allowed
    assert spike("masto", {NOW.replace(minute=0): 13}, NOW, rules) is not None


@pytest.mark.parametrize(
    ("words", "text", "found"),
    [
        (["recall"], "Is there a RECALL on the kites?", ["recall"]),
        (["recall"], "recalled the order", []),  # word boundaries
        (["estafa"], "¡Esto es una ÉSTAFA!", ["estafa"]),  # accents ignored both ways
        (["éstafa"], "esto es una estafa", ["éstafa"]),
        (["мошенники"], "Это МОШЕННИКИ, не покупайте", ["мошенники"]),
        (["کلاهبرداری"], "اين يك كلاهبرداري است", ["کلاهبرداری"]),  # Persian word, Arabic kaf and yeh
        (["詐欺"], "これは詐欺です", ["詐欺"]),  # no spaces between words: matched inside
        (["bad product"], "such a bad\n product!", ["bad product"]),  # any spacing inside a phrase
        (["bad product"], "bad products", []),
        (["  "], "anything", []),
    ],
)
def test_watch_words_match_case_and_accent_insensitively_on_word_boundaries(words, text, found):
    assert matches(words, text) == found


def test_detect_gives_a_watch_word_signal_with_links_not_text():
    heard = [
        Conversation(
            "mastodon",
            "masto",
            "reply",
            "7",
            "https://example.social/@ana/7",
            "@ana",
            NOW,
            "a RECALL, really?",
        )
    ]
    (signal,) = detect("masto", {}, heard, NOW, CrisisRules(watch_words=("recall",)))
    assert signal.reason == "watch word" and signal.evidence == (
        "recall: reply https://example.social/@ana/7",
    )
    assert "really" not in " ".join(signal.evidence)


def test_spike_factor_takes_any_number_above_one_and_says_so(make_project):
    from postwright.config import load_config
    from tests.conftest import MINIMAL_CONFIG

    def problems(value: str) -> list[str]:
        project = make_project(f"-- config.yml --\n{MINIMAL_CONFIG}engagement:\n  spike_factor: {value}\n")
        return [item.message for item in load_config(project)[1]]

    assert problems("2.5") == []
    assert problems("-1") == [
        "engagement.spike_factor should be a number above 1, at most 1000, e.g. `spike_factor: 4`"
    ]
