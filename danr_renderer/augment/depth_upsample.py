"""Bringing the renderer's canvas depth to the source image's own resolution.

Both methods sample the canvas depth at the source pixel centres in the continuous pixel frame
(docs/conventions.md): source pixel centre (j + 0.5, i + 0.5) of a (H, W) image sits at canvas
coordinates ((j + 0.5) w / W, (i + 0.5) h / H), which is what torch's interpolate does with
align_corners=False. Depth is z-depth, so it does not change with the image size.

* "bilinear" (default): smooth; at a depth step it creates a one-canvas-pixel ramp whose points
  splat between the two surfaces.
* "nearest": keeps steps sharp but blocky (canvas-pixel-sized terraces on slanted surfaces).
The choice was measured (benchmarks/RESULTS.md, "Full-resolution views").
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

__all__ = ["DEPTH_UPSAMPLING", "upsample_depth"]

DEPTH_UPSAMPLING = ("bilinear", "nearest")


def upsample_depth(depth: torch.Tensor, size: tuple[int, int], method: str = "bilinear") -> torch.Tensor:
    """depth (B, 1, h, w) z-depth on the canvas -> (B, 1, H, W) at the source size (H, W)."""
    if method not in DEPTH_UPSAMPLING:
        raise ValueError(f"upsample_depth: method must be one of {DEPTH_UPSAMPLING}, got {method!r}")
    if tuple(depth.shape[-2:]) == tuple(size):
        return depth
    if method == "nearest":
        # "nearest-exact" picks the canvas pixel holding the source pixel centre.
        return F.interpolate(depth, size=size, mode="nearest-exact")
    return F.interpolate(depth, size=size, mode="bilinear", align_corners=False)
