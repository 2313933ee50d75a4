"""Writing a posed clip in the RealEstate10K layout the project's reader takes, plus sparse depth.

Under the output folder OUT, a clip named C gets:

    OUT/cameras/C.txt                   one row per frame (danr_renderer.data.realestate10k_cameras):
                                        timestamp, fx/W fy/H cx/W cy/H, 0, 0, world-to-camera [R | t]
    OUT/frames/C/<timestamp>.png        the frame, undistorted to the pinhole camera of the row
    OUT/sparse_depth/C/<timestamp>.npz  the SfM points this frame sees (danr_renderer.data.depth_points), arrays (M,):
                                        u, v  where the point projects in the written frame
                                              (pixels, continuous frame: the top-left pixel's
                                              centre is (0.5, 0.5)),
                                        z     its camera-frame z-depth, in the clip's scaled
                                              units (scale.py), the same units as t;
                                        and point_id (M,) int64, the point's index in the clip.

Frames are undistorted (SIMPLE_RADIAL k removed, cv2.remap, bilinear, black outside the input)
so that the pinhole row describes them exactly; a PINHOLE camera's frames are copied unchanged.
Every file is written atomically.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from ..atomic_io import atomic_write_bytes
from ..data.depth_points import write_depth_points
from ..data.image_io import read_image_rgb, write_image_atomic
from ..data.realestate10k_cameras import CameraFrame, write_camera_file
from .models import PosedModel

__all__ = ["undistort_frame", "project_sparse_depth", "write_posed_clip", "clip_paths"]


def clip_paths(out: Path, clip: str) -> tuple[Path, Path, Path]:
    """(camera file, frame folder, sparse-depth folder) of clip `clip` under `out`."""
    return out / "cameras" / f"{clip}.txt", out / "frames" / clip, out / "sparse_depth" / clip


def undistort_frame(rgb: np.ndarray, model: PosedModel) -> np.ndarray:
    """(H, W, 3) uint8 frame as the pinhole camera (fx, fy, cx, cy) of `model` would see it."""
    if model.k == 0.0:
        return rgb
    height, width = rgb.shape[:2]
    u, v = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    x, y = (u - model.cx) / model.fx, (v - model.cy) / model.fy
    radial = 1.0 + model.k * (x * x + y * y)
    # cv2.remap addresses pixel centres by integers: continuous coordinate minus 0.5.
    map_x = (model.fx * x * radial + model.cx - 0.5).astype(np.float32)
    map_y = (model.fy * y * radial + model.cy - 0.5).astype(np.float32)
    return cv2.remap(rgb, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)


def project_sparse_depth(model: PosedModel, frame: int) -> dict[str, np.ndarray]:
    """u, v, z (M,) float32 and point_id (M,) int64 of the points seen in frame `frame` that lie
    in front of the camera and project inside the (undistorted) frame."""
    indices, _ = model.observations[frame]
    world_to_camera = model.world_to_camera[frame]
    camera = model.points[indices] @ world_to_camera[:, :3].T + world_to_camera[:, 3]
    z = camera[:, 2]
    ahead = z > 0
    safe_z = np.where(ahead, z, 1.0)
    u = model.fx * camera[:, 0] / safe_z + model.cx
    v = model.fy * camera[:, 1] / safe_z + model.cy
    keep = ahead & (u >= 0) & (u < model.width) & (v >= 0) & (v < model.height)
    return {
        "u": u[keep].astype(np.float32),
        "v": v[keep].astype(np.float32),
        "z": z[keep].astype(np.float32),
        "point_id": indices[keep].astype(np.int64),
    }


def write_posed_clip(
    out: Path, clip: str, model: PosedModel, image_dir: Path, timestamps: dict[str, int]
) -> None:
    """Write clip `clip` of a scaled model: frames read from image_dir/<name>, timestamps by
    staged name. The camera file is written last, so its presence means the clip is complete."""
    camera_file, frame_dir, depth_dir = clip_paths(out, clip)
    for folder in (camera_file.parent, frame_dir, depth_dir):
        folder.mkdir(parents=True, exist_ok=True)
    intrinsics = np.array(
        [model.fx / model.width, model.fy / model.height, model.cx / model.width, model.cy / model.height]
    )
    rows = []
    for index, name in enumerate(model.names):
        timestamp = timestamps[name]
        source = image_dir / name
        if model.k == 0.0:
            atomic_write_bytes(frame_dir / f"{timestamp}.png", source.read_bytes())
        else:
            rgb = np.round(read_image_rgb(source).rgb * 255.0).astype(np.uint8)
            write_image_atomic(frame_dir / f"{timestamp}.png", undistort_frame(rgb, model))
        points = project_sparse_depth(model, index)
        write_depth_points(depth_dir / f"{timestamp}.npz", np.stack([points["u"], points["v"]], axis=1),
                           points["z"], point_id=points["point_id"])
        rows.append(CameraFrame(timestamp, intrinsics, model.world_to_camera[index]))
    write_camera_file(camera_file, rows)
