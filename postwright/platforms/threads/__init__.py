"""Threads: 500 characters with emoji counted as their UTF-8 bytes, one topic tag, ≤5 links.

Publishing goes through the Threads API (developers.facebook.com/documentation/threads/posts), the
same container design as Instagram's (instagram.py) and the same Graph client (meta.py): a TEXT, IMAGE or
CAROUSEL container, then threads_publish. Thread parts after the first reply to the part before
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

from collections.abc import Iterator, Sequence
from typing import Any

from postwright import text
from postwright.model import Variant
from postwright.platforms.base import ApiVersion, Credential, Limits, Measure, Platform, Setting
from postwright.platforms.instagram import LOOKUP_DEPTH, PAGE_SIZE, ContainerPublisher
from postwright.platforms.meta import already_gone
from postwright.platforms.publishing import (
    CannotTell,
    Connection,
    CredentialCheck,
    PermanentError,
    Receipt,
    Upload,
)

# The Threads API has its own versions: every page of its reference calls graph.threads.net/v1.0, and
# Meta has published no end for it (developers.facebook.com/docs/threads; graph.threads.com also answers).
THREADS_API = ApiVersion(
    "Threads API", "v1.0", end_of_life=None, source="developers.facebook.com/docs/threads/overview"
)


class ThreadsPublisher(ContainerPublisher):
    """POST /{threads-user-id}/threads (media_type TEXT, IMAGE or CAROUSEL; is_carousel_item, children,
    reply_to_id, alt_text, link_attachment), then POST /{threads-user-id}/threads_publish."""

    title = "Threads"
    default_api_url = f"https://graph.threads.net/{THREADS_API.version}"  # docs: threads/overview
    default_user = "me"  # docs: /me/threads is the token's own profile
    container_edge = "threads"
    publish_edge = "threads_publish"
    limit_edge = "threads_publishing_limit"  # docs: threads/overview, Rate Limiting
    # docs: threads/troubleshooting: GET /{container}?fields=status,error_message
    status_field = "status"
    text_field = "text"

    def status_fields(self) -> str:
        return "status,error_message"

    def quota_fields(self, reply: bool) -> tuple[str, str]:
        # 250 posts and, separately, 1,000 replies per 24 h (threads/retrieve-and-manage-replies)
        return ("reply_quota_usage", "reply_config") if reply else ("quota_usage", "config")

    def recent(self, *, reply: bool = False, depth: int = LOOKUP_DEPTH) -> Iterator[dict[str, Any]]:
        """Replies are not in GET /{user}/threads but in GET /{user}/replies, whose entries also say
        what they reply to: replied_to {id}, "the immediate parent of the reply"
        (threads/retrieve-and-manage-replies/replies-and-conversations, Fields). Both are cursor-paged
        lists, newest first (threads/reference/user)."""
        edge = "replies" if reply else "threads"
        fields = "id,text,timestamp,permalink" + (",replied_to" if reply else "")
        return self.client.listing(f"{self.user}/{edge}", depth, PAGE_SIZE, fields=fields)

    def find_sent(self, variant: Variant | None, part: int, key: str) -> Receipt | None:
        """Part 1 by its text among the latest posts; a later part by its text among the latest
        replies, and only as a reply to a post that holds the part before in this thread (module
        docstring)."""
        if variant is None or part == 1:
            return super().find_sent(variant, part, key)
        replies = self.latest(reply=True)
        wanted = variant.parts[part - 1].strip()
        candidates = [item for item in replies if _text(item) == wanted]  # newest first
        if not candidates:
            return None
        parents = self._holding(variant, part - 1, replies)
        for item in candidates:
            if _parent(item) in parents:
                return Receipt(str(item["id"]), str(item.get("permalink") or ""))
        if parents:
            return None  # the part before is there, and no reply to it holds this part
        raise CannotTell(
            f"a Threads reply with the text of part {part} exists, but the parts before it are not among "
            "the account's latest posts, so whether it is this thread's cannot be told; check the account"
        )

    def _holding(self, variant: Variant, part: int, replies: list[dict[str, Any]]) -> set[str]:
        """The ids of the account's posts that may be `part` of this thread: part 1 among its latest
        top-level posts by text; a later part among its replies, by text and by replying to one that
        may be the part before."""
        wanted = variant.parts[part - 1].strip()
        if part == 1:
            return {str(item["id"]) for item in self.latest() if _text(item) == wanted}
        before = self._holding(variant, part - 1, replies)
        return {str(item["id"]) for item in replies if _text(item) == wanted and _parent(item) in before}

    def create(self, variant: Variant, part: int, reply_to: Receipt | None, uploads: Sequence[Upload]) -> str:
        words = variant.parts[part - 1]
        reply_to_id = reply_to.remote_id if reply_to else None
        if not uploads:
            link = variant.link if part == 1 else None  # link_attachment: text posts only (threads/posts)
            return self.container(
                media_type="TEXT", text=words, reply_to_id=reply_to_id, link_attachment=link
            )
        if len(uploads) == 1:
            (upload,) = uploads
            return self.container(
                media_type="IMAGE",
                image_url=upload.public_url,
                alt_text=upload.alt,  # threads/posts/accessibility
                text=words,
                reply_to_id=reply_to_id,
            )
        children = [
            self.container(
                media_type="IMAGE", image_url=upload.public_url, alt_text=upload.alt, is_carousel_item="true"
            )
            for upload in uploads
        ]
        return self.container(
            media_type="CAROUSEL", children=",".join(children), text=words, reply_to_id=reply_to_id
        )

    def delete(self, remote_id: str) -> None:
        """DELETE /{threads-media-id} (threads/posts/delete-posts); already gone is done."""
        if not remote_id:  # DELETE on the version root would not delete anything, yet could look done
            raise PermanentError("no post id was recorded for this part; delete it by hand")
        response = self.client.delete(remote_id, ok=(400, 404))
        if not response.is_success and not already_gone(response):
            raise self.client.error_for(response)


def _text(item: dict[str, Any]) -> str:
    return str(item.get("text") or "").strip()


def _parent(item: dict[str, Any]) -> str | None:
    """replied_to is an object {"id": …} in the documented answers; a bare id is taken too."""
    parent = item.get("replied_to")
    if isinstance(parent, dict):
        parent = parent.get("id")
    return str(parent) if parent else None


def _publisher(connection: Connection) -> ThreadsPublisher:
    return ThreadsPublisher(connection)


def _verify(connection: Connection) -> CredentialCheck:
    return ThreadsPublisher(connection).check_credentials()


PLATFORM = Platform(
    name="threads",
    title="Threads",
    handle_hint="username without @, e.g. janedoe",
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
    publisher=_publisher,
    settings=(
        Setting("user_id", (str, int), doc="the Threads user's id", default="me"),
        Setting(
            "media_base_url",
            url=True,
            doc="where publish/ is served: Threads fetches images (needed for images)",
        ),
        Setting(
            "api_url", url=True, doc="the Threads API's base URL", default=ThreadsPublisher.default_api_url
        ),
        Setting("lookup_depth", (int,), doc="how many recent posts a retry reads", default=LOOKUP_DEPTH),
    ),
    credentials=(Credential("access_token", required=True, doc="a long-lived user access token"),),
    verify=_verify,
    api_version=THREADS_API,
)
