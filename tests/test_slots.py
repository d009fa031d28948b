"""Posting slots: the next free one (`new`); the `schedule` command is tested in test_publish.py."""

from datetime import UTC, datetime

from postwright.config import load_config
from postwright.slots import next_free_slot


def test_next_free_slot_skips_taken_slots(make_project):
    project = make_project(
        "-- config.yml --\nbrand: {name: B, timezone: Europe/Madrid}\naccounts: {}\n"
        "schedule: {slots: ['17:00', '09:00']}\n"
    )
    config, problems = load_config(project)
    assert problems == []
    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    first = next_free_slot(config, [], now)
    assert (first.day, first.hour) == (2, 9)
    assert (next_free_slot(config, [first], now).day, next_free_slot(config, [first], now).hour) == (2, 17)
