"""Images as an agent is shown them: the sample's images decode to their stated pixels, a big one comes down to
1568 px and under the byte budget, EXIF orientation is applied, animations give their first frame, and a
decompression bomb or a damaged file is refused with a message a person can act on."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from PIL import Image

from chatgpt_history_mcp.errors import ImageUnreadable, UserError
from chatgpt_history_mcp.files.images import MAX_BYTES, MAX_SIDE, AgentImage, agent_image
from sample import FILES, FILES_2026, JPEG_TOLERANCE, RGB, SAMPLE, SAMPLE_2026, SampleFile

GLAZE_JPEG = FILES["file-8Gm2QxT4rVb7KpLw1NcYe5"]
CHART_PNG = FILES["file-3nWq8ZrT6yHb1VxKd5Lc9P"]
SCREENSHOT_2026 = FILES_2026["file_00000000e4b7a9d2c6f1408b95a3d7e1"]
SAMPLE_IMAGES = [(SAMPLE, f) for f in FILES.values() if f.quadrants] + [
    (SAMPLE_2026, f) for f in FILES_2026.values() if f.quadrants
]


def extracted(tmp_path: Path, zip_path: Path, file: SampleFile) -> Path:
    path = tmp_path / file.file_id
    with zipfile.ZipFile(zip_path) as archive:
        path.write_bytes(archive.read(file.entry))
    return path


def decoded(image: AgentImage) -> Image.Image:
    picture = Image.open(io.BytesIO(image.data))
    assert picture.size == (image.width, image.height)
    assert Image.MIME[picture.format or ""] == image.mime_type
    return picture.convert("RGB")


def quadrant_colours(picture: Image.Image) -> tuple[RGB, ...]:
    """The colour at the centre of each quarter: top-left, top-right, bottom-left, bottom-right."""
    w, h = picture.size
    return tuple(picture.getpixel((x, y)) for y in (h // 4, 3 * h // 4) for x in (w // 4, 3 * w // 4))  # type: ignore[misc]


def assert_colours(actual: tuple[RGB, ...], expected: tuple[RGB, ...], tolerance: int) -> None:
    for got, want in zip(actual, expected, strict=True):
        assert all(abs(g - w) <= tolerance for g, w in zip(got, want, strict=True)), (actual, expected)


@pytest.mark.parametrize(("zip_path", "file"), SAMPLE_IMAGES, ids=[f.file_id for _, f in SAMPLE_IMAGES])
def test_sample_images_show_their_pixels(tmp_path: Path, zip_path: Path, file: SampleFile) -> None:
    assert file.size is not None and file.quadrants is not None
    path = extracted(tmp_path, zip_path, file)
    image = agent_image(path)
    assert (image.original_width, image.original_height) == file.size
    assert max(image.width, image.height) <= MAX_SIDE
    assert len(image.data) <= MAX_BYTES
    exact = image.mime_type != "image/jpeg" and file.mime_type != "image/jpeg"
    assert_colours(quadrant_colours(decoded(image)), file.quadrants, 0 if exact else JPEG_TOLERANCE)
    if max(file.size) <= MAX_SIDE:
        assert image.data == path.read_bytes()  # small enough: passed on byte for byte
        assert not image.resized and image.mime_type == file.mime_type


@pytest.mark.parametrize(
    ("zip_path", "file", "size"),
    [(SAMPLE, CHART_PNG, (1568, 871)), (SAMPLE_2026, SCREENSHOT_2026, (1568, 882))],
    ids=["chart", "screenshot"],
)
def test_a_large_chart_comes_down_to_1568_px_and_stays_exact(
    tmp_path: Path, zip_path: Path, file: SampleFile, size: tuple[int, int]
) -> None:
    assert file.quadrants is not None
    image = agent_image(extracted(tmp_path, zip_path, file))
    assert (image.width, image.height) == size
    assert image.resized and (image.original_width, image.original_height) == file.size
    assert image.mime_type == "image/png"  # a drawn image stays lossless when that fits
    assert quadrant_colours(decoded(image)) == file.quadrants


def test_a_jpeg_downscaled_keeps_its_colours(tmp_path: Path) -> None:
    assert GLAZE_JPEG.quadrants is not None
    image = agent_image(extracted(tmp_path, SAMPLE, GLAZE_JPEG), max_side=320)
    assert (image.width, image.height) == (320, 240) and image.resized
    assert image.mime_type == "image/jpeg"
    assert_colours(quadrant_colours(decoded(image)), GLAZE_JPEG.quadrants, JPEG_TOLERANCE)


def _noise(size: tuple[int, int], mode: str) -> Image.Image:
    """Random pixels: what compresses worst, in any format."""
    return Image.frombytes(mode, size, os.urandom(size[0] * size[1] * len(mode)))


@pytest.mark.parametrize(("mode", "mime"), [("RGB", "image/jpeg"), ("RGBA", "image/webp")])
def test_a_huge_noisy_png_fits_the_byte_budget(tmp_path: Path, mode: str, mime: str) -> None:
    path = tmp_path / "noise.png"
    _noise((5000, 5000), mode).save(path, compress_level=0)
    assert path.stat().st_size > 10 * MAX_BYTES
    image = agent_image(path)
    assert len(image.data) <= MAX_BYTES
    assert max(image.width, image.height) <= MAX_SIDE
    assert image.resized and (image.original_width, image.original_height) == (5000, 5000)
    assert image.mime_type == mime  # too noisy for PNG: JPEG, or WEBP where it keeps the transparency
    assert decoded(image).size == (image.width, image.height)


def test_a_tighter_byte_budget_is_met_too(tmp_path: Path) -> None:
    path = tmp_path / "noise.png"
    _noise((1200, 900), "RGB").save(path)
    image = agent_image(path, max_bytes=40_000)
    assert len(image.data) <= 40_000
    assert image.width / image.height == pytest.approx(1200 / 900, rel=0.02)


# An upright 200×100 picture: red on the left, blue on the right, a green stripe along the top.
def _upright() -> Image.Image:
    picture = Image.new("RGB", (200, 100), (220, 20, 20))
    picture.paste((20, 20, 220), (100, 0, 200, 100))
    picture.paste((20, 200, 20), (0, 0, 200, 20))
    return picture


@pytest.mark.parametrize(
    ("orientation", "stored_as"),
    [
        (3, Image.Transpose.ROTATE_180),
        (6, Image.Transpose.ROTATE_90),  # a phone held upright: the camera stores it turned a quarter
        (8, Image.Transpose.ROTATE_270),
        (2, Image.Transpose.FLIP_LEFT_RIGHT),
    ],
)
def test_exif_orientation_is_applied(tmp_path: Path, orientation: int, stored_as: Image.Transpose) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "phone.jpg"
    _upright().transpose(stored_as).save(path, "JPEG", quality=95, exif=exif)
    image = agent_image(path)
    assert (image.width, image.height) == (200, 100)
    assert (image.original_width, image.original_height) == (200, 100)
    assert not image.resized
    picture = decoded(image)
    assert_colours(
        (picture.getpixel((50, 60)), picture.getpixel((150, 60)), picture.getpixel((100, 5))),  # type: ignore[arg-type]
        ((220, 20, 20), (20, 20, 220), (20, 200, 20)),
        JPEG_TOLERANCE * 2,
    )


def test_a_large_turned_photo_is_decoded_small_and_upright(tmp_path: Path) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    path = tmp_path / "IMG_2041.jpg"
    _upright().resize((4000, 2000)).transpose(Image.Transpose.ROTATE_90).save(path, "JPEG", exif=exif)
    image = agent_image(path)
    assert (image.width, image.height) == (1568, 784) and image.resized
    assert (image.original_width, image.original_height) == (4000, 2000)
    picture = decoded(image)
    assert_colours(
        (picture.getpixel((392, 500)), picture.getpixel((1176, 500)), picture.getpixel((784, 30))),  # type: ignore[arg-type]
        ((220, 20, 20), (20, 20, 220), (20, 200, 20)),
        JPEG_TOLERANCE,
    )


def test_a_phone_jpeg_with_a_second_picture_is_passed_on_as_it_is(tmp_path: Path) -> None:
    # Pillow opens such files (a JPEG, then a depth map or second view) as MPO; to any reader they are JPEGs.
    path = tmp_path / "portrait.jpg"
    views = [Image.new("RGB", (300, 200), (200, 0, 0)), Image.new("RGB", (300, 200), (0, 0, 200))]
    views[0].save(path, "MPO", save_all=True, append_images=views[1:])
    image = agent_image(path)
    assert image.data == path.read_bytes() and image.mime_type == "image/jpeg"
    smaller = agent_image(path, max_side=150)
    assert (smaller.width, smaller.height) == (150, 100) and smaller.mime_type == "image/jpeg"
    assert_colours(quadrant_colours(decoded(smaller)), ((200, 0, 0),) * 4, JPEG_TOLERANCE)


def test_an_animation_gives_its_first_frame(tmp_path: Path) -> None:
    path = tmp_path / "blink.gif"
    frames = [Image.new("RGB", (64, 64), colour) for colour in ((255, 0, 0), (0, 0, 255), (0, 255, 0))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=100, loop=0)
    image = agent_image(path)
    picture = Image.open(io.BytesIO(image.data))
    assert not getattr(picture, "is_animated", False)
    assert picture.convert("RGB").getpixel((32, 32)) == (255, 0, 0)


def test_transparency_survives_a_downscale(tmp_path: Path) -> None:
    path = tmp_path / "logo.png"
    logo = Image.new("RGBA", (2000, 1000), (0, 0, 0, 0))
    logo.paste((255, 140, 0, 255), (1000, 0, 2000, 1000))
    logo.save(path)
    image = agent_image(path)
    assert image.mime_type == "image/png" and (image.width, image.height) == (1568, 784)
    picture = Image.open(io.BytesIO(image.data)).convert("RGBA")
    assert picture.getpixel((300, 400))[3] == 0
    assert picture.getpixel((1300, 400)) == (255, 140, 0, 255)


def test_an_opaque_alpha_channel_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "photo.tiff"
    _noise((1600, 1600), "RGBA").convert("RGB").convert("RGBA").save(path)
    image = agent_image(path)
    assert image.mime_type == "image/jpeg"


def test_a_format_hosts_do_not_take_is_re_encoded(tmp_path: Path) -> None:
    path = tmp_path / "scan.bmp"
    _upright().save(path)
    image = agent_image(path)
    assert image.mime_type == "image/png" and not image.resized
    assert quadrant_colours(decoded(image))[2:] == ((220, 20, 20), (20, 20, 220))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` × ``height`` and holds a few bytes: decoding it would fill gigabytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "size",
    [(10_000, 10_000), (40_000, 40_000)],  # over Pillow's limit (it only warns), over twice it (it refuses)
    ids=["over-limit", "over-twice"],
)
def test_a_decompression_bomb_is_refused(tmp_path: Path, size: tuple[int, int]) -> None:
    assert Image.MAX_IMAGE_PIXELS is not None and size[0] * size[1] > Image.MAX_IMAGE_PIXELS
    path = tmp_path / "bomb.png"
    path.write_bytes(_png_header_only(*size))
    with pytest.raises(ImageUnreadable, match="too large to decode safely") as raised:
        agent_image(path, label="file-bomb")
    assert isinstance(raised.value, UserError)
    assert "file-bomb" in str(raised.value) and "download" in str(raised.value)


@pytest.mark.parametrize(
    "damage",
    [lambda data: data[: len(data) // 2], lambda data: b"not an image at all", lambda data: data[:40]],
    ids=["cut", "not-an-image", "header-only"],
)
def test_a_damaged_image_raises_one_clear_error(tmp_path: Path, damage) -> None:  # type: ignore[no-untyped-def]
    otter = FILES["file_000000009f1c6e2ab84d4f0c93e7d215"]
    path = extracted(tmp_path, SAMPLE, otter)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(ImageUnreadable, match=r"cannot be shown: it is (damaged|in no image format).+still there"):
        agent_image(path, max_side=512, label=otter.name)


def test_a_missing_file_is_not_mistaken_for_a_bad_image(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        agent_image(tmp_path / "gone.png")
