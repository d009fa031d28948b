"""Facebook."""

from postwright.platforms.base import Platform

PLATFORM = Platform(name="facebook", title="Facebook", handle_hint="page or profile name, e.g. acmekites")
