"""Discord."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="discord", title="Discord", handle_hint="user id, e.g. 80351110224678912")
