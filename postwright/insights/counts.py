"""What every platform's metrics reader does with an answer: check that a number is a count, and add a
thread's parts up into its delivery (insights.model.PostReading)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def is_count(value: Any) -> bool:
    """A whole number from 0: JSON's true is not one, nor 1.5 or "3"."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def summed(parts: Sequence[Mapping[str, Any]], names: Iterable[str]) -> dict[str, int]:
    """The parts' counts added up by name; a name no part carries is left out (a platform that does not
    count it), a value that is not a count is a ValueError (a malformed answer)."""
    total: dict[str, int] = {}
    for part in parts:
        for name in names:
            value = part.get(name)
            if value is None:
                continue
            if not is_count(value):
                raise ValueError(f"{name} is {value!r}, not a count")
            total[name] = total.get(name, 0) + value
    return total
