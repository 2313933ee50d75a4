"""RealEstate10K camera-file reading, writing and pose extraction."""
import numpy as np
import pytest
import torch

from danr_renderer.data.realestate10k_cameras import (
    CameraFrame,
    frame_intrinsics,
    frame_pair_pose,
    read_camera_file,
    write_camera_file,
)
from danr_renderer.geometry import transform_points

_URL = "https://www.youtube.com/watch?v=example\n"
# Timestamp, fx fy cx cy (normalised), 0 0, then a world-to-camera [R | t] row-major.
_ROW_A = "1000 0.5 0.8 0.5 0.5 0 0 1 0 0 0 0 1 0 0 0 0 1 0\n"
_ROW_B = "34000 0.5 0.8 0.5 0.5 0 0 0 0 1 0.2 0 1 0 0 -1 0 0 1.5\n"


def test_read_with_url_header_and_pixel_intrinsics(tmp_path):
    path = tmp_path / "clip.txt"
    path.write_text(_URL + _ROW_A + _ROW_B)
    frames = read_camera_file(path)
    assert [f.timestamp for f in frames] == [1000, 34000]
    K = frame_intrinsics(frames[0], height=360, width=640)
    np.testing.assert_allclose(K.numpy(), [[320, 0, 320], [0, 288, 180], [0, 0, 1]])


def test_pair_pose_moves_world_points_between_cameras(tmp_path):
    path = tmp_path / "clip.txt"
    path.write_text(_ROW_A + _ROW_B)
    src, tgt = read_camera_file(path)
    R, T = frame_pair_pose(src, tgt, dtype=torch.float64)
    world = np.array([[0.3, -0.4, 2.0], [1.0, 0.5, 4.0]])
    in_src = world @ src.world_to_camera[:, :3].T + src.world_to_camera[:, 3]
    in_tgt = world @ tgt.world_to_camera[:, :3].T + tgt.world_to_camera[:, 3]
    moved = transform_points(torch.from_numpy(in_src)[None], R[None], T[None])[0]
    np.testing.assert_allclose(moved.numpy(), in_tgt, atol=1e-12)


def test_write_then_read_round_trip(tmp_path):
    frame = CameraFrame(
        timestamp=66666,
        intrinsics_normalised=np.array([0.61, 1.08, 0.5, 0.49]),
        world_to_camera=np.arange(12, dtype=np.float64).reshape(3, 4) / 7.0,
    )
    path = tmp_path / "out.txt"
    write_camera_file(path, [frame, frame])
    back = read_camera_file(path)
    assert len(back) == 2 and back[1].timestamp == 66666
    np.testing.assert_allclose(back[0].world_to_camera, frame.world_to_camera, rtol=1e-8)
    np.testing.assert_allclose(back[0].intrinsics_normalised, frame.intrinsics_normalised, rtol=1e-8)


@pytest.mark.parametrize(
    "text, message",
    [(_ROW_A + "1 2 3\n", "expected 19 numbers"), (_ROW_A + "abc " * 19 + "\n", "non-numeric")],
)
def test_malformed_rows_name_file_and_line(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(ValueError, match=rf"bad\.txt:2: {message}"):
        read_camera_file(path)
