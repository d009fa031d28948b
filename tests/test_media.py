"""Image renditions: geometry, colour, privacy, byte limits, caching and bad input (postwright/media/).

Every image is generated here with Pillow. Two ICC profiles are built byte by byte (`_icc_profile`):
Pillow ships only sRGB/LAB/XYZ (`ImageCms.createProfile`), so an Adobe RGB (1998) matrix/TRC profile
(D50-adapted primaries, gamma 563/256) and a small CMYK lookup-table profile (lut16, 2-point grid, in
which black ink only halves the light, so a pure-K pixel comes out mid-grey instead of black) are
written from the ICC v2 spec. JPEG tests run on both engines: libvips (when installed) and Pillow.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image, ImageCms, ImageDraw

from postwright import media
from postwright.diagnostics import RULES, Severity, Span
from postwright.media import RenditionJob, make_all, make_rendition, make_renditions, vips
from postwright.media import engine as media_engine
from postwright.platforms import PLATFORMS
from postwright.platforms.base import ImageSpec, Overlay

JPEG_ONLY = ImageSpec("4x5", ("JPEG",), 8_000_000, aspect=(4, 5), width=400, min_width=100)
KEEP = ImageSpec("keep", ("JPEG", "PNG", "GIF", "WEBP"), 16_000_000, max_side=1000)


@pytest.fixture(params=["pillow", "vips"])
def engine(request, monkeypatch):
    """Run the test on each engine that can be used here."""
    if request.param == "vips" and not vips.AVAILABLE:
        pytest.skip("pyvips is not installed")
    monkeypatch.setattr(media_engine, "PREFERRED", request.param)
    return request.param


def _noise(size: tuple[int, int], seed: int = 1, sigma: int = 60) -> Image.Image:
    """Photo-like detail that compresses badly (so byte limits bite)."""
    offsets = random.Random(seed).sample(range(-40, 41), 3)
    bands = [Image.effect_noise(size, sigma).point(lambda v, o=offset: v + o) for offset in offsets]
    return Image.merge("RGB", bands)


def _render(path: Path, spec: ImageSpec, cache: Path, focus=None, **options):
    return make_rendition(path, focus, spec, cache, **options)


def _output(rendition, cache: Path) -> Image.Image:
    image = Image.open(rendition.cache_file(cache))
    image.load()
    return image


def _codes(problems) -> list[str]:
    return [problem.code for problem in problems]


# --- ICC profiles, built by hand --------------------------------------------------------------------------


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _xyz(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + _s15(x) + _s15(y) + _s15(z)


def _desc(text: str) -> bytes:
    ascii_text = text.encode() + b"\0"
    return b"desc" + bytes(4) + struct.pack(">I", len(ascii_text)) + ascii_text + bytes(4 + 4 + 2 + 1 + 67)


def _icc_profile(device_class: bytes, space: bytes, tags: dict[bytes, bytes]) -> bytes:
    tags = {b"desc": _desc("postwright test profile"), b"cprt": b"text" + bytes(4) + b"PD\0", **tags}
    table, body = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for signature, data in tags.items():
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = (
        b"lcms"
        + struct.pack(">I", 0x02100000)
        + device_class
        + space
        + b"XYZ "
        + struct.pack(">6H", 2026, 11, 22, 0, 0, 0)
        + b"acsp"
        + bytes(4 + 4 + 4 + 4 + 8 + 4)
        + _s15(0.9642)
        + _s15(1.0)
        + _s15(0.8249)
        + bytes(4 + 44)
    )
    profile = header + struct.pack(">I", len(tags)) + table + body
    return struct.pack(">I", len(profile) + 4) + profile


def adobe_rgb_profile() -> bytes:
    """Adobe RGB (1998): D50-adapted colorants and a 563/256 gamma, as in Adobe's own profile."""
    gamma = b"curv" + bytes(4) + struct.pack(">IH", 1, 0x0233)
    return _icc_profile(
        b"mntr",
        b"RGB ",
        {
            b"wtpt": _xyz(0.9642, 1.0, 0.8249),
            b"rXYZ": _xyz(0.60974, 0.31111, 0.01947),
            b"gXYZ": _xyz(0.20528, 0.62567, 0.06087),
            b"bXYZ": _xyz(0.14919, 0.06322, 0.74457),
            b"rTRC": gamma,
            b"gTRC": gamma,
            b"bTRC": gamma,
        },
    )


def cmyk_profile() -> bytes:
    """CMYK → XYZ lut16 with a 2-point grid: inks absorb their colour, black ink only halves the light."""
    srgb_to_xyz_d50 = ((0.4360747, 0.3850649, 0.1430804), (0.2225045, 0.7168786, 0.0606169),
                       (0.0139322, 0.0971045, 0.7141733))  # fmt: skip
    clut = b""
    for c in (0, 1):
        for m in (0, 1):
            for y in (0, 1):
                for k in (0, 1):
                    light = 1 - 0.5 * k
                    rgb = ((1 - c) * light, (1 - m) * light, (1 - y) * light)
                    for row in srgb_to_xyz_d50:
                        clut += struct.pack(
                            ">H", min(65535, round(sum(a * b for a, b in zip(row, rgb, strict=True)) * 32768))
                        )
    identity = b"".join(_s15(1.0 if i == j else 0.0) for i in range(3) for j in range(3))
    ramp = struct.pack(">2H", 0, 65535)
    lut = (
        b"mft2"
        + bytes(4)
        + bytes([4, 3, 2, 0])
        + identity
        + struct.pack(">2H", 2, 2)
        + ramp * 4
        + clut
        + ramp * 3
    )
    return _icc_profile(b"prtr", b"CMYK", {b"wtpt": _xyz(0.9642, 1.0, 0.8249), b"A2B0": lut})


# --- geometry -----------------------------------------------------------------------------------------------


def test_crops_to_the_aspect_at_the_target_width(tmp_path, engine):
    _noise((1600, 1200)).save(tmp_path / "a.jpg", quality=90)
    rendition, problems = _render(tmp_path / "a.jpg", JPEG_ONLY, tmp_path / "cache")
    assert problems == []
    assert (rendition.width, rendition.height, rendition.format) == (400, 500, "JPEG")
    assert _output(rendition, tmp_path / "cache").size == (400, 500)
    assert rendition.path == f"media/{rendition.recipe_key}.jpg"


def test_never_upscales_and_reports_a_source_below_the_minimum(tmp_path):
    Image.new("RGB", (150, 100), "orange").save(tmp_path / "small.png")
    rendition, problems = _render(tmp_path / "small.png", JPEG_ONLY, tmp_path / "cache")
    assert (rendition.width, rendition.height) == (80, 100)  # the 4:5 crop of 150×100, not scaled up
    assert _codes(problems) == ["PW308"]
    assert "80 px wide" in problems[0].message
    upscaled, _ = _render(tmp_path / "small.png", replace(JPEG_ONLY, allow_upscale=True), tmp_path / "c2")
    assert (upscaled.width, upscaled.height) == (400, 500)


def test_keep_aspect_fits_max_side_and_max_pixels(tmp_path):
    Image.new("RGB", (3000, 1000), "teal").save(tmp_path / "wide.png")
    rendition, _ = _render(tmp_path / "wide.png", KEEP, tmp_path / "cache")
    assert (rendition.width, rendition.height) == (1000, 333)
    area = ImageSpec("keep", ("JPEG",), 10_000_000, max_pixels=300_000)
    rendition, _ = _render(tmp_path / "wide.png", area, tmp_path / "cache")
    assert (
        rendition.width * rendition.height <= 300_000
        and rendition.width / rendition.height == pytest.approx(3, 0.01)
    )
    panorama = ImageSpec("keep", ("JPEG",), 10_000_000, max_ratio=2.0)
    rendition, _ = _render(tmp_path / "wide.png", panorama, tmp_path / "cache")
    assert (rendition.width, rendition.height) == (2000, 1000)


def _halves(size=(1200, 400)) -> Image.Image:
    """Flat blue on the left, busy noise on the right."""
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste(_noise((size[0] // 2, size[1]), sigma=90), (size[0] // 2, 0))
    return image


def test_focus_point_decides_the_crop(tmp_path, engine):
    _halves().save(tmp_path / "h.jpg", quality=95)
    square = ImageSpec("1x1", ("JPEG",), 8_000_000, aspect=(1, 1), width=200)
    rendition, _ = _render(tmp_path / "h.jpg", square, tmp_path / "cache", focus=(0.0, 0.5))
    left = _output(rendition, tmp_path / "cache").convert("RGB")
    red, green, blue = left.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert blue > 200 and red < 40 and green < 40


def test_one_cache_keeps_each_focus_its_own_crop(tmp_path, engine):
    """The same bytes at two focus points are two renditions, whether found by path or by content."""
    _halves().save(tmp_path / "h.jpg", quality=95)
    (tmp_path / "copy.jpg").write_bytes((tmp_path / "h.jpg").read_bytes())
    square = ImageSpec("1x1", ("JPEG",), 8_000_000, aspect=(1, 1), width=200)
    cache = tmp_path / "cache"
    left, _ = _render(tmp_path / "h.jpg", square, cache, focus=(0.0, 0.5))
    right_same_path, _ = _render(tmp_path / "h.jpg", square, cache, focus=(1.0, 0.5))
    right_same_bytes, _ = _render(tmp_path / "copy.jpg", square, cache, focus=(1.0, 0.5))
    cold, _ = _render(tmp_path / "copy.jpg", square, tmp_path / "cold", focus=(1.0, 0.5))
    assert right_same_path.sha256 == right_same_bytes.sha256 == cold.sha256 != left.sha256


def test_smart_crop_finds_the_detailed_region_deterministically(tmp_path, engine):
    _halves().save(tmp_path / "h.jpg", quality=95)
    square = ImageSpec("1x1", ("JPEG",), 8_000_000, aspect=(1, 1), width=200)
    first, _ = _render(tmp_path / "h.jpg", square, tmp_path / "c1")
    again, _ = _render(tmp_path / "h.jpg", square, tmp_path / "c2")
    assert first.sha256 == again.sha256
    crop = _output(first, tmp_path / "c1").convert("RGB")
    _red, _green, blue = crop.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert blue < 180  # mostly the noisy right half, not the flat blue left


# --- colour and pixel formats -------------------------------------------------------------------------------


def test_exif_orientation_is_applied(tmp_path, engine):
    image = Image.new("RGB", (300, 200), (255, 0, 0))
    image.paste((0, 0, 255), (0, 100, 300, 200))  # stored: red on top, blue below
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90° clockwise: red ends up on the right
    image.save(tmp_path / "o.jpg", exif=exif, quality=95)
    rendition, _ = _render(tmp_path / "o.jpg", KEEP, tmp_path / "cache")
    out = _output(rendition, tmp_path / "cache").convert("RGB")
    assert out.size == (200, 300)
    assert out.getpixel((190, 150))[0] > 200 and out.getpixel((10, 150))[2] > 200
    assert 0x0112 not in out.getexif()


def _srgb_reference(pixel: tuple[int, ...], profile: bytes, mode: str) -> tuple[int, int, int]:
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    converted = ImageCms.profileToProfile(
        Image.new(mode, (1, 1), pixel), source, ImageCms.createProfile("sRGB"), outputMode="RGB"
    )
    return converted.getpixel((0, 0))


def test_adobe_rgb_is_converted_to_srgb(tmp_path, engine):
    profile = adobe_rgb_profile()
    pixel = (60, 190, 80)  # a green Adobe RGB reaches further than sRGB
    Image.new("RGB", (64, 64), pixel).save(
        tmp_path / "adobe.jpg", icc_profile=profile, quality=100, subsampling=0
    )
    rendition, problems = _render(tmp_path / "adobe.jpg", KEEP, tmp_path / "cache")
    assert problems == []
    got = _output(rendition, tmp_path / "cache").convert("RGB").getpixel((32, 32))
    expected = _srgb_reference(pixel, profile, "RGB")
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 6, (got, expected)
    assert max(abs(a - b) for a, b in zip(expected, pixel, strict=True)) > 20  # the conversion is not a no-op
    assert "icc_profile" not in _output(rendition, tmp_path / "cache").info


def test_adobe_rgb_png_with_alpha_is_converted_too(tmp_path):
    profile = adobe_rgb_profile()
    Image.new("RGBA", (32, 32), (60, 190, 80, 255)).save(tmp_path / "adobe.png", icc_profile=profile)
    rendition, _ = _render(tmp_path / "adobe.png", JPEG_ONLY, tmp_path / "cache")
    got = _output(rendition, tmp_path / "cache").getpixel((10, 10))
    expected = _srgb_reference((60, 190, 80), profile, "RGB")
    assert max(abs(a - b) for a, b in zip(got, expected, strict=True)) <= 6


def test_cmyk_with_an_embedded_profile_uses_the_profile(tmp_path, engine):
    Image.new("CMYK", (64, 64), (0, 0, 0, 255)).save(
        tmp_path / "k.jpg", icc_profile=cmyk_profile(), quality=100
    )
    rendition, problems = _render(tmp_path / "k.jpg", KEEP, tmp_path / "cache")
    assert problems == []
    red, green, blue = _output(rendition, tmp_path / "cache").convert("RGB").getpixel((32, 32))
    # through the profile black ink halves the light (linear 0.5 → sRGB ≈188); a naive conversion gives 0
    assert 160 < red < 215 and abs(red - green) < 8 and abs(red - blue) < 8


def test_cmyk_without_a_profile_still_becomes_rgb(tmp_path, engine):
    Image.new("CMYK", (64, 64), (0, 255, 255, 0)).save(tmp_path / "red.jpg", quality=100)
    rendition, _ = _render(tmp_path / "red.jpg", KEEP, tmp_path / "cache")
    red, green, blue = _output(rendition, tmp_path / "cache").convert("RGB").getpixel((32, 32))
    assert red > 200 and green < 80 and blue < 80


def test_alpha_is_flattened_onto_the_background_for_jpeg(tmp_path):
    image = Image.new("RGBA", (200, 250), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((50, 50, 150, 200), fill=(255, 0, 0, 255))
    image.save(tmp_path / "logo.png")
    rendition, _ = _render(tmp_path / "logo.png", JPEG_ONLY, tmp_path / "cache", background=(10, 200, 10))
    out = _output(rendition, tmp_path / "cache")
    assert out.mode == "RGB" and rendition.format == "JPEG"
    corner = out.getpixel((3, 3))
    assert abs(corner[0] - 10) < 12 and abs(corner[1] - 200) < 12
    assert out.getpixel((100, 125))[0] > 200


def test_alpha_is_kept_where_png_is_allowed(tmp_path):
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    image.paste((255, 0, 0, 255), (25, 25, 75, 75))
    image.save(tmp_path / "logo.png")
    rendition, _ = _render(tmp_path / "logo.png", KEEP, tmp_path / "cache")
    out = _output(rendition, tmp_path / "cache")
    assert (rendition.format, out.mode, rendition.quality) == ("PNG", "RGBA", None)
    assert out.getpixel((0, 0))[3] == 0 and out.getpixel((50, 50)) == (255, 0, 0, 255)


def test_16_bit_and_palette_images(tmp_path):
    Image.new("I;16", (64, 64), 32768).save(tmp_path / "deep.png")
    rendition, problems = _render(tmp_path / "deep.png", KEEP, tmp_path / "cache")
    assert problems == []
    assert 120 <= _output(rendition, tmp_path / "cache").convert("L").getpixel((5, 5)) <= 136
    palette = Image.new("P", (64, 64), 1)
    palette.putpalette([0, 0, 0, 255, 128, 0] + [0] * 762)
    palette.save(tmp_path / "pal.gif", transparency=0)
    rendition, _ = _render(tmp_path / "pal.gif", JPEG_ONLY, tmp_path / "cache")
    red, green, _blue = _output(rendition, tmp_path / "cache").getpixel((5, 5))
    assert red > 230 and 100 < green < 160


def _animated_gif(path: Path) -> None:
    frames = [Image.new("RGB", (120, 80), colour) for colour in ("red", "lime", "blue")]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=[100, 150, 200], loop=0)


def test_animated_gif_stays_animated_where_gif_is_allowed(tmp_path):
    _animated_gif(tmp_path / "anim.gif")
    rendition, problems = _render(tmp_path / "anim.gif", KEEP, tmp_path / "cache")
    assert problems == []
    out = Image.open(rendition.cache_file(tmp_path / "cache"))
    assert (rendition.format, out.n_frames, out.size) == ("GIF", 3, (120, 80))
    out.seek(2)
    assert out.convert("RGB").getpixel((5, 5))[2] > 200


def test_animated_gif_becomes_its_first_frame_with_a_warning(tmp_path):
    _animated_gif(tmp_path / "anim.gif")
    rendition, problems = _render(tmp_path / "anim.gif", JPEG_ONLY, tmp_path / "cache")
    assert _codes(problems) == ["PW309", "PW308"] or _codes(problems) == ["PW309"]
    assert rendition.format == "JPEG"
    assert _output(rendition, tmp_path / "cache").getpixel((10, 10))[0] > 200


# --- privacy ------------------------------------------------------------------------------------------------

XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool="Secret Camera App"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _jpeg_headers(data: bytes) -> bytes:
    """Every marker segment before the scan data (where metadata lives)."""
    position, headers = 2, b""
    while position + 4 <= len(data) and data[position] == 0xFF:
        marker = data[position + 1]
        length = struct.unpack(">H", data[position + 2 : position + 4])[0]
        headers += data[position : position + 2 + length]
        if marker == 0xDA:
            break
        position += 2 + length
    return headers


def test_renditions_carry_no_gps_exif_xmp_or_comments(tmp_path, engine):
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x0110] = "Model X"
    exif[0x013B] = "Jane Photographer"  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (40.0, 26.0, 46.0), "W", (79.0, 58.0, 56.0)
    _noise((640, 480)).save(
        tmp_path / "gps.jpg", exif=exif, xmp=XMP, comment=b"shot by Jane", icc_profile=adobe_rgb_profile()
    )
    source = Image.open(tmp_path / "gps.jpg")
    assert source.getexif().get_ifd(0x8825)[1] == "N" and "xmp" in source.info  # the source does carry them
    assert b"Exif\0\0" in _jpeg_headers((tmp_path / "gps.jpg").read_bytes())
    for spec in (KEEP, JPEG_ONLY):
        rendition, _ = _render(tmp_path / "gps.jpg", spec, tmp_path / "cache")
        data = rendition.cache_file(tmp_path / "cache").read_bytes()
        out = _output(rendition, tmp_path / "cache")
        assert dict(out.getexif()) == {}
        assert not {"exif", "xmp", "comment", "icc_profile", "photoshop"} & set(out.info)
        assert b"http://ns.adobe.com/xap" not in data and b"Exif\0\0" not in data
        headers = _jpeg_headers(data)
        assert b"GPS" not in headers and b"Jane" not in headers and b"Camera" not in headers


def test_png_renditions_carry_no_text_or_exif(tmp_path):
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Jane Photographer")
    exif = Image.Exif()
    exif.get_ifd(0x8825)[1] = "N"
    Image.new("RGBA", (50, 50), (1, 2, 3, 100)).save(tmp_path / "t.png", pnginfo=info, exif=exif)
    rendition, _ = _render(tmp_path / "t.png", KEEP, tmp_path / "cache")
    data = rendition.cache_file(tmp_path / "cache").read_bytes()
    assert rendition.format == "PNG"
    assert b"Jane" not in data and b"eXIf" not in data and b"tEXt" not in data


# --- byte limits --------------------------------------------------------------------------------------------


def test_bluesky_rendition_fits_one_megabyte_at_the_best_quality(tmp_path, engine):
    _noise((2400, 1800), sigma=80).save(tmp_path / "big.jpg", quality=95)
    (bluesky,) = PLATFORMS["bluesky"].images
    rendition, problems = _render(tmp_path / "big.jpg", bluesky, tmp_path / "cache")
    assert problems == []
    assert max(rendition.width, rendition.height) == 2000
    assert rendition.bytes <= 1_000_000 == bluesky.max_bytes
    assert media.QUALITY_MIN <= rendition.quality < media.QUALITY_MAX
    assert rendition.bytes == len(rendition.cache_file(tmp_path / "cache").read_bytes())


def test_downscales_when_even_the_lowest_quality_is_too_big(tmp_path, engine):
    _noise((800, 800), sigma=100).save(tmp_path / "n.jpg", quality=95)
    tight = ImageSpec("keep", ("JPEG",), 40_000, max_side=800)
    rendition, problems = _render(tmp_path / "n.jpg", tight, tmp_path / "cache")
    assert problems == []
    assert rendition.bytes <= 40_000 and rendition.width < 800
    impossible = ImageSpec("keep", ("JPEG",), 300, max_side=800)
    rendition, problems = _render(tmp_path / "n.jpg", impossible, tmp_path / "cache")
    assert rendition is None and _codes(problems) == ["PW310"]


# --- bad input ----------------------------------------------------------------------------------------------


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grey
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def test_bad_inputs_become_problems_not_exceptions(tmp_path, engine):
    buffer = io.BytesIO()
    _noise((400, 300)).save(buffer, "JPEG", quality=90)
    (tmp_path / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "photo.heic").write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + bytes(200))
    (tmp_path / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    (tmp_path / "text.png").write_text("not an image at all")
    cases = {
        "truncated.jpg": "PW305",
        "empty.jpg": "PW303",
        "photo.heic": "PW304",
        "bomb.png": "PW307",
        "text.png": "PW304",
        "missing.jpg": "PW300",
    }
    for name, code in cases.items():
        rendition, problems = _render(tmp_path / name, JPEG_ONLY, tmp_path / "cache", src=f"photos/{name}")
        assert rendition is None, name
        assert _codes(problems) == [code], (name, problems)
        assert f"photos/{name}" in problems[0].message
    assert "truncated" in _render(tmp_path / "truncated.jpg", KEEP, tmp_path / "cache")[1][0].message
    assert "900 MP" in _render(tmp_path / "bomb.png", KEEP, tmp_path / "cache")[1][0].message
    assert "HEIF" in _render(tmp_path / "photo.heic", KEEP, tmp_path / "cache")[1][0].message


def test_an_extension_that_lies_is_a_warning_and_the_image_still_renders(tmp_path):
    Image.new("RGB", (500, 500), "navy").save(tmp_path / "really-a-png.jpg", format="PNG")
    rendition, problems = _render(tmp_path / "really-a-png.jpg", JPEG_ONLY, tmp_path / "cache")
    assert rendition is not None and _codes(problems) == ["PW306"]
    assert "is a PNG image" in problems[0].message
    again, problems = _render(tmp_path / "really-a-png.jpg", JPEG_ONLY, tmp_path / "cache")
    assert again.reused and _codes(problems) == ["PW306"]  # warnings survive the cache


def test_problems_become_located_diagnostics():
    problem = media.ImageProblem("PW305", "photos/a.jpg cannot be decoded", "re-export it")
    located = problem.diagnostic(Span("content/posts/a.md", 4, 3), platform="bluesky")
    assert (located.code, located.severity, located.span.line, located.platform) == (
        "PW305",
        Severity.ERROR,
        4,
        "bluesky",
    )
    for code in ("PW303", "PW304", "PW305", "PW306", "PW307", "PW308", "PW309", "PW310", "PW311", "PW312"):
        assert code in RULES


def test_a_broken_colour_profile_is_a_warning(tmp_path):
    Image.new("RGB", (40, 40), "red").save(tmp_path / "p.png", icc_profile=b"definitely not an ICC profile")
    rendition, problems = _render(tmp_path / "p.png", KEEP, tmp_path / "cache")
    assert rendition is not None and _codes(problems) == ["PW311"]


# --- cache, index and processes -----------------------------------------------------------------------------


def test_renditions_are_reused_and_the_index_spares_reading_the_source(tmp_path, engine):
    source = tmp_path / "a.jpg"
    _noise((600, 600)).save(source, quality=90)
    cache = tmp_path / "cache"
    first, _ = _render(source, JPEG_ONLY, cache)
    second, _ = _render(source, JPEG_ONLY, cache)
    assert not first.reused and second.reused
    assert replace(second, reused=False) == first
    # same size and mtime, different bytes: the index answers without reading the file
    status = source.stat()
    data = bytearray(source.read_bytes())
    data[-3] ^= 0xFF
    source.write_bytes(bytes(data))
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns))
    third, _ = _render(source, JPEG_ONLY, cache)
    assert third.reused and third.recipe_key == first.recipe_key
    # a new mtime: hashed again, so a new recipe
    os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns + 10**9))
    fourth, _ = _render(source, JPEG_ONLY, cache)
    assert not fourth.reused and fourth.recipe_key != first.recipe_key


def test_the_recipe_key_is_content_addressed(tmp_path):
    _noise((300, 300)).save(tmp_path / "a.jpg", quality=90)
    shutil.copy(tmp_path / "a.jpg", tmp_path / "copy.jpg")
    cache = tmp_path / "cache"
    first, _ = _render(tmp_path / "a.jpg", JPEG_ONLY, cache)
    copied, _ = _render(tmp_path / "copy.jpg", JPEG_ONLY, cache, src="copy.jpg")
    assert copied.reused and copied.recipe_key == first.recipe_key and copied.source == "copy.jpg"
    bumped, _ = _render(tmp_path / "a.jpg", JPEG_ONLY, cache, version="2")
    assert not bumped.reused and bumped.recipe_key != first.recipe_key
    other_background, _ = _render(tmp_path / "a.jpg", JPEG_ONLY, cache, background=(0, 0, 0))
    assert other_background.recipe_key != first.recipe_key


def test_make_renditions_decodes_once_for_every_spec(tmp_path, monkeypatch, engine):
    _noise((1000, 800)).save(tmp_path / "a.jpg", quality=90)
    opened = []
    real_open = Image.open
    monkeypatch.setattr(Image, "open", lambda *args, **kw: opened.append(1) or real_open(*args, **kw))
    specs = (
        *PLATFORMS["instagram"].images,
        *PLATFORMS["x"].images,
        *PLATFORMS["bluesky"].images,
    )
    outcome = make_renditions(tmp_path / "a.jpg", None, specs, tmp_path / "cache")
    assert len(opened) == 1
    assert [r.spec for r in outcome.renditions] == ["4x5", "1x1", "16x9", "keep"]
    assert [(r.width, r.height) for r in outcome.renditions] == [
        (640, 800),
        (800, 800),
        (1000, 562),
        (1000, 800),
    ]


def test_make_all_is_the_same_with_any_number_of_processes(tmp_path):
    jobs = []
    for number in range(4):
        path = tmp_path / f"{number}.jpg"
        _noise((500 + 60 * number, 400), seed=number).save(path, quality=90)
        jobs.append(RenditionJob(path, path.name, None, (JPEG_ONLY, KEEP)))
    jobs.append(RenditionJob(tmp_path / "0.jpg", "0.jpg", None, (KEEP,)))  # the same source in a second job
    jobs.append(RenditionJob(tmp_path / "gone.jpg", "gone.jpg", None, (KEEP,)))
    ticks = []
    one = make_all(
        jobs, tmp_path / "c1", processes=1, progress=lambda done, total: ticks.append((done, total))
    )
    two = make_all(jobs, tmp_path / "c2", processes=2)
    assert ticks == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]  # five distinct sources; the repeat shares one
    assert one == two
    assert [len(outcome.renditions) for outcome in one] == [2, 2, 2, 2, 1, 1]
    assert one[4].renditions[0] == one[0].renditions[1]
    assert _codes(one[5].problems) == ["PW300"] and one[5].renditions == (None,)
    again = make_all(jobs, tmp_path / "c1", processes=2)
    assert media.reused_count(again) == 9


# --- brand overlay ------------------------------------------------------------------------------------------


def test_apply_overlay_places_the_logo_with_its_opacity(tmp_path):
    Image.new("RGBA", (100, 50), (255, 0, 0, 255)).save(tmp_path / "logo.png")
    base = Image.new("RGB", (400, 300), (0, 0, 255))
    marked = media.apply_overlay(
        base, tmp_path / "logo.png", "bottom-right", size=0.25, opacity=0.5, margin=0.0
    )
    assert marked.size == base.size and marked.mode == "RGB"
    red, _green, blue = marked.getpixel((390, 290))
    assert 110 < red < 145 and 110 < blue < 145  # half red over blue
    assert marked.getpixel((10, 10)) == (0, 0, 255)
    assert marked.getpixel((290, 240)) == (0, 0, 255)  # the logo is 100×50 at the corner
    centred = media.apply_overlay(base, tmp_path / "logo.png", "center", size=0.25, opacity=1.0)
    assert centred.getpixel((200, 150)) == (255, 0, 0)


def test_a_spec_with_an_overlay_marks_the_rendition(tmp_path):
    Image.new("RGBA", (100, 100), (255, 255, 255, 255)).save(tmp_path / "logo.png")
    Image.new("RGB", (800, 1000), (0, 0, 0)).save(tmp_path / "dark.jpg", quality=95)
    marked_spec = replace(JPEG_ONLY, overlay=Overlay(str(tmp_path / "logo.png"), "top-left", 0.2, 1.0, 0.0))
    plain, _ = _render(tmp_path / "dark.jpg", JPEG_ONLY, tmp_path / "cache")
    marked, problems = _render(tmp_path / "dark.jpg", marked_spec, tmp_path / "cache")
    assert problems == [] and marked.recipe_key != plain.recipe_key
    assert _output(marked, tmp_path / "cache").getpixel((20, 20))[0] > 200
    missing = replace(JPEG_ONLY, overlay=Overlay(str(tmp_path / "nope.png")))
    rendition, problems = _render(tmp_path / "dark.jpg", missing, tmp_path / "cache")
    assert rendition is not None and _codes(problems) == ["PW312"]


def test_an_overlay_rendition_is_named_by_the_logo_bytes_not_by_where_the_checkout_is(tmp_path):
    """publish/ is byte-identical for the same inputs: two clones in different folders, same names."""
    keys = []
    for clone in ("one", "two"):
        folder = tmp_path / clone
        folder.mkdir()
        Image.new("RGBA", (100, 100), (255, 255, 255, 255)).save(folder / "logo.png")
        Image.new("RGB", (800, 1000), (0, 0, 0)).save(folder / "dark.jpg", quality=95)
        spec = replace(JPEG_ONLY, overlay=Overlay(str(folder / "logo.png"), "top-left", 0.2))
        rendition, _ = _render(folder / "dark.jpg", spec, folder / "cache")
        keys.append(rendition.recipe_key)
    assert keys[0] == keys[1]
    Image.new("RGBA", (100, 100), (0, 0, 255, 255)).save(tmp_path / "two" / "logo.png")
    changed, _ = _render(tmp_path / "two" / "dark.jpg", spec, tmp_path / "two" / "cache2")
    assert changed.recipe_key != keys[0]  # another logo is another rendition
