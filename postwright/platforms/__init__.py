"""The platform registry: every package in this one that defines PLATFORM, in sorted order.

Adding a platform means adding one package here (plus its tests); nothing else lists them. A platform's
`__init__.py` declares it (data, imports no HTTP client); its publisher.py is imported only to send or
verify (base.Lazy). The modules beside the packages (base, publishing, http, graph, outbox) are shared
code, never imported by discovery.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from types import MappingProxyType

from postwright.platforms.base import Platform


def _discover() -> Mapping[str, Platform]:
    found: dict[str, Platform] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if not module_info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        platform = getattr(module, "PLATFORM", None)
        if platform is None:
            continue
        if platform.name in found:
            raise RuntimeError(f"platform {platform.name!r} is declared twice")
        found[platform.name] = platform
    return MappingProxyType(found)


PLATFORMS: Mapping[str, Platform] = _discover()
