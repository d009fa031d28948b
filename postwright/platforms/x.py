"""X: twitter-text v3 weighted length (URLs 23, CJK and emoji 2), up to 4 images, reply threads."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="x",
    title="X",
    handle_hint="username without @, e.g. janedoe",
    limits=Limits(
        # twitter/twitter-text@30e2430 config/v3.json: maxWeightedTweetLength 280; Premium: 25,000 (config it)
        measures=(Measure("weighted", text.x_weighted_length, 280),),
        max_media=4,  # "up to 4 photos, 1 animated GIF or 1 video" (docs.x.com/x-api/media)
        max_thread_parts=25,  # reply chains; no documented cap, keep threads readable
        alt_text="recommended",
        max_alt_length=1000,  # POST /2/media/metadata: alt_text "Must be <= 1000 chars"
        max_image_bytes=5 * 1024 * 1024,  # "Image: 5 MB" (docs.x.com/x-api/media)
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
    ),
)
