"""A preview grid of an augmented set: each row one source image and its rendered views,
boxes and class names drawn on every tile."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..data.coco_io import CocoFormatError, SourceImage, fit_boxes_to_image, read_coco_detection
from ..data.image_io import ImageReadError, read_image_rgb

__all__ = ["PreviewRow", "Tile", "load_preview_rows", "draw_tile", "compose_grid"]


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


def _read_rgb8(path: Path) -> np.ndarray | None:
    try:
        return (read_image_rgb(path).rgb * 255.0 + 0.5).astype(np.uint8)
    except ImageReadError:
        return None


def _source_images(info: dict) -> dict[int, SourceImage]:
    """Source image entries (with boxes) from the source annotation file recorded in info."""
    ann_file = info.get("danr", {}).get("source_ann_file")
    if not ann_file:
        return {}
    try:
        return {image.id: image for image in read_coco_detection(ann_file).images}
    except CocoFormatError:
        return {}


def load_preview_rows(out_dir: Path, num: int, img_dir: Path | None = None) -> list[PreviewRow]:
    """The first `num` source images of OUT (by source id) with all their views.

    Sources are read from img_dir (default: the source folder recorded in the output's info).
    """
    document = json.loads((Path(out_dir) / "annotations.json").read_text(encoding="utf-8"))
    info = document.get("info", {})
    if img_dir is None:
        recorded = info.get("danr", {}).get("source_img_dir")
        img_dir = Path(recorded) if recorded else None
    names = {c["id"]: str(c.get("name", c["id"])) for c in document["categories"]}
    source_images = _source_images(info)
    boxes_by_image: dict[int, list] = {}
    for annotation in document["annotations"]:
        x, y, w, h = annotation["bbox"]
        boxes_by_image.setdefault(annotation["image_id"], []).append(
            ((x, y, x + w, y + h), names.get(annotation["category_id"], "?"))
        )
    views_by_source: dict[int, list[dict]] = {}
    for image in document["images"]:
        views_by_source.setdefault(image["danr"]["source_image_id"], []).append(image)
    rows = []
    for source_id in sorted(views_by_source)[:num]:
        views = sorted(views_by_source[source_id], key=lambda i: i["danr"]["view_index"])
        source_name = views[0]["danr"]["source_file_name"]
        rgb = _read_rgb8(img_dir / source_name) if img_dir is not None else None
        boxes = []
        if rgb is not None and source_id in source_images:
            fitted, _ = fit_boxes_to_image(source_images[source_id], *rgb.shape[:2])
            boxes = [(box.xyxy, names.get(box.category_id, "?")) for box in fitted]
        source = Tile(rgb, f"source {source_id}", boxes)
        tiles = []
        for view in views:
            rotvec = ",".join(f"{v:+.2f}" for v in view["danr"]["rotvec"])
            tiles.append(Tile(
                _read_rgb8(Path(out_dir) / "images" / view["file_name"]),
                f"v{view['danr']['view_index']} r=[{rotvec}]",
                boxes_by_image.get(view["id"], []),
            ))
        rows.append(PreviewRow(source, tiles))
    return rows


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
