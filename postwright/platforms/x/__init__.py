"""X: twitter-text v3 weighted length (URLs 23, CJK and emoji 2), up to 4 images, reply threads.

The publisher uses API v2 (docs.x.com/x-api): `POST /2/tweets`, images through `POST /2/media/upload`
with alt text from `POST /2/media/metadata`, threads as reply chains. X has no idempotency key and
answers a repeated text with 403 "duplicate content", so a send is never blindly repeated: the runner
asks `find_sent`, which reads the account's recent posts and matches the part's text (with t.co links
expanded) and the post it replies to.

Credentials: OAuth 1.0a user context (consumer_key, consumer_secret, access_token,
access_token_secret) is the recommended mode for scheduled publishing: those tokens do not expire.
An OAuth 2.0 user token (access_token alone) "will only stay valid for two hours"
(docs.x.com/fundamentals/authentication/oauth-2-0/authorization-code); postwright does not refresh
it, so it suits a run started by hand soon after the token was made, not a schedule. `doctor` says so.
The names choose the mode (PLATFORM.auth_modes): any other set is a `check` error (PW045) and refused
here, so an OAuth 1.0a access token is never sent as a bearer token.
"""

from __future__ import annotations

import re

from postwright import text
from postwright.platforms.base import (
    AuthMode,
    Credential,
    ImageSpec,
    Lazy,
    Limits,
    Measure,
    Platform,
    ProfileImages,
    Setting,
)

API_URL = "https://api.x.com"  # docs.x.com/x-api: every v2 endpoint below is under this host


OAUTH1 = AuthMode("OAuth 1.0a", ("consumer_key", "consumer_secret", "access_token", "access_token_secret"))
OAUTH2 = AuthMode("OAuth 2.0 user token", ("access_token",))


PLATFORM = Platform(
    name="x",
    title="X",
    handle_hint="username without @, e.g. janedoe",
    colours=("#111827", "#e5e7eb"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((400, 400), (1500, 500)),  # X help: profile 400×400, header 1500×500
    # PLATFORMS.md §1: "Image: 5 MB"; JPG, PNG, GIF, WEBP [P: docs.x.com/x-api/media]. X documents no photo
    # size: 16:9 at 1600×900 is our choice (its timeline crops to 16:9). GIF ≤15 MB is handled by max_bytes
    # of the same spec only for stills; animated GIFs keep the 5 MB limit here (conservative).
    images=(ImageSpec("16x9", ("JPEG", "PNG", "GIF", "WEBP"), 5 * 1024 * 1024, aspect=(16, 9), width=1600),),
    post_id_in_url=re.compile(r"/status(?:es)?/(\d+)/?$"),
    # a post's link: x.com (or twitter.com) /<user>/status/<id>; the id is what POST /2/tweets's
    # reply.in_reply_to_tweet_id takes (docs.x.com x-api/posts/create-post)
    reply_url=re.compile(
        r"^https://(?:www\.|mobile\.)?(?:x|twitter)\.com/(?:\w{1,15}|i/web)/status/(\d+)/?$"
    ),
    limits=Limits(
        # twitter/twitter-text@30e2430 config/v3.json: maxWeightedTweetLength 280; Premium: 25,000 (config it)
        measures=(Measure("weighted", text.x_weighted_length, 280),),
        max_media=4,  # "up to 4 photos, 1 animated GIF or 1 video" (docs.x.com/x-api/media)
        max_thread_parts=25,  # reply chains; no documented cap, keep threads readable
        alt_text="optional",
        # POST /2/media/metadata (docs.x.com/x-api/media/create-media-metadata and the v1.1
        # media/metadata/create reference): alt_text.text "Must be <= 1000 chars", without a unit. X's
        # servers run on the JVM, where a String's length is UTF-16 units; counting those is never less
        # than code points, so an alt text that fits here fits either way.
        max_alt_length=1000,
        alt_unit="utf16",
        alt_count=text.utf16_units,
        max_image_bytes=5 * 1024 * 1024,  # "Image: 5 MB" (docs.x.com/x-api/media)
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
    ),
    publisher=Lazy(f"{__name__}.publisher", "XPublisher"),
    settings=(Setting("api_url", url=True, doc="the API's base URL", default=API_URL),),
    credentials=(
        Credential("consumer_key", doc="OAuth 1.0a: the app's API Key", also_called=("api_key",)),
        Credential(
            "consumer_secret",
            doc="OAuth 1.0a: the app's API Key Secret",
            also_called=("api_secret", "api_key_secret", "consumer_key_secret"),
        ),
        Credential("access_token", doc="OAuth 1.0a: the user's Access Token; alone: an OAuth 2.0 user token"),
        Credential(
            "access_token_secret",
            doc="OAuth 1.0a: the user's Access Token Secret",
            also_called=("access_secret",),
        ),
    ),
    auth_modes=(OAUTH1, OAUTH2),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    # metrics: OAuth 2.0 user tokens need tweet.read and users.read (OAuth 1.0a: the app's read access)
    metrics=Lazy(f"{__name__}.metrics", "XMetrics"),
    metrics_scopes=("tweet.read", "users.read"),
    replies=Lazy(f"{__name__}.replies", "XReplies"),
    replies_scopes=("tweet.read", "users.read"),
)
