"""The quality search within a byte limit (postwright/media/encode.py)."""

from __future__ import annotations

import pytest

from postwright.media.encode import QUALITY_MAX, QUALITY_MIN, fit_quality


@pytest.mark.parametrize("limit", [5_000, 7_777, 12_345, 30_000, 60_000, 80_000])
def test_quality_search_finds_the_highest_quality_that_fits(limit):
    calls = []

    def encode(quality: int) -> bytes:
        calls.append(quality)
        return bytes(int(1000 * 1.07**quality))  # monotone, roughly like JPEG

    found = fit_quality(encode, limit)
    fitting = [q for q in range(QUALITY_MIN, QUALITY_MAX + 1) if int(1000 * 1.07**q) <= limit]
    if not fitting:
        assert found is None
    else:
        assert found[1] == max(fitting)
        assert len(found[0]) <= limit
    assert len(calls) <= 9
