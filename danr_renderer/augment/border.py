"""What a written view shows where the camera motion reveals what the source never saw.

Policies (--border):

* "inpaint": the renderer's decoder paints it (the paper's behaviour).
* "black": revealed pixels are set to 0.
* "crop": the largest centred crop of the source's aspect ratio that holds no revealed pixel,
  resized back to the source size; boxes are mapped with the same crop and resize.

"Revealed" is measured on the view's coverage at the written size: a pixel is covered when some
source point reached it; small uncovered gaps (up to CLOSING px across, e.g. between splats or
thin disocclusions) are closed morphologically, so what stays uncovered is the revealed border
and large disocclusions.
"""
from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["BORDER_POLICIES", "CLOSING", "covered_mask", "largest_centred_crop", "crop_and_resize",
           "crop_boxes"]

BORDER_POLICIES = ("inpaint", "crop", "black")
CLOSING = 9


def covered_mask(alpha: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """alpha (V, 1, h, w) splat coverage on any grid -> (V, H, W) bool covered pixels at `size`,
    with gaps up to CLOSING pixels closed (max-pool dilation then erosion)."""
    covered = F.interpolate((alpha > 0).float(), size=size, mode="nearest-exact")
    pad = CLOSING // 2
    dilated = F.max_pool2d(covered, CLOSING, stride=1, padding=pad)
    # Erosion with the outside counted as covered, so the frame edge itself is not eroded.
    closed = -F.max_pool2d(-F.pad(dilated, (pad,) * 4, value=1.0), CLOSING, stride=1)
    return closed[:, 0] > 0.5


def largest_centred_crop(covered: np.ndarray) -> tuple[int, int, int, int]:
    """(H, W) bool -> integer pixel crop (x0, y0, x1, y1) of the image's aspect ratio, centred,
    as large as possible with every pixel inside covered (at least a 2 x 2 crop)."""
    height, width = covered.shape

    def crop(scale: float) -> tuple[int, int, int, int]:
        crop_w = max(2, int(round(width * scale)))
        crop_h = max(2, int(round(height * scale)))
        x0, y0 = (width - crop_w) // 2, (height - crop_h) // 2
        return x0, y0, x0 + crop_w, y0 + crop_h

    if covered.all():
        return 0, 0, width, height
    low, high = 0.0, 1.0  # crop(low) is accepted, crop(high) is not
    for _ in range(14):
        middle = (low + high) / 2
        x0, y0, x1, y1 = crop(middle)
        if covered[y0:y1, x0:x1].all():
            low = middle
        else:
            high = middle
    return crop(low)


def crop_and_resize(image: np.ndarray, crop: tuple[int, int, int, int]) -> np.ndarray:
    """(H, W, 3) image -> its crop (x0, y0, x1, y1) resized back to (H, W) (bilinear, exact in
    the continuous pixel frame: u -> (u - x0) W / (x1 - x0))."""
    x0, y0, x1, y1 = crop
    height, width = image.shape[:2]
    if (x0, y0, x1, y1) == (0, 0, width, height):
        return image
    return cv2.resize(np.ascontiguousarray(image[y0:y1, x0:x1]), (width, height),
                      interpolation=cv2.INTER_LINEAR)


def crop_boxes(boxes: np.ndarray, visible: np.ndarray, reasons: list, crop: tuple[int, int, int, int],
               size: tuple[int, int], min_visible: float, min_size: float
               ) -> tuple[np.ndarray, np.ndarray, list]:
    """Map carried boxes (M, 4) xyxy of the full view into the crop resized to size (H, W).

    A kept box keeps the share of its area inside the crop: visible is multiplied by it, and the
    box is dropped as "left_frame" when visible falls under min_visible, "too_small" when the
    mapped box is under min_size pixels wide or high. Returns (boxes, visible, reasons).
    """
    height, width = size
    x0, y0, x1, y1 = crop
    scale = np.array([width / (x1 - x0), height / (y1 - y0)] * 2)
    clipped = np.clip(boxes, [x0, y0, x0, y0], [x1, y1, x1, y1])
    area = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    inside = np.prod(clipped[:, 2:] - clipped[:, :2], axis=1)
    share = np.where(area > 0, inside / np.where(area > 0, area, 1), 0.0)
    mapped = (clipped - np.array([x0, y0, x0, y0])) * scale
    visible = visible * share
    new_reasons = []
    for reason, seen, box in zip(reasons, visible, mapped):
        if reason is None and seen < min_visible:
            reason = "left_frame"
        elif reason is None and min(box[2] - box[0], box[3] - box[1]) < min_size:
            reason = "too_small"
        new_reasons.append(reason)
    return mapped, visible, new_reasons
