"""Discord webhooks: 2000 characters of Discord Markdown, up to 10 attachments with descriptions."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="discord",
    title="Discord",
    handle_hint="user id, e.g. 80351110224678912",
    dialect="discord",
    mention_format="<@{handle}>",  # user mentions are <@id> (discord-api-docs message formatting)
    hashtag_format="#{tag}",
    limits=Limits(
        # discord-api-docs@c98d64b developers/resources/webhook.mdx: content "up to 2000 characters"
        measures=(Measure("utf16", text.utf16_units, 2000),),
        max_media=10,
        max_thread_parts=1,
        alt_text="recommended",
        max_alt_length=1024,  # attachment description ≤1024 (message.mdx)
        max_image_bytes=10 * 1024 * 1024,  # "The default limit is 10 MiB" (reference.mdx)
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
    ),
)
