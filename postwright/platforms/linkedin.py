"""LinkedIn: 3000 characters of "little text" commentary, reserved characters escaped, 1–20 images."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="linkedin",
    title="LinkedIn",
    handle_hint="profile or organization URN, e.g. urn:li:person:abc123",
    dialect="linkedin",
    # little-text-format (learn.microsoft.com/…/shares/little-text-format): @[Name](urn) and {hashtag|\#|tag}
    mention_format="@[{name}]({handle})",
    hashtag_format="{{hashtag|\\#|{tag}}}",
    limits=Limits(
        # 3,000 characters [S: ayrshare]; the unit is undocumented, so UTF-16 units: the safe upper bound
        measures=(Measure("utf16", text.utf16_units, 3000),),
        max_media=20,  # multiImage 2–20 (multiimage-post-api)
        max_thread_parts=1,
        alt_text="recommended",
        max_alt_length=None,  # altText exists; its length is not documented
        max_image_bytes=5 * 1024 * 1024,  # 5 MB [S: ayrshare media guidelines]
        image_formats=("JPEG", "PNG", "GIF"),
    ),
)
