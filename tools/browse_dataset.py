"""Contact sheet of a COCO detection set: sampled images with their boxes and class names.

    python tools/browse_dataset.py --ann-file data/synthetic/detection/annotations.json \
        --img-dir data/synthetic/detection/images --num 16 --out sheet.png

Works for any COCO json (file_name relative to --img-dir, bbox [x, y, w, h] in pixels), e.g.
the Indoor set: --ann-file ../shared/data/indoor_objects/annotations.json
--img-dir ../shared/data/indoor_objects/images. Images are sampled with --seed (without
replacement) and drawn --tile pixels high, one colour per class, --columns per row.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

from danr_renderer.data.coco_io import CocoFormatError, fit_boxes_to_image, read_coco_detection
from danr_renderer.data.image_io import ImageReadError, read_image_rgb, write_image_atomic
from danr_renderer.vis import PreviewRow, Tile, compose_grid, to_rgb8


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ann-file", required=True, type=Path)
    parser.add_argument("--img-dir", required=True, type=Path)
    parser.add_argument("--num", type=int, default=16, help="number of images on the sheet")
    parser.add_argument("--out", required=True, type=Path, help="output PNG")
    parser.add_argument("--seed", type=int, default=0, help="seed of the image sample")
    parser.add_argument("--tile", type=int, default=256, help="tile height, pixels")
    parser.add_argument("--columns", type=int, default=0, help="tiles per row (default: about square)")
    args = parser.parse_args(argv)
    if args.num < 1 or args.tile < 16:
        parser.error("--num must be >= 1 and --tile >= 16")

    try:
        coco = read_coco_detection(args.ann_file)
    except CocoFormatError as error:
        raise SystemExit(str(error)) from None
    if not coco.images:
        raise SystemExit(f"{args.ann_file}: has no images")
    names = {category["id"]: str(category.get("name", category["id"])) for category in coco.categories}
    rng = np.random.default_rng(args.seed)
    count = min(args.num, len(coco.images))
    tiles = []
    for index in sorted(rng.choice(len(coco.images), size=count, replace=False)):
        image = coco.images[index]
        path = args.img_dir / image.file_name
        try:
            rgb = to_rgb8(read_image_rgb(path).rgb)
        except ImageReadError as error:
            print(f"{path}: skipped image {image.id} ({error})", file=sys.stderr)
            continue
        boxes, _ = fit_boxes_to_image(image, *rgb.shape[:2])
        tiles.append(Tile(rgb, f"{image.file_name} ({len(boxes)})",
                          [(box.xyxy, names.get(box.category_id, "?")) for box in boxes]))
    if not tiles:
        raise SystemExit(f"{args.ann_file}: none of the {count} sampled images could be read")
    columns = args.columns or math.ceil(math.sqrt(len(tiles)))
    rows = [PreviewRow(tiles[start], tiles[start + 1:start + columns])
            for start in range(0, len(tiles), columns)]
    write_image_atomic(args.out, compose_grid(rows, tile_height=args.tile))
    print(f"wrote {args.out}: {len(tiles)} images from {args.ann_file}")


if __name__ == "__main__":
    main()
