"""The one scale rule of posed footage: a clip's median sparse depth equals the synthetic rooms'.

SfM recovers a clip only up to scale, and RealEstate10K's SLAM poses have an arbitrary scale per
clip too; the paper's fixed novel-view translation T = [0, 0, 0.3] only means the same motion
everywhere if every clip is brought to one scale. The rule: multiply a clip's world (camera
translations and 3D points) by s = SYNTHETIC_MEDIAN_DEPTH / m, with m the median camera-frame
z-depth over every observation of an SfM point in a frame of the clip (each (frame, point)
counted once). After it, the clip's median sparse depth is SYNTHETIC_MEDIAN_DEPTH, the median
scene depth of the synthetic rooms the renderer was trained on, whose units are metres.

SYNTHETIC_MEDIAN_DEPTH was measured with `measure_synthetic_median_depth()` (its defaults):
synthetic scenes 0..19 of data-set seed 0, 30 views each along their camera paths, 128 x 128
pixels, 60 degree horizontal field of view; for each scene the median z-depth of all its
pixels, then the median over the 20 scenes: 3.332 m (the scenes range from 2.90 to 3.98 m;
at 64 px the same measure gives 3.331 m).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .models import PosedModel

__all__ = [
    "SYNTHETIC_MEDIAN_DEPTH",
    "observation_depths",
    "scale_to_synthetic",
    "measure_synthetic_median_depth",
]

SYNTHETIC_MEDIAN_DEPTH = 3.332  # metres; see the module docstring for how it was measured


def observation_depths(model: PosedModel, frame: int) -> np.ndarray:
    """Camera-frame z-depth (M,) of the SfM points observed in frame `frame` of the model."""
    indices, _ = model.observations[frame]
    world_to_camera = model.world_to_camera[frame]
    camera_points = model.points[indices] @ world_to_camera[:, :3].T + world_to_camera[:, 3]
    return camera_points[:, 2]


def scale_to_synthetic(model: PosedModel) -> tuple[PosedModel, float]:
    """The model rescaled by the rule of the module docstring, and the factor s used.

    Raises ValueError when the model has no observation in front of its cameras.
    """
    depths = np.concatenate([observation_depths(model, i) for i in range(model.num_frames)])
    depths = depths[depths > 0]
    if depths.size == 0:
        raise ValueError("no SfM point lies in front of the cameras: cannot fix the scale")
    factor = SYNTHETIC_MEDIAN_DEPTH / float(np.median(depths))
    world_to_camera = model.world_to_camera.copy()
    world_to_camera[:, :, 3] *= factor
    return replace(model, world_to_camera=world_to_camera, points=model.points * factor), factor


def measure_synthetic_median_depth(
    num_scenes: int = 20, views_per_scene: int = 30, size: int = 128, seed: int = 0,
    hfov_deg: float = 60.0,
) -> float:
    """Median over scenes of each scene's median pixel z-depth (metres), as described above."""
    import torch  # noqa: PLC0415 - only this measurement needs the synthetic renderer

    from ..geometry import default_intrinsics  # noqa: PLC0415
    from ..synthetic import camera_trajectory, generate_scene, render_view, scene_seed, trajectory_seed  # noqa: PLC0415

    K = default_intrinsics(size, size, hfov_deg=hfov_deg, dtype=torch.float64)
    medians = []
    for index in range(num_scenes):
        scene = generate_scene(scene_seed(seed, index))
        poses = camera_trajectory(scene, views_per_scene, trajectory_seed(seed, index))
        depth = torch.cat([render_view(scene, pose, K, size, size).depth.reshape(-1) for pose in poses])
        medians.append(float(depth.median()))
    return float(np.median(medians))
