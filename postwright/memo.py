"""What a build rendered, remembered for the next one: a rebuild renders only the posts that changed.

An entry is keyed by everything rendering reads: the resolved post (its repr: every field, dates with
their zone), the account, and a digest of config.yml, every file under templates/ and postwright's own
code. A changed post, template or config line therefore misses; nothing else can make a stale entry hit.

The file is a pickle in the git-ignored .postwright-cache/. It is read with an unpickler that builds only
postwright's data types, dates and plain containers, so a planted file cannot run code; any file that
does not read back is ignored and the build renders everything, as on a fresh clone.
"""

from __future__ import annotations

import hashlib
import io
import operator
import os
import pickle
from collections.abc import Callable, Iterable
from dataclasses import fields
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from postwright.diagnostics import Diagnostic, Severity, Span
from postwright.model import MediaRef, Post, Variant

FORMAT = 1  # bump when an entry's shape changes
_ALLOWED = {
    ("postwright.model", "Variant"),
    ("postwright.model", "MediaRef"),
    ("postwright.diagnostics", "Diagnostic"),
    ("postwright.diagnostics", "Span"),
    ("postwright.diagnostics", "Severity"),
    ("datetime", "datetime"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
    ("zoneinfo", "ZoneInfo"),
}

# what rendering one post for one account gave: the variant (None when it failed), the render problems,
# the variant's own rule problems and post.json's text facts (None when not computed)
Entry = tuple[Variant | None, tuple[Diagnostic, ...], tuple[Diagnostic, ...], dict[str, Any] | None]


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not cached data")
        return super().find_class(module, name)


def inputs_digest(code: str, files: Iterable[Path]) -> str:
    """The digest of postwright's code fingerprint and the bytes of every file rendering reads."""
    digest = hashlib.sha256(f"{FORMAT}\0{code}".encode())
    for path in sorted(files):
        try:
            data = path.read_bytes()
        except OSError:
            data = b"\0missing"
        digest.update(f"{path.as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


class RenderMemo:
    """Entries of the last build whose inputs digest matches; those used now are kept by `save`."""

    def __init__(self, path: Path, inputs: str) -> None:
        self.path = path
        self.inputs = inputs
        self._old = self._read()
        self._new: dict[str, Entry] = {}
        self.hits = 0

    def _read(self) -> dict[str, Entry]:
        try:
            with self.path.open("rb") as handle:
                stored = _DataOnly(handle).load()
        except Exception:  # missing, damaged or planted: never worth a failed build
            return {}
        if not isinstance(stored, dict) or stored.get("inputs") != self.inputs:
            return {}
        entries = stored.get("entries")
        return entries if isinstance(entries, dict) else {}

    def keys(self, post: Post) -> list[str]:
        """One key per account the post goes to."""
        resolved = hashlib.sha256(repr(post).encode())
        keys = []
        for account in post.targets:
            digest = resolved.copy()
            digest.update(f"\0{account}".encode())
            keys.append(digest.hexdigest())
        return keys

    def get(self, key: str, *, facts: bool) -> Entry | None:
        entry = self._old.get(key)
        if entry is None or (facts and entry[3] is None):
            return None
        self.hits += 1
        self._new[key] = entry
        return entry

    def put(self, key: str, entry: Entry) -> None:
        self._new[key] = entry

    def save(self) -> None:
        """Keep this build's entries only (an edited post's old entry goes), atomically."""
        if self._new.keys() == self._old.keys() and self.hits == len(self._new):
            return  # every entry was read back: the file already says this
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = _REDUCERS
        pickler.dump({"inputs": self.inputs, "entries": self._new})
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        partial.write_bytes(buffer.getbuffer())
        os.replace(partial, self.path)


def _by_fields(kind: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """Rebuilt by calling the class: ~3× faster to read than a dataclass's own state, which asks
    dataclasses.fields() for every object."""
    values = operator.attrgetter(*(item.name for item in fields(kind)))
    return lambda item: (kind, values(item))


# Enum's and ZoneInfo's own ways need builtins.getattr, which the reader refuses: by value and by key
_REDUCERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    Severity: lambda severity: (Severity, (int(severity),)),
    ZoneInfo: lambda zone: (ZoneInfo, (zone.key,)),
    **{kind: _by_fields(kind) for kind in (Variant, MediaRef, Diagnostic, Span)},
}
