"""What a build read and rendered, remembered for the next one: a rebuild re-reads and re-renders only
the posts that changed.

Four memos in the git-ignored .postwright-cache/, each valid for one digest of what its stage depends on:
- posts.pickle (load): each post file's parsed and resolved post, by path and content hash (so a fresh
  checkout with a restored cache finds it) and the sibling date it inherited; for config.yml's bytes,
  the names under assets/ and postwright's code.
- render.pickle (render): each rendered variant, by the resolved post (its repr: every field, dates with
  their zone) and the account; for config.yml's and every template's bytes and postwright's code.
- documents.pickle (write): each post document's hash and bytes, by what decided them (the render
  memo's keys and digest, images, problems: write.document_key); for postwright's code.
- plan.pickle (plan and publish): the render memo's entries with only each variant's first part and no
  text facts, for the rules over many upcoming jobs; under the render memo's own inputs.
A changed post, template or config line misses; nothing else can make a stale entry hit.

All are pickles read with an unpickler that builds only postwright's data types, dates and plain
containers, so a planted file cannot run code; a file that does not read back is ignored and the stage
does all its work, as on a fresh clone.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import operator
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import fields
from multiprocessing.reduction import ForkingPickler
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from postwright.cache import DOCUMENTS_MEMO, PLAN_MEMO, POSTS_MEMO, RENDER_MEMO
from postwright.cache.stamp import code_fingerprint, files
from postwright.diagnostics import Diagnostic, Severity, Span
from postwright.model import MediaRef, Post, Variant
from postwright.project import Project

FORMAT = 3  # bump when an entry's shape changes
_DATACLASSES = (Post, Variant, MediaRef, Diagnostic, Span)
_ALLOWED = {
    *((kind.__module__, kind.__name__) for kind in _DATACLASSES),
    ("postwright.diagnostics", "Severity"),
    ("datetime", "datetime"),
    ("datetime", "timezone"),
    ("datetime", "timedelta"),
    ("zoneinfo", "ZoneInfo"),
    ("postwright.cache.memo", "read_only"),
    ("postwright.load", "LoadedFile"),  # NamedTuples of the types above
    ("postwright.render", "RenderedJob"),
}
E = TypeVar("E")


def posts_memo(project: Project, valid: Callable[[Any], bool]) -> Memo[Any]:
    """The last build's loaded posts, valid while config.yml, postwright and what the images' names lead
    to under assets/ (a post's images are looked up by name, through symlinks) are unchanged."""

    def inputs() -> str:
        assets = sorted(
            f"{path.relative_to(project.assets_dir).as_posix()}\0{os.path.realpath(path)}\0{path.is_file()}"
            for path in files(project.assets_dir)
        )
        return inputs_digest(code_fingerprint(), [project.config_path], *assets)

    return Memo(project.root / POSTS_MEMO, inputs, valid)


def render_memo(project: Project, valid: Callable[[Any], bool]) -> Memo[Any]:
    """The last build's rendered variants, valid while config.yml, templates/ and postwright are unchanged."""

    return Memo(project.root / RENDER_MEMO, lambda: _render_inputs(project), valid)


def plan_memo(project: Project, valid: Callable[[Any], bool]) -> Memo[Any]:
    """plan's copy of the render memo's entries without their text facts and with only each variant's
    first part (the rules over several variants read no more): a third of its size, read ~4× sooner.
    Valid under exactly the render memo's inputs."""
    return Memo(project.root / PLAN_MEMO, lambda: _render_inputs(project), valid)


def _render_inputs(project: Project) -> str:
    """What decides a rendering: config.yml's and every template's bytes, and postwright's code."""
    return inputs_digest(code_fingerprint(), [project.config_path, *files(project.templates_dir)])


def documents_memo(project: Project, valid: Callable[[Any], bool]) -> Memo[Any]:
    """The last build's post documents in publish/, by write.document_key (which names the render
    memo's inputs digest): valid while postwright is unchanged."""
    return Memo(project.root / DOCUMENTS_MEMO, lambda: inputs_digest(code_fingerprint(), []), valid)


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """A build makes hundreds of thousands of objects and no cycles worth collecting (its memory is the
    same with the collector off): the collector's walks over them cost 10% of a big build, for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def inputs_digest(code: str, files: Iterable[Path], *extra: str) -> str:
    """The digest of postwright's code fingerprint, the bytes of `files` and `extra` strings."""
    digest = hashlib.sha256(f"{FORMAT}\0{code}".encode())
    for path in sorted(files):
        try:
            data = path.read_bytes()
        except OSError:
            data = b"\0missing"
        digest.update(f"{path.as_posix()}\0{len(data)}\0".encode())
        digest.update(data)
    for text in extra:
        digest.update(f"\0{len(text)}\0{text}".encode())
    return digest.hexdigest()


class Memo(Generic[E]):
    """The entries of the last run whose inputs digest matches; the ones used now are kept by `save`.

    `inputs` computes the digest; `save` computes it again and keeps nothing if it changed meanwhile (a
    template saved during the build may have been read in either version). `valid` tells an entry of
    the right shape from anything else a file that reads back may hold.

    The file is the digest, the entries, then the changes of later runs appended (each with its digest,
    so a change written under other inputs is never applied): a run that changed a few entries writes
    those, not the whole memo again, until the changes outweigh a quarter of the file. Keys name their
    entry's content (a path and its bytes' hash; a resolved post and account), so a change appended by
    another build at the same time can only add or drop hits, never make one wrong.
    """

    def __init__(self, path: Path, inputs: Callable[[], str], valid: Callable[[Any], bool]) -> None:
        self.path = path
        self.inputs = inputs
        self.digest = inputs()
        self.valid = valid
        self._sizes = (0, 0)  # the file's first two pickles and its whole size, as read
        self._old: dict[str, E] = self._read()
        self._new: dict[str, E] = {}
        self._put: dict[str, E] = {}

    def _read(self) -> dict[str, Any]:
        try:  # reading makes ~10 objects per entry, none of them in a cycle: no collections
            with collector_paused(), self.path.open("rb") as handle:
                if _DataOnly(handle).load() != self.digest:  # first, so a stale memo is not read in full
                    return {}
                entries = _DataOnly(handle).load()
                base = handle.tell()
                if not isinstance(entries, dict):
                    return {}
                while handle.peek(1):
                    _apply(entries, _DataOnly(handle).load(), self.digest)
                self._sizes = (base, handle.tell())
        except Exception:  # missing, damaged or planted: never worth a failed build
            return {}
        gc.freeze()  # kept for this run: later collections need not walk them all each time
        return entries

    def get(self, key: str) -> E | None:
        entry = self._old.get(key)
        if entry is None or not self.valid(entry):
            return None
        self._new[key] = entry
        return entry

    def put(self, key: str, entry: E) -> None:
        self._new[key] = entry
        self._put[key] = entry

    def rewrites(self) -> bool:
        """Whether `save` writes the whole memo (costly: run it on another core), not a few changes."""
        base, whole = self._sizes
        return not self._old or (whole - base) * 4 > base or len(self._put) * 4 > len(self._new)

    def save(self) -> None:
        """Keep this run's entries only (an edited post's old entry goes); a memo that cannot be written
        is not worth a failed build (the next one does the work again)."""
        if not self._put and self._new.keys() == self._old.keys():
            return  # every entry was read back: the file already says this
        if self.inputs() != self.digest:
            with contextlib.suppress(OSError):
                self.path.unlink(missing_ok=True)
            return
        if self.rewrites():
            self._rewrite()
            return
        gone = tuple(key for key in self._old if key not in self._new)
        change = self._pickled((self.digest, self._put, gone))
        with contextlib.suppress(OSError):  # one write of the whole change: appends never interleave
            descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND)
            try:
                os.write(descriptor, change)
            finally:
                os.close(descriptor)

    def _rewrite(self) -> None:
        """The digest and this run's entries in a new file, put in place atomically."""
        data = pickle.dumps(self.digest) + self._pickled(self._new)  # the digest read without the entries
        partial = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            with os.fdopen(handle, "wb") as file:  # a file of its own: two builds at once never collide
                file.write(data)
            os.replace(partial, self.path)
        except OSError:
            if partial is not None:
                with contextlib.suppress(OSError):
                    os.unlink(partial)

    @staticmethod
    def _pickled(value: object) -> bytes:
        buffer = io.BytesIO()
        pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
        pickler.dispatch_table = _REDUCERS
        pickler.dump(value)
        return buffer.getvalue()


def _apply(entries: dict[str, Any], change: Any, digest: str) -> None:
    """One appended change, if it was made under `digest`; a malformed one fails the whole read."""
    made_under, added, gone = change
    if not isinstance(added, dict) or not isinstance(gone, tuple):
        raise ValueError("not a change")
    if made_under != digest:
        return
    for key in gone:
        entries.pop(key, None)
    entries.update(added)


def render_keys(post: Post) -> list[str]:
    """The render memo's key for each account the post goes to."""
    resolved = hashlib.sha256(repr(post).encode())
    keys = []
    for account in post.targets:
        digest = resolved.copy()
        digest.update(f"\0{account}".encode())
        keys.append(digest.hexdigest())
    return keys


def is_problems(problems: Any) -> bool:
    return isinstance(problems, tuple) and all(isinstance(item, Diagnostic) for item in problems)


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise pickle.UnpicklingError(f"{module}.{name} is not cached data")
        return super().find_class(module, name)


def _by_fields(kind: type) -> Callable[[Any], tuple[type, tuple[Any, ...]]]:
    """Rebuilt by calling the class: ~3× faster to read than a dataclass's own state, which asks
    dataclasses.fields() for every object."""
    values = operator.attrgetter(*(item.name for item in fields(kind)))
    return lambda item: (kind, values(item))


def read_only(mapping: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    """How a post's mappings are rebuilt (MappingProxyType itself cannot be named in a pickle)."""
    return MappingProxyType(mapping)


# Enum's and ZoneInfo's own ways need builtins.getattr, which the reader refuses: by value and by key
_REDUCERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {
    Severity: lambda severity: (Severity, (int(severity),)),
    ZoneInfo: lambda zone: (ZoneInfo, (zone.key,)),
    MappingProxyType: lambda mapping: (read_only, (dict(mapping),)),
    **{kind: _by_fields(kind) for kind in _DATACLASSES},
}
for (
    _kind,
    _reducer,
) in _REDUCERS.items():  # results of forked workers (postwright.workers) travel the same way
    ForkingPickler.register(_kind, _reducer)
