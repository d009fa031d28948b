"""The outbox: the default delivery, a local folder that receives each part as the platform would.

outbox/<account>/<idempotency-key>.json holds one sent part: its text, the part it replies to, the
images with alt text, the language and the link. Sending the same key twice returns the first
receipt, so the outbox is idempotent like Mastodon's Idempotency-Key and the whole publish flow,
crash recovery included, runs offline.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from postwright.model import Variant
from postwright.platforms.contract import PermanentError, Receipt, TransientError


class OutboxPublisher:
    idempotent = True
    rehearsal = True  # nothing reaches a platform: its ledger records say `"via": "outbox"`

    def __init__(
        self,
        folder: Path,
        account: str,
        *,
        root: Path | None = None,
        images: Callable[[Variant], list[tuple[Path, str]]] | None = None,
    ) -> None:
        self.folder = folder / account
        self.account = account
        self.root = root  # receipts name the file relative to it (the repository), so ledgers travel
        self.images = images  # the image files the platform would receive, with their alt text

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.json"

    def send(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        existing = self.find_sent(variant, part, key)
        if existing is not None:
            return existing
        self._refuse_outside()
        try:
            return self._write(variant, part, reply_to, key)
        except OSError as error:  # a full disk: the message appears whole or not at all, so nothing went out
            for partial in self.folder.glob(f"*{key}*.tmp"):
                partial.unlink(missing_ok=True)
            raise TransientError(f"cannot write to the outbox: {error}", refused=True) from error

    def _write(self, variant: Variant, part: int, reply_to: Receipt | None, key: str) -> Receipt:
        message = {
            "idempotency_key": key,
            "account": variant.account,
            "platform": variant.platform,
            "post_id": variant.post_id,
            "lang": variant.lang,
            "part": part,
            "parts": len(variant.parts),
            "text": variant.parts[part - 1],
            "in_reply_to": reply_to.remote_id if reply_to else None,
            "link": variant.link,
            "media": self._attach(variant, key) if part == 1 else [],
        }
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self._path(key).with_suffix(".tmp")
        temporary.write_text(
            json.dumps(message, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8"
        )
        os.replace(temporary, self._path(key))  # appears whole or not at all
        return self._receipt(key)

    def _attach(self, variant: Variant, key: str) -> list[dict[str, str]]:
        """Copy each image beside the message, as an upload would carry it."""
        if self.images is None:
            return [{"src": ref.src, "alt": ref.alt} for ref in variant.media]
        self._refuse_outside()
        self.folder.mkdir(parents=True, exist_ok=True)
        attached = []
        for number, (path, alt) in enumerate(self.images(variant), 1):
            name = f"{key}-image-{number}{path.suffix}"
            temporary = self.folder / f".{name}.tmp"
            shutil.copyfile(path, temporary)
            os.replace(temporary, self.folder / name)
            attached.append({"file": name, "alt": alt})
        return attached

    def _refuse_outside(self) -> None:
        """config.yml's check, again where it matters: nothing is written outside the repository, even
        when a symlink there was changed after the check."""
        if self.root is not None and not self.folder.resolve().is_relative_to(self.root.resolve()):
            raise PermanentError(f"outbox folder {self.folder} leads outside the repository; nothing written")

    def reply_target(self, url: str) -> Receipt:
        """A rehearsal answers the link itself: the message's `in_reply_to` shows what it would answer."""
        return Receipt(url, url)

    def find_sent(self, variant: Variant, part: int, key: str) -> Receipt | None:
        return self._receipt(key) if self._path(key).exists() else None

    def delete(self, remote_id: str) -> None:
        self._path(remote_id).unlink(missing_ok=True)
        for image in self.folder.glob(f"{remote_id}-image-*"):
            image.unlink()

    def _receipt(self, key: str) -> Receipt:
        path = self._path(key).resolve()
        shown = path.relative_to(self.root.resolve()).as_posix() if self.root else path.as_uri()
        return Receipt(remote_id=key, url=shown)
