"""Contact sheet of a COCO detection set: sampled images with their boxes and class names.

    python tools/browse_dataset.py --ann-file data/synthetic/detection/annotations.json \
        --img-dir data/synthetic/detection/images --num 16 --out sheet.png

Works for any COCO json (file_name relative to --img-dir, bbox [x, y, w, h] in pixels), e.g.
the Indoor set: --ann-file ../shared/data/indoor_objects/annotations.json
--img-dir ../shared/data/indoor_objects/images. Images are sampled with --seed (without
replacement), letterboxed into square tiles and drawn with one colour per category.
"""

from __future__ import annotations

import argparse
import colorsys
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from danr_renderer.atomic_io import atomic_write_bytes  # noqa: E402


def category_colors(category_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """A distinct BGR colour per category id (evenly spaced hues)."""
    colors = {}
    for rank, category_id in enumerate(sorted(category_ids)):
        r, g, b = colorsys.hsv_to_rgb(rank / max(len(category_ids), 1), 0.9, 1.0)
        colors[category_id] = (int(255 * b), int(255 * g), int(255 * r))
    return colors


def load_coco(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as handle:
            coco = json.load(handle)
    except (OSError, json.JSONDecodeError) as error:
        raise SystemExit(f"{path}: cannot read a COCO json ({error})") from None
    for key in ("images", "annotations", "categories"):
        if key not in coco:
            raise SystemExit(f"{path}: not a COCO detection file (no '{key}' list)")
    return coco


def draw_tile(
    image: np.ndarray,
    annotations: list[dict],
    names: dict[int, str],
    colors: dict[int, tuple[int, int, int]],
    tile: int,
    caption: str,
) -> np.ndarray:
    """The image scaled to fit a tile x tile square (letterboxed), boxes and labels drawn on it."""
    height, width = image.shape[:2]
    scale = tile / max(height, width)
    resized = cv2.resize(
        image,
        (max(1, round(width * scale)), max(1, round(height * scale))),
        interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR,
    )
    canvas = np.zeros((tile, tile, 3), dtype=np.uint8)
    top, left = (tile - resized.shape[0]) // 2, (tile - resized.shape[1]) // 2
    canvas[top : top + resized.shape[0], left : left + resized.shape[1]] = resized
    for annotation in annotations:
        x, y, w, h = annotation["bbox"]
        color = colors.get(annotation["category_id"], (255, 255, 255))
        # Box edges are continuous pixel coordinates; cv2 draws on integer pixel indices.
        x0, y0 = left + round(x * scale), top + round(y * scale)
        x1, y1 = left + round((x + w) * scale) - 1, top + round((y + h) * scale) - 1
        cv2.rectangle(canvas, (x0, y0), (max(x0, x1), max(y0, y1)), color, 1)
        label = names.get(annotation["category_id"], str(annotation["category_id"]))
        cv2.putText(
            canvas,
            label,
            (x0 + 1, max(y0 - 2, 8)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.3,
            color,
            1,
            cv2.LINE_AA,
        )
    cv2.putText(
        canvas,
        caption,
        (2, tile - 4),
        cv2.FONT_HERSHEY_SIMPLEX,
        0.3,
        (255, 255, 255),
        1,
        cv2.LINE_AA,
    )
    return canvas


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ann-file", required=True, type=Path)
    parser.add_argument("--img-dir", required=True, type=Path)
    parser.add_argument("--num", type=int, default=16, help="number of images on the sheet")
    parser.add_argument("--out", required=True, type=Path, help="output PNG")
    parser.add_argument("--seed", type=int, default=0, help="seed of the image sample")
    parser.add_argument("--tile", type=int, default=256, help="tile side, pixels")
    parser.add_argument(
        "--columns", type=int, default=0, help="tiles per row (default: about square)"
    )
    args = parser.parse_args(argv)
    if args.num < 1 or args.tile < 16:
        parser.error("--num must be >= 1 and --tile >= 16")

    coco = load_coco(args.ann_file)
    if not coco["images"]:
        raise SystemExit(f"{args.ann_file}: has no images")
    names = {category["id"]: category["name"] for category in coco["categories"]}
    colors = category_colors(list(names))
    by_image = defaultdict(list)
    for annotation in coco["annotations"]:
        by_image[annotation["image_id"]].append(annotation)

    rng = np.random.default_rng(args.seed)
    count = min(args.num, len(coco["images"]))
    chosen = sorted(rng.choice(len(coco["images"]), size=count, replace=False))
    tiles = []
    for index in chosen:
        entry = coco["images"][index]
        path = args.img_dir / entry["file_name"]
        image = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if image is None:
            raise SystemExit(f"{path}: cannot read image {entry['id']} listed in {args.ann_file}")
        boxes = by_image[entry["id"]]
        tiles.append(
            draw_tile(
                image, boxes, names, colors, args.tile, f"{entry['file_name']} ({len(boxes)})"
            )
        )

    columns = args.columns or math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    blank = np.zeros_like(tiles[0])
    tiles += [blank] * (rows * columns - count)
    sheet = np.concatenate(
        [np.concatenate(tiles[r * columns : (r + 1) * columns], axis=1) for r in range(rows)],
        axis=0,
    )
    ok, png = cv2.imencode(".png", sheet)
    if not ok:
        raise SystemExit(f"{args.out}: cannot write the sheet")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(args.out, png.tobytes())
    print(f"wrote {args.out}: {count} images from {args.ann_file}")


if __name__ == "__main__":
    main()
