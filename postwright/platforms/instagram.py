"""Instagram: 2200-character captions, ≤30 hashtags, JPEG only, every post needs an image."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="instagram",
    title="Instagram",
    handle_hint="username without @, e.g. janedoe",
    limits=Limits(
        # caption ≤2,200; ≤30 hashtags; ≤20 @mentions [S: contentstudio, sprinklr]; unit undocumented: UTF-16
        measures=(Measure("utf16", text.utf16_units, 2200),),
        max_media=10,  # carousel 2–10 [S]
        max_thread_parts=1,
        alt_text="recommended",  # alt_text since 2025-03-24 (developers.facebook.com content-publishing)
        max_alt_length=None,
        max_image_bytes=8 * 1024 * 1024,  # 8 MB [S]
        image_formats=("JPEG",),
        max_hashtags=30,
        max_mentions=20,
        requires_media=True,  # the Graph API publishes media containers only
    ),
)
