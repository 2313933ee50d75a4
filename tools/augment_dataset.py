#!/usr/bin/env python
"""Offline DANR augmentation of a COCO detection set (paper §3.1, §4.4).

    python tools/augment_dataset.py --ann-file A.json --img-dir DIR --out-dir OUT [options]
    python tools/augment_dataset.py merge --out-dir OUT [SHARD_OUT ...]

Run `--help` for the options, the view file schema and how image sizes are handled.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# Sleeping (not spinning) OpenMP workers: on a machine shared with other jobs, spinning threads
# steal the cores the model needs (see the "Synthetic scenes" benchmark). Set it to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from danr_renderer.augment import (
    AssemblyError,
    AugmentError,
    AugmentSettings,
    merge_shard_dirs,
    run_augmentation,
)
from danr_renderer.augment.assemble import summarize_records
from danr_renderer.augment.border import BORDER_POLICIES
from danr_renderer.augment.camera import CameraError, parse_camera
from danr_renderer.augment.cli_help import DESCRIPTION, EPILOG
from danr_renderer.augment.depth_upsample import DEPTH_UPSAMPLING
from danr_renderer.augment.render_image import RENDER_MODES
from danr_renderer.boxes import METHODS
from danr_renderer.shipped import INDOOR_VIDEO_CHECKPOINT


def _shard(text: str) -> tuple[int, int]:
    try:
        index, count = (int(part) for part in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected i/n such as 0/4, got {text!r}") from None
    if count < 1 or not 0 <= index < count:
        raise argparse.ArgumentTypeError(f"need n >= 1 and 0 <= i < n, got {text!r}")
    return index, count


def _camera(text: str):
    try:
        return parse_camera(text)
    except CameraError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_run_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="augment_dataset.py", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--ann-file", type=Path, required=True, help="COCO detection json")
    parser.add_argument("--img-dir", type=Path, required=True,
                        help="folder the images' file_name entries are relative to")
    parser.add_argument("--out-dir", type=Path, required=True, help="output folder")
    parser.add_argument("--checkpoint", type=Path, default=INDOOR_VIDEO_CHECKPOINT,
                        help="renderer checkpoint (default: %(default)s, the real-photo renderer; "
                        "checkpoints/danr_synthetic_demo.pth is the synthetic one)")
    parser.add_argument("--views", default="paper4",
                        help="paper4 | random1 | FILE.json (see below; default %(default)s)")
    parser.add_argument("--render-size", type=int, default=128,
                        help="canvas side the networks see (long side for composite and plane; default %(default)s)")
    parser.add_argument("--mode", default="composite", choices=RENDER_MODES,
                        help="render mode (see below; default %(default)s)")
    parser.add_argument("--render-scale", type=int, default=1, metavar="S",
                        help="PointSS factor: splat and decode at S x the canvas (default 1)")
    parser.add_argument("--border", default="inpaint", choices=BORDER_POLICIES,
                        help="revealed border policy (see below; default %(default)s)")
    parser.add_argument("--depth-upsampling", default="bilinear", choices=DEPTH_UPSAMPLING,
                        help="how composite brings the canvas depth to the source size (default %(default)s)")
    parser.add_argument("--camera", type=_camera, default=None, metavar="fx,fy,cx,cy",
                        help="intrinsics in source pixels for images without COCO 'intrinsics'")
    parser.add_argument("--batch-size", type=int, default=4,
                        help="views decoded per renderer call (default %(default)s)")
    parser.add_argument("--device", default="cpu", help="cpu | cuda | cuda:N (default cpu)")
    parser.add_argument("--seed", type=int, default=0, help="seed of random view choices")
    parser.add_argument("--shard", type=_shard, default=(0, 1), metavar="i/n",
                        help="render only the images with id %% n == i (0-based)")
    parser.add_argument("--resume", action="store_true",
                        help="continue a run in OUT, skipping finished images")
    parser.add_argument("--min-visible", type=float, default=0.5,
                        help="keep a box when at least this share of it is seen (default 0.5)")
    parser.add_argument("--box-method", default="object_plane", choices=METHODS,
                        help="how boxes are carried (danr_renderer.boxes; default %(default)s)")
    parser.add_argument("--jpeg-quality", type=int, default=95, help="default %(default)s")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def build_merge_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="augment_dataset.py merge",
        description="Join shard outputs into OUT/annotations.json (equal to a single run's). "
        "Shard folders other than OUT are linked or copied into OUT first.",
    )
    parser.add_argument("--out-dir", type=Path, required=True, help="the merged output folder")
    parser.add_argument("shard_dirs", type=Path, nargs="*",
                        help="shard output folders (default: the shards already in OUT)")
    return parser


def run_main(argv: list[str]) -> int:
    args = build_run_parser().parse_args(argv)
    settings = AugmentSettings(
        ann_file=args.ann_file, img_dir=args.img_dir, out_dir=args.out_dir,
        checkpoint=args.checkpoint, views=args.views, render_size=args.render_size,
        batch_size=args.batch_size, device=args.device, seed=args.seed,
        shard_index=args.shard[0], shard_count=args.shard[1], resume=args.resume,
        min_visible=args.min_visible, box_method=args.box_method,
        jpeg_quality=args.jpeg_quality, mode=args.mode, border=args.border,
        render_scale=args.render_scale, camera=args.camera, depth_upsampling=args.depth_upsampling,
    )
    try:
        summary = run_augmentation(settings, progress=not args.no_progress)
    except AugmentError as error:
        print(f"augment_dataset.py: error: {error}", file=sys.stderr)
        return 1
    for line in summary.lines():
        print(line)
    return 0


def merge_main(argv: list[str]) -> int:
    args = build_merge_parser().parse_args(argv)
    try:
        path, document, records = merge_shard_dirs(args.out_dir, args.shard_dirs)
    except AssemblyError as error:
        print(f"augment_dataset.py merge: error: {error}", file=sys.stderr)
        return 1
    counts = summarize_records(records)
    print(f"merged {counts['sources_ok']} source images ({counts['sources_failed']} failed), "
          f"{len(document['images'])} views, {len(document['annotations'])} boxes -> {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] == "merge":
        return merge_main(argv[1:])
    return run_main(argv)


if __name__ == "__main__":
    sys.exit(main())
