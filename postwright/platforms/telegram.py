"""Telegram channels: 4096 UTF-16 units per message, 1024 for a photo caption, HTML parse mode."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="telegram",
    title="Telegram",
    handle_hint="username without @, e.g. janedoe",
    dialect="telegram_html",
    limits=Limits(
        # python-telegram-bot constants (Bot API 10.0): MAX_TEXT_LENGTH 4096, CAPTION_LENGTH 1024; entity
        # offsets are UTF-16 units, counted on the visible text after HTML parsing
        measures=(Measure("utf16", text.utf16_units, 4096),),
        max_length_with_media=1024,
        max_media=10,  # sendMediaGroup 2–10
        max_thread_parts=1,
        alt_text="unsupported",
        max_alt_length=None,
        max_image_bytes=10 * 1024 * 1024,  # photo "must be at most 10 MB"
        image_formats=("JPEG", "PNG", "WEBP"),
    ),
)
