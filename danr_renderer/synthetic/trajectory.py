"""Hand-held-video-like camera paths through a synthetic scene.

A path starts in the scene's free camera region, far from one of the objects and looking
roughly horizontally towards it, and then drifts smoothly: a slow forward and sideways walk plus
low-frequency wobble of position, yaw, pitch and roll. The whole path is shifted (and,
if needed, shrunk about its start) to stay inside the camera region.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from ..geometry import rotvec_to_matrix
from .scene import SyntheticScene

__all__ = ["camera_trajectory", "camera_pose"]


def camera_pose(centre, yaw: float, pitch: float, roll: float) -> torch.Tensor:
    """World-to-camera (3, 4) float64 of a camera at `centre` (3,) in the scene's world frame.

    The camera-to-world rotation is R_y(yaw) R_x(-pitch) R_z(roll): yaw turns the optical
    axis from +z towards +x, positive pitch tilts it down (world y points down), roll spins
    the image about the optical axis.
    """

    def about(axis: int, angle: float) -> torch.Tensor:
        rotvec = torch.zeros(3, dtype=torch.float64)
        rotvec[axis] = angle
        return rotvec_to_matrix(rotvec)

    camera_to_world = about(1, yaw) @ about(0, -pitch) @ about(2, roll)
    rotation = camera_to_world.T
    translation = -rotation @ torch.as_tensor(centre, dtype=torch.float64)
    return torch.cat([rotation, translation[:, None]], dim=1)


def _wobble(
    rng: np.random.Generator, frames: np.ndarray, amplitude: float, count: int = 2
) -> np.ndarray:
    """Smooth zero-mean-ish noise over frames: a sum of slow sinusoids with random phases."""
    total = np.zeros_like(frames)
    for _ in range(count):
        period = rng.uniform(25.0, 90.0)
        total += amplitude / count * np.sin(2 * np.pi * frames / period + rng.uniform(0, 2 * np.pi))
    return total


def camera_trajectory(
    scene: SyntheticScene, num_views: int, seed: int | Sequence[int], step: float = 0.02
) -> torch.Tensor:
    """World-to-camera extrinsics (num_views, 3, 4) float64 of a smooth hand-held path.

    Args:
        scene: the scene to move in (its camera_region, eye_height_range and objects).
        num_views: number of frames.
        seed: int or sequence of ints for numpy.random.SeedSequence.
        step: typical forward motion per frame, metres (sideways motion is smaller).
    """
    if num_views < 1:
        raise ValueError(f"num_views must be >= 1, got {num_views}")
    entropy = int(seed) if np.isscalar(seed) else tuple(int(value) for value in seed)
    rng = np.random.default_rng(np.random.SeedSequence(entropy))
    region = scene.camera_region
    candidates = rng.uniform(region[0], region[1], size=(8, 2))
    if scene.objects:
        # Stand far from the object looked at, so that the view takes in more of the room.
        target = scene.objects[int(rng.integers(len(scene.objects)))].bounds.mean(0)
        start_xz = candidates[np.argmax(np.linalg.norm(candidates - target[[0, 2]], axis=1))]
        yaw0 = float(
            np.arctan2(target[0] - start_xz[0], target[2] - start_xz[1]) + rng.normal(0.0, 0.25)
        )
    else:
        start_xz = candidates[0]
        yaw0 = rng.uniform(-np.pi, np.pi)
    start = np.array([start_xz[0], -rng.uniform(*scene.eye_height_range), start_xz[1]])

    frames = np.arange(num_views, dtype=np.float64)
    forward = np.array([np.sin(yaw0), 0.0, np.cos(yaw0)])
    side = np.array([np.cos(yaw0), 0.0, -np.sin(yaw0)])
    forward_speed = rng.uniform(0.2, 1.0) * step * rng.choice([1.0, 1.0, -1.0])
    side_speed = rng.uniform(-0.5, 0.5) * step
    offsets = np.outer(frames * forward_speed + _wobble(rng, frames, 3 * step), forward) + np.outer(
        frames * side_speed + _wobble(rng, frames, 3 * step), side
    )
    offsets[:, 1] = _wobble(rng, frames, step)

    # Fit the path in the region: shrink it if it is longer than the region, then shift it.
    low, high = region[0], region[1]
    extent = offsets[:, [0, 2]].max(0) - offsets[:, [0, 2]].min(0)
    offsets *= min(1.0, float(np.min((high - low) / np.maximum(extent, 1e-9))))
    horizontal = start[[0, 2]] + offsets[:, [0, 2]]
    shift = np.maximum(low - horizontal.min(0), 0.0) + np.minimum(high - horizontal.max(0), 0.0)
    centres = start + offsets
    centres[:, [0, 2]] += shift

    yaw = yaw0 + frames * rng.uniform(-0.01, 0.01) + _wobble(rng, frames, 0.08)
    pitch = rng.uniform(-0.05, 0.15) + _wobble(rng, frames, 0.04)
    roll = rng.normal(0.0, 0.02) + _wobble(rng, frames, 0.03)
    return torch.stack([camera_pose(c, y, p, r) for c, y, p, r in zip(centres, yaw, pitch, roll)])
