"""Threads' publisher and `verify`: Instagram's ContainerPublisher on the Threads API; how it behaves is
in the package docstring (threads/__init__.py), which declares the platform.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from postwright.model import Variant
from postwright.platforms.contract import (
    CannotTell,
    Connection,
    CredentialCheck,
    PermanentError,
    Receipt,
    Upload,
)
from postwright.platforms.graph import already_gone
from postwright.platforms.instagram import LOOKUP_DEPTH
from postwright.platforms.instagram.publisher import PAGE_SIZE, ContainerPublisher
from postwright.platforms.threads import API_URL


class ThreadsPublisher(ContainerPublisher):
    """POST /{threads-user-id}/threads (media_type TEXT, IMAGE or CAROUSEL; is_carousel_item, children,
    reply_to_id, alt_text, link_attachment), then POST /{threads-user-id}/threads_publish."""

    title = "Threads"
    default_api_url = API_URL
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


def verify(connection: Connection) -> CredentialCheck:
    return ThreadsPublisher(connection).check_credentials()
