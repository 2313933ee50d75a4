"""Source-camera intrinsics of an augmented image: calibrated or the 60-degree default.

Intrinsics are given as four numbers (fx, fy, cx, cy) in the source image's own pixels
(continuous frame of docs/conventions.md: the image spans [0, W] x [0, H]). They come, in this
order of precedence, from the image's COCO entry ("intrinsics": [fx, fy, cx, cy]), from the
tool's --camera fx,fy,cx,cy (shared by every image), or, for uncalibrated images, from
geometry.default_intrinsics (60-degree horizontal field of view, centred principal point).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

__all__ = ["COCO_INTRINSICS_KEY", "Intrinsics", "CameraError", "parse_camera", "check_intrinsics",
           "read_image_intrinsics"]

COCO_INTRINSICS_KEY = "intrinsics"
Intrinsics = tuple[float, float, float, float]


class CameraError(ValueError):
    """Intrinsics that cannot describe a pinhole camera (message names where they came from)."""


def check_intrinsics(values, where: str) -> Intrinsics:
    """(fx, fy, cx, cy) as floats; fx, fy finite and > 0, cx, cy finite, else CameraError."""
    if (not isinstance(values, (list, tuple)) or len(values) != 4
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)):
        raise CameraError(f"{where}: intrinsics must be 4 numbers [fx, fy, cx, cy], got {values!r}")
    fx, fy, cx, cy = (float(v) for v in values)
    if not all(math.isfinite(v) for v in (fx, fy, cx, cy)) or fx <= 0 or fy <= 0:
        raise CameraError(f"{where}: need finite fx, fy > 0 and finite cx, cy, got {list(values)!r}")
    return fx, fy, cx, cy


def parse_camera(text: str) -> Intrinsics:
    """'fx,fy,cx,cy' (source pixels) -> Intrinsics; CameraError naming the option otherwise."""
    try:
        values = [float(part) for part in text.split(",")]
    except ValueError:
        raise CameraError(f"--camera {text!r}: expected fx,fy,cx,cy (four numbers, pixels)") from None
    return check_intrinsics(values, f"--camera {text!r}")


def read_image_intrinsics(ann_file) -> dict[int, Intrinsics]:
    """Image id -> Intrinsics for the image entries of a COCO file that carry the
    COCO_INTRINSICS_KEY; CameraError naming the file and image id for a malformed one.

    The file is one that danr_renderer.data.coco_io.read_coco_detection accepted (a JSON object
    with an 'images' list); entries it skipped are skipped here too."""
    found = {}
    for entry in json.loads(Path(ann_file).read_text(encoding="utf-8"))["images"]:
        if isinstance(entry, dict) and COCO_INTRINSICS_KEY in entry and entry.get("id") not in found:
            where = f"{ann_file}: image id {entry.get('id')} '{COCO_INTRINSICS_KEY}'"
            found[entry["id"]] = check_intrinsics(entry[COCO_INTRINSICS_KEY], where)
    return found
