"""Bluesky."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="bluesky", title="Bluesky", handle_hint="domain handle, e.g. jane.bsky.social")
