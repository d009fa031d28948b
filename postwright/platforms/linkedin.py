"""LinkedIn."""

from postwright.platforms.base import Platform

PLATFORM = Platform(
    name="linkedin", title="LinkedIn", handle_hint="profile or organization URN, e.g. urn:li:person:abc123"
)
