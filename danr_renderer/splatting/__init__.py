"""Differentiable point splatting (soft z-buffer), see ``splat_points``.

Backends: "native" (pure, vectorised torch) and "pytorch3d" (optional dependency).
"""
from .api import BACKENDS, splat_points
from .common import FALLOFFS, SplatResult
from .pytorch3d_backend import pytorch3d_available

__all__ = ["splat_points", "SplatResult", "BACKENDS", "FALLOFFS", "pytorch3d_available"]
