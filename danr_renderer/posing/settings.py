"""Settings of a posing run (one object, so that a resumed run can tell whether they changed)."""
from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["PosingSettings"]


@dataclass(frozen=True)
class PosingSettings:
    """How footage is posed.

    Attributes:
        threads: threads of every pycolmap stage (extraction, matching, verification, mapping).
        window: each frame is matched with the next `window` frames only (sequential matching,
            no quadratic overlap, no loop detection): the guard against false merges of
            different places that share identical objects.
        min_pair_inliers: verified inlier matches that link two frames; a boundary between
            consecutive frames that no linked pair within the window crosses is a cut.
        min_frames: models with fewer registered frames are dropped as degenerate.
        camera: (fx, fy, cx, cy) pixels of the input frames, fixed (PINHOLE, not refined);
            None estimates one SIMPLE_RADIAL camera (f, cx, cy, k) per clip.
        focal_range: (low, high) of focal / max(width, height) for a model to be kept
            (0.3 .. 3.0 is a horizontal field of view of about 19 to 118 degrees on a
            landscape frame).
        max_distortion: largest |k| (SIMPLE_RADIAL) for a model to be kept.
        max_error_px: reprojection error (pixels) of an inlier in two-view verification,
            initialisation, triangulation and the mapper's filtering; absolute-pose RANSAC
            uses three times it (COLMAP's defaults: 4 and 12).
        max_features, peak_threshold: SIFT extraction (COLMAP's defaults: 8192, 0.02 / 3).
        init_min_tri_angle, init_min_num_inliers, abs_pose_min_num_inliers: the relaxed
            initialisation of incremental mapping (COLMAP's defaults: 16 degrees, 100, 30).
        seed: random seed of pycolmap's estimators.
    """

    threads: int = 2
    window: int = 10
    min_pair_inliers: int = 15
    min_frames: int = 4
    camera: tuple[float, float, float, float] | None = None
    focal_range: tuple[float, float] = (0.3, 3.0)
    max_distortion: float = 0.3
    max_error_px: float = 4.0
    max_features: int = 8192
    peak_threshold: float = 0.02 / 3
    init_min_tri_angle: float = 4.0
    init_min_num_inliers: int = 50
    abs_pose_min_num_inliers: int = 15
    seed: int = 0

    def __post_init__(self):
        for name in ("threads", "window", "min_pair_inliers", "max_features"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.min_frames < 2:
            raise ValueError(f"min_frames must be >= 2, got {self.min_frames}")
        if self.camera is not None and (len(self.camera) != 4 or min(self.camera[:2]) <= 0):
            raise ValueError(f"camera must be fx,fy,cx,cy with fx, fy > 0, got {self.camera}")

    def as_dict(self) -> dict:
        return {key: list(v) if isinstance(v, tuple) else v for key, v in asdict(self).items()}
