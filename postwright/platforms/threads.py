"""Threads."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="threads", title="Threads", handle_hint="username without @, e.g. janedoe")
