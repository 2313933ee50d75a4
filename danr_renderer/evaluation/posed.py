"""Scoring renderers on real posed footage (issue 12's real-geometry benchmark).

Footage is a RealEstate10K-layout root (cameras/, frames/, and sparse_depth/ with each frame's
SfM points, danr_renderer.data.depth_points), e.g. from tools/pose_video.py. For pairs of frames
of one clip at most `max_gap` rows apart, every renderer sees the source frame on its S x S
canvas (resized anisotropically, intrinsics scaled with it) and is scored on three things:

* depth: its source depth, sampled bilinearly at the source's SfM points, against their depths
  (measures.depth_accuracy: abs_rel and delta < 1.25 after a median scale, ordered point pairs);
  "constant" is one depth everywhere;
* views: its novel view against the target frame (on the canvas), by PSNR, SSIM and perceptual
  distance over the whole image and over the pixels the plane warp covers; "identity" is the
  source itself, "plane" the source splatted at the median SfM depth of the source
  (synthetic.splat_at_constant_depth);
* views at full resolution (with full_resolution=True): what tools/augment_dataset.py's
  default "composite" mode writes, against the target frame at its own size. The renderer's
  canvas depth is upsampled bilinearly to the source size, the source's own pixels are warped
  with it (danr_renderer.augment.composite.composite_views) and the holes filled from its
  upsampled view; "plane" is the same composite at the median SfM depth (tools/augment_dataset.py
  --mode plane, at the metric depth instead of the renderer's), its holes left black, and
  "covered" the pixels its splat covers to FULL_ALPHA;
* with sfm_scale=True, every renderer once more as "<name>@sfm_scale": its source depth times
  the median SfM depth over the median of its depth at the SfM points, splatted and decoded
  again. The plane warp takes its one depth from the SfM points; this variant gets the same
  scale from them and keeps only the renderer's shape, so it tells a depth whose shape is off
  from one whose scale is (training with the scale-invariant depth term fixes no scale);
* with rule_scale=True, every renderer once more as "<name>@rule_scale": its source depth times
  SYNTHETIC_MEDIAN_DEPTH over the median of its depth over the whole canvas. No SfM point is
  read: the scale rule (docs/conventions.md) makes every clip's median sparse depth that value,
  so it is the one scale a single frame can be given without its footage;
* boxes (when a COCO set annotates the frames): the source frame's boxes carried with
  danr_renderer.boxes.transfer_boxes into the target and greedily matched, class by class, to
  the target frame's own boxes (measures.match_boxes; mean IoU over the target boxes,
  0 for an unmatched one, and the shares of target boxes matched at IoU >= 0.5 and >= 0.75,
  the thresholds of AP50 and AP75; of the boxes matched at IoU >= 0.5 the median width and
  height ratio, carried / true, and centre offset); "plane" carries them with the median SfM
  depth, "identity" not at all; with several box methods each is scored on the same depths.

Frames and COCO images correspond as tools/pose_video.py names them: a clip
f"{group_key}{value}" plus a suffix "_a", "_b", ... for the parts of a split clip
(danr_renderer.posing.source_clip) holds the
images whose `group_key` is value, a frame's timestamp is the image's `order_key`. With a COCO
set only its images are evaluated (pass the held-out frames).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from ..augment.composite import FULL_ALPHA, composite_views
from ..augment.depth_upsample import upsample_depth
from ..boxes import METHODS as BOX_METHODS
from ..boxes import transfer_boxes
from ..data.coco_io import read_coco_detection, read_coco_document
from ..data.depth_points import SPARSE_DEPTH_FOLDER, read_depth_points
from ..data.image_io import image_tensor, read_image_rgb
from ..data.realestate10k_cameras import CameraFrame, frame_intrinsics, frame_pair_pose, read_camera_file
from ..geometry import scale_intrinsics
from ..metrics import perceptual_distance, psnr, ssim
from ..networks import VGG19Features
from ..posing import SYNTHETIC_MEDIAN_DEPTH, source_clip
from ..renderer import NovelViewRenderer
from .measures import BoxMatches, depth_accuracy, localisation_summary, match_boxes
from .synthetic import splat_at_constant_depth

__all__ = ["MIN_SOURCE_POINTS", "SFM_SCALE_SUFFIX", "PosedFrame", "canvas_image", "evaluate_posed", "load_posed_frames",
           "posed_frame_boxes", "posed_pairs", "sample_depth_at"]

# A source frame needs SfM points for the plane warp's depth and for the depth measures; with
# fewer than this many the pair is left out (and counted in the result).
MIN_SOURCE_POINTS = 8


@dataclass(frozen=True)
class PosedFrame:
    """One posed frame: clip name, row in its clip, timestamp, image path, camera row (pose and
    normalised intrinsics) and depth file."""

    clip: str
    row: int
    timestamp: int
    image_path: Path
    camera: CameraFrame
    depth_path: Path


def load_posed_frames(root: str | Path) -> list[PosedFrame]:
    """Every frame of every clip under root, in clip then row order; FileNotFoundError naming
    the file for a missing frame image or depth file."""
    root = Path(root)
    frames = []
    for camera_file in sorted((root / "cameras").glob("*.txt")):
        clip = camera_file.stem
        for row, camera in enumerate(read_camera_file(camera_file)):
            stem = root / "frames" / clip / str(camera.timestamp)
            image = next((path for path in map(stem.with_suffix, (".png", ".jpg", ".jpeg")) if path.is_file()),
                         stem.with_suffix(".png"))
            depth = root / SPARSE_DEPTH_FOLDER / clip / f"{camera.timestamp}.npz"
            for path, what in ((image, "frame image"), (depth, "depth file")):
                if not path.is_file():
                    raise FileNotFoundError(f"{path}: {what} of a posed frame is missing")
            frames.append(PosedFrame(clip, row, camera.timestamp, image, camera, depth))
    if not frames:
        raise ValueError(f"{root}: no posed clip (cameras/*.txt)")
    return frames


def posed_pairs(frames: list[PosedFrame], max_gap: int, allowed=None) -> list[tuple[PosedFrame, PosedFrame]]:
    """(source, target) pairs of one clip, 1 to `max_gap` rows apart (source first); with
    `allowed` (a set of (clip, timestamp)) both frames must be in it."""
    by_clip = defaultdict(list)
    for frame in frames:
        if allowed is None or (frame.clip, frame.timestamp) in allowed:
            by_clip[frame.clip].append(frame)
    pairs = []
    for members in by_clip.values():
        for i, source in enumerate(members):
            pairs += [(source, target) for target in members[i + 1:] if target.row - source.row <= max_gap]
    return pairs


def _coco_frames(ann_file: Path, group_key: str, order_key: str) -> dict[tuple[str, int], list]:
    """(clip group name, timestamp) -> [(xyxy, category id)] of every image of the COCO file."""
    coco = read_coco_detection(ann_file)
    raw = {entry["id"]: entry for entry in read_coco_document(ann_file)["images"]}
    frames = {}
    for image in coco.images:
        entry = raw[image.id]
        if group_key in entry and order_key in entry:
            frames[(f"{group_key}{entry[group_key]}", int(entry[order_key]))] = [
                (box.xyxy, box.category_id) for box in image.boxes]
    return frames


def posed_frame_boxes(frames: list[PosedFrame], ann_file: str | Path, group_key: str = "sequence",
                      order_key: str = "frame") -> dict[tuple[str, int], list | None]:
    """(clip, timestamp) of every posed frame -> [(xyxy, category id)] of the COCO image it is
    (the naming of the module docstring), None for a frame that is no image of the file."""
    coco_frames = _coco_frames(Path(ann_file), group_key, order_key)
    return {(f.clip, f.timestamp): coco_frames.get((source_clip(f.clip), f.timestamp)) for f in frames}


def _full(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) float RGB -> (1, 3, H, W)."""
    return image_tensor(rgb)[None].float()


def canvas_image(rgb: np.ndarray, size: int) -> torch.Tensor:
    """(H, W, 3) float RGB -> (1, 3, S, S) on the renderer's square canvas."""
    return _full(cv2.resize(rgb, (size, size), interpolation=cv2.INTER_AREA))


def sample_depth_at(depth: torch.Tensor, uv: np.ndarray, scale_xy: tuple[float, float]) -> np.ndarray:
    """Bilinear samples of a (1, 1, h, w) depth at source pixels uv (N, 2) scaled by (sx, sy)."""
    height, width = depth.shape[-2:]
    u = torch.from_numpy(uv[:, 0] * scale_xy[0]).float()
    v = torch.from_numpy(uv[:, 1] * scale_xy[1]).float()
    grid = torch.stack([2 * u / width - 1, 2 * v / height - 1], dim=-1)[None, None]
    return F.grid_sample(depth.float(), grid, align_corners=False, padding_mode="border")[0, 0, 0].numpy()


def _score_view(scores: dict, view: torch.Tensor, target: torch.Tensor, covered: torch.Tensor,
                instrument: VGG19Features) -> None:
    """Append the view's PSNR, SSIM and perceptual distance to the target, over the whole image
    and over the covered pixels (1, 1, H, W) bool, to scores' lists."""
    filled = torch.where(covered, view, target)  # outside the covered pixels both are the target
    scores["psnr"].append(float(psnr(view, target)[0]))
    scores["ssim"].append(float(ssim(view, target)[0]))
    scores["perceptual"].append(float(perceptual_distance(view, target, instrument)[0]))
    scores["psnr_covered"].append(float(psnr(view, target, mask=covered)[0]))
    scores["ssim_covered"].append(float(ssim(view, target, mask=covered)[0]))
    scores["perceptual_covered"].append(float(perceptual_distance(filled, target, instrument)[0]))


def _full_resolution_views(source: torch.Tensor, K: torch.Tensor, R: torch.Tensor, T: torch.Tensor,
                           plane_depth: float, outputs: dict) -> tuple[dict, torch.Tensor]:
    """The views at the source's size (H, W) of the module docstring, for the source (1, 3, H, W):
    {method: (1, 3, H, W)} for identity, plane and every renderer's output in `outputs`, and the
    plane's covered mask."""
    size = tuple(source.shape[-2:])
    pose = (K.float(), R.float()[None], T.float()[None])
    plane, plane_alpha = composite_views(source, torch.full((1, 1, *size), plane_depth), *pose,
                                         fill=torch.zeros_like(source))
    views = {"identity": source, "plane": plane}
    for name, output in outputs.items():
        fill = F.interpolate(output.image.clamp(0, 1), size=size, mode="bilinear", align_corners=False)
        views[name] = composite_views(source, upsample_depth(output.depth, size), *pose, fill=fill)[0].clamp(0, 1)
    return views, plane_alpha >= FULL_ALPHA


def _mean(values: list[float]) -> float | None:
    finite = [v for v in values if np.isfinite(v)]
    return float(np.mean(finite)) if finite else None


SFM_SCALE_SUFFIX = "@sfm_scale"
RULE_SCALE_SUFFIX = "@rule_scale"


def rule_scaled(depth: torch.Tensor) -> torch.Tensor:
    """depth (B, 1, H, W) times SYNTHETIC_MEDIAN_DEPTH over each image's median depth (the
    median as numpy's: the mean of the two middle values of an even count)."""
    medians = depth.flatten(1).quantile(0.5, dim=1).view(-1, 1, 1, 1)
    return depth * (SYNTHETIC_MEDIAN_DEPTH / medians)


@torch.no_grad()
def evaluate_posed(renderers: dict[str, NovelViewRenderer], root: str | Path, size: int, max_gap: int = 3,
                   ann_file: str | Path | None = None, group_key: str = "sequence", order_key: str = "frame",
                   max_pairs: int | None = None, seed: int = 0, full_resolution: bool = False,
                   sfm_scale: bool = False, rule_scale: bool = False,
                   box_methods: tuple[str, ...] = ("object_plane",)) -> dict:
    """Score each named renderer (and the baselines) on the pairs of the footage at `root`.

    A renderer is anything with NovelViewRenderer's `encode` and `render_from`.

    size: the canvas side S. max_pairs: evaluate an evenly spread subset of at most that many
    pairs. Pairs whose source frame has fewer than MIN_SOURCE_POINTS SfM points are left out
    before that subset is drawn. Returns {"depth": {method: measures}, "views": {method:
    {"psnr", "ssim", "perceptual", "psnr_covered", "ssim_covered", "perceptual_covered"}},
    "boxes": {method: {"mean_iou", "share_iou_0_5", "share_iou_0_75", "num_boxes", "width_ratio",
    "height_ratio", "centre_offset"}} and
    "boxes_by_method": {box method: that dict} (with ann_file; "boxes" is box_methods[0]'s),
    "num_pairs", "pairs_without_source_points"}, and with full_resolution
    "views_full_resolution" like "views"; with sfm_scale the views and boxes also of each
    f"{name}{SFM_SCALE_SUFFIX}" (its depth scores equal the renderer's: they median-scale), and
    with rule_scale of each f"{name}{RULE_SCALE_SUFFIX}";
    means over pairs.
    """
    unknown = [method for method in box_methods if method not in BOX_METHODS]
    if unknown or not box_methods:
        raise ValueError(f"box methods {list(box_methods)}: choose one or more of {BOX_METHODS}")
    frames = load_posed_frames(root)
    boxes_by_frame = None
    allowed = None
    if ann_file is not None:
        boxes_by_frame = posed_frame_boxes(frames, ann_file, group_key, order_key)
        allowed = {key for key, value in boxes_by_frame.items() if value is not None}
    pairs = posed_pairs(frames, max_gap, allowed)
    point_counts = {source.depth_path: len(read_depth_points(source.depth_path)[1]) for source, _ in pairs}
    without_points = sum(point_counts[source.depth_path] < MIN_SOURCE_POINTS for source, _ in pairs)
    pairs = [(source, target) for source, target in pairs if point_counts[source.depth_path] >= MIN_SOURCE_POINTS]
    if not pairs:
        raise ValueError(f"{root}: no frame pair within {max_gap} rows" + (f" among the images of {ann_file}"
                                                                          if ann_file else "")
                         + f" whose source has at least {MIN_SOURCE_POINTS} SfM points")
    if max_pairs is not None and len(pairs) > max_pairs:
        pairs = [pairs[i] for i in np.linspace(0, len(pairs) - 1, max_pairs).round().astype(int)]
    instrument = VGG19Features()
    rng = np.random.default_rng(seed)
    depth_scores = defaultdict(list)
    box_scores = {method: defaultdict(list) for method in box_methods}
    view_scores, full_scores = defaultdict(lambda: defaultdict(list)), defaultdict(lambda: defaultdict(list))
    for source, target in tqdm(pairs, desc="posed pairs", unit="pair"):
        src_rgb, tgt_rgb = read_image_rgb(source.image_path).rgb, read_image_rgb(target.image_path).rgb
        height, width = src_rgb.shape[:2]
        scale_xy = (size / width, size / height)
        K = scale_intrinsics(frame_intrinsics(source.camera, height, width), *scale_xy)
        R, T = frame_pair_pose(source.camera, target.camera)
        src, tgt = canvas_image(src_rgb, size), canvas_image(tgt_rgb, size)
        uv, z = read_depth_points(source.depth_path)
        plane_depth = float(np.median(z))
        plane, covered = splat_at_constant_depth(src, plane_depth, K, R, T, (size, size), K)
        depths = {"constant": torch.full((1, 1, size, size), plane_depth)}
        at_points = {"constant": sample_depth_at(depths["constant"], uv, scale_xy)}
        views = {"identity": src, "plane": plane}
        outputs = {}
        for name, renderer in renderers.items():
            features, depth = renderer.encode(src)
            outputs[name] = renderer.render_from(features, depth, K[None], R[None], T[None])
            at_points[name] = sample_depth_at(depth, uv, scale_xy)
            if sfm_scale:
                ratio = plane_depth / float(np.median(at_points[name]))
                outputs[name + SFM_SCALE_SUFFIX] = renderer.render_from(features, depth * ratio, K[None],
                                                                        R[None], T[None])
            if rule_scale:
                outputs[name + RULE_SCALE_SUFFIX] = renderer.render_from(features, rule_scaled(depth), K[None],
                                                                         R[None], T[None])
        for name, output in outputs.items():
            depths[name], views[name] = output.depth, output.image.clamp(0, 1)
        for name, sampled in at_points.items():
            depth_scores[name].append(depth_accuracy(sampled, z, rng))
        for name, view in views.items():
            _score_view(view_scores[name], view, tgt, covered, instrument)
        if full_resolution:
            full_views, full_covered = _full_resolution_views(
                _full(src_rgb), frame_intrinsics(source.camera, height, width), R, T, plane_depth, outputs)
            full_target = _full(tgt_rgb)
            for name, view in full_views.items():
                _score_view(full_scores[name], view, full_target, full_covered, instrument)
        if boxes_by_frame is not None:
            source_boxes = boxes_by_frame[(source.clip, source.timestamp)]
            target_boxes = boxes_by_frame[(target.clip, target.timestamp)]
            if not target_boxes:
                continue
            truth = torch.tensor([xyxy for xyxy, _ in target_boxes], dtype=torch.float64)
            truth_labels = [label for _, label in target_boxes]
            to_canvas = torch.tensor([*scale_xy, *scale_xy], dtype=torch.float64)
            carried_by = {"identity": None, "plane": depths["constant"], **{n: depths[n] for n in outputs}}
            source_xyxy = torch.tensor([xyxy for xyxy, _ in source_boxes], dtype=torch.float64).reshape(-1, 4)
            source_labels = [label for _, label in source_boxes]
            for method, scores in box_scores.items():
                for name, depth in carried_by.items():
                    boxes, labels = source_xyxy, source_labels
                    if depth is not None and source_labels:
                        moved = transfer_boxes(source_xyxy * to_canvas, depth[0, 0].double(), K.double(),
                                               R.double(), T.double(), method=method)
                        boxes = moved.boxes[moved.keep] / to_canvas
                        labels = [label for label, kept in zip(source_labels, moved.keep.tolist()) if kept]
                    # No carried box: every target box scores 0.
                    scores[name].append(match_boxes(boxes, labels, truth, truth_labels))
    result = {
        "num_pairs": len(pairs),
        "pairs_without_source_points": without_points,
        "depth": {name: {key: _mean([s[key] for s in scores]) for key in scores[0]}
                  for name, scores in depth_scores.items()},
        "views": {name: {key: _mean(values) for key, values in scores.items()}
                  for name, scores in view_scores.items()},
    }
    if full_resolution:
        result["views_full_resolution"] = {name: {key: _mean(values) for key, values in scores.items()}
                                           for name, scores in full_scores.items()}
    if boxes_by_frame is not None:
        result["boxes_by_method"] = {method: {name: _box_summary(values) for name, values in scores.items()}
                                     for method, scores in box_scores.items()}
        result["boxes"] = result["boxes_by_method"][box_methods[0]]
    return result


def _box_summary(per_pair: list[BoxMatches]) -> dict:
    """Mean IoU over target boxes and the shares matched at the AP50 and AP75 thresholds, and
    the median width_ratio, height_ratio (carried / true) and centre_offset of the boxes matched
    at IoU >= 0.5 (measures.localisation_summary)."""
    matches = BoxMatches.concatenate(per_pair)
    ious = matches.truth_iou.tolist()
    fit = localisation_summary(matches)
    return {"mean_iou": _mean(ious), "share_iou_0_5": _mean([float(v >= 0.5) for v in ious]),
            "share_iou_0_75": _mean([float(v >= 0.75) for v in ious]), "num_boxes": len(ious),
            **{key: fit[key] for key in ("width_ratio", "height_ratio", "centre_offset")}}
