"""Pinterest: a pin is an image with a ≤800-character description, one link, alt text ≤500."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="pinterest",
    title="Pinterest",
    handle_hint="username, e.g. janedoe",
    mention_format="{name}",  # pin descriptions do not link mentions
    limits=Limits(
        # pinterest/api-description@c05b189 v5/openapi.json: description ≤800, alt_text ≤500, link ≤2048
        measures=(Measure("utf16", text.utf16_units, 800),),
        max_media=5,  # multiple_image_* items 2–5 (carousel)
        max_thread_parts=1,
        alt_text="recommended",
        max_alt_length=500,
        max_image_bytes=20 * 1024 * 1024,  # 20 MB [S: ayrshare]; 32 MB per another aggregator
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
        max_links=1,
        requires_media=True,
    ),
)
