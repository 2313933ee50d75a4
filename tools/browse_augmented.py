#!/usr/bin/env python
"""Preview an augmented set: a grid with, per row, one source image and its rendered views,
boxes and class names drawn.

    python tools/browse_augmented.py OUT --num 4 --out preview.png [--img-dir SOURCE_IMAGES]

Source images are read from --img-dir, by default the source folder recorded in
OUT/annotations.json ("info" -> "danr" -> "source_img_dir"); source boxes come from the source
annotation file recorded there when it is still readable.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from danr_renderer.augment.preview import load_preview_rows
from danr_renderer.data.image_io import write_image_atomic
from danr_renderer.vis import compose_grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir", type=Path, help="an augmentation output folder")
    parser.add_argument("--num", type=int, default=4, help="source images (rows) to show")
    parser.add_argument("--out", type=Path, default=Path("preview.png"), help="PNG to write")
    parser.add_argument("--img-dir", type=Path, default=None, help="folder of the source images")
    parser.add_argument("--tile-height", type=int, default=160, help="rows per tile")
    args = parser.parse_args(argv)
    annotations = args.out_dir / "annotations.json"
    if not annotations.is_file():
        print(f"browse_augmented.py: error: {annotations} not found", file=sys.stderr)
        return 1
    rows = load_preview_rows(args.out_dir, args.num, args.img_dir)
    if not rows:
        print(f"browse_augmented.py: error: {annotations} holds no views", file=sys.stderr)
        return 1
    write_image_atomic(args.out, compose_grid(rows, args.tile_height))
    print(f"wrote {args.out} ({len(rows)} source images with their views)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
