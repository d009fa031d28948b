"""The platform registry: every package in this one that defines PLATFORM, in sorted order.

Adding a platform means adding one package here (plus its tests); nothing else lists them: every other
module reads a platform's facts from `PLATFORMS` when it needs them. A platform's `__init__.py` declares
it (data; it imports no HTTP client); its publisher.py is imported only to send or verify (base.Lazy).
The modules beside the packages (base, publishing, http, graph, outbox) are shared code, never imported
by discovery. The packages are found on first use of `PLATFORMS`, not on import of this package, so
`postwright.platforms.base` (ImageSpec, Limits) costs nothing to import, in the media workers too.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

from postwright.platforms.base import Platform

_FOUND: dict[str, Platform] = {}

PLATFORMS: Mapping[str, Platform]  # found on first use: see __getattr__


def _discover() -> None:
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if not module_info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        platform = getattr(module, "PLATFORM", None)
        if platform is not None:
            _add(platform)


def _add(platform: Platform) -> None:
    if platform.name in _FOUND:
        raise RuntimeError(f"platform {platform.name!r} is declared twice")
    _FOUND[platform.name] = platform


def __getattr__(name: str) -> Any:
    """PLATFORMS, discovered the first time it is asked for (PEP 562), then a plain module attribute."""
    if name != "PLATFORMS":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return _loaded()


def _loaded() -> Mapping[str, Platform]:
    if "PLATFORMS" not in globals():
        globals()["PLATFORMS"] = MappingProxyType(_FOUND)  # before the imports, which may ask for it
        try:
            _discover()
        except BaseException:  # a module that fails to import: no half-filled registry is left behind
            del globals()["PLATFORMS"]
            _FOUND.clear()
            raise
    return globals()["PLATFORMS"]


@contextmanager
def register(platform: Platform) -> Iterator[Platform]:
    """A platform declared outside this package (a plugin, a test) in PLATFORMS while the block runs, by
    the same rule as a module here: a name already taken is refused."""
    _loaded()
    _add(platform)
    try:
        yield platform
    finally:
        del _FOUND[platform.name]
