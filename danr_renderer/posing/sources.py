"""Where footage to pose comes from: a folder of frames, a video file or a COCO set of sequences.

Every source gives `FootageClip`s: a clip name and its frames in temporal order. A frame has an
integer timestamp and a `label` naming it in messages (a path, or "FILE frame N"). Pixels are
read only when `FootageClip.read_frames()` is iterated, which yields one `DecodedFrame` per frame:
(H, W, 3) uint8 RGB, or None with the reason when the frame cannot be read.

Timestamps: a frame whose file is named `<integer>.<ext>` (RealEstate10K's and the synthetic
video's naming) keeps that integer; a COCO image keeps its integer order-key value; a video frame
gets round(index * 1e6 / fps) microseconds; any other frame gets its position in the clip.
"""
from __future__ import annotations

import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from ..data.coco_io import read_coco_document
from ..data.image_io import ImageReadError, read_image_rgb

__all__ = [
    "IMAGE_SUFFIXES",
    "FootageFrame",
    "DecodedFrame",
    "FootageClip",
    "clip_from_frame_folder",
    "clip_from_video",
    "clips_from_coco",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
_INTEGER = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class FootageFrame:
    """One frame of a clip: its timestamp (integer) and a label for messages."""

    timestamp: int
    label: str


@dataclass(frozen=True)
class DecodedFrame:
    """A frame as read: rgb (H, W, 3) uint8, or None and `problem` saying why it is unusable."""

    frame: FootageFrame
    rgb: np.ndarray | None
    problem: str | None = None


@dataclass
class FootageClip:
    """A named clip: frames in temporal order and a reader yielding one DecodedFrame each."""

    name: str
    frames: list[FootageFrame]
    _reader: Callable[[], Iterator[DecodedFrame]] = field(repr=False)

    def read_frames(self) -> Iterator[DecodedFrame]:
        return self._reader()


def _float_to_uint8(rgb: np.ndarray) -> np.ndarray:
    return np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)


def _read_files(frames: list[FootageFrame], paths: list[Path]) -> Iterator[DecodedFrame]:
    for frame, path in zip(frames, paths):
        try:
            yield DecodedFrame(frame, _float_to_uint8(read_image_rgb(path).rgb))
        except ImageReadError as error:
            yield DecodedFrame(frame, None, f"{path}: {error}")


def _timestamps(labels: list[str]) -> list[int]:
    """Integer labels when every label is a distinct integer, else the positions 0, 1, ..."""
    if labels and all(_INTEGER.match(label) for label in labels):
        values = [int(label) for label in labels]
        if len(set(values)) == len(values):
            return values
    return list(range(len(labels)))


def clip_from_frame_folder(folder: str | os.PathLike, name: str | None = None) -> FootageClip:
    """A clip of the image files in `folder`, ordered by their integer names when all are
    integers (`12.png`), else by file name. The clip is named after the folder by default.

    Raises:
        FileNotFoundError: the folder does not exist. ValueError: it holds no image file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: frame folder not found")
    paths = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES]
    if not paths:
        raise ValueError(f"{folder}: no image files ({', '.join(IMAGE_SUFFIXES)})")
    if all(_INTEGER.match(p.stem) for p in paths):
        paths.sort(key=lambda p: int(p.stem))
    else:
        paths.sort(key=lambda p: p.name)
    stamps = _timestamps([p.stem for p in paths])
    frames = [FootageFrame(t, str(p)) for t, p in zip(stamps, paths)]
    return FootageClip(name or folder.name, frames, lambda: _read_files(frames, paths))


def clip_from_video(path: str | os.PathLike, every: int = 1, name: str | None = None) -> FootageClip:
    """A clip of every `every`-th frame (0, every, 2 every, ...) of a video read with OpenCV.

    Raises:
        FileNotFoundError: no such file. ValueError: OpenCV cannot open it, or every < 1.
    """
    path = Path(path)
    if every < 1:
        raise ValueError(f"--every must be >= 1, got {every}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: video file not found")
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise ValueError(f"{path}: OpenCV cannot open this video")
    fps = capture.get(cv2.CAP_PROP_FPS)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    capture.release()
    if count <= 0:
        raise ValueError(f"{path}: the video reports no frames")
    fps = fps if fps > 0 and math.isfinite(fps) else 30.0
    indices = list(range(0, count, every))
    frames = [FootageFrame(int(round(i * 1e6 / fps)), f"{path} frame {i}") for i in indices]

    def read() -> Iterator[DecodedFrame]:
        capture = cv2.VideoCapture(str(path))
        wanted = dict(zip(indices, frames))
        index = 0
        try:
            while wanted:
                ok, bgr = capture.read()
                if not ok:
                    break
                if index in wanted:
                    yield DecodedFrame(wanted.pop(index), np.ascontiguousarray(bgr[:, :, ::-1]))
                index += 1
        finally:
            capture.release()
        for frame in wanted.values():  # the container claimed more frames than it decoded
            yield DecodedFrame(frame, None, f"{frame.label}: could not be decoded")

    return FootageClip(name or path.stem, frames, read)


def clips_from_coco(
    ann_file: str | os.PathLike,
    img_dir: str | os.PathLike | None,
    group_key: str,
    order_key: str,
) -> tuple[list[FootageClip], list[str]]:
    """Clips of a COCO set: images grouped by the image-entry key `group_key` (a clip per value,
    named f"{group_key}{value}") and ordered by `order_key`.

    img_dir defaults to 'images' beside the file. Returns the clips (by group value) and one
    line per image entry left out (missing key, duplicate order value).
    Raises CocoFormatError for an unusable file.
    """
    ann_file = Path(ann_file)
    img_dir = Path(img_dir) if img_dir is not None else ann_file.parent / "images"
    document = read_coco_document(ann_file)
    groups: dict[object, list[tuple[object, Path]]] = defaultdict(list)
    skipped = []
    for entry in document["images"]:
        if group_key not in entry or order_key not in entry or "file_name" not in entry:
            skipped.append(
                f"{ann_file}: image {entry.get('id')!r} lacks '{group_key}', '{order_key}' or "
                "'file_name'; left out"
            )
            continue
        groups[entry[group_key]].append((entry[order_key], img_dir / entry["file_name"]))
    clips = []
    for value in sorted(groups, key=lambda v: (str(type(v)), v)):
        members = sorted(groups[value], key=lambda item: item[0])
        kept, seen = [], set()
        for order, path in members:
            if order in seen:
                skipped.append(f"{path}: duplicate {order_key}={order!r} in {group_key} {value!r}; left out")
                continue
            seen.add(order)
            kept.append((order, path))
        paths = [path for _, path in kept]
        stamps = _timestamps([str(order) for order, _ in kept])
        frames = [FootageFrame(t, str(p)) for t, p in zip(stamps, paths)]
        clips.append(
            FootageClip(f"{group_key}{value}", frames, lambda f=frames, p=paths: _read_files(f, p))
        )
    return clips, skipped
