"""Instagram."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="instagram", title="Instagram", handle_hint="username without @, e.g. janedoe")
