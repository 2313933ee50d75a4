#!/usr/bin/env python
"""Evaluate a DANR renderer checkpoint on freshly generated, held-out synthetic scenes.

    python tools/eval_renderer.py [--checkpoint CKPT] [--num-pairs N] [--seed SEED] [--size S]
                                  [--targets paper4|trajectory] [--max-frame-gap G] --out FILE.json

Run `--help` for what is measured and how the scenes are kept apart from training.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from danr_renderer.augment.preview import PreviewRow, Tile, compose_grid  # noqa: E402
from danr_renderer.boxes import transfer_boxes  # noqa: E402
from danr_renderer.synthetic import (  # noqa: E402
    SyntheticView,
    camera_trajectory,
    generate_scene,
    render_target_view,
    render_view,
)
from danr_renderer.synthetic.photo import photo_patches_from_file, with_photo_textures  # noqa: E402
from danr_renderer.geometry import (  # noqa: E402
    default_intrinsics,
    project,
    relative_pose,
    rotvec_to_matrix,
    scale_intrinsics,
    transform_points,
    unproject,
)
from danr_renderer.metrics import perceptual_distance, psnr, ssim  # noqa: E402
from danr_renderer.networks import VGG19Features  # noqa: E402
from danr_renderer.renderer import NovelViewRenderer  # noqa: E402
from danr_renderer.data.image_io import write_image_atomic  # noqa: E402
from danr_renderer.splatting import splat_points  # noqa: E402

DEFAULT_CHECKPOINT = REPO_ROOT / "checkpoints" / "danr_synthetic_demo.pth"
# Third entropy word of every evaluation seed. Training scenes of tools/make_synthetic_dataset.py
# use synthetic.scene_seed (s, k) and trajectory_seed (s, k, 1); numpy's SeedSequence pads
# entropy with zeros, so their third word is 0 or 1 and never this tag: no evaluation scene or
# camera path equals a training one, whatever dataset seed s was used.
EVAL_SEED_TAG = 7007
# The paper's four augmentation views (rotvec r, translation T; eq. 2 convention).
PAPER_VIEWS = (
    ((0.1, 0.15, 0.0), (0.0, 0.0, 0.3)),
    ((0.1, -0.15, 0.0), (0.0, 0.0, 0.3)),
    ((-0.1, 0.15, 0.0), (0.0, 0.0, 0.3)),
    ((-0.1, -0.15, 0.0), (0.0, 0.0, 0.3)),
)
# Forward warp of the "homography" baseline: a small splat just closes the gaps between
# neighbouring points (about one pixel apart for the views evaluated) without blurring.
BASELINE_SPLAT_RADIUS = 1.5
BASELINE_POINTS_PER_PIXEL = 8
IMAGE_METHODS = ("renderer", "identity", "homography")
BOX_METHODS = ("renderer", "renderer_median_scaled", "homography", "true_depth", "identity")

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


@dataclass
class EvalPair:
    """source: the S x S view; target: the oracle's (sS x sS) view; R, T: eq. 2 pose (float64)."""

    source: SyntheticView
    target: SyntheticView
    R: torch.Tensor
    T: torch.Tensor


def eval_scene_seed(seed: int, index: int) -> tuple[int, int, int, int]:
    return (int(seed), int(index), EVAL_SEED_TAG, 0)


def eval_trajectory_seed(seed: int, index: int) -> tuple[int, int, int, int]:
    return (int(seed), int(index), EVAL_SEED_TAG, 1)


def make_pair(index: int, seed: int, size: int, render_scale: int, targets: str,
              max_frame_gap: int, patches: np.ndarray | None = None) -> EvalPair:
    """Pair `index` of the evaluation set (see the --help epilog); with `patches` (N, h, w, 3)
    the scene is dressed in them (with_photo_textures, default fraction)."""
    scene = generate_scene(eval_scene_seed(seed, index))
    if patches is not None:
        texture_rng = np.random.default_rng([seed, index, EVAL_SEED_TAG, 3])
        scene = with_photo_textures(scene, patches, texture_rng)
    K = default_intrinsics(size, size, dtype=torch.float64)
    K_target = scale_intrinsics(K, render_scale, render_scale)
    target_size = render_scale * size
    if targets == "paper4":
        world_to_source = camera_trajectory(scene, 1, eval_trajectory_seed(seed, index))[0]
        rotvec, T = (torch.tensor(v, dtype=torch.float64) for v in PAPER_VIEWS[index % 4])
        target = render_target_view(scene, world_to_source, K_target, rotvec, T, target_size, target_size)
        R = rotvec_to_matrix(rotvec)
    elif targets == "trajectory":
        path = camera_trajectory(scene, max_frame_gap + 1, eval_trajectory_seed(seed, index))
        gap = int(np.random.default_rng([seed, index, EVAL_SEED_TAG, 2]).integers(1, max_frame_gap + 1))
        world_to_source = path[0]
        target = render_view(scene, path[gap], K_target, target_size, target_size)
        R, T = relative_pose(world_to_source, path[gap])
    else:
        raise ValueError(f"unknown targets {targets!r}; choose paper4 or trajectory")
    source = render_view(scene, world_to_source, K, size, size)
    return EvalPair(source, target, R, T)


def splat_at_constant_depth(image: torch.Tensor, depth_value: float, K: torch.Tensor, R: torch.Tensor,
                            T: torch.Tensor, out_size: tuple[int, int], K_out: torch.Tensor) -> torch.Tensor:
    """The "homography" baseline: image (1, 3, H, W) lifted at one depth, moved by (R, T) and
    splatted into (1, 3, *out_size) with K_out; coverage-normalised, 0 where nothing lands."""
    depth = torch.full_like(image[:, :1], float(depth_value))
    points = project(transform_points(unproject(depth, K[None]), R[None], T[None]), K_out[None])
    splat = splat_points(points, image.flatten(2).transpose(1, 2), out_size, radius=BASELINE_SPLAT_RADIUS,
                         points_per_pixel=BASELINE_POINTS_PER_PIXEL, falloff="linear", backend="native")
    covered = splat.alpha > 0
    return torch.where(covered, splat.image / splat.alpha.clamp_min(1e-6), torch.zeros_like(splat.image))


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of matched xyxy boxes a[i], b[i]: (M, 4), (M, 4) -> (M,)."""
    width = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    height = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    intersection = width * height
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    return intersection / (area_a + area_b - intersection)


def pair_box_ious(pair: EvalPair, depths: dict[str, torch.Tensor | None],
                  render_scale: int) -> dict[str, list[float]]:
    """Per method, the IoUs of the boxes boxed in both views. depths: method -> (H, W) depth, or
    None for "identity" (the source box scaled to the target size)."""
    target_boxes = {box.instance_id: box.xyxy for box in pair.target.boxes}
    shared = [box for box in pair.source.boxes if box.instance_id in target_boxes]
    if not shared:
        return {method: [] for method in depths}
    source_xyxy = torch.tensor([box.xyxy for box in shared], dtype=torch.float64)
    oracle_xyxy = torch.tensor([target_boxes[box.instance_id] for box in shared], dtype=torch.float64)
    K = pair.source.K
    out_size = tuple(pair.target.depth.shape)
    ious = {}
    for method, depth in depths.items():
        if depth is None:
            moved = source_xyxy * render_scale
        else:
            moved = transfer_boxes(source_xyxy, depth.double(), K, pair.R, pair.T, out_size=out_size,
                                   K_out=pair.target.K).boxes.double()
        ious[method] = box_iou(moved, oracle_xyxy).tolist()
    return ious


def _image(view: SyntheticView) -> torch.Tensor:
    """(H, W, 3) view RGB -> (1, 3, H, W) float32."""
    return view.rgb.permute(2, 0, 1)[None].float()


def _tile(image: torch.Tensor, caption: str, view: SyntheticView | None = None) -> Tile:
    """(1, 3, H, W) image in [0, 1] -> a preview tile, with the view's true boxes when given."""
    rgb = (image[0].permute(1, 2, 0).clamp(0, 1).cpu().numpy() * 255).round().astype(np.uint8)
    boxes = [(box.xyxy, box.class_name) for box in view.boxes] if view is not None else []
    return Tile(rgb, caption, boxes)


def evaluate(renderer: NovelViewRenderer, num_pairs: int, seed: int, size: int, targets: str,
             max_frame_gap: int, device: str = "cpu", grid_rows: list[PreviewRow] | None = None,
             num_grid_rows: int = 0, patches: np.ndarray | None = None) -> dict:
    """Run the evaluation; returns the JSON-ready result dict (schema in the --help epilog).

    With `grid_rows`, the first `num_grid_rows` pairs are appended to it as picture rows:
    source (true boxes), truth (oracle boxes), renderer, homography, identity."""
    renderer = renderer.to(device).eval()
    scale = renderer.render_scale
    instrument = VGG19Features().to(device)
    image_scores = {method: {"psnr": [], "ssim": [], "perceptual": []} for method in IMAGE_METHODS}
    box_scores = {method: [] for method in BOX_METHODS}
    render_seconds = 0.0
    for index in range(num_pairs):
        pair = make_pair(index, seed, size, scale, targets, max_frame_gap, patches)
        source, truth = _image(pair.source).to(device), _image(pair.target).to(device)
        K, R, T = (t.float().to(device) for t in (pair.source.K, pair.R, pair.T))
        with torch.no_grad():
            started = time.perf_counter()
            output = renderer(source, K[None], R[None], T[None])
            render_seconds += time.perf_counter() - started
            true_median = float(pair.source.depth.median())
            predictions = {
                "renderer": output.image.clamp(0.0, 1.0),
                "identity": torch.nn.functional.interpolate(source, scale_factor=scale, mode="bilinear")
                if scale > 1 else source,
                "homography": splat_at_constant_depth(source, true_median, K, R, T, tuple(truth.shape[-2:]),
                                                      scale_intrinsics(K, scale, scale)),
            }
            for method, prediction in predictions.items():
                image_scores[method]["psnr"].append(float(psnr(prediction, truth)[0]))
                image_scores[method]["ssim"].append(float(ssim(prediction, truth)[0]))
                image_scores[method]["perceptual"].append(
                    float(perceptual_distance(prediction, truth, instrument)[0]))
            if grid_rows is not None and index < num_grid_rows:
                captions = {m: f"{m} {image_scores[m]['psnr'][-1]:.1f} dB" for m in IMAGE_METHODS}
                grid_rows.append(PreviewRow(
                    _tile(source, f"source {index}", pair.source),
                    [_tile(truth, "truth (oracle)", pair.target)]
                    + [_tile(predictions[m], captions[m]) for m in ("renderer", "homography", "identity")]))
        predicted_depth = output.depth[0, 0].cpu()
        depths = {
            "renderer": predicted_depth,
            "renderer_median_scaled": predicted_depth * (true_median / float(predicted_depth.median())),
            "homography": torch.full_like(pair.source.depth, true_median),
            "true_depth": pair.source.depth,
            "identity": None,
        }
        for method, values in pair_box_ious(pair, depths, scale).items():
            box_scores[method].extend(values)

    def mean(values: list[float]) -> float | None:
        return sum(values) / len(values) if values else None

    result = {method: {k: mean(v) for k, v in scores.items()} for method, scores in image_scores.items()}
    result["box_iou"] = {method: mean(values) for method, values in box_scores.items()}
    result["box_iou"]["num_boxes"] = len(box_scores["identity"])
    result["timing"] = {"renderer_seconds_per_pair": render_seconds / num_pairs}
    return result


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", type=Path, default=DEFAULT_CHECKPOINT,
                        help=f"renderer checkpoint (NovelViewRenderer.save_checkpoint); default {DEFAULT_CHECKPOINT}")
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
    args = parser.parse_args(argv)
    if args.num_pairs < 1 or args.size < 16 or args.max_frame_gap < 1:
        parser.error("need --num-pairs >= 1, --size >= 16 and --max-frame-gap >= 1")
    if not args.checkpoint.is_file():
        parser.error(f"checkpoint {args.checkpoint} does not exist; train one (tools/train.py "
                     "configs/renderer/synthetic_128.py writes work_dirs/synthetic_128/renderer_final.pth) "
                     "or pass --checkpoint")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    renderer = NovelViewRenderer.load_checkpoint(args.checkpoint, map_location=args.device)
    grid_rows: list[PreviewRow] = []
    patches = None
    if args.photo_textures is not None:
        patch_rng = np.random.default_rng([args.seed, EVAL_SEED_TAG, 4])
        patches = photo_patches_from_file(args.photo_textures, args.photo_img_dir, patch_rng)
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
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    summary = {m: {k: round(v, 4) for k, v in result[m].items()} for m in IMAGE_METHODS}
    print(json.dumps(summary), file=sys.stderr)
    return result


if __name__ == "__main__":
    main()
