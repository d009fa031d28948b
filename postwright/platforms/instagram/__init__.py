"""Instagram: 2200-character captions, ≤30 hashtags, JPEG only, every post needs an image.

Publishing goes through the Instagram Graph API's content publishing
(developers.facebook.com/docs/instagram-platform/content-publishing): Instagram fetches every image
from a public URL, so `settings.media_base_url` says where publish/ is served (the repository's Pages
site, a bucket). A send checks the daily publishing quota, checks that each image URL answers, creates
a container per image (children of a CAROUSEL container when there are several), waits until Instagram
has processed them and publishes. That container flow is shared with platforms/threads, whose API is the
same design; the Graph client and its error mapping are graph.py's, with Instagram's codes added in
publisher.py.
Requests go to graph.facebook.com on meta.GRAPH_API's version (v25.0, served until 2028-07-29; v21.0,
used before, ends on 2027-01-21), or to `settings.api_url`, which names its version itself. The token
needs instagram_basic and instagram_content_publish, from a person who can do MANAGE or CREATE_CONTENT
on the Page the account is connected to (content-publishing; reference/ig-user/media_publish).

Settling a crash (`find_sent`): Meta has no idempotency key, so a post whose answer was lost is
looked for by its caption among the account's latest `settings.lookup_depth` posts (default 50),
newest first, read page by page. By count, not by age: a crash may be settled days later (a paused
config, an outage, a disabled workflow), and a time window would miss the post that went out and
send it again. Residual risks, both narrow: an identical caption among the latest `lookup_depth`
posts that this job did not send is taken as sent (PW414 rejects identical texts on one account
within schedule.duplicate_window, so only one older than that window can be there), and a crash
settled after more than `lookup_depth` newer posts sends the post again.
"""

from __future__ import annotations

from dataclasses import replace

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

API_URL = f"https://graph.facebook.com/{GRAPH_API.version}"  # graph_version.py: the pin and its end
LOOKUP_DEPTH = 50  # find_sent reads the account's latest 50 posts (settings.lookup_depth; package docstring)


PLATFORM = Platform(
    name="instagram",
    title="Instagram",
    handle_hint="username without @, e.g. janedoe",
    colours=("#be185d", "#f472b6"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((320, 320)),  # [S] profile picture; no header
    # PLATFORMS.md §5: "Images must be JPEG, ≤8 MB, aspect ratio 4:5 … 1.91:1, width 320–1440"; suggested
    # 1080×1350 (4:5) and 1080×1080 [S: contentstudio, sprinklr, ayrshare]. A post uses the first.
    images=(
        ImageSpec("4x5", ("JPEG",), 8 * 1024 * 1024, aspect=(4, 5), width=1080, min_width=320),
        ImageSpec("1x1", ("JPEG",), 8 * 1024 * 1024, aspect=(1, 1), width=1080, min_width=320),
    ),
    limits=Limits(
        # caption ≤2,200; ≤30 hashtags; ≤20 @mentions [S: contentstudio, sprinklr]; unit undocumented: UTF-16
        measures=(Measure("utf16", text.utf16_units, 2200),),
        max_media=10,  # carousel 2–10 [S]
        max_thread_parts=1,
        alt_text="optional",  # alt_text since 2025-03-24 (developers.facebook.com content-publishing)
        max_alt_length=None,
        max_image_bytes=8 * 1024 * 1024,  # 8 MB [S]
        image_formats=("JPEG",),
        max_hashtags=30,
        max_mentions=20,
        requires_media=True,  # the Graph API publishes media containers only
    ),
    publisher=Lazy(f"{__name__}.publisher", "InstagramPublisher"),
    settings=(
        Setting(
            "user_id",
            (str, int),
            required=True,
            doc="the Instagram professional account's id",
            also_called=("business_account_id", "ig_user_id"),
        ),
        Setting(
            "media_base_url",
            url=True,
            required=True,
            doc="where publish/ is served: Instagram fetches images",
        ),
        Setting("api_url", url=True, doc="the Graph API's base URL", default=API_URL),
        Setting("lookup_depth", (int,), doc="how many recent posts a retry reads", default=LOOKUP_DEPTH),
    ),
    credentials=(Credential("access_token", required=True, doc="a long-lived user access token"),),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies=Lazy(f"{__name__}.replies", "InstagramReplies"),
    replies_scopes=("instagram_manage_comments", "pages_read_engagement"),
    api_version=replace(GRAPH_API, setting=None),  # the version is in settings.api_url here, not apart
)
