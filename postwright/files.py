"""Reading the user's text files defensively (every way a file can be unreadable is a Diagnostic), and
replacing a file durably: the old or the new, never half."""

from __future__ import annotations

import errno
import os
from pathlib import Path

from postwright.diagnostics import Diagnostic, Span, diag

DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
"""Write errors that mean the disk (or this process's file size limit) is full: exit 3, not a bug."""

MAX_TEXT_BYTES = 1_000_000
"""No post or config is anywhere near 1 MB; a bigger file is a mistake (a pasted binary, a log)."""


def read_text(path: Path, shown: str) -> tuple[str | None, list[Diagnostic]]:
    """Decode a UTF-8 text file with LF endings; `shown` is the repo-relative path for messages.

    A BOM and CRLF endings are accepted (and reported); the file on disk is never modified.
    """
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TEXT_BYTES + 1)  # no more than that, and no stat of its own
            if len(raw) > MAX_TEXT_BYTES:
                size = os.fstat(handle.fileno()).st_size
                return None, [
                    diag(
                        "PW002",
                        Span(shown),
                        f"file is {size:,} bytes; the limit is {MAX_TEXT_BYTES:,}",
                        hint="check that this is the file you meant; posts are short text",
                    )
                ]
    except OSError as error:
        return None, [diag("PW006", Span(shown), f"cannot read file: {error.strerror}")]
    found: list[Diagnostic] = []
    bom = raw.startswith(b"\xef\xbb\xbf")
    if bom:
        raw = raw[3:]
        found.append(
            diag(
                "PW004",
                Span(shown),
                "file starts with a UTF-8 byte order mark",
                hint="save it as UTF-8 without BOM",
            )
        )
    if not raw.strip():
        return None, [
            *found,
            diag("PW003", Span(shown), "file is empty", hint="write its content, or delete it"),
        ]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        found.append(
            diag(
                "PW001",
                Span(shown, line, column),
                f"file is not valid UTF-8 (byte 0x{raw[error.start]:02x} at offset {error.start + 3 * bom})",
                hint="re-save the file as UTF-8 in your editor",
            )
        )
        return None, found
    nul = text.find("\0")
    if nul >= 0:  # no platform takes it, and C code (libvips, a terminal) reads it as the text's end
        line = text.count("\n", 0, nul) + 1
        column = nul - (text.rfind("\n", 0, nul) + 1) + 1
        return None, [
            *found,
            diag("PW007", Span(shown, line, column), "NUL character in the file", hint="delete it"),
        ]
    if "\r\n" in text:
        found.append(diag("PW005", Span(shown), "file uses CRLF line endings; read as LF"))
        text = text.replace("\r\n", "\n")
    return text, found


def replace_file(path: Path, data: bytes) -> None:
    """Write beside, fsync, rename, fsync the folder: a crash leaves the old file or the new one, never half
    of either (state/, config.yml, a workflow). A file that was there keeps its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    descriptor = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
