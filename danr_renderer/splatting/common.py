"""Pieces shared by the splatting backends: the result type and the falloff weights."""
from __future__ import annotations

from typing import NamedTuple

import torch

FALLOFFS = ("linear", "quadratic")


class SplatResult(NamedTuple):
    """Output of :func:`splat_points`, all in the target image's pixel grid.

    image: (B, C, H, W) composited features, sum_k a_k prod_{j<k} (1 - a_j) f_k.
    alpha: (B, 1, H, W) coverage 1 - prod_k (1 - a_k); 0 where no point reaches the pixel.
    depth: (B, 1, H, W) z of the nearest (first composited) point; 0 where no point reaches
        the pixel, so 0 means "empty", never "at the camera".
    """

    image: torch.Tensor
    alpha: torch.Tensor
    depth: torch.Tensor


def safe_sqrt(values: torch.Tensor) -> torch.Tensor:
    """sqrt with gradient 0 (instead of inf/NaN) at exactly 0.

    A point sitting on a pixel centre (the identity pose puts every point there) has
    distance 0, where the cone 1 - d/r has no derivative; 0 is the symmetric choice.
    """
    positive = values > 0
    return torch.where(positive, torch.sqrt(torch.where(positive, values, 1.0)), 0.0)


def falloff_weights(dist_sq: torch.Tensor, radius: float, falloff: str) -> torch.Tensor:
    """Splat weights a from squared distances d^2 (same unit as radius), for d < radius.

    "linear": a = 1 - d / r (the paper's and SynSin's); "quadratic": a = 1 - d^2 / r^2
    (PyTorch3D's PointsRenderer).
    """
    if falloff == "linear":
        return 1.0 - safe_sqrt(dist_sq) / radius
    if falloff == "quadratic":
        return 1.0 - dist_sq / (radius * radius)
    raise ValueError(f"splatting: unknown falloff {falloff!r}; expected one of {FALLOFFS}")
