"""The shapes engagement shares: what a platform's replies reader answers, and what the inbox shows.

A platform declares `replies=Lazy("postwright.platforms.<name>.replies", "<Reader>")`: called with the
account's `Connection`, it gives a `RepliesReader`. People's words are personal data: `Conversation.text`
is shown only in the inbox issue (and only where the brand allows it), never committed to git.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from postwright.insights.model import Delivery

Kind = Literal["reply", "mention"]


@dataclass(frozen=True, slots=True)
class Conversation:
    """One reply to a brand's post, or one mention of a brand's account, as the platform shows it."""

    platform: str
    account: str  # the brand's account (config.yml key) it was addressed to
    kind: Kind
    remote_id: str  # the platform's id of the reply or mention
    url: str  # where a person opens it to answer
    author: str  # the author's handle as the platform shows it ("@ana@example.social")
    created: datetime  # UTC
    text: str  # the words: shown in the inbox only where allowed; never stored in state/
    delivery_key: str | None = None  # the brand's delivery it replies to (Delivery.key); None: a mention
    parent_id: str | None = None  # the remote id it answers, where it answers one
    answered: bool = False  # the brand's account has replied in that thread since


@dataclass(frozen=True, slots=True)
class Heard:
    """What one reader found for one account in one pull."""

    account: str
    conversations: tuple[Conversation, ...]
    failures: tuple[str, ...] = ()  # reasons a read was refused or malformed (the rest still counts)


class PostGone(Exception):
    """The brand's post is no longer on the platform (deleted there): its replies are not asked again."""


class RepliesReader(Protocol):
    """What `replies pull` asks a platform's reader; TransientError/PermanentError (platforms.contract)
    from a call leaves what it asked for to the next run."""

    # PostGone where a delivery's post was deleted on the platform
    def replies(self, deliveries: Sequence[Delivery], since: datetime) -> Iterable[Conversation]: ...

    def mentions(self, since: datetime) -> Iterable[Conversation]: ...

    # A reader may also offer `replied_to(since) -> Iterable[str]`: the remote ids the account's own
    # posts since `since` answer (their parents, and their threads' roots where the platform gives
    # them), so a mention counts as answered; without it, mentions stay listed for the whole window.
