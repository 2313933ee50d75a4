"""Drawing pictures for people: tiles with boxes and captions, assembled into grids.

A Tile is an RGB uint8 image with its caption and boxes (xyxy in that image's continuous pixel
frame, docs/conventions.md); `compose_grid` stacks rows of tiles into one RGB uint8 picture that
`danr_renderer.data.image_io.write_image_atomic` writes. Every preview of the project (augmented
sets, data-set contact sheets, renderer evaluations) is drawn here.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["PreviewRow", "Tile", "compose_grid", "draw_tile", "to_rgb8"]


@dataclass
class Tile:
    """One picture of the grid: RGB uint8 (H, W, 3) or None (file missing), its caption and
    its boxes [(xyxy in that image's pixels, class name)]."""

    rgb: np.ndarray | None
    caption: str
    boxes: list[tuple[tuple[float, float, float, float], str]]


@dataclass
class PreviewRow:
    source: Tile
    views: list[Tile]


def to_rgb8(image) -> np.ndarray:
    """A float RGB image in [0, 1] as (H, W, 3) uint8: numpy (H, W, 3) or torch (3, H, W) /
    (1, 3, H, W) (values outside [0, 1] are clipped)."""
    array = image.detach().cpu().numpy() if hasattr(image, "detach") else np.asarray(image)
    if array.ndim == 4:
        array = array[0]
    if array.ndim == 3 and array.shape[0] == 3 and array.shape[-1] != 3:
        array = array.transpose(1, 2, 0)
    return (np.clip(array, 0.0, 1.0) * 255.0).round().astype(np.uint8)


def _color(name: str) -> tuple[int, int, int]:
    """A stable bright RGB colour per class name."""
    hue = (sum(ord(c) * 131 for c in name) % 180)
    hsv = np.uint8([[[hue, 220, 255]]])
    return tuple(int(v) for v in cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0])


def draw_tile(tile: Tile, height: int) -> np.ndarray:
    """The tile scaled to `height` rows (aspect kept), boxes, labels and caption drawn; RGB uint8."""
    caption_rows = 16
    if tile.rgb is None:
        body = np.full((height, height, 3), 64, np.uint8)
        cv2.putText(body, "missing", (4, height // 2), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    (255, 255, 255), 1, cv2.LINE_AA)
    else:
        scale = height / tile.rgb.shape[0]
        width = max(1, round(tile.rgb.shape[1] * scale))
        body = cv2.resize(tile.rgb, (width, height), interpolation=cv2.INTER_AREA)
        body = np.ascontiguousarray(body)
        for (x1, y1, x2, y2), name in tile.boxes:
            color = _color(name)
            top_left = (int(round(x1 * scale)), int(round(y1 * scale)))
            bottom_right = (int(round(x2 * scale)) - 1, int(round(y2 * scale)) - 1)
            cv2.rectangle(body, top_left, bottom_right, color, 1)
            cv2.putText(body, name, (top_left[0] + 1, max(top_left[1] - 2, 8)),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3, color, 1, cv2.LINE_AA)
    caption = np.zeros((caption_rows, body.shape[1], 3), np.uint8)
    cv2.putText(caption, tile.caption, (2, 11), cv2.FONT_HERSHEY_SIMPLEX, 0.33,
                (255, 255, 255), 1, cv2.LINE_AA)
    return np.concatenate([caption, body], axis=0)


def compose_grid(rows: list[PreviewRow], tile_height: int = 160, gap: int = 4) -> np.ndarray:
    """All rows stacked, each row's tiles side by side; RGB uint8."""
    drawn_rows = []
    for row in rows:
        tiles = [draw_tile(tile, tile_height) for tile in [row.source] + row.views]
        pieces = []
        for tile in tiles:
            pieces += [tile, np.zeros((tile.shape[0], gap, 3), np.uint8)]
        drawn_rows.append(np.concatenate(pieces[:-1], axis=1))
    if not drawn_rows:
        raise ValueError("nothing to preview: the output holds no views")
    width = max(r.shape[1] for r in drawn_rows)
    stacked = []
    for row in drawn_rows:
        padded = np.zeros((row.shape[0] + gap, width, 3), np.uint8)
        padded[: row.shape[0], : row.shape[1]] = row
        stacked.append(padded)
    return np.concatenate(stacked, axis=0)[:-gap]
