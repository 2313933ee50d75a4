"""The full-resolution composite: the source image's own pixels moved to the target view.

Every source pixel centre is lifted with its (upsampled) depth (eq. 1), moved (eq. 2) and
projected (eq. 3) with the source intrinsics, and splatted at the source resolution with a
small radius (z-buffered: the K nearest-in-z points per pixel, danr_renderer.splatting). The
points carry their colour and their target depth. The splat decides what each target pixel
sees and at which depth; the colour then comes from an inverse warp: the pixel centre lifted
with that depth in the target camera, moved back to the source camera and projected, where the
source is sampled with bicubic interpolation. So the averaging of the splat's falloff does not
blur the view (a splat of the colours alone interpolates linearly between neighbouring points),
and a pure rotation, which needs no depth, resamples the source exactly. Where a pixel's points
lie on different surfaces (their composited depth differs from the front one by over
EDGE_DEPTH_SPREAD), the lifted point would lie on neither, and the splatted colour is used.

The splat's coverage alpha decides where the splat is trusted: from FULL_ALPHA up alone, below
it fading into a fill image (the decoder's view, upsampled), which so only paints the holes the
splat leaves: disocclusions and the border the camera motion reveals.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..geometry import project, transform_points, unproject
from ..splatting import splat_points

__all__ = ["SPLAT_RADIUS", "SPLAT_POINTS_PER_PIXEL", "FULL_ALPHA", "EDGE_DEPTH_SPREAD",
           "splat_source_pixels", "fill_holes", "composite_views"]

# Neighbouring source points land about one pixel apart in the paper's views (spacing <= 1.1 px
# for them, so every pixel centre has a point closer than 0.8 px). r = 1 px keeps that covered
# while a point on a pixel centre gives it alone (its neighbours, 1 px away, weigh 0): an integer
# shift copies the source exactly, where r = 1.5 would mix in a third of each neighbour.
SPLAT_RADIUS = 1.0
SPLAT_POINTS_PER_PIXEL = 8
# Coverage from which the splat alone gives the colour (a pixel between two neighbours at
# distance ~0.7 px each already gets alpha ~0.7 with r = 1.5).
FULL_ALPHA = 0.5
# Relative depth spread |mean composited z / front z - 1| above which a pixel's points are taken
# to straddle an occlusion edge. Neighbours on one surface differ less: between neighbouring
# pixels z changes by tan(slant) / f, i.e. 1% for a surface slanted 80 degrees at f = 554 px.
EDGE_DEPTH_SPREAD = 0.02


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
        colour (V, 3, H, W): the source sampled where each target pixel's surface lies in it (the
        splatted colour at occlusion edges; 0 where nothing lands), and
        alpha (V, 1, H, W): the splat's coverage in [0, 1].
    """
    views = R.shape[0]
    height, width = rgb.shape[-2:]
    Ks, R, T = K.to(rgb).expand(views, 3, 3), R.to(rgb), T.to(rgb)
    points = unproject(depth.expand(views, -1, -1, -1), Ks)
    target = project(transform_points(points, R, T), Ks)
    carried = torch.cat([rgb.flatten(2).transpose(1, 2).expand(views, -1, -1), target[..., 2:]], dim=2)
    splat = splat_points(target, carried, (height, width), radius=SPLAT_RADIUS,
                         points_per_pixel=SPLAT_POINTS_PER_PIXEL, falloff="linear", backend=backend)
    reached = splat.alpha > 0
    mean = splat.image / splat.alpha.clamp_min(1e-6)  # (V, 4, H, W): colour, target z
    # Back to the source: P = R^T P' + T, i.e. eq. 2 with R^T and -R T.
    lifted = unproject(mean[:, 3:].where(reached, torch.ones_like(mean[:, 3:])), Ks)
    back = project(transform_points(lifted, R.transpose(1, 2), -(R @ T[..., None])[..., 0]), Ks)
    grid = (back[..., :2] / rgb.new_tensor([width, height]) * 2 - 1).reshape(views, height, width, 2)
    sampled = F.grid_sample(rgb.expand(views, -1, -1, -1), grid, mode="bicubic", padding_mode="border",
                            align_corners=False)  # -1 and 1 are the image's edges
    on_one_surface = (mean[:, 3:] - splat.depth).abs() <= EDGE_DEPTH_SPREAD * splat.depth
    colour = torch.where(on_one_surface, sampled, mean[:, :3])
    return torch.where(reached, colour, torch.zeros_like(colour)), splat.alpha


def fill_holes(colour: torch.Tensor, alpha: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
    """(V, 3, H, W) colour where alpha (V, 1, H, W) >= FULL_ALPHA, blended linearly into the
    fill image (V, 3, H, W) as alpha falls to 0."""
    weight = (alpha / FULL_ALPHA).clamp(0.0, 1.0)
    return weight * colour + (1.0 - weight) * fill


def composite_views(rgb: torch.Tensor, depth: torch.Tensor, K: torch.Tensor, R: torch.Tensor, T: torch.Tensor,
                    fill: torch.Tensor, backend: str = "auto") -> tuple[torch.Tensor, torch.Tensor]:
    """The full-resolution composite of V views: splat_source_pixels (same arguments), its holes
    filled from `fill` (V, 3, H, W) by fill_holes. Returns the views (V, 3, H, W) and the splat's
    coverage alpha (V, 1, H, W)."""
    colour, alpha = splat_source_pixels(rgb, depth, K, R, T, backend=backend)
    return fill_holes(colour, alpha, fill), alpha
