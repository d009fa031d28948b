"""Everything postwright keeps in the project's git-ignored .postwright-cache/, in one place.

- stamp.py: the build stamp (what the last build read, by stat): an unchanged project is not built again.
- memo.py: the posts, render, documents and plan memos: a rebuild reads and renders only the posts that
  changed.
- the media stage's renditions under MEDIA, and the write stage's INDEX of what it wrote.

Light to import (paths only): `postwright build` with nothing to do answers from the stamp alone.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(".postwright-cache")
STAMP = ROOT / "build.json"
"""The last build's output folder, input fingerprint and diagnostics. Kept out of publish/ so that
publish/ depends on the inputs' content only, not on their mtimes."""
POSTS_MEMO = ROOT / "posts.pickle"
RENDER_MEMO = ROOT / "render.pickle"
DOCUMENTS_MEMO = ROOT / "documents.pickle"
"""The bytes of every post document in publish/ by what decided them: a build into an empty publish/
(a fresh checkout with the cache restored) writes them without making them again."""
MEDIA = ROOT / "media"
INDEX = ROOT / "publish-index.json"
"""The hash of every file the last build wrote, so the next one writes only what changed."""
PLAN_MEMO = ROOT / "plan.pickle"
"""plan's and publish's light copy of the render memo (first parts only, no text facts), written by them."""
