"""Slow, obviously-correct splatting: plain Python loops over pixels and points.

For tests only (cost O(B * H * W * N)). Follows the definition of docs/conventions.md literally; ties in z
are broken by the lower point index, like the native backend.
"""
from __future__ import annotations

import math

import torch

from .common import SplatResult


def splat_points_reference(
    points: torch.Tensor,
    features: torch.Tensor,
    image_size: tuple[int, int],
    radius: float = 4.0,
    points_per_pixel: int = 128,
    falloff: str = "linear",
) -> SplatResult:
    """Same contract as ``splat_points``; returns float64 tensors, without autograd."""
    height, width = image_size
    batch, num_points, channels = features.shape
    pts = points.detach().double().tolist()
    feats = features.detach().double().tolist()
    image = torch.zeros(batch, channels, height, width, dtype=torch.float64)
    alpha = torch.zeros(batch, 1, height, width, dtype=torch.float64)
    depth = torch.zeros(batch, 1, height, width, dtype=torch.float64)
    for b in range(batch):
        for i in range(height):
            for j in range(width):
                centre_u, centre_v = j + 0.5, i + 0.5
                hits = []  # (z, point index, distance)
                for n in range(num_points):
                    u, v, z = pts[b][n]
                    dist = math.sqrt((u - centre_u) ** 2 + (v - centre_v) ** 2)
                    if z > 0 and dist < radius:
                        hits.append((z, n, dist))
                hits.sort()
                transmittance = 1.0
                for z, n, dist in hits[:points_per_pixel]:
                    if falloff == "linear":
                        weight = 1.0 - dist / radius
                    else:
                        weight = 1.0 - dist * dist / (radius * radius)
                    for c in range(channels):
                        image[b, c, i, j] += weight * transmittance * feats[b][n][c]
                    transmittance *= 1.0 - weight
                alpha[b, 0, i, j] = 1.0 - transmittance
                if hits:
                    depth[b, 0, i, j] = hits[0][0]
    return SplatResult(image, alpha, depth)
