"""Reading detection images of any common pixel format and writing images atomically.

Files are read and written with OpenCV (BGR) here only; everything returned is RGB.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from ..atomic_io import atomic_write_bytes

__all__ = ["ImageReadError", "LoadedImage", "encode_image", "image_tensor", "read_image_rgb", "write_image_atomic"]


def image_tensor(pixels: np.ndarray) -> torch.Tensor:
    """(H, W, C) array -> contiguous (C, H, W) tensor of the same dtype and values (a copy
    unless the transposed array is already contiguous)."""
    if pixels.ndim != 3:
        raise ValueError(f"image_tensor: need an (H, W, C) array, got shape {pixels.shape}")
    return torch.from_numpy(np.ascontiguousarray(pixels.transpose(2, 0, 1)))


class ImageReadError(Exception):
    """An image file is missing or cannot be decoded (the message says which and why)."""


@dataclass
class LoadedImage:
    """An image converted to float RGB.

    Attributes:
        rgb: (H, W, 3) float32 in [0, 1].
        conversions: what was done to reach RGB, e.g. "grayscale expanded to RGB"; empty for
            an 8-bit colour image.
    """

    rgb: np.ndarray
    conversions: list[str] = field(default_factory=list)

    @property
    def height(self) -> int:
        return self.rgb.shape[0]

    @property
    def width(self) -> int:
        return self.rgb.shape[1]


def _to_unit_range(pixels: np.ndarray, conversions: list[str]) -> np.ndarray:
    """Integer or float pixels -> float32 in [0, 1], noting any bit depth other than 8."""
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    if pixels.dtype == np.uint16:
        conversions.append("16-bit image scaled to [0, 1]")
        return pixels.astype(np.float32) / 65535.0
    if np.issubdtype(pixels.dtype, np.floating):
        conversions.append(f"{pixels.dtype} image clipped to [0, 1]")
        return np.clip(np.nan_to_num(pixels.astype(np.float32)), 0.0, 1.0)
    raise ImageReadError(f"unsupported pixel type {pixels.dtype}")


def read_image_rgb(path: str | os.PathLike) -> LoadedImage:
    """Read any 8/16-bit or float gray, gray+alpha, BGR or BGRA file as float RGB.

    Gray is expanded to three equal channels; an alpha channel is dropped (the colour under
    it is kept, not composited, since detection boxes refer to the visible colour image).

    Raises:
        ImageReadError: the file is missing, empty or not a decodable image.
    """
    path = Path(path)
    if not path.is_file():
        raise ImageReadError("file not found")
    data = np.fromfile(path, dtype=np.uint8)
    if data.size == 0:
        raise ImageReadError("file is empty")
    pixels = cv2.imdecode(data, cv2.IMREAD_UNCHANGED)
    if pixels is None or pixels.size == 0:
        raise ImageReadError("not a decodable image")
    conversions: list[str] = []
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    if pixels.ndim == 2:
        conversions.append("grayscale expanded to RGB")
        pixels = np.repeat(pixels[:, :, None], 3, axis=2)
    elif pixels.shape[2] == 2:
        conversions.append("gray+alpha: alpha dropped, gray expanded to RGB")
        pixels = np.repeat(pixels[:, :, :1], 3, axis=2)
    elif pixels.shape[2] == 4:
        conversions.append("alpha channel dropped")
        pixels = pixels[:, :, 2::-1]
    elif pixels.shape[2] == 3:
        pixels = pixels[:, :, ::-1]
    else:
        raise ImageReadError(f"unsupported channel count {pixels.shape[2]}")
    rgb = _to_unit_range(np.ascontiguousarray(pixels), conversions)
    return LoadedImage(rgb=rgb, conversions=conversions)


def encode_image(rgb: np.ndarray, suffix: str, jpeg_quality: int = 95) -> bytes:
    """File bytes of an (H, W, 3) uint8 RGB image in the format of `suffix` ('.png', '.jpg')."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8 RGB, got {rgb.dtype} {rgb.shape}")
    suffix = suffix.lower()
    params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)] if suffix in (".jpg", ".jpeg") else []
    ok, encoded = cv2.imencode(suffix, np.ascontiguousarray(rgb[:, :, ::-1]), params)
    if not ok:
        raise OSError(f"OpenCV could not encode a {suffix} image")
    return encoded.tobytes()


def write_image_atomic(path: str | os.PathLike, rgb: np.ndarray, jpeg_quality: int = 95) -> None:
    """Encode an (H, W, 3) uint8 RGB image by the path's suffix (.jpg/.png) and write it atomically."""
    try:
        encoded = encode_image(rgb, Path(path).suffix, jpeg_quality)
    except OSError as error:
        raise OSError(f"{path}: {error}") from None
    atomic_write_bytes(path, encoded)
