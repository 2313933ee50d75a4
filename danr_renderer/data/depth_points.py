"""Known depths of a frame's pixels, one file format for every data source.

A frame's depth file `<root>/<folder>/<clip>/<timestamp>.npz` holds
    u, v: (N,) float32 positions in that frame's continuous pixel frame (docs/conventions.md),
    z:    (N,) float32 z-depth there, > 0, in the clip's scene units (the scale rule of
          docs/conventions.md),
and optionally more per-point arrays (e.g. the SfM point_id). Synthetic video stores every
pixel centre with its exact depth (folder `depth`); posed footage the SfM points the frame sees
(folder `sparse_depth`, danr_renderer.posing). `rasterize_depth_points` turns them into the depth map a loss compares with: a
(H, W) array on a resized/cropped grid, 0 where no point falls (the nearest point where several
do), so dense and sparse sources train through the same code.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import numpy as np

from ..atomic_io import atomic_write_bytes

__all__ = ["DEPTH_FOLDER", "SPARSE_DEPTH_FOLDER", "dense_depth_points", "rasterize_depth_points", "read_depth_points",
           "write_depth_points"]

DEPTH_FOLDER = "depth"  # dense, exact depth (synthetic video)
SPARSE_DEPTH_FOLDER = "sparse_depth"  # the SfM points of posed footage


def write_depth_points(path: str | os.PathLike, uv: np.ndarray, z: np.ndarray, **extra: np.ndarray) -> None:
    """Write (N, 2) uv and (N,) z (see the module doc), plus any (N,) `extra` arrays, atomically
    as a compressed .npz (the same arrays always give the same bytes)."""
    uv = np.asarray(uv, dtype=np.float32).reshape(-1, 2)
    z = np.asarray(z, dtype=np.float32).reshape(-1)
    if len(uv) != len(z) or not (np.isfinite(uv).all() and np.isfinite(z).all() and (z > 0).all()):
        raise ValueError(f"{path}: need N finite uv rows and N finite positive depths, got "
                         f"{len(uv)} and {len(z)}")
    arrays = {"u": uv[:, 0], "v": uv[:, 1], "z": z}
    for name, array in extra.items():
        if len(array) != len(z):
            raise ValueError(f"{path}: extra array {name} has {len(array)} entries for {len(z)} points")
        arrays[name] = np.asarray(array)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            np.save(member, array)
            # A fixed member date keeps the file a function of its arrays alone.
            archive.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)),
                             member.getvalue(), compress_type=zipfile.ZIP_DEFLATED)
    atomic_write_bytes(path, buffer.getvalue())


def read_depth_points(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """(uv (N, 2), z (N,)) float32 of a depth file; ValueError naming the file when malformed."""
    try:
        with np.load(Path(path)) as data:
            u, v, z = (data[name].astype(np.float32) for name in ("u", "v", "z"))
    except (OSError, KeyError, ValueError) as error:
        raise ValueError(f"{path}: not a depth-points file ({error})") from None
    if not u.ndim == 1 or not u.shape == v.shape == z.shape:
        raise ValueError(f"{path}: u, v and z must be (N,) each, got {u.shape}, {v.shape} and {z.shape}")
    return np.stack([u, v], axis=1), z


def dense_depth_points(depth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pixel centre of an (H, W) z-depth map with its depth: uv (H*W, 2), z (H*W,)."""
    height, width = depth.shape
    rows, cols = np.meshgrid(np.arange(height) + 0.5, np.arange(width) + 0.5, indexing="ij")
    return np.stack([cols.ravel(), rows.ravel()], axis=1).astype(np.float32), depth.ravel().astype(np.float32)


def rasterize_depth_points(uv: np.ndarray, z: np.ndarray, scale_xy: tuple[float, float],
                           offset_xy: tuple[float, float], size_hw: tuple[int, int]) -> np.ndarray:
    """Depth map (H, W) float32 of points moved by u' = u sx - x0, v' = v sy - y0 (a resize by
    (sx, sy) then a crop at (x0, y0)): each point lands in the pixel holding (u', v'); 0 where
    none does, the least z where several do. Points outside the grid are left out."""
    height, width = size_hw
    u = uv[:, 0] * scale_xy[0] - offset_xy[0]
    v = uv[:, 1] * scale_xy[1] - offset_xy[1]
    inside = (u >= 0) & (u < width) & (v >= 0) & (v < height)
    pixel = np.floor(v[inside]).astype(np.int64) * width + np.floor(u[inside]).astype(np.int64)
    nearest = np.full(height * width, np.inf, dtype=np.float32)
    np.minimum.at(nearest, pixel, z[inside])
    nearest[np.isinf(nearest)] = 0.0
    return nearest.reshape(height, width)
