"""Threads: 500 characters with emoji counted as their UTF-8 bytes, one topic tag, ≤5 links.

Publishing goes through the Threads API (developers.facebook.com/documentation/threads/posts), the
same container design as Instagram's (platforms/instagram) and the same Graph client (graph.py): a
TEXT, IMAGE or CAROUSEL container, then threads_publish. Thread parts after the first reply to the part before
(reply_to_id); images come with their alt text; a text-only first part carries the post's link as
its link_attachment. Images are fetched by Threads from `settings.media_base_url`. Scopes: threads_basic
(every call), threads_content_publish (containers and threads_publish), threads_read_replies (find_sent
reads replies: retrieve-and-manage-replies), threads_delete (retract: posts/delete-posts); replying to
one's own thread needs no more (create-replies: the owner of the root post may reply).

Settling a crash (`find_sent`): part 1 is looked for by its text among the account's latest
`settings.lookup_depth` posts (default 50, read page by page, as on Instagram); a later part among
its latest `lookup_depth` replies by its text *and* its parent: the thread is traced from part 1 down
(each part a reply, by `replied_to`, to a post holding the part before), so a reply with the same
words elsewhere (a hand-written answer under another post) is not taken for it. By count, not by age:
a crash may be settled days later (a paused config, an outage, a disabled workflow), and a time
window would miss the part that went out and send it again.
Residual risks: an identical post among the latest `lookup_depth` that this job did not send is
taken as sent (PW414 rejects identical texts on one account within schedule.duplicate_window, so
only one older than that window can be there), and two threads of this account that begin with the
same parts cannot be told apart. A crash settled after more than `lookup_depth` newer posts or
replies: if part 1 or a part before this one is no longer among them, the thread cannot be traced;
if a reply with the part's text is there all the same, `find_sent` cannot tell (the part is reported
unconfirmed, never sent twice); if none is, the part is sent again.
"""

from __future__ import annotations

from postwright import text
from postwright.platforms.base import (
    ApiVersion,
    Credential,
    ImageSpec,
    Lazy,
    Limits,
    Measure,
    Platform,
    ProfileImages,
    Setting,
)
from postwright.platforms.instagram import LOOKUP_DEPTH

# The Threads API has its own versions: every page of its reference calls graph.threads.net/v1.0, and
# Meta has published no end for it (developers.facebook.com/docs/threads; graph.threads.com also answers).
THREADS_API = ApiVersion(
    "Threads API", "v1.0", end_of_life=None, source="developers.facebook.com/docs/threads/overview"
)
API_URL = f"https://graph.threads.net/{THREADS_API.version}"  # docs: threads/overview


PLATFORM = Platform(
    name="threads",
    title="Threads",
    handle_hint="username without @, e.g. janedoe",
    colours=("#4b5563", "#9ca3af"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((320, 320)),  # Threads uses the Instagram profile picture
    # PLATFORMS.md §7: JPEG/PNG, ≤8 MB, aspect ≤10:1, width 320–1440 [S: ayrshare].
    images=(ImageSpec("keep", ("JPEG", "PNG"), 8 * 1024 * 1024, width=1440, max_ratio=10.0, min_width=320),),
    limits=Limits(
        # "Text posts are limited to 500 characters. Emojis are counted as the number of UTF-8 bytes."
        # (developers.facebook.com/documentation/threads/posts)
        measures=(Measure("characters", text.threads_length, 500),),
        max_media=20,  # carousel: 20 [S: ayrshare] vs 10 [S: upload-post]; configurable
        max_thread_parts=25,  # reply_to_id chains
        alt_text="optional",
        max_alt_length=None,
        max_image_bytes=8 * 1024 * 1024,  # 8 MB [S: ayrshare]
        image_formats=("JPEG", "PNG"),
        max_hashtags=1,  # one topic tag per post [S: ayrshare]
        max_links=5,  # THREADS_API__LINK_LIMIT_EXCEEDED above 5 unique links (since 2025-12-22)
    ),
    publisher=Lazy(f"{__name__}.publisher", "ThreadsPublisher"),
    settings=(
        Setting("user_id", (str, int), doc="the Threads user's id", default="me"),
        Setting(
            "media_base_url",
            url=True,
            doc="where publish/ is served: Threads fetches images (needed for images)",
        ),
        Setting("api_url", url=True, doc="the Threads API's base URL", default=API_URL),
        Setting("lookup_depth", (int,), doc="how many recent posts a retry reads", default=LOOKUP_DEPTH),
    ),
    credentials=(Credential("access_token", required=True, doc="a long-lived user access token"),),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies=Lazy(f"{__name__}.replies", "ThreadsReplies"),
    replies_scopes=("threads_read_replies", "threads_manage_mentions"),
    api_version=THREADS_API,
)
