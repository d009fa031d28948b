"""Crop windows (postwright/media/geometry.py); crops of real images are in test_media.py."""

from __future__ import annotations

from PIL import Image

from postwright.media import pillow
from postwright.media.decode import Decoded
from postwright.media.geometry import crop_box


def test_smart_crop_of_a_uniform_image_is_centred():
    decoded = Decoded(pillow.ENGINE, Image.new("RGB", (900, 300), "grey"), (900, 300), None, 0)
    assert crop_box(decoded, (300.0, 300.0), None) == (300.0, 0.0, 600.0, 300.0)
