"""The "native" splatting backend: the compiled C++/OpenMP CPU kernel (``csrc/splat_cpu.cpp``).

The kernel is the extension module ``danr_renderer.splatting._C``, built by the project's
set-up (``setup.py``: ``pip install --no-build-isolation --no-deps -e .``, which ``make venv``
runs). Where it is not built (no C++ compiler at install time) ``native_available()`` is
False, ``native_unavailable_reason()`` says why, and ``splat_points`` falls back to the
pure-torch backend.

The kernel computes in float32 or float64; other floating dtypes are computed in float32 and
cast back. Results match the torch backend and the loop reference; they do not depend on
``torch.set_num_threads`` (each pixel and each point's gradient is accumulated in one fixed
order).
"""
from __future__ import annotations

import functools
import importlib

import torch

from .common import SplatResult

BUILD_HINT = (
    "the compiled splatting kernel (danr_renderer.splatting._C) is not built; "
    "backend='native' needs it. Build it with a C++ compiler present: "
    "'pip install --no-build-isolation --no-deps -e .' in the repository (make venv does this)."
)


@functools.lru_cache(maxsize=None)
def _load_extension():
    """(module, None) when the extension imports, else (None, the reason)."""
    try:
        return importlib.import_module("danr_renderer.splatting._C"), None
    except ImportError as error:  # not built, or built against another torch
        return None, f"{BUILD_HINT} Import error: {error}"


def native_available() -> bool:
    """True when the compiled CPU kernel imports."""
    return _load_extension()[0] is not None


def native_unavailable_reason() -> str | None:
    """Why the compiled kernel is unavailable (with how to build it), None when it imports."""
    return _load_extension()[1]


def splat_points_native(
    points: torch.Tensor,
    features: torch.Tensor,
    image_size: tuple[int, int],
    radius: float,
    points_per_pixel: int,
    falloff: str,
) -> SplatResult:
    """Splat CPU points (B, N, 3) = (u, v, z) in target pixels with features (B, N, C).

    Inputs are assumed validated (see ``splat_points``). Returns image (B, C, H, W),
    alpha (B, 1, H, W), depth (B, 1, H, W) in the input dtype; differentiable w.r.t. points
    (u, v; z through depth) and features. Raises RuntimeError when the kernel is not built.
    """
    extension, reason = _load_extension()
    if extension is None:
        raise RuntimeError(reason)
    dtype = points.dtype
    compute = dtype if dtype in (torch.float32, torch.float64) else torch.float32
    image, alpha, depth = _SplatFunction.apply(
        points.to(compute).contiguous(), features.to(compute).contiguous(),
        int(image_size[0]), int(image_size[1]), float(radius), int(points_per_pixel),
        falloff == "quadratic", extension,
    )
    return SplatResult(image.to(dtype), alpha.to(dtype), depth.to(dtype))


class _SplatFunction(torch.autograd.Function):
    """Forward and backward both in C++; the forward keeps only each pixel's point indices
    (int32 per kept pair) for the backward pass."""

    @staticmethod
    def forward(ctx, points, features, height, width, radius, points_per_pixel, quadratic,
                extension):
        image, alpha, depth, pair_point, pixel_start, pixel_count = extension.splat_forward(
            points, features, height, width, radius, points_per_pixel, quadratic
        )
        ctx.save_for_backward(points, features, pair_point, pixel_start, pixel_count)
        ctx.settings = (radius, quadratic, extension)
        return image, alpha, depth

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_image, grad_alpha, grad_depth):
        points, features, pair_point, pixel_start, pixel_count = ctx.saved_tensors
        radius, quadratic, extension = ctx.settings
        grad_points, grad_features = extension.splat_backward(
            points, features, pair_point, pixel_start, pixel_count,
            grad_image.contiguous(), grad_alpha.contiguous(), grad_depth.contiguous(),
            radius, quadratic,
        )
        return grad_points, grad_features, None, None, None, None, None, None
