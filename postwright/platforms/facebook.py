"""Facebook Pages: long posts (63,206 characters), up to 10 images attached to one feed post."""

from postwright import text
from postwright.platforms.base import Limits, Measure, Platform

PLATFORM = Platform(
    name="facebook",
    title="Facebook",
    handle_hint="page or profile name, e.g. acmekites",
    mention_format="{name}",  # the Pages API does not turn @names in `message` into tags
    limits=Limits(
        measures=(Measure("utf16", text.utf16_units, 63_206),),  # [S: ayrshare, postiz]
        max_media=10,  # [S: getlate media guidelines]
        max_thread_parts=1,
        alt_text="unsupported",  # /photos has no alt text field
        max_alt_length=None,
        max_image_bytes=10 * 1024 * 1024,  # 10 MB [S: ayrshare]
        image_formats=("JPEG", "PNG", "GIF", "BMP", "TIFF"),
    ),
)
