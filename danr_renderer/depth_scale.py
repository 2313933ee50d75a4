"""Calibrating a renderer's depth scale to the scale rule on its posed training footage.

The real-photo recipes train the depth net on SfM points with the scale-invariant depth term
(configs/renderer/indoor_*.py): the points fix its shape, not its scale, which stays wherever
earlier training left it. Yet the scale is what a fixed novel-view translation is measured
against: with depth half the rule's, T = [0, 0, 0.3] moves the camera twice as far into the
scene. Posed footage is in the rule's units (docs/conventions.md: each clip's median sparse
depth is SYNTHETIC_MEDIAN_DEPTH), so one factor that brings the renderer's depth at the SfM
points of its training frames onto their depths puts the renderer in those units too:

    factor = exp(median over frames f of (median over f's points p of log(z_p / d_f(p))))

with z_p a point's SfM depth and d_f(p) the renderer's depth of frame f (on its S x S canvas,
as danr_renderer.evaluation.posed sees it) sampled bilinearly at the point. Per-frame medians
first, so that a frame with many points weighs as much as one with few; frames with fewer than
MIN_SOURCE_POINTS points do not count. `with_depth_scale` multiplies the depth net's bounds by the
factor, which multiplies every depth it predicts by exactly that factor (depth = min + (max - min)
* sigmoid(x)); the weights do not change.

Only training frames may be used to fit the factor: it is part of training.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .data.depth_points import read_depth_points
from .data.image_io import read_image_rgb
from .evaluation.posed import MIN_SOURCE_POINTS, PosedFrame, canvas_image, sample_depth_at
from .renderer import NovelViewRenderer

__all__ = ["DepthScaleFit", "fit_depth_scale", "with_depth_scale"]


@dataclass(frozen=True)
class DepthScaleFit:
    """The fitted factor and what it rests on: the frames used, their points, and each frame's
    own factor exp(median log ratio) (num_frames,), whose spread says how much one global factor
    leaves per frame."""

    factor: float
    num_frames: int
    num_points: int
    frame_factors: np.ndarray

    def summary(self) -> dict:
        """Plain data for a log or a checkpoint: the factor, counts and the frame factors'
        quartiles."""
        quartiles = np.quantile(self.frame_factors, [0.25, 0.5, 0.75])
        return {"factor": self.factor, "num_frames": self.num_frames, "num_points": self.num_points,
                "frame_factor_quartiles": [float(q) for q in quartiles]}


@torch.no_grad()
def fit_depth_scale(renderer: NovelViewRenderer, frames: list[PosedFrame], size: int,
                    progress=None) -> DepthScaleFit:
    """The factor of the module docstring for `renderer` (anything with `predict_depth`) on
    `frames` (danr_renderer.evaluation.posed.load_posed_frames), each seen on a size x size canvas.
    `progress` wraps the frame iterable (e.g. tqdm). ValueError when no frame has
    MIN_SOURCE_POINTS points."""
    log_ratios, num_points = [], 0
    for frame in (frames if progress is None else progress(frames)):
        uv, z = read_depth_points(frame.depth_path)
        if len(z) < MIN_SOURCE_POINTS:
            continue
        rgb = read_image_rgb(frame.image_path).rgb
        height, width = rgb.shape[:2]
        depth = renderer.predict_depth(canvas_image(rgb, size))
        predicted = sample_depth_at(depth, uv, (size / width, size / height))
        log_ratios.append(float(np.median(np.log(z) - np.log(predicted))))
        num_points += len(z)
    if not log_ratios:
        raise ValueError(f"fit_depth_scale: none of the {len(frames)} frames has {MIN_SOURCE_POINTS} SfM points")
    log_ratios = np.asarray(log_ratios)
    return DepthScaleFit(float(np.exp(np.median(log_ratios))), len(log_ratios), num_points, np.exp(log_ratios))


def with_depth_scale(renderer: NovelViewRenderer, factor: float) -> NovelViewRenderer:
    """A new renderer equal to `renderer` but for its depth, which is `factor` times the old
    one: the same weights, the depth bounds (min_depth, max_depth) multiplied by factor > 0."""
    if not np.isfinite(factor) or factor <= 0:
        raise ValueError(f"with_depth_scale: need a finite factor > 0, got {factor}")
    config = renderer.to_config()
    config.update(min_depth=config["min_depth"] * factor, max_depth=config["max_depth"] * factor)
    scaled = NovelViewRenderer.from_config(config)
    scaled.load_state_dict(renderer.state_dict())
    return scaled.to(next(renderer.parameters()).device).train(renderer.training)
