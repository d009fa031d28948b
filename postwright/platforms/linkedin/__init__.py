"""LinkedIn: 3000 characters of "little text" commentary, reserved characters escaped, 1–20 images.

The publisher uses the versioned Posts API (learn.microsoft.com/linkedin/marketing/community-management/
shares/posts-api) as a member or an organization (`settings.author`: urn:li:person:… or
urn:li:organization:…), images through the Images API (…/shares/images-api). The text arrives escaped
as a whole in the little text format (…/shares/little-text-format: the body by the linkedin dialect, then
the template's text, the link, the tags and the signature by dialects.little_text in render) and is
sent as `commentary` unchanged. LinkedIn has no threads and no
idempotency key: a crashed send is settled by listing the author's posts. Scopes: w_member_social or
w_organization_social to post, delete and upload images; r_member_social or r_organization_social for
find_sent's list (…/usecases/page-management/organic-posts-usecase "Permissions"). Every request
carries LinkedIn-Version (API_VERSION: the pin, 202610, or settings.linkedin_version) and
X-Restli-Protocol-Version 2.0.0; doctor warns 90 days before the version's sunset.
"""

from __future__ import annotations

import re
from datetime import date

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

API_URL = "https://api.linkedin.com"
OAUTH_URL = (
    "https://www.linkedin.com"  # token introspection lives on www (shared/authentication/token-introspection)
)
VERSION = "202610"  # LinkedIn-Version; settings.linkedin_version sends another (API_VERSION below)


def _sunset(version: str) -> date | None:
    """When LinkedIn stops serving a LinkedIn-Version (YYYYMM): "supported and stable for a minimum of one
    year before sunset" (learn.microsoft.com/linkedin/marketing/versioning), and the migrations table
    (…/marketing/integrations/migrations) lists each sunset in the middle of that month a year on
    (202510: 2026-10-15, 202603: 2027-03-16); counted from its first day, so doctor warns early."""
    found = re.fullmatch(r"(\d{4})(\d{2})", version.strip())
    if found is None or not 1 <= int(found[2]) <= 12:
        return None
    return date(int(found[1]) + 1, int(found[2]), 1)


# "All APIs require the request header LinkedIn-Version: {Version in YYYYMM format}" (versioning page)
API_VERSION = ApiVersion(
    "LinkedIn-Version",
    VERSION,
    end_of_life=_sunset(VERSION),
    source="learn.microsoft.com/linkedin/marketing/versioning",
    setting="linkedin_version",
    end_of=_sunset,
)


PLATFORM = Platform(
    name="linkedin",
    title="LinkedIn",
    handle_hint="profile or organization URN, e.g. urn:li:person:abc123",
    colours=("#1e3a8a", "#93c5fd"),  # in the review site: light mode, dark mode
    profile_images=ProfileImages((400, 400), (1128, 191)),  # [S] company page logo and cover
    # PLATFORMS.md §4: recommended 1200×627 (≈1.91:1), 5 MB, JPG/PNG/GIF [S: ayrshare]; pixels < 36,152,320
    # [S: cdata].
    images=(ImageSpec("1.91x1", ("JPEG", "PNG", "GIF"), 5 * 1024 * 1024, aspect=(1200, 627), width=1200),),
    dialect="linkedin",
    # little-text-format (learn.microsoft.com/…/shares/little-text-format): @[Name](urn) and {hashtag|\#|tag}
    mention_format="@[{name}]({handle})",
    hashtag_format="{{hashtag|\\#|{tag}}}",
    limits=Limits(
        # 3,000 characters [S: ayrshare]; the unit is undocumented, so UTF-16 units: the safe upper bound
        measures=(Measure("utf16", text.utf16_units, 3000),),
        max_media=20,  # multiImage 2–20 (multiimage-post-api)
        max_thread_parts=1,
        alt_text="optional",
        max_alt_length=None,  # altText exists; its length is not documented
        max_image_bytes=5 * 1024 * 1024,  # 5 MB [S: ayrshare media guidelines]
        image_formats=("JPEG", "PNG", "GIF"),
    ),
    publisher=Lazy(f"{__name__}.publisher", "LinkedInPublisher"),
    settings=(
        Setting("author", required=True, doc="urn:li:person:… or urn:li:organization:…"),
        Setting("api_url", url=True, doc="the REST API's base URL", default=API_URL),
        Setting(
            "oauth_url", url=True, doc="the OAuth server's base URL (token introspection)", default=OAUTH_URL
        ),
        Setting("linkedin_version", (str, int), doc="the LinkedIn-Version header (YYYYMM)", default=VERSION),
        Setting("visibility", doc="who sees posts", default="PUBLIC"),
    ),
    credentials=(
        Credential("access_token", required=True, doc="scope w_member_social or w_organization_social"),
        Credential("client_id", doc="with client_secret, lets doctor read the token's expiry"),
        Credential("client_secret", doc="with client_id, lets doctor read the token's expiry"),
    ),
    verify=Lazy(f"{__name__}.publisher", "verify"),
    replies=Lazy(f"{__name__}.replies", "LinkedInReplies"),
    replies_scopes=("r_organization_social or r_member_social",),
    api_version=API_VERSION,
)
