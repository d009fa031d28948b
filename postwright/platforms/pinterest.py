"""Pinterest."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="pinterest", title="Pinterest", handle_hint="username, e.g. janedoe")
