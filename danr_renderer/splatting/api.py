"""``splat_points``: the one entry point of the splatting package (checks and dispatch)."""
from __future__ import annotations

import math
import numbers

import torch

from .common import FALLOFFS, SplatResult
from .native import splat_points_native
from .pytorch3d_backend import pytorch3d_available, splat_points_pytorch3d

BACKENDS = ("auto", "native", "pytorch3d")


def splat_points(
    points: torch.Tensor,
    features: torch.Tensor,
    image_size: tuple[int, int],
    radius: float = 4.0,
    points_per_pixel: int = 128,
    falloff: str = "linear",
    backend: str = "auto",
) -> SplatResult:
    """Differentiable soft z-buffer splatting of a point cloud into the target image.

    Args:
        points: (B, N, 3) holding (u, v, z): position in TARGET pixels (continuous frame,
            pixel (i, j) has its centre at (j + 0.5, i + 0.5)) and z-depth. Points with
            z <= 0 (behind the camera) are ignored.
        features: (B, N, C), same dtype and device as points.
        image_size: (H, W) of the target image.
        radius: splat radius r in pixels, > 0.
        points_per_pixel: K >= 1, how many of the nearest-in-z points each pixel keeps.
        falloff: "linear" (a = 1 - d/r) or "quadratic" (a = 1 - d^2/r^2).
        backend: "native" (pure torch), "pytorch3d" (needs PyTorch3D) or "auto" (PyTorch3D
            for CUDA tensors when it imports, native otherwise: its CPU kernels are slow).

    For every pixel centre p the candidates are the points with z > 0 and
    d = ||(u, v) - p|| < r; the K nearest in z (equal z: lower point index first) are
    composited front to back:
    image = sum_k a_k prod_{j<k} (1 - a_j) f_k, alpha = 1 - prod_k (1 - a_k).

    Returns:
        SplatResult(image (B, C, H, W), alpha (B, 1, H, W), depth (B, 1, H, W)), where depth
        is the z of the nearest contributing point and 0 at pixels no point reaches.
        Differentiable w.r.t. u, v and the features; z only orders the points (its gradient
        is zero except through ``depth``).
    """
    _check_inputs(points, features, image_size, radius, points_per_pixel, falloff, backend)
    image_size = (int(image_size[0]), int(image_size[1]))
    if backend == "auto":
        backend = "pytorch3d" if points.is_cuda and pytorch3d_available() else "native"
    splat = splat_points_pytorch3d if backend == "pytorch3d" else splat_points_native
    return splat(points, features, image_size, float(radius), int(points_per_pixel), falloff)


def _check_inputs(points, features, image_size, radius, points_per_pixel, falloff, backend):
    where = "splat_points"
    if not isinstance(points, torch.Tensor) or points.dim() != 3 or points.shape[-1] != 3:
        raise ValueError(f"{where}: points must be a (B, N, 3) tensor of (u, v, z), got "
                         f"{_describe(points)}")
    if not isinstance(features, torch.Tensor) or features.dim() != 3:
        raise ValueError(f"{where}: features must be a (B, N, C) tensor, got "
                         f"{_describe(features)}")
    if features.shape[:2] != points.shape[:2]:
        raise ValueError(f"{where}: features {tuple(features.shape)} and points "
                         f"{tuple(points.shape)} disagree on (B, N)")
    if not points.is_floating_point() or features.dtype != points.dtype:
        raise ValueError(f"{where}: points and features must share one floating dtype, got "
                         f"{points.dtype} and {features.dtype}")
    if features.device != points.device:
        raise ValueError(f"{where}: points on {points.device} but features on "
                         f"{features.device}")
    if (
        not isinstance(image_size, (tuple, list, torch.Size))
        or len(image_size) != 2
        or not all(_is_int(side) and side >= 1 for side in image_size)
    ):
        raise ValueError(f"{where}: image_size must be two positive integers (H, W), got "
                         f"{image_size!r}")
    if not (isinstance(radius, numbers.Real) and math.isfinite(radius) and radius > 0):
        raise ValueError(f"{where}: radius must be a finite number of pixels > 0, got "
                         f"{radius!r}")
    if not _is_int(points_per_pixel) or points_per_pixel < 1:
        raise ValueError(f"{where}: points_per_pixel must be an integer >= 1, got "
                         f"{points_per_pixel!r}")
    if falloff not in FALLOFFS:
        raise ValueError(f"{where}: unknown falloff {falloff!r}; expected one of {FALLOFFS}")
    if backend not in BACKENDS:
        raise ValueError(f"{where}: unknown backend {backend!r}; expected one of {BACKENDS}")


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of shape {tuple(value.shape)}"
    return f"a {type(value).__name__}"
