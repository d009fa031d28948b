"""Mastodon: 500 graphemes per server default; URLs count 23, @user@domain counts as @user.

The API publisher (`deliver: api`) uploads each image with `POST /api/v2/media` (alt text as
`description`, the focal point as `focus`), waits for it where the server answers 202, then creates
the status with `POST /api/v1/statuses`, replying to the part before for thread parts.

Settings: `instance` (base URL, required), `visibility` (public, unlisted, private, direct; the
account's default when unset), `check_instance_limits` (read the server's own limits from
`/api/v2/instance` and refuse a part over them before anything is sent), `lookup_depth` (how many of
the account's latest statuses `find_sent` reads, default 80). Credentials: `access_token`, a user
token with the scopes each call needs (Mastodon's OpenAPI description, operation `security`):
write:statuses (createStatus, deleteStatus), write:media (createMediaV2, getMedia), read:statuses
(getAccountStatuses and getStatusSource, which `find_sent` reads) and profile or read:accounts
(getAccountsVerifyCredentials). Tested against mastodon-mock and against Takahē 0.11.0, a real
server (tests/test_publisher_takahe.py).

Why `idempotent = False` although Mastodon honours `Idempotency-Key`: the server keeps a key "for up
to 1 hour" (documentation content/en/methods/statuses.md; OpenAPI createStatus), and a crash is
settled by the *next* run, which may come later than that (a paused workflow, an outage, a failing
runner). Resending under an expired key would post twice. So the runner asks `find_sent` first: it
reads the account's latest statuses for the same text in the same place of the thread (the first
part replies to nothing; a later part replies to a status holding the part before). Every create
still carries the key, so a resend within the hour is deduplicated by the server even where the
lookup missed. Residual risks, both narrow: an identical status among the latest `lookup_depth`
that this job did not send is taken as sent (PW414 rejects identical texts on one account within
schedule.duplicate_window), and a crash settled more than an hour later, after more than
`lookup_depth` newer statuses, could post twice.
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

PAGE_SIZE = 40  # GET /api/v1/accounts/:id/statuses: "Defaults to 20 statuses. Max 40 statuses." (OpenAPI)


def _links(part: str) -> list[str]:
    """The links in a part as Mastodon's server finds them (its own URL rules, not twitter-text's)."""
    return [part[start:end] for start, end in text.mastodon_urls(part)]


PLATFORM = Platform(
    name="mastodon",
    title="Mastodon",
    handle_hint="full address, e.g. @jane@mastodon.social",
    colours=("#6d28d9", "#a78bfa"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((400, 400), (1500, 500)),  # documentation: avatar 400×400, header 1500×500
    # PLATFORMS.md §3: image_size_limit 16,777,216 B; "images are downscaled to 8.3 MP (3840×2160)" [P:
    # documentation posting.md]; image_matrix_limit 33,177,600 [P: Instance.md]. PNG/JPG/WEBP (GIFs become
    # MP4 there).
    images=(ImageSpec("keep", ("JPEG", "PNG", "GIF", "WEBP"), 16_777_216, max_pixels=3840 * 2160),),
    links=_links,
    post_id_in_url=re.compile(r"/(?:@[^/]+|users/[^/]+/statuses|statuses)/(\d+)/?$"),
    # a status's link on any server: Mastodon's /@user/<id> and /users/<user>/statuses/<id>, Takahē's
    # /@user@domain/posts/<id>/; resolved to a local id through /api/v2/search?resolve=true
    reply_url=re.compile(r"^https://[^/?#\s]+/(?:@[^/?#\s]+/(?:posts/)?\d+|users/[^/?#\s]+/statuses/\d+)/?$"),
    grapheme_rules=text.GraphemeRules(
        "15.0",
        False,
        "mastodon/mastodon app/validators/status_length_validator.rb: countable_length is "
        "str.each_grapheme_cluster.size; .ruby-version 3.4.8, and Ruby 3.4's RbConfig UNICODE_VERSION is "
        "15.0.0 (no GB9c; ruby/spec core/rbconfig/unicode_version_spec.rb has 15.0.0 before 3.5, 17.0.0 "
        "from 4.0: a Mastodon on Ruby 4 counts conjuncts as Bluesky does)",
    ),
    mention_format="@{handle}",  # the full @user@domain, so it links across servers
    limits=Limits(
        # mastodon/mastodon@d5e278d spec/validators/status_length_validator_spec.rb;
        # each server sets its own: /api/v2/instance configuration.statuses.max_characters
        measures=(Measure("graphemes", text.mastodon_length, 500),),
        max_media=4,  # configuration.statuses.max_media_attachments default 4
        max_thread_parts=25,  # in_reply_to_id chains
        alt_text="optional",
        # app/models/media_attachment.rb: validates :description, length: {maximum: 1_500}: a Rails length
        # validation counts String#length, code points (not graphemes, unlike statuses). The server says
        # its own as /api/v2/instance configuration.media_attachments.description_limit (4.4.0+).
        max_alt_length=1500,
        alt_unit="characters",
        alt_count=len,
        max_image_bytes=16_777_216,  # image_size_limit (documentation Instance.md @2903485)
        image_formats=("JPEG", "PNG", "GIF", "WEBP"),
    ),
    publisher=Lazy(f"{__name__}.publisher", "MastodonPublisher"),
    settings=(
        Setting("instance", url=True, required=True, doc="the server's URL, e.g. https://mastodon.social"),
        Setting("visibility", doc="who sees posts", choices=("public", "unlisted", "private", "direct")),
        Setting(
            "check_instance_limits", (bool,), doc="refuse parts over the server's own limits", default=False
        ),
        Setting("lookup_depth", (int,), doc="how many recent statuses a retry reads", default=2 * PAGE_SIZE),
    ),
    credentials=(Credential("access_token", required=True, doc="scopes write:statuses and write:media"),),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    metrics=Lazy(f"{__name__}.metrics", "MastodonMetrics"),  # getStatuses, verify_credentials (metrics.py)
    metrics_scopes=("read:statuses", "read:accounts"),
    replies=Lazy(f"{__name__}.replies", "MastodonReplies"),
    replies_scopes=("read:statuses", "read:notifications", "read:accounts"),
)
