"""Telegram."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="telegram", title="Telegram", handle_hint="username without @, e.g. janedoe")
