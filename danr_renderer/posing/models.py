"""SfM models as plain arrays, the degenerate-model rule and one clip per frame.

A `PosedModel` holds what the rest of the package needs from a pycolmap.Reconstruction, in
COLMAP's conventions: world-to-camera [R | t] (P_cam = R P_world + t, OpenCV camera axes),
pixel coordinates in the continuous frame (the top-left pixel's centre is (0.5, 0.5)), world
units arbitrary until scale.py rescales them.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .settings import PosingSettings

__all__ = ["PosedModel", "posed_model_from_reconstruction", "degenerate_reason", "keep_each_frame_once"]


@dataclass(frozen=True, eq=False)
class PosedModel:
    """One registered model of a clip.

    Attributes:
        names: (N,) staged frame names, in temporal (name) order.
        world_to_camera: (N, 3, 4) float64.
        width, height: frame size, pixels.
        fx, fy, cx, cy: pinhole part of the shared camera, pixels.
        k: SIMPLE_RADIAL distortion (0 for PINHOLE): a normalised point (x, y) is imaged at
            (x, y) * (1 + k (x^2 + y^2)).
        points: (P, 3) float64 world positions of the SfM points.
        observations: per frame, (point indices (M,) int64, observed pixels (M, 2) float64).
        reprojection_error: mean reprojection error, pixels.
    """

    names: list[str]
    world_to_camera: np.ndarray
    width: int
    height: int
    fx: float
    fy: float
    cx: float
    cy: float
    k: float
    points: np.ndarray
    observations: list[tuple[np.ndarray, np.ndarray]]
    reprojection_error: float

    @property
    def num_frames(self) -> int:
        return len(self.names)


def _camera_parameters(camera) -> tuple[float, float, float, float, float]:
    params = np.asarray(camera.params, dtype=np.float64)
    model = camera.model.name
    if model == "SIMPLE_RADIAL":
        return params[0], params[0], params[1], params[2], params[3]
    if model == "PINHOLE":
        return params[0], params[1], params[2], params[3], 0.0
    raise ValueError(f"unsupported COLMAP camera model {model}")


def posed_model_from_reconstruction(reconstruction) -> PosedModel:
    """Arrays of a pycolmap.Reconstruction whose images share one camera."""
    images = sorted(reconstruction.images.values(), key=lambda image: image.name)
    images = [image for image in images if image.has_pose]
    if len({image.camera_id for image in images}) != 1:
        raise ValueError("expected one shared camera in the model")
    camera = reconstruction.cameras[images[0].camera_id]
    point_ids = sorted(reconstruction.points3D)
    index_of = {point_id: i for i, point_id in enumerate(point_ids)}
    points = np.array([reconstruction.points3D[i].xyz for i in point_ids], dtype=np.float64)
    observations = []
    for image in images:
        seen = [(index_of[p.point3D_id], p.xy) for p in image.points2D if p.has_point3D()]
        indices = np.array([s[0] for s in seen], dtype=np.int64)
        pixels = np.array([s[1] for s in seen], dtype=np.float64).reshape(-1, 2)
        observations.append((indices, pixels))
    fx, fy, cx, cy, k = _camera_parameters(camera)
    return PosedModel(
        names=[image.name for image in images],
        world_to_camera=np.stack([image.cam_from_world().matrix() for image in images]),
        width=int(camera.width), height=int(camera.height),
        fx=float(fx), fy=float(fy), cx=float(cx), cy=float(cy), k=float(k),
        points=points.reshape(-1, 3),
        observations=observations,
        reprojection_error=float(reconstruction.compute_mean_reprojection_error()),
    )


def degenerate_reason(model: PosedModel, settings: PosingSettings) -> str | None:
    """Why a model is not kept (too few frames, runaway focal or distortion), or None."""
    if model.num_frames < settings.min_frames:
        return f"only {model.num_frames} frames registered (need {settings.min_frames})"
    if len(model.points) == 0:
        return "no 3D points"
    ratio = max(model.fx, model.fy) / max(model.width, model.height)
    low, high = settings.focal_range
    if not low <= ratio <= high:
        return f"runaway focal {model.fx:.1f} px ({ratio:.2f} x frame size, kept: {low}..{high})"
    if abs(model.k) > settings.max_distortion:
        return f"runaway distortion k = {model.k:.3f} (kept: |k| <= {settings.max_distortion})"
    return None


def _subset(model: PosedModel, keep: np.ndarray) -> PosedModel:
    rows = np.flatnonzero(keep)
    return replace(
        model,
        names=[model.names[i] for i in rows],
        world_to_camera=model.world_to_camera[rows],
        observations=[model.observations[i] for i in rows],
    )


def keep_each_frame_once(models: list[PosedModel]) -> list[PosedModel]:
    """Models with each frame kept only in the largest model registering it (ties: the first),
    so that no frame belongs to two clips. Models keep their order."""
    owner: dict[str, int] = {}
    by_size = sorted(range(len(models)), key=lambda i: (-models[i].num_frames, i))
    for index in by_size:
        for name in models[index].names:
            owner.setdefault(name, index)
    return [
        _subset(model, np.array([owner[name] == index for name in model.names], dtype=bool))
        for index, model in enumerate(models)
    ]
