"""Mastodon."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="mastodon", title="Mastodon", handle_hint="full address, e.g. @jane@mastodon.social")
