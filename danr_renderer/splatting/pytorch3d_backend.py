"""PyTorch3D splatting backend: ``rasterize_points`` + ``alpha_composite`` behind the
same contract as the native backend.

PyTorch3D is optional and imported lazily. Its NDC frame (+X left, +Y up, the short image
side spans [-1, 1]) is used only in this file; the mapping from the project's pixel frame,
checked to 1e-6 against the definition in docs/conventions.md, is

    x = W/S - 2u/S,  y = H/S - 2v/S,  radius_ndc = 2r/S,  S = min(H, W).

PyTorch3D's kernels compute in float32, so inputs are cast to float32 and the results back
to the input dtype. Results and gradients match the native backend to float32 precision,
except the u, v gradient of a point lying exactly on a pixel centre with linear falloff,
where 1 - d/r has no derivative: native uses 0 there, while here the NDC rounding leaves a
tiny distance whose direction decides the gradient.
"""
from __future__ import annotations

import torch

from .common import SplatResult, falloff_weights

INSTALL_HINT = (
    "PyTorch3D is not installed; the 'pytorch3d' splatting backend needs it (backend='native' "
    "works without it). PyPI has no Linux wheel for this torch: install it from its own conda "
    "channel ('conda install pytorch3d -c pytorch3d') or build it from source, e.g. "
    "PYTORCH3D_FORCE_NO_CUDA=1 MAX_JOBS=2 pip install --no-build-isolation "
    "'git+https://github.com/facebookresearch/pytorch3d.git@stable' "
    "(drop PYTORCH3D_FORCE_NO_CUDA on a machine with CUDA)."
)


def _import_pytorch3d():
    try:
        from pytorch3d.renderer import rasterize_points
        from pytorch3d.renderer.compositing import alpha_composite
        from pytorch3d.structures import Pointclouds
    except ImportError as error:
        raise ImportError(INSTALL_HINT) from error
    return rasterize_points, alpha_composite, Pointclouds


def pytorch3d_available() -> bool:
    """True when PyTorch3D and its compiled ops import."""
    try:
        _import_pytorch3d()
    except ImportError:
        return False
    return True


def splat_points_pytorch3d(
    points: torch.Tensor,
    features: torch.Tensor,
    image_size: tuple[int, int],
    radius: float,
    points_per_pixel: int,
    falloff: str,
) -> SplatResult:
    """Splat points (B, N, 3) = (u, v, z) in target pixels with features (B, N, C).

    Inputs are assumed validated (see ``splat_points``). Returns image (B, C, H, W),
    alpha (B, 1, H, W), depth (B, 1, H, W) in the input dtype.
    """
    rasterize_points, alpha_composite, Pointclouds = _import_pytorch3d()
    height, width = image_size
    short_side = min(height, width)
    batch, num_points, channels = features.shape

    u, v, z = points.float().unbind(-1)
    z = torch.where(z > 0, z, -1.0)  # PyTorch3D skips z < 0 only; the contract drops z == 0 too
    ndc = torch.stack(
        [width / short_side - 2.0 * u / short_side, height / short_side - 2.0 * v / short_side, z],
        dim=-1,
    )
    idx, zbuf, dists_ndc = rasterize_points(
        Pointclouds(points=ndc),
        image_size=(height, width),
        radius=2.0 * radius / short_side,
        points_per_pixel=points_per_pixel,
    )
    idx = idx.long().permute(0, 3, 1, 2)  # (B, K, H, W), -1 where empty
    hit = idx >= 0
    dist_sq = dists_ndc.permute(0, 3, 1, 2) * (short_side / 2.0) ** 2  # NDC^2 -> pixels^2
    splat_alpha = torch.where(
        hit, falloff_weights(torch.where(hit, dist_sq, 0.0), radius, falloff), 0.0
    )
    packed_features = features.float().reshape(batch * num_points, channels).t()
    image = alpha_composite(idx, splat_alpha, packed_features)
    alpha = 1.0 - torch.prod(1.0 - splat_alpha, dim=1, keepdim=True)
    depth = torch.where(hit[:, :1], zbuf[..., :1].permute(0, 3, 1, 2), 0.0)
    dtype = points.dtype
    return SplatResult(image.to(dtype), alpha.to(dtype), depth.to(dtype))
