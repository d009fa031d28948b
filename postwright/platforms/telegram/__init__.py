"""Telegram channels: 4096 UTF-16 units per message, 1024 for a photo caption, HTML parse mode.

The API publisher (`deliver: api`) posts with the Bot API (https://core.telegram.org/bots/api):
`sendMessage` for text, `sendPhoto` for one image, `sendMediaGroup` for 2-10 (an album), each with
`parse_mode` HTML, since the telegram_html dialect renders the parts as Telegram's HTML subset.

- Captions hold 1024 characters after entity parsing, messages 4096 (Bot API sendPhoto/sendMessage;
  python-telegram-bot constants CAPTION_LENGTH, MAX_TEXT_LENGTH), both counted by
  `text.telegram_length` on the visible text. When a first part with images is longer than a caption
  (`as_caption`), the images go first without a caption and the text follows as its own message, so
  the text reads right under the pictures it belongs to; validation therefore holds every part to
  the message limit only (no `max_length_with_media`). A part's remote id lists every message it
  became, the one carrying the text first ("12,10,11"), so a retract deletes them all and a reply
  quotes the text.
- Telegram has no alt text: `PLATFORM.limits.alt_text` is "unsupported" and the alt text is not sent.
- Telegram has no threads (`max_thread_parts` 1: the parts are joined). Should an account allow more
  parts, each later part replies to the one before (`reply_parameters.message_id`).
- Flood control answers 429 with `parameters.retry_after` in the JSON body (ResponseParameters).
- Not idempotent, and a bot cannot list a channel's past messages, so `find_sent` cannot settle a
  crash: it raises CannotTell and the runner reports the part unconfirmed instead of guessing (never
  sent twice). Within one run the publisher does know when Telegram refused a request outright (a
  4xx such as a 429), which lets the runner retry after flood control.

Settings: `chat_id` (required: @channelusername or the -100… id), `api_url` (default
https://api.telegram.org, or a local Bot API server), `link_preview` (default true), `silent`
(send without notification). Credentials: `bot_token` (the bot must be an admin of the channel).
"""

from __future__ import annotations

import re

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

DEFAULT_API = "https://api.telegram.org"


PLATFORM = Platform(
    name="telegram",
    title="Telegram",
    handle_hint="username without @, e.g. janedoe",
    colours=("#0e7490", "#22d3ee"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((640, 640)),  # [S] channel photo
    # PLATFORMS.md §8: photo "at most 10 MB", "width and height must not exceed 10000 in total", "ratio must
    # be at most 20" [P: Bot API]. Telegram shows photos at up to 2560 px: the 2560 cap is our choice
    # (w+h ≤ 5120).
    images=(ImageSpec("keep", ("JPEG", "PNG", "WEBP"), 10 * 1024 * 1024, max_side=2560, max_ratio=20.0),),
    post_id_in_url=re.compile(r"^/(?:c/)?[^/]+/(\d+)/?$"),
    dialect="telegram_html",
    limits=Limits(
        # python-telegram-bot constants (Bot API 10.0): MAX_TEXT_LENGTH 4096, CAPTION_LENGTH 1024; both
        # counted "after entities parsing", in UTF-16 units (the unit of entity offsets)
        measures=(Measure("utf16", text.telegram_length, 4096),),
        # no shorter limit with images: a text too long for a caption goes as its own message (as_caption)
        max_length_with_media=None,
        max_media=10,  # sendMediaGroup 2–10
        max_thread_parts=1,
        alt_text="unsupported",
        max_alt_length=None,
        max_image_bytes=10 * 1024 * 1024,  # photo "must be at most 10 MB"
        image_formats=("JPEG", "PNG", "WEBP"),
    ),
    publisher=Lazy(f"{__name__}.publisher", "TelegramPublisher"),
    settings=(
        Setting(
            "chat_id", (str, int), required=True, doc="@channel or -100…", also_called=("chat", "channel")
        ),
        Setting("api_url", url=True, doc="the Bot API's base URL", default=DEFAULT_API),
        Setting("link_preview", (bool,), doc="show a preview of the post's link", default=True),
        Setting(
            "silent",
            (bool,),
            doc="send without a notification",
            default=False,
            also_called=("disable_notification",),
        ),
    ),
    credentials=(Credential("bot_token", required=True, doc="the bot must be an admin of the channel"),),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies=Lazy(f"{__name__}.replies", "TelegramReplies"),
    # the bot in the channel's discussion group, seeing its messages (privacy mode off, or an admin)
    replies_scopes=("bot in the discussion group",),
)
