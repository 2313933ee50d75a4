"""Write the synthetic posed indoor data set: a COCO detection set and RealEstate10K-style video.

    python tools/make_synthetic_dataset.py --out data/synthetic --num-scenes 20 \
        --views-per-scene 30 --size 256 --seed 0

The layout under --out and the seeding are documented in danr_renderer.synthetic.dataset_writer.

--photo-textures ANN_FILE [--photo-img-dir DIR]: dress the scenes in patches cut from the images
of a COCO file, e.g. your detector's training split, to fine-tune the renderer towards your
photographs (configs/renderer/photo_finetune_128.py). Only images of that file are read: pass a
training split, never a validation one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--num-scenes", type=int, default=10)
    parser.add_argument("--views-per-scene", type=int, default=30)
    parser.add_argument("--size", type=int, default=256, help="square image side, pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hfov", type=float, default=60.0, help="horizontal field of view, degrees")
    parser.add_argument(
        "--threads", type=int, default=1,
        help="torch threads (default 1: a view is many small tensor ops, and on a busy machine "
        "OpenMP's spin-waiting makes 2 threads much slower; see benchmarks/RESULTS.md)")
    parser.add_argument("--photo-textures", type=Path, default=None, metavar="ANN_FILE",
                        help="COCO file whose images texture the scenes (default: procedural textures)")
    parser.add_argument("--photo-img-dir", type=Path, default=None,
                        help="folder of those images (default: 'images' beside ANN_FILE)")
    parser.add_argument("--photo-fraction", type=float, default=0.7,
                        help="share of the materials replaced by photo patches")
    parser.add_argument("--write-depth", action="store_true",
                        help="also write every frame's exact depth to video/depth/ (depth supervision)")
    args = parser.parse_args(argv)
    for name in ("num_scenes", "views_per_scene", "size", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv=None) -> dict:
    """Generate the data set; returns the COCO dictionary that was written."""
    args = parse_args(argv)
    spec = SyntheticDatasetSpec(
        num_scenes=args.num_scenes, views_per_scene=args.views_per_scene, size=args.size,
        seed=args.seed, hfov_deg=args.hfov, photo_textures=args.photo_textures,
        photo_img_dir=args.photo_img_dir, photo_fraction=args.photo_fraction, write_depth=args.write_depth)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return write_synthetic_dataset(args.out, spec)
    finally:
        torch.set_num_threads(previous_threads)


if __name__ == "__main__":
    main()
