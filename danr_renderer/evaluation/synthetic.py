"""Scoring a renderer on held-out synthetic pairs: pairs, baselines, image and box measures.

Pairs: pair i uses scene generate_scene((seed, i, EVAL_SEED_TAG, 0)) and, for its source camera,
the first frame of camera_trajectory(scene, ., (seed, i, EVAL_SEED_TAG, 1)). Training sets use the
seeds (s, k) and (s, k, 1), so these scenes are never training scenes. Targets "paper4": pair i's
target is PAPER_VIEWS[i mod 4] rendered by the oracle render_target_view; "trajectory": frame g of
the same path, g drawn in [1, max_frame_gap]. With photo patches, pair i's choice of them is
seeded (seed, i, EVAL_SEED_TAG, 3).

Baseline "homography": the source RGB splatted at one constant depth (the median of the true
source depth, an oracle scale), radius 1.5 px, 8 points per pixel, normalised by coverage; its
coverage mask says which target pixels any source point reached.

Images are (1, 3, H, W) float RGB in [0, 1]; intrinsics (3, 3) in pixels; poses follow eq. 2
(docs/conventions.md).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..augment.views import PAPER_VIEWS
from ..boxes import transfer_boxes
from ..geometry import (
    default_intrinsics,
    project,
    relative_pose,
    rotvec_to_matrix,
    scale_intrinsics,
    transform_points,
    unproject,
)
from ..metrics import perceptual_distance, psnr, ssim
from ..networks import VGG19Features
from ..renderer import NovelViewRenderer
from ..splatting import splat_points
from ..synthetic import SyntheticView, camera_trajectory, generate_scene, render_target_view, render_view
from ..synthetic.photo import photo_patches_from_file, with_photo_textures
from ..vis import PreviewRow, Tile, to_rgb8
from .measures import box_iou

__all__ = [
    "BOX_METHODS", "EVAL_SEED_TAG", "EvalPair", "IMAGE_METHODS", "box_iou", "eval_photo_patches",
    "eval_scene_seed", "eval_trajectory_seed", "evaluate", "make_pair", "pair_box_ious",
    "splat_at_constant_depth",
]

# Third entropy word of every evaluation seed. Training scenes of the synthetic data-set writer
# use synthetic.scene_seed (s, k) and trajectory_seed (s, k, 1); numpy's SeedSequence pads
# entropy with zeros, so their third word is 0 or 1 and never this tag: no evaluation scene or
# camera path equals a training one, whatever dataset seed s was used.
EVAL_SEED_TAG = 7007
# Forward warp of the "homography" baseline: a small splat just closes the gaps between
# neighbouring points (about one pixel apart for the views evaluated) without blurring.
BASELINE_SPLAT_RADIUS = 1.5
BASELINE_POINTS_PER_PIXEL = 8
IMAGE_METHODS = ("renderer", "identity", "homography")
BOX_METHODS = ("renderer", "renderer_median_scaled", "homography", "true_depth", "identity")


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
    """Pair `index` of the evaluation set (see the module doc); with `patches` (N, h, w, 3)
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
        view = PAPER_VIEWS[index % len(PAPER_VIEWS)]
        rotvec, T = (torch.tensor(v, dtype=torch.float64) for v in (view.rotvec, view.translation))
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
                            T: torch.Tensor, out_size: tuple[int, int], K_out: torch.Tensor
                            ) -> tuple[torch.Tensor, torch.Tensor]:
    """The "homography" baseline: image (1, 3, H, W) lifted at one depth, moved by (R, T) and
    splatted into (1, 3, *out_size) with K_out.

    Returns (warped, covered): the coverage-normalised warp, 0 where nothing lands, and the
    (1, 1, *out_size) bool mask of the pixels some source point reached."""
    depth = torch.full_like(image[:, :1], float(depth_value))
    points = project(transform_points(unproject(depth, K[None]), R[None], T[None]), K_out[None])
    splat = splat_points(points, image.flatten(2).transpose(1, 2), out_size, radius=BASELINE_SPLAT_RADIUS,
                         points_per_pixel=BASELINE_POINTS_PER_PIXEL, falloff="linear", backend="auto")
    covered = splat.alpha > 0
    warped = torch.where(covered, splat.image / splat.alpha.clamp_min(1e-6), torch.zeros_like(splat.image))
    return warped, covered


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
    rgb = to_rgb8(image)
    boxes = [(box.xyxy, box.class_name) for box in view.boxes] if view is not None else []
    return Tile(rgb, caption, boxes)


def evaluate(renderer: NovelViewRenderer, num_pairs: int, seed: int, size: int, targets: str,
             max_frame_gap: int, device: str = "cpu", grid_rows: list[PreviewRow] | None = None,
             num_grid_rows: int = 0, patches: np.ndarray | None = None) -> dict:
    """Run the evaluation; returns the JSON-ready result dict (schema in tools/eval_renderer.py --help).

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
                                                      scale_intrinsics(K, scale, scale))[0],
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


def eval_photo_patches(ann_file: Path, img_dir: Path | None, seed: int) -> np.ndarray:
    """The photo patches that dress evaluation scenes: from `ann_file`'s images, seeded
    (seed, EVAL_SEED_TAG, 4), apart from every training seed."""
    return photo_patches_from_file(ann_file, img_dir, np.random.default_rng([seed, EVAL_SEED_TAG, 4]))
