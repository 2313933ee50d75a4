"""RealEstate10K camera files: one text file per clip, one row per frame.

A row holds 19 numbers: timestamp (integer microseconds), fx fy cx cy normalised by the
image width (fx, cx) and height (fy, cy), two zeros, and the 3x4 row-major world-to-camera
matrix [R | t] with P_cam = R P_world + t in the OpenCV camera frame. A first line that is
not numeric (the clip's video URL in the public release) is skipped.

Our synthetic video set is written in the same format, so one reader serves both.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import torch

from ..atomic_io import atomic_write_text
from ..geometry import relative_pose

__all__ = ["CameraFrame", "read_camera_file", "write_camera_file", "frame_intrinsics", "frame_pair_pose"]

_ROW_LENGTH = 19


@dataclass(frozen=True)
class CameraFrame:
    """One row of a camera file.

    Attributes:
        timestamp: integer timestamp (microseconds in RealEstate10K).
        intrinsics_normalised: (4,) fx/W, fy/H, cx/W, cy/H.
        world_to_camera: (3, 4) float64 [R | t].
    """

    timestamp: int
    intrinsics_normalised: np.ndarray
    world_to_camera: np.ndarray


def read_camera_file(path: str | os.PathLike) -> list[CameraFrame]:
    """Parse a camera file. Raises ValueError naming the file and line for malformed rows."""
    frames: list[CameraFrame] = []
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            try:
                values = [float(field) for field in fields]
            except ValueError:
                if line_number == 1:  # the clip URL header of the public release
                    continue
                raise ValueError(f"{path}:{line_number}: non-numeric camera row") from None
            if len(values) != _ROW_LENGTH:
                raise ValueError(
                    f"{path}:{line_number}: expected {_ROW_LENGTH} numbers, found {len(values)}"
                )
            frames.append(
                CameraFrame(
                    timestamp=int(round(values[0])),
                    intrinsics_normalised=np.asarray(values[1:5], dtype=np.float64),
                    world_to_camera=np.asarray(values[7:19], dtype=np.float64).reshape(3, 4),
                )
            )
    return frames


def write_camera_file(path: str | os.PathLike, frames: list[CameraFrame]) -> None:
    """Write frames in the camera-file format (no URL header), atomically."""
    rows = []
    for frame in frames:
        numbers = [*frame.intrinsics_normalised.tolist(), 0.0, 0.0]
        numbers += frame.world_to_camera.reshape(-1).tolist()
        rows.append(str(int(frame.timestamp)) + " " + " ".join(f"{x:.9g}" for x in numbers) + "\n")
    atomic_write_text(path, "".join(rows))


def frame_intrinsics(
    frame: CameraFrame, height: int, width: int, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Pixel intrinsics (3, 3) of a frame for an image of size (height, width)."""
    fx, fy, cx, cy = frame.intrinsics_normalised
    return torch.tensor(
        [[fx * width, 0.0, cx * width], [0.0, fy * height, cy * height], [0.0, 0.0, 1.0]],
        dtype=dtype,
    )


def frame_pair_pose(
    source: CameraFrame, target: CameraFrame, dtype: torch.dtype = torch.float32
) -> tuple[torch.Tensor, torch.Tensor]:
    """(R (3, 3), T (3,)) of eq. 2 taking source-camera points to the target camera."""
    rotation, translation = relative_pose(
        torch.from_numpy(source.world_to_camera), torch.from_numpy(target.world_to_camera)
    )
    return rotation.to(dtype), translation.to(dtype)
