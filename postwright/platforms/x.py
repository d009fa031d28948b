"""X."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="x", title="X", handle_hint="username without @, e.g. janedoe")
