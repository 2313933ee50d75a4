"""The full-resolution composite: the source image's own pixels moved to the target view.

Every source pixel centre is lifted with its (upsampled) depth (eq. 1), moved (eq. 2) and
projected (eq. 3) with the source intrinsics, and splatted at the source resolution with a
small radius (z-buffered: the K nearest-in-z points per pixel, danr_renderer.splatting). The
splat's colour, normalised by its coverage alpha, is used where alpha >= FULL_ALPHA; below that
it fades into a fill image (the decoder's view, upsampled), which so only paints the holes the
splat leaves: disocclusions and the border the camera motion reveals.
"""
from __future__ import annotations

import torch

from ..geometry import project, transform_points, unproject
from ..splatting import splat_points

__all__ = ["SPLAT_RADIUS", "SPLAT_POINTS_PER_PIXEL", "FULL_ALPHA", "splat_source_pixels", "fill_holes"]

# Neighbouring source points land about one pixel apart in the paper's views (spacing <= 1.1 px
# for them, so every pixel centre has a point closer than 0.8 px). r = 1 px keeps that covered
# while a point on a pixel centre gives it alone (its neighbours, 1 px away, weigh 0): an integer
# shift copies the source exactly, where r = 1.5 would mix in a third of each neighbour.
SPLAT_RADIUS = 1.0
SPLAT_POINTS_PER_PIXEL = 8
# Coverage from which the splat alone gives the colour (a pixel between two neighbours at
# distance ~0.7 px each already gets alpha ~0.7 with r = 1.5).
FULL_ALPHA = 0.5


def splat_source_pixels(rgb: torch.Tensor, depth: torch.Tensor, K: torch.Tensor, R: torch.Tensor,
                        T: torch.Tensor, backend: str = "auto") -> tuple[torch.Tensor, torch.Tensor]:
    """Forward-warp the source image into V target views at the source resolution.

    Args:
        rgb: (1, 3, H, W) source image in [0, 1].
        depth: (1, 1, H, W) its z-depth (scene units) at the same resolution.
        K: (3, 3) source intrinsics in pixels; the target views use the same K and size.
        R: (V, 3, 3), T: (V, 3) target poses, eq. 2 (P' = R (P - T)).
        backend: splat_points backend.
    Returns:
        colour (V, 3, H, W): the coverage-normalised splat (0 where nothing lands), and
        alpha (V, 1, H, W): its coverage in [0, 1].
    """
    views = R.shape[0]
    height, width = rgb.shape[-2:]
    Ks = K.to(rgb).expand(views, 3, 3)
    points = unproject(depth.expand(views, -1, -1, -1), Ks)
    target = project(transform_points(points, R.to(rgb), T.to(rgb)), Ks)
    colours = rgb.flatten(2).transpose(1, 2).expand(views, -1, -1)
    splat = splat_points(target, colours, (height, width), radius=SPLAT_RADIUS,
                         points_per_pixel=SPLAT_POINTS_PER_PIXEL, falloff="linear", backend=backend)
    colour = torch.where(splat.alpha > 0, splat.image / splat.alpha.clamp_min(1e-6),
                         torch.zeros_like(splat.image))
    return colour, splat.alpha


def fill_holes(colour: torch.Tensor, alpha: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
    """(V, 3, H, W) colour where alpha (V, 1, H, W) >= FULL_ALPHA, blended linearly into the
    fill image (V, 3, H, W) as alpha falls to 0."""
    weight = (alpha / FULL_ALPHA).clamp(0.0, 1.0)
    return weight * colour + (1.0 - weight) * fill
