"""Threads: 500 characters with emoji counted as their UTF-8 bytes, one topic tag, ≤5 links."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="threads",
    title="Threads",
    handle_hint="username without @, e.g. janedoe",
    limits=Limits(
        # "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8 bytes."
        # (developers.facebook.com/documentation/threads/posts)
        measures=(Measure("characters", text.threads_length, 500),),
        max_media=20,  # carousel: 20 [S: ayrshare] vs 10 [S: upload-post]; configurable
        max_thread_parts=25,  # reply_to_id chains
        alt_text="recommended",
        max_alt_length=None,
        max_image_bytes=8 * 1024 * 1024,  # 8 MB [S: ayrshare]
        image_formats=("JPEG", "PNG"),
        max_hashtags=1,  # one topic tag per post [S: ayrshare]
        max_links=5,  # THREADS_API__LINK_LIMIT_EXCEEDED above 5 unique links (since 2025-12-22)
    ),
)
