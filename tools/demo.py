#!/usr/bin/env python
"""`make demo`: the main job end to end on generated data, in a few minutes on a CPU.

    python tools/demo.py --out work_dirs/demo

1. the synthetic data-set writer (tools/make_synthetic_dataset.py's library) writes a small COCO set
   (OUT/synthetic/detection/{images, annotations.json});
2. tools/augment_dataset.py's library renders the paper's four views of every image with the
   shipped checkpoint (checkpoints/danr_synthetic_demo.pth) into OUT/augmented;
3. a preview grid (sources, views, boxes, class names) is written to OUT/preview.png.
OUT/synthetic and OUT/augmented are rebuilt on every call.
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

# Sleeping (not spinning) OpenMP workers: on a machine shared with other jobs, spinning threads
# steal the cores the model needs (see the "Synthetic scenes" benchmark). Set it to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from danr_renderer.augment import AugmentError, AugmentSettings, run_augmentation
from danr_renderer.augment.preview import load_preview_rows
from danr_renderer.data.image_io import write_image_atomic
from danr_renderer.shipped import DEMO_CHECKPOINT
from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset
from danr_renderer.vis import compose_grid


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("work_dirs/demo"))
    parser.add_argument("--checkpoint", type=Path, default=DEMO_CHECKPOINT)
    parser.add_argument("--num-scenes", type=int, default=3)
    parser.add_argument("--views-per-scene", type=int, default=2)
    parser.add_argument("--size", type=int, default=128, help="synthetic image side")
    parser.add_argument("--render-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1000,
                        help="synthetic scene seed (the demo checkpoint was trained on seed 0)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if not args.checkpoint.is_file():
        print(f"demo.py: error: checkpoint {args.checkpoint} not found; it ships with the "
              "repository (checkpoints/danr_synthetic_demo.pth) or pass --checkpoint",
              file=sys.stderr)
        return 1

    synthetic = args.out / "synthetic"
    augmented = args.out / "augmented"
    for folder in (synthetic, augmented):
        shutil.rmtree(folder, ignore_errors=True)
    print(f"[1/3] synthetic detection set -> {synthetic / 'detection'}")
    write_synthetic_dataset(synthetic, SyntheticDatasetSpec(
        num_scenes=args.num_scenes, views_per_scene=args.views_per_scene, size=args.size, seed=args.seed))

    print(f"[2/3] rendering the paper's four views of every image -> {augmented}")
    settings = AugmentSettings(
        ann_file=synthetic / "detection" / "annotations.json",
        img_dir=synthetic / "detection" / "images",
        out_dir=augmented,
        checkpoint=args.checkpoint,
        render_size=args.render_size,
        seed=args.seed,
    )
    try:
        summary = run_augmentation(settings)
    except AugmentError as error:
        print(f"demo.py: error: {error}", file=sys.stderr)
        return 1
    for line in summary.lines():
        print("      " + line)

    preview = args.out / "preview.png"
    rows = load_preview_rows(augmented, num=args.num_scenes * args.views_per_scene)
    write_image_atomic(preview, compose_grid(rows, tile_height=args.size))
    print(f"[3/3] preview -> {preview}")
    print(
        "\nDone in {:.0f} s.\n  source set:     {}\n  augmented set:  {} (images/, "
        "annotations.json)\n  preview:        {}\n  browse more:    python "
        "tools/browse_augmented.py {} --num 8 --out preview.png".format(
            time.perf_counter() - started, synthetic / "detection", augmented, preview, augmented
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
