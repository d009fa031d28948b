"""TikTok: photo posts of 1 to 35 images with a ≤4,000-unit description, through the Content Posting API.

The publisher posts photos (`POST /v2/post/publish/content/init/`, `media_type: PHOTO`,
developers.tiktok.com/doc/content-posting-api-reference-photo-post). TikTok pulls every image from a
public URL (`source_info.source: PULL_FROM_URL`, the only source for photos) on a domain or URL prefix
the brand has verified in its TikTok developer app (developers.tiktok.com/doc/
content-posting-api-media-transfer-guide): the image URLs are `Upload.public_url`, where
`settings.media_base_url` serves publish/.

`settings.post_mode`:
- `MEDIA_UPLOAD` (the default) sends a draft to the creator's TikTok inbox; a person finishes and posts
  it in the app (scope video.upload). The job is published when TikTok says SEND_TO_USER_INBOX.
- `DIRECT_POST` posts at once (scope video.publish), and only a post that names its audience: a
  `privacy_level` in its front matter (`overrides: {tiktok: {privacy_level: PUBLIC_TO_EVERYONE}}`),
  checked at publish time against the `privacy_level_options` the creator-info query returns. Posts
  by an app TikTok has not audited are private (SELF_ONLY) whatever is asked, and each brand needs its
  own audited app (content-posting-api-get-started: "All content posted by unaudited clients will be
  restricted to private viewing mode").

After the init request the publisher polls `POST /v2/post/publish/status/fetch/` until the post is in
the inbox, published, or failed (content-posting-api-reference-get-video-status).

Settling a crash (`find_sent`): TikTok has no idempotency key, and nothing in the Content Posting API
lists drafts or posts made through it by their text; the only handle, the `publish_id`, comes in the
answer a crash loses. So a part whose answer was lost is never re-sent: `find_sent` cannot tell, the
job is reported unconfirmed, and a person checks the TikTok inbox or profile and runs `postwright
settle`. Deleting is not in the API either: `retract` says to delete the post in the app.
"""

from __future__ import annotations

from postwright import text
from postwright.platforms.base import Credential, ImageSpec, Lazy, Limits, Measure, Platform, Setting

API_URL = "https://open.tiktokapis.com"
PRIVACY_LEVELS = ("PUBLIC_TO_EVERYONE", "MUTUAL_FOLLOW_FRIENDS", "FOLLOWER_OF_CREATOR", "SELF_ONLY")
"""post_info.privacy_level's values (content-posting-api-reference-query-creator-info,
privacy_level_options)."""
POST_MODES = ("MEDIA_UPLOAD", "DIRECT_POST")  # photo post reference: post_mode


PLATFORM = Platform(
    name="tiktok",
    title="TikTok",
    handle_hint="username without @, e.g. janedoe",
    colours=("#0f766e", "#2dd4bf"),  # in the review site: light mode, dark mode
    # TikTok documents no profile picture size for developers: no brand kit (profile_images None).
    # Media transfer guide, photo restrictions: "Image formats: WebP, JPEG", "Maximum 1080p", "Maximum
    # size: 20MB per image". Photo mode fills a 9:16 phone screen [S: ayrshare media guidelines, 1080 x
    # 1920]; a square is the other shape guides give (1080 x 1080 or smaller). A post uses the first.
    images=(
        ImageSpec("9x16", ("JPEG",), 20 * 1024 * 1024, aspect=(9, 16), width=1080),
        ImageSpec("1x1", ("JPEG",), 20 * 1024 * 1024, aspect=(1, 1), width=1080),
    ),
    limits=Limits(
        # photo post reference: post_info.description "maximum length … is 4000 UTF-16 runes"
        measures=(Measure("utf16", text.utf16_units, 4000),),
        max_media=35,  # photo post reference: source_info.photo_images "up to 35"
        max_thread_parts=1,
        alt_text="unsupported",  # the photo post API has no field for alt text: it is not sent
        max_alt_length=None,
        max_image_bytes=20 * 1024 * 1024,  # media transfer guide: 20MB per image
        image_formats=("JPEG", "WEBP"),
        requires_media=True,  # media_type PHOTO only: a post is its photos
    ),
    publisher=Lazy(f"{__name__}.publisher", "TikTokPublisher"),
    settings=(
        Setting(
            "post_mode",
            doc="MEDIA_UPLOAD: a draft in the creator's inbox, finished in the app; DIRECT_POST: posted "
            "at once, only for posts whose front matter gives privacy_level",
            default="MEDIA_UPLOAD",
            choices=POST_MODES,
        ),
        Setting(
            "media_base_url",
            url=True,
            doc="where publish/ is served, on a domain or URL prefix verified in the TikTok app: TikTok "
            "fetches images",
        ),
        Setting("api_url", url=True, doc="the Content Posting API's base URL", default=API_URL),
    ),
    credentials=(
        Credential(
            "access_token",
            required=True,
            doc="a user access token with scope video.upload (MEDIA_UPLOAD) or video.publish (DIRECT_POST; "
            "doctor's creator-info query uses it too)",
        ),
    ),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies_note=(
        "TikTok's APIs for creators (Content Posting, Display) read no comments and no mentions; "
        "comments are in its Research API, for approved researchers only"
    ),
)
