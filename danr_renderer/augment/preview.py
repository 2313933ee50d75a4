"""The rows of an augmented set's preview: each row one source image and its rendered views,
with their boxes and class names (drawn by danr_renderer.vis)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ..data.coco_io import CocoFormatError, SourceImage, fit_boxes_to_image, read_coco_detection
from ..data.image_io import ImageReadError, read_image_rgb
from ..vis import PreviewRow, Tile

__all__ = ["load_preview_rows"]


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
