"""Differentiable point splatting (soft z-buffer), see ``splat_points``.

Backends: "native" (compiled C++/OpenMP CPU kernel, built by the project's set-up), "torch"
(pure, vectorised torch; the fallback) and "pytorch3d" (optional dependency).
"""
from .api import BACKENDS, splat_points
from .common import FALLOFFS, SplatResult
from .native import native_available, native_unavailable_reason
from .pytorch3d_backend import pytorch3d_available

__all__ = ["splat_points", "SplatResult", "BACKENDS", "FALLOFFS", "native_available",
           "native_unavailable_reason", "pytorch3d_available"]
