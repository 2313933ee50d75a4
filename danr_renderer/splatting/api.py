"""``splat_points``: the one entry point of the splatting package (checks and dispatch)."""
from __future__ import annotations

import math
import numbers
import warnings

import torch

from ..checks import check_shape
from .common import FALLOFFS, SplatResult
from .native import native_available, native_unavailable_reason, splat_points_native
from .pytorch3d_backend import pytorch3d_available, splat_points_pytorch3d
from .torch_backend import splat_points_torch

BACKENDS = ("auto", "native", "torch", "pytorch3d")


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
        backend: "native" (the compiled C++ CPU kernel), "torch" (pure, vectorised torch;
            CPU or GPU), "pytorch3d" (needs PyTorch3D) or "auto": PyTorch3D for CUDA tensors
            when it imports (else torch); for CPU tensors native when it is built (else
            torch, PyTorch3D's CPU kernels are slow). "native" asked for where it cannot
            run (not built, or non-CPU tensors) warns and uses torch.

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
    splat = _BACKEND_FUNCTIONS[_resolve_backend(backend, points.device)]
    return splat(points, features, image_size, float(radius), int(points_per_pixel), falloff)


def _resolve_backend(backend: str, device: torch.device) -> str:
    """The backend that runs: "auto" resolved, "native" replaced by "torch" (with a
    warning) where the compiled kernel cannot run."""
    on_cpu = device.type == "cpu"
    if backend == "auto":
        if device.type == "cuda":
            return "pytorch3d" if pytorch3d_available() else "torch"
        return "native" if on_cpu and native_available() else "torch"
    if backend == "native" and not (on_cpu and native_available()):
        reason = (native_unavailable_reason() if not native_available() else
                  f"the compiled kernel runs on CPU tensors only, got {device.type} tensors")
        warnings.warn(f"splat_points: backend='native' falls back to backend='torch': {reason}",
                      RuntimeWarning, stacklevel=3)
        return "torch"
    return backend


_BACKEND_FUNCTIONS = {
    "native": splat_points_native,
    "torch": splat_points_torch,
    "pytorch3d": splat_points_pytorch3d,
}


def _check_inputs(points, features, image_size, radius, points_per_pixel, falloff, backend):
    where = "splat_points"
    check_shape(where, "points (u, v, z)", _tensor(where, "points", points), (None, None, 3))
    check_shape(where, "features", _tensor(where, "features", features), (None, None, None))
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


def _tensor(where: str, name: str, value) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"{where}: {name} must be a torch.Tensor, got a {type(value).__name__}")
    return value
