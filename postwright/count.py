"""`postwright count`: a text measured the way each platform measures it, against its limits (a
platform's own, or an account's from config.yml)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from postwright.platforms import PLATFORMS
from postwright.platforms.base import Measure

if TYPE_CHECKING:  # config.yml is read only for --account: counting alone stays quick to start
    from postwright.config import Config


class UnknownAccount(ValueError):
    """An account config.yml does not have: the message names the accounts it has."""


@dataclass(frozen=True, slots=True)
class Counted:
    """The text against one platform's (or account's) measures; the first measure is the one shown first."""

    name: str  # a platform, or an account
    platform: str | None  # for an account: the platform it posts to
    measures: tuple[Measure, ...]
    counts: tuple[int, ...]

    @property
    def too_long(self) -> bool:
        return any(count > measure.limit for measure, count in zip(self.measures, self.counts, strict=True))

    @property
    def others(self) -> tuple[tuple[str, int], ...]:
        """(unit, count) of the measures after the first, such as Bluesky's bytes."""
        return tuple((m.unit, count) for m, count in zip(self.measures[1:], self.counts[1:], strict=True))

    def as_dict(self) -> dict[str, object]:
        first = self.measures[0]
        entry: dict[str, object] = {"count": self.counts[0], "limit": first.limit, "unit": first.unit}
        entry.update(self.others)
        return entry | ({"platform": self.platform} if self.platform else {})


def count(
    text: str, platforms: Sequence[str], accounts: Sequence[str], config: Config | None
) -> list[Counted]:
    """`text` against each of `platforms` and `accounts` (config.yml's limits for them); every platform
    when neither is named. An account named like a platform takes its place."""
    named = {
        name: (None, PLATFORMS[name].limits.measures) for name in platforms or ([] if accounts else PLATFORMS)
    }
    if accounts:
        assert config is not None, "accounts are read from config.yml"
        named.update(_account_measures(config, accounts))
    return [
        Counted(name, platform, tuple(measures), tuple(measure.count(text) for measure in measures))
        for name, (platform, measures) in named.items()
    ]


def _account_measures(config: Config, names: Iterable[str]) -> dict[str, tuple[str, Sequence[Measure]]]:
    """account -> (its platform, its measures with config.yml's limits: its platform's, then its own)."""
    from postwright.config import limits_for
    from postwright.schema import did_you_mean

    for name in names:
        if name not in config.accounts:
            raise UnknownAccount(
                f"no account '{name}' in config.yml{did_you_mean(name, config.accounts)}; "
                f"accounts: {', '.join(config.accounts)}"
            )
    return {
        name: (config.accounts[name].platform, limits_for(config, config.accounts[name]).measures)
        for name in names
    }
