"""Facebook Pages: long posts (63,206 characters), up to 10 images attached to one feed post.

The publisher posts to a Page with a Page access token through the Graph API (developers.facebook.com/
docs/pages-api/posts): text and link to /{page-id}/feed, one image to /{page-id}/photos with the text as
its caption, several images as unpublished photos attached to one feed post. Graph answers most
errors with HTTP 400 and says what happened in error.code, so errors are mapped by code, not by status
(graph.py, the client shared with Instagram and Threads). No idempotency key: a crashed send is settled
by reading the feed. The Page access token needs pages_manage_posts (post, delete) and
pages_read_engagement (read the feed), from a person who can do CREATE_CONTENT on the Page (pages-api/
posts "Before you start"). Requests go to meta.GRAPH_API's version (v25.0 until 2028-07-29), or
settings.graph_version; doctor warns 90 days before its end.
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
from postwright.platforms.graph_version import GRAPH_API

API_URL = "https://graph.facebook.com"
GRAPH_VERSION = GRAPH_API.version  # settings.graph_version sends another (the pin: graph_version.py)


PLATFORM = Platform(
    name="facebook",
    title="Facebook",
    handle_hint="page or profile name, e.g. acmekites",
    colours=("#1d4ed8", "#60a5fa"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((720, 720), (851, 315)),  # [S] page profile picture and desktop cover
    # PLATFORMS.md §6: JPEG/BMP/PNG/GIF/TIFF, 10 MB, ≤2048 px sides; recommended 1200×630 [S: ayrshare].
    # Keep aspect.
    images=(ImageSpec("keep", ("JPEG", "PNG", "GIF"), 10 * 1024 * 1024, max_side=2048),),
    mention_format="{name}",  # the Pages API does not turn @names in `message` into tags
    limits=Limits(
        measures=(Measure("utf16", text.utf16_units, 63_206),),  # [S: ayrshare, postiz]
        max_media=10,  # [S: getlate media guidelines]
        max_thread_parts=1,
        alt_text="optional",  # POST /{page-id}/photos takes alt_text_custom (Graph API page photos)
        max_alt_length=None,
        max_image_bytes=10 * 1024 * 1024,  # 10 MB [S: ayrshare]
        image_formats=("JPEG", "PNG", "GIF", "BMP", "TIFF"),
    ),
    publisher=Lazy(f"{__name__}.publisher", "FacebookPublisher"),
    settings=(
        Setting("page_id", (str, int), required=True, doc="the Page's id"),
        Setting("api_url", url=True, doc="the Graph API's base URL", default=API_URL),
        Setting("graph_version", doc="the Graph API version (vNN.N)", default=GRAPH_VERSION),
    ),
    credentials=(
        Credential(
            "access_token",
            required=True,
            doc="a Page access token",
            also_called=("page_token", "page_access_token"),
        ),
        Credential("app_id", doc="with app_secret, lets doctor read the token's expiry"),
        Credential("app_secret", doc="with app_id, lets doctor read the token's expiry"),
    ),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies=Lazy(f"{__name__}.replies", "FacebookReplies"),
    replies_scopes=("pages_read_engagement", "pages_read_user_content"),
    api_version=GRAPH_API,
)
