"""An image as an agent is shown it: upright, at most ``max_side`` pixels on its longest side, at most
``max_bytes`` encoded, in a format every host takes (PNG, JPEG, GIF, WEBP).

Vision models see no more than about 1568 px on a side, and hosts refuse large payloads, so a big image is
downscaled and re-encoded; one that already fits is passed on byte for byte. The original always stays
available as the file itself. Re-encoding keeps what matters to a reader: a chart or screenshot (a lossless
source) stays PNG when that fits, transparency stays (PNG, else WEBP), a photo becomes JPEG; the quality steps
down, then the size, until the bytes fit.

Images come from anyone, so Pillow's guard against decompression bombs (:data:`PIL.Image.MAX_IMAGE_PIXELS`)
holds: an image with more pixels is refused before it is decoded.
"""

from __future__ import annotations

import io
import math
import os
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

from chatgpt_history_mcp.errors import ImageUnreadable
from chatgpt_history_mcp.files.complaints import complaint

#: The longest side vision models take in without scaling it down themselves.
MAX_SIDE = 1568
#: Encoded size allowed: under the ~1 MB hosts accept for an image once base64 adds its third.
MAX_BYTES = 750_000

#: Formats every host displays: a file in one of these that fits is passed on as it is. MPO is how Pillow opens
#: many phones' JPEGs (a JPEG followed by a depth map or a second view, which a JPEG reader skips).
_AS_IS = {"PNG": "image/png", "JPEG": "image/jpeg", "MPO": "image/jpeg", "GIF": "image/gif", "WEBP": "image/webp"}
_JPEG_FORMATS = {"JPEG", "MPO"}
#: Sources drawn rather than photographed, whose text and edges JPEG would smear.
_LOSSLESS_SOURCES = {"PNG", "GIF", "BMP", "TIFF"}
#: The smallest budget taken: any image, shrunk far enough, fits it.
_MIN_BYTES = 1024
_QUALITIES = (85, 75, 65, 50)
#: Each pass that still does not fit shrinks by at least this much.
_SHRINK = 0.75
#: EXIF tag 0x0112: values 5 to 8 turn the image a quarter, swapping its width and height.
_ORIENTATION = 0x0112
_QUARTER_TURNS = {5, 6, 7, 8}
# What Pillow raises on a file it cannot decode: damaged, cut short, or a format it half knows.
_DECODE_ERRORS = (OSError, ValueError, TypeError, SyntaxError, EOFError, struct.error, Image.DecompressionBombError)


@dataclass(frozen=True, slots=True)
class AgentImage:
    """The encoded image, and its size before and after (both upright, as it is displayed)."""

    data: bytes
    mime_type: str
    width: int
    height: int
    original_width: int
    original_height: int
    #: Whether it was downscaled (the original is larger than ``width`` × ``height``).
    resized: bool


def agent_image(
    path: Path, *, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES, label: str | None = None
) -> AgentImage:
    """The image at ``path`` made fit to show an agent (see the module's docstring).

    ``label`` is what an error calls the file (its id or name; the path's name otherwise). Raises
    :class:`~chatgpt_history_mcp.errors.ImageUnreadable` for a file that is no image Pillow decodes, is
    damaged, or has more pixels than :data:`PIL.Image.MAX_IMAGE_PIXELS`; :class:`OSError` when the file itself
    cannot be opened.
    """
    if max_side < 1 or max_bytes < _MIN_BYTES:
        raise ValueError(f"max_side must be at least 1 and max_bytes at least {_MIN_BYTES}")
    label = label or path.name
    with path.open("rb") as fh:
        try:
            with warnings.catch_warnings():
                # Between the limit and twice it, Pillow only warns: here it refuses.
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(fh) as image:
                    return _fit(image, fh, max_side, max_bytes, label)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise _too_many_pixels(label) from exc
        except Image.UnidentifiedImageError as exc:  # its message is the path in the data folder: no help
            raise ImageUnreadable(
                f"The image {label} cannot be shown: it is in no image format this server decodes. The file itself "
                "is still there to download."
            ) from exc
        except _DECODE_ERRORS as exc:
            raise ImageUnreadable(
                f"The image {label} cannot be shown: it is damaged ({complaint(exc)}). The file itself is still "
                "there to download."
            ) from exc


def _fit(image: Image.Image, fh: BinaryIO, max_side: int, max_bytes: int, label: str) -> AgentImage:
    """The opened ``image`` (read from ``fh``) as it is when it fits, else upright, downscaled, re-encoded."""
    limit = Image.MAX_IMAGE_PIXELS
    if limit is not None and image.width * image.height > limit:
        raise _too_many_pixels(label)  # held even when the warnings filter was raced by another thread
    orientation = image.getexif().get(_ORIENTATION, 1)
    turned = orientation in _QUARTER_TURNS
    width, height = (image.height, image.width) if turned else image.size
    target = _within(width, height, max_side)
    size = os.fstat(fh.fileno()).st_size  # not by seeking: Pillow reads on from where fh is
    if (
        image.format in _AS_IS
        and (image.format == "MPO" or not getattr(image, "is_animated", False))
        and orientation == 1
        and target == (width, height)
        and size <= max_bytes
    ):
        fh.seek(0)
        return AgentImage(fh.read(), _AS_IS[image.format], width, height, width, height, resized=False)
    source_format = image.format
    if source_format in _JPEG_FORMATS:
        # Decode at a DCT scale no smaller than the target: a 50 MP photo never lands in memory whole.
        image.draft(None, (target[1], target[0]) if turned else target)
    image.seek(0)  # the first frame of an animation
    upright = ImageOps.exif_transpose(image)
    frame = _normalized_mode(upright)
    if frame.size != target:
        frame = frame.resize(target, Image.Resampling.LANCZOS, reducing_gap=3.0)
    data, mime, final = _encode(frame, source_format in _LOSSLESS_SOURCES, max_bytes)
    return AgentImage(data, mime, final[0], final[1], width, height, resized=final != (width, height))


def _within(width: int, height: int, max_side: int) -> tuple[int, int]:
    """The size with the same aspect whose longest side is at most ``max_side`` (never below 1 px)."""
    longest = max(width, height)
    if longest <= max_side:
        return width, height
    scale = max_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def _normalized_mode(image: Image.Image) -> Image.Image:
    """RGBA where some pixel is not opaque, else RGB (L for grey): the modes PNG, JPEG and WEBP all take."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if has_alpha:
        rgba = image.convert("RGBA")
        if rgba.getchannel("A").getextrema() != (255, 255):
            return rgba
        return rgba.convert("RGB")
    if image.mode in ("L", "RGB"):
        return image
    return image.convert("RGB")


def _encode(image: Image.Image, lossless_source: bool, max_bytes: int) -> tuple[bytes, str, tuple[int, int]]:
    """The first encoding that fits: PNG (for transparency or a lossless source), then lossy WEBP (keeping
    transparency) or JPEG, quality stepping down, then the size shrinking by what the last try missed by."""
    alpha = image.mode == "RGBA"
    if alpha or lossless_source:
        png = _save_within(image, "PNG", max_bytes)
        if png is not None:
            return png, "image/png", image.size
    lossy, mime = ("WEBP", "image/webp") if alpha else ("JPEG", "image/jpeg")
    while True:
        for quality in _QUALITIES:
            data = _save(image, lossy, quality=quality)
            if len(data) <= max_bytes or max(image.size) == 1:  # 1 px fits any budget agent_image accepts
                return data, mime, image.size
            if len(data) > 2 * max_bytes:
                break  # the lower qualities would not halve it: shrink instead
        # Bytes grow about with the pixel count: shrink by the square root of how far over the budget it was.
        factor = min(_SHRINK, math.sqrt(max_bytes / len(data)) * 0.95)
        smaller = (max(1, int(image.width * factor)), max(1, int(image.height * factor)))
        image = image.resize(smaller, Image.Resampling.LANCZOS, reducing_gap=3.0)


def _save(image: Image.Image, fmt: str, **options: int) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


class _OverBudget(Exception):
    """Raised from inside Pillow's encoder once the output passes the budget: encoding more is wasted work."""


class _BoundedBuffer(io.BytesIO):
    def __init__(self, limit: int) -> None:
        super().__init__()
        self._limit = limit

    def write(self, data: bytes, /) -> int:  # type: ignore[override]
        if self.tell() + len(data) > self._limit:
            raise _OverBudget
        return super().write(data)


def _save_within(image: Image.Image, fmt: str, max_bytes: int) -> bytes | None:
    """The image encoded, or None as soon as the encoder's output passes ``max_bytes`` (PNG writes as it goes:
    a photo that will not fit as PNG stops early, at the cost of at most the budget)."""
    buffer = _BoundedBuffer(max_bytes)
    try:
        image.save(buffer, fmt)
    except _OverBudget:
        return None
    return buffer.getvalue()


def _too_many_pixels(label: str) -> ImageUnreadable:
    return ImageUnreadable(
        f"The image {label} is too large to decode safely (over {Image.MAX_IMAGE_PIXELS:,} pixels, a guard "
        "against decompression bombs): it is not shown. The file itself is still there to download."
    )
