"""Discord webhooks: 2000 characters of Discord Markdown, up to 10 attachments with descriptions.

The API publisher (`deliver: api`) executes the channel's webhook
(discord/discord-api-docs@c98d64b developers/resources/webhook.mdx "Execute Webhook") through API v10
with `?wait=true`, so Discord answers with the created message (without it, "a message that is not saved
does not return an error"). Text only: a JSON body. With images: `multipart/form-data` with one
`files[n]` part per image and `payload_json` holding the message, whose `attachments` list
`{id: n, filename, description}`: the description is the alt text (developers/reference.mdx
"Uploading Files"; message.mdx "Attachment Request Structure", ≤1024 characters).

- Threads: `max_thread_parts` is 1 (the parts are joined); webhooks cannot reply to a message, so
  should an account allow more parts they are posted as consecutive messages.
- Rate limits: a 429 carries `retry_after` (seconds, a float) in the JSON body, plus Retry-After and
  X-RateLimit-Reset-After headers (developers/topics/rate-limits.mdx); the body's value is used.
- A 404 from a webhook means it was deleted: "you should not attempt to use it again" (same page),
  so it is a credentials problem, as is 401 (an invalid webhook token, code 50027).
- Idempotency: the webhook-execute parameters have no `nonce` (only the bot Create Message endpoint
  has `nonce` + `enforce_nonce`, message.mdx), and a webhook can read a message only by its id. So
  `find_sent` cannot settle a crash: CannotTell, and the runner reports the part unconfirmed instead
  of sending it again. Within one run the publisher knows when Discord refused a request outright
  (a 4xx such as a 429), which lets the runner retry after the rate limit.

- Version: every request goes to /api/v10/webhooks/…, whatever form the webhook URL has. Discord hands
  webhook URLs out unversioned, and "omitting the version number from the route will route requests to
  the current default version", which is v6, Deprecated; v10 is Available and has no published end
  (discord-api-docs@01b3f05 developers/reference.mdx "API Versioning").

Settings: `thread_id` (post into a thread or forum post of the webhook's channel), `username` and
`avatar_url` (override the webhook's), `allowed_mentions` (default {"parse": ["users"]}: people
mentioned with <@id> are notified, @everyone and roles in the text are not). Credentials:
`webhook_url` (https://discord.com/api/webhooks/<id>/<token>: it holds the token, so it is a secret;
a `?thread_id=<id>` on it works as the setting does).
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

API_VERSION = ApiVersion(
    "Discord API",
    "10",
    end_of_life=None,  # "Available", no end announced
    source="discord-api-docs developers/reference.mdx, API Versioning",
)


PLATFORM = Platform(
    name="discord",
    title="Discord",
    handle_hint="user id, e.g. 80351110224678912",
    colours=("#4f46e5", "#818cf8"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((512, 512), (960, 540)),  # [S] server icon and banner
    # PLATFORMS.md §9: "The default limit is 10 MiB" per file [P: discord-api-docs reference.mdx]. No size
    # rule: the 2560 px cap is our choice (Discord shows attachments smaller than that).
    images=(ImageSpec("keep", ("JPEG", "PNG", "GIF", "WEBP"), 10 * 1024 * 1024, max_side=2560),),
    dialect="discord",
    mention_format="<@{handle}>",  # user mentions are <@id> (discord-api-docs message formatting)
    hashtag_format="#{tag}",
    limits=Limits(
        # discord-api-docs@c98d64b developers/resources/webhook.mdx: content "up to 2000 characters"
        measures=(Measure("utf16", text.utf16_units, 2000),),
        max_media=10,
        max_thread_parts=1,
        alt_text="optional",
        max_alt_length=1024,  # attachment description ≤1024 (message.mdx); unit not stated: UTF-16 units
        alt_unit="utf16",
        alt_count=text.utf16_units,
        max_image_bytes=10 * 1024 * 1024,  # "The default limit is 10 MiB" (reference.mdx)
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
    ),
    publisher=Lazy(f"{__name__}.publisher", "DiscordPublisher"),
    settings=(
        Setting("thread_id", (str, int), doc="post in this thread of the channel"),
        Setting("username", doc="the name shown instead of the webhook's"),
        Setting("avatar_url", url=True, doc="the picture shown instead of the webhook's"),
        Setting("allowed_mentions", (dict,), doc="Discord's allowed_mentions object"),
    ),
    credentials=(Credential("webhook_url", required=True, doc="the webhook's URL (it holds its token)"),),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies_note=(
        "a Discord webhook can only send: it reads nothing back, so replies in the channel are not "
        "heard (a bot with the Read Message History permission would be needed)"
    ),
    api_version=API_VERSION,
)
