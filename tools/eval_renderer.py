#!/usr/bin/env python
"""Evaluate a DANR renderer checkpoint on freshly generated, held-out synthetic scenes.

    python tools/eval_renderer.py [--checkpoint CKPT] [--num-pairs N] [--seed SEED] [--size S]
                                  [--targets paper4|trajectory] [--max-frame-gap G] --out FILE.json
    python tools/eval_renderer.py --posed ROOT [--ann-file HELDOUT.json] [--compare CKPT ...]
                                  [--size S] [--max-frame-gap G] [--num-pairs N] --out FILE.json

Run `--help` for what is measured; the protocols live in danr_renderer.evaluation (synthetic
pairs) and danr_renderer.evaluation.posed (--posed: real posed footage, e.g. tools/pose_video.py's).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from danr_renderer.atomic_io import atomic_write_json
from danr_renderer.boxes import METHODS as BOX_METHODS
from danr_renderer.data.image_io import write_image_atomic
from danr_renderer.evaluation import EVAL_SEED_TAG, IMAGE_METHODS, eval_photo_patches, evaluate
from danr_renderer.evaluation.posed import evaluate_posed
from danr_renderer.renderer import NovelViewRenderer
from danr_renderer.shipped import DEMO_CHECKPOINT
from danr_renderer.vis import PreviewRow, compose_grid

DESCRIPTION = """\
Renders N (source view, target pose) pairs of held-out synthetic scenes and scores the renderer
against two baselines, per image (PSNR in dB, SSIM, perceptual distance of eq. 7 with the default
VGG19Features instrument: full widths, seed 0, no weights file), and the boxes that
danr_renderer.boxes.transfer_boxes carries into the target view (IoU with the oracle's boxes).
"""

EPILOG = """\
pairs:
  Pair i uses scene generate_scene((SEED, i, 7007, 0)) and, for its source camera, the first frame
  of camera_trajectory(scene, ., (SEED, i, 7007, 1)). Training sets use the seeds (s, k) and
  (s, k, 1), so these scenes are never training scenes. The image is S x S with the default
  60-degree intrinsics. --targets paper4: pair i's target is the paper's view i mod 4
  (T = [0, 0, 0.3], r = [+-0.1, +-0.15, 0]), rendered by the oracle render_target_view.
  --targets trajectory: the target is frame g of the same path, g drawn in [1, G], as the training
  pairs of tools/make_synthetic_dataset.py videos are.
  --photo-textures ANN_FILE: patches of that file's images (seed (SEED, 7007, 4)) dress each
  scene, pair i's choice of them seeded (SEED, i, 7007, 3).

image methods (keys of the JSON, each {"psnr", "ssim", "perceptual"} averaged over pairs):
  renderer    the checkpoint's novel view
  identity    the source image itself as the prediction
  homography  the source RGB splatted at ONE constant depth, the median of the TRUE source depth
              (an oracle scale: a favourable baseline), radius 1.5 px, 8 points per pixel,
              normalised by coverage; pixels no point reaches stay black

box_iou (mean IoU over the objects boxed in both the source and the oracle target view; every
transferred box counts, also those transfer_boxes would drop as hidden):
  renderer                the renderer's predicted depth as is (it is trained with metric poses,
                          so its depth is in scene units)
  renderer_median_scaled  that depth rescaled so its median is the true median (shape only)
  homography              the constant median true depth
  true_depth              the oracle depth: the error of the box transfer itself
  identity                the source box unchanged
  num_boxes               how many boxes were compared
"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=DEMO_CHECKPOINT,
                        help=f"renderer checkpoint (NovelViewRenderer.save_checkpoint); default {DEMO_CHECKPOINT}")
    parser.add_argument("--num-pairs", type=int, default=40, help="number of evaluation pairs (default 40)")
    parser.add_argument("--seed", type=int, default=0, help="evaluation seed (default 0)")
    parser.add_argument("--size", type=int, default=128,
                        help="source image size S (S x S); use the checkpoint's training size (default 128)")
    parser.add_argument("--targets", choices=("paper4", "trajectory"), default="paper4",
                        help="target poses (default paper4)")
    parser.add_argument("--max-frame-gap", type=int, default=30,
                        help="--targets trajectory: largest frame gap G (default 30, the paper's)")
    parser.add_argument("--device", default="cpu", help="torch device (default cpu)")
    parser.add_argument("--out", type=Path, required=True, help="output JSON file")
    parser.add_argument("--grid", type=Path, default=None,
                        help="also write a PNG: per pair the source, the true target and each method's image")
    parser.add_argument("--grid-rows", type=int, default=6, help="pairs shown in --grid (default 6)")
    parser.add_argument("--photo-textures", type=Path, default=None, metavar="ANN_FILE",
                        help="dress the scenes in patches of this COCO file's images (to measure a "
                        "renderer adapted with configs/renderer/photo_finetune_128.py; pass images "
                        "it was not fine-tuned on)")
    parser.add_argument("--photo-img-dir", type=Path, default=None,
                        help="folder of those images (default: 'images' beside ANN_FILE)")
    posed = parser.add_argument_group("real posed footage (danr_renderer.evaluation.posed)")
    posed.add_argument("--posed", type=Path, default=None, metavar="ROOT",
                       help="score on the frame pairs (at most --max-frame-gap rows apart, at most "
                       "--num-pairs of them) of this posed footage instead of synthetic scenes")
    posed.add_argument("--compare", type=Path, nargs="*", default=[], metavar="CKPT",
                       help="more checkpoints scored beside --checkpoint (e.g. the synthetic demo)")
    posed.add_argument("--ann-file", type=Path, default=None,
                       help="COCO file annotating the frames: only its images are scored, its boxes "
                       "are carried between them")
    posed.add_argument("--full-resolution", action="store_true",
                       help="also score the views tools/augment_dataset.py writes by default (the "
                       "composite at the frame's own size) against the plane warp at that size")
    posed.add_argument("--sfm-scale", action="store_true",
                       help="also score each renderer with its depth scaled to the median SfM depth "
                       "(the scale the plane warp is given), as NAME@sfm_scale")
    posed.add_argument("--rule-scale", action="store_true",
                       help="also score each renderer with its depth scaled so its median over the image "
                       "is the scale rule's median depth (no SfM point read), as NAME@rule_scale")
    posed.add_argument("--box-methods", nargs="+", default=["object_plane"], choices=BOX_METHODS,
                       metavar="METHOD", help="box transfer methods to score the carried boxes with "
                       f"(danr_renderer.boxes: {', '.join(BOX_METHODS)}); the first fills \"boxes\"")
    posed.add_argument("--group-key", default="sequence", help="its image key naming the clip")
    posed.add_argument("--order-key", default="frame", help="its image key giving the timestamp")
    args = parser.parse_args(argv)
    if args.num_pairs < 1 or args.size < 16 or args.max_frame_gap < 1:
        parser.error("need --num-pairs >= 1, --size >= 16 and --max-frame-gap >= 1")
    if not args.checkpoint.is_file():
        parser.error(f"checkpoint {args.checkpoint} does not exist; train one (tools/train.py "
                     "configs/renderer/synthetic_128.py writes work_dirs/synthetic_128/renderer_final.pth) "
                     "or pass --checkpoint")
    return args


def main_posed(args: argparse.Namespace) -> dict:
    paths = list(dict.fromkeys(path.resolve() for path in [args.checkpoint, *args.compare]))
    stems = [path.stem for path in paths]
    # Checkpoints of several runs share a file name (renderer_final.pth): name them by run then.
    names = [stem if stems.count(stem) == 1 else f"{path.parent.name}/{stem}" for path, stem in zip(paths, stems)]
    renderers = {name: NovelViewRenderer.load_checkpoint(path, map_location=args.device).eval()
                 for name, path in zip(names, paths)}
    result = evaluate_posed(renderers, args.posed, args.size, args.max_frame_gap, args.ann_file, args.group_key,
                            args.order_key, max_pairs=args.num_pairs, seed=args.seed,
                            full_resolution=args.full_resolution, sfm_scale=args.sfm_scale,
                            rule_scale=args.rule_scale, box_methods=tuple(args.box_methods))
    result["settings"] = {"posed": str(args.posed), "checkpoints": [str(p) for p in paths],
                          "ann_file": None if args.ann_file is None else str(args.ann_file), "size": args.size,
                          "max_frame_gap": args.max_frame_gap, "max_pairs": args.num_pairs, "seed": args.seed,
                          "full_resolution": args.full_resolution,
                          "sfm_scale": args.sfm_scale, "rule_scale": args.rule_scale,
                          "box_methods": args.box_methods}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, result, indent=2)
    print(json.dumps({part: result[part] for part in ("depth", "views", "views_full_resolution", "boxes_by_method")
                      if part in result}, indent=1))
    return result


def main(argv=None) -> dict:
    args = parse_args(argv)
    if args.posed is not None:
        return main_posed(args)
    renderer = NovelViewRenderer.load_checkpoint(args.checkpoint, map_location=args.device)
    grid_rows: list[PreviewRow] = []
    patches = None
    if args.photo_textures is not None:
        patches = eval_photo_patches(args.photo_textures, args.photo_img_dir, args.seed)
    result = evaluate(renderer, args.num_pairs, args.seed, args.size, args.targets, args.max_frame_gap,
                      args.device, grid_rows, args.grid_rows if args.grid else 0, patches)
    if args.grid:
        write_image_atomic(args.grid, compose_grid(grid_rows, tile_height=max(args.size, 128)))
    result["settings"] = {
        "checkpoint": str(args.checkpoint),
        "num_pairs": args.num_pairs,
        "seed": args.seed,
        "size": args.size,
        "targets": args.targets,
        "max_frame_gap": args.max_frame_gap,
        "eval_seed_tag": EVAL_SEED_TAG,
        "photo_textures": None if args.photo_textures is None else str(args.photo_textures),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, result, indent=2)
    summary = {m: {k: round(v, 4) for k, v in result[m].items()} for m in IMAGE_METHODS}
    print(json.dumps(summary), file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
