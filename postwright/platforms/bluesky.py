"""Bluesky: 300 graphemes AND 3000 UTF-8 bytes; links, mentions and tags need facets (byte offsets)."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="bluesky",
    title="Bluesky",
    handle_hint="domain handle, e.g. jane.bsky.social",
    limits=Limits(
        # bluesky-social/atproto@d6296a1 lexicons/app/bsky/feed/post.json:
        # maxGraphemes 300, maxLength 3000 (UTF-8 bytes)
        measures=(Measure("graphemes", text.graphemes, 300), Measure("bytes", text.utf8_bytes, 3000)),
        max_media=4,  # app.bsky.embed.images: images maxLength 4
        max_thread_parts=25,  # replies with root/parent refs; no protocol cap
        alt_text="required",  # `alt` is a required field of every image (embed/images.json)
        max_alt_length=2000,  # no lexicon limit; the app caps at 2000 (atproto commit 1f3f67c)
        max_image_bytes=1_000_000,  # blob maxSize 1,000,000 until 2026-04-08, then 2,000,000: safe default
        image_formats=("JPEG", "PNG", "WEBP"),
    ),
)
