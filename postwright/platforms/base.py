"""What every platform module declares. Limits, dialects and publishers join this as they are built."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Platform:
    name: str  # key in config.yml, template name (templates/<name>.j2), rule scope
    title: str  # for people: "Bluesky", "X"
    handle_hint: str  # what a handle in the people directory looks like here
