"""Pinterest: a pin is an image with a ≤800-character description, one link, alt text ≤500.

The publisher creates pins with API v5 (`POST /v5/pins`, pinterest/api-description@c05b189
v5/openapi.json, API 5.23.0) on `settings.board_id`. The image is local, so it travels inline as
base64 (`image_base64`; 2–5 images as a `multiple_image_base64` carousel). No threads, no idempotency
key: a crashed send is settled by listing the board's pins.
"""

from __future__ import annotations

from postwright import text
from postwright.platforms.base import (
    Credential,
    ImageSpec,
    Lazy,
    Limits,
    Measure,
    Platform,
    ProfileImages,
    Setting,
)

API_URL = "https://api.pinterest.com"


PLATFORM = Platform(
    name="pinterest",
    title="Pinterest",
    handle_hint="username, e.g. janedoe",
    colours=("#b91c1c", "#f87171"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((280, 280), (800, 450)),  # [S] profile picture and cover
    # PLATFORMS.md §10: ≤20 MB; BMP/JPEG/PNG/TIFF/GIF/WEBP; recommended 1000×1500 (2:3) [S: ayrshare]; base64
    # uploads are JPEG/PNG only [P: openapi.json], so those two.
    images=(ImageSpec("2x3", ("JPEG", "PNG"), 20 * 1024 * 1024, aspect=(2, 3), width=1000),),
    mention_format="{name}",  # pin descriptions do not link mentions
    limits=Limits(
        # pinterest/api-description@c05b189 v5/openapi.json: description ≤800, alt_text ≤500, link ≤2048
        measures=(Measure("utf16", text.utf16_units, 800),),
        max_media=5,  # multiple_image_* items 2–5 (carousel)
        max_thread_parts=1,
        alt_text="optional",
        max_alt_length=500,  # PinCreate.alt_text maxLength 500 (OpenAPI: JSON Schema counts code points)
        alt_unit="characters",
        alt_count=len,
        max_image_bytes=20 * 1024 * 1024,  # 20 MB [S: ayrshare]; 32 MB per another aggregator
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
        max_links=1,
        requires_media=True,
    ),
    publisher=Lazy(f"{__name__}.publisher", "PinterestPublisher"),
    settings=(
        Setting("board_id", (str, int), required=True, doc="the board's id", also_called=("board",)),
        Setting("api_url", url=True, doc="the API's base URL", default=API_URL),
    ),
    credentials=(Credential("access_token", required=True, doc="scopes boards:read, pins:write"),),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies_note=(
        "Pinterest's API gives no comments on Pins and no mentions to read "
        "(developers.pinterest.com/docs/api/v5: the pins endpoints have no comments), so there is "
        "nothing to hear"
    ),
)
