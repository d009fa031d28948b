"""Mastodon: 500 graphemes per server default; URLs count 23, @user@domain counts as @user."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="mastodon",
    title="Mastodon",
    handle_hint="full address, e.g. @jane@mastodon.social",
    mention_format="@{handle}",  # the full @user@domain, so it links across servers
    limits=Limits(
        # mastodon/mastodon@d5e278d spec/validators/status_length_validator_spec.rb;
        # each server sets its own: /api/v2/instance configuration.statuses.max_characters
        measures=(Measure("graphemes", text.mastodon_length, 500),),
        max_media=4,  # configuration.statuses.max_media_attachments default 4
        max_thread_parts=25,  # in_reply_to_id chains
        alt_text="recommended",
        max_alt_length=1500,  # configuration.media_attachments.description_limit (4.4.0+)
        max_image_bytes=16_777_216,  # image_size_limit (documentation Instance.md @2903485)
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
    ),
)
