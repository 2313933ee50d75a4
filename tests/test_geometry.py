"""Camera geometry against closed-form answers (eqs. 1-3 and Rodrigues)."""
import math

import numpy as np
import pytest
import torch

from danr_renderer.geometry import (
    default_intrinsics,
    pixel_centers,
    project,
    relative_pose,
    rotvec_to_matrix,
    scale_intrinsics,
    transform_points,
    unproject,
)


def _rotation_about_axis(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation matrix via the exponential of the skew matrix, an independent route (series)."""
    skew = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    generator = skew * angle
    result, term = np.eye(3), np.eye(3)
    for n in range(1, 40):
        term = term @ generator / n
        result = result + term
    return result


@pytest.mark.parametrize("angle", [1e-9, 1e-4, 0.3, 2.5, math.pi - 1e-3])
def test_rotvec_matches_matrix_exponential(angle):
    axis = np.array([0.3, -0.5, 0.8])
    axis /= np.linalg.norm(axis)
    rotvec = torch.tensor(axis * angle, dtype=torch.float64)
    expected = _rotation_about_axis(axis, angle)
    np.testing.assert_allclose(rotvec_to_matrix(rotvec).numpy(), expected, atol=1e-12)


def test_rotvec_about_z_is_planar_rotation_and_batches():
    angles = torch.tensor([0.0, 0.5, -1.0], dtype=torch.float64)
    rotvecs = torch.stack([torch.zeros(3), torch.zeros(3), angles], dim=-1).double()
    matrices = rotvec_to_matrix(rotvecs.reshape(3, 1, 3))
    assert matrices.shape == (3, 1, 3, 3)
    for k, a in enumerate(angles.tolist()):
        expected = [[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]]
        np.testing.assert_allclose(matrices[k, 0].numpy(), expected, atol=1e-12)


def test_rotvec_gradient_finite_at_zero():
    rotvec = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(rotvec_to_matrix, (rotvec,))
    rotvec = torch.tensor([1e-5, -2e-5, 3e-6], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(rotvec_to_matrix, (rotvec,))


def test_default_intrinsics_sixty_degrees():
    K = default_intrinsics(360, 640)
    focal = 320 / math.tan(math.radians(30))
    np.testing.assert_allclose(K.numpy(), [[focal, 0, 320], [0, focal, 180], [0, 0, 1]], rtol=1e-6)
    # The image's left and right edges lie at +-30 degrees.
    assert math.degrees(math.atan((0 - 320) / focal)) == pytest.approx(-30.0)


def test_pixel_centres_row_major_with_half_offset():
    uv = pixel_centers(2, 3)
    np.testing.assert_array_equal(
        uv.numpy(), [[0.5, 0.5], [1.5, 0.5], [2.5, 0.5], [0.5, 1.5], [1.5, 1.5], [2.5, 1.5]]
    )


def test_unproject_then_project_returns_pixel_centres():
    height, width = 5, 7
    K = torch.tensor([[[50.0, 0, 3.1], [0, 60.0, 2.2], [0, 0, 1]]], dtype=torch.float64)
    depth = torch.rand(1, 1, height, width, dtype=torch.float64) + 0.5
    points = unproject(depth, K)
    # Row 1, column 2: (u, v) = (2.5, 1.5); X = d (u - cx) / fx.
    d = depth[0, 0, 1, 2]
    np.testing.assert_allclose(
        points[0, 1 * width + 2].numpy(), [d * (2.5 - 3.1) / 50, d * (1.5 - 2.2) / 60, d], rtol=1e-12
    )
    uvz = project(points, K)
    np.testing.assert_allclose(uvz[0, :, :2].numpy(), pixel_centers(height, width).double().numpy(), atol=1e-12)
    np.testing.assert_allclose(uvz[0, :, 2].numpy(), depth.reshape(-1).numpy())


def test_transform_points_is_r_times_p_minus_t():
    points = torch.tensor([[[1.0, 2.0, 3.0]]], dtype=torch.float64)
    R = rotvec_to_matrix(torch.tensor([[0.0, 0.0, math.pi / 2]], dtype=torch.float64))
    T = torch.tensor([[1.0, 0.0, 0.0]], dtype=torch.float64)
    # P - T = (0, 2, 3); a quarter turn about z takes (x, y) -> (-y, x).
    np.testing.assert_allclose(transform_points(points, R, T)[0, 0].numpy(), [-2.0, 0.0, 3.0], atol=1e-12)


def test_forward_translation_moves_points_closer():
    """T = [0, 0, 0.3] (the paper's views) is a step forward: every z shrinks by 0.3."""
    points = torch.tensor([[[0.2, -0.1, 2.0], [1.0, 1.0, 5.0]]])
    moved = transform_points(points, torch.eye(3)[None], torch.tensor([[0.0, 0.0, 0.3]]))
    np.testing.assert_allclose(moved[0, :, 2].numpy(), [1.7, 4.7], rtol=1e-6)


def test_scale_intrinsics_maps_pixel_frame_exactly():
    K = torch.tensor([[100.0, 0, 64.0], [0, 90.0, 48.0], [0, 0, 1]])
    point = torch.tensor([[[0.3, -0.2, 2.0]]])
    uv_small = project(point, K[None])[0, 0, :2]
    uv_large = project(point, scale_intrinsics(K, 2.0, 3.0)[None])[0, 0, :2]
    np.testing.assert_allclose(uv_large.numpy(), (uv_small * torch.tensor([2.0, 3.0])).numpy(), rtol=1e-6)


def test_relative_pose_agrees_with_world_round_trip():
    generator = torch.Generator().manual_seed(0)
    world = torch.randn(10, 3, generator=generator, dtype=torch.float64)

    def extrinsics(rotvec, translation):
        rot = rotvec_to_matrix(torch.tensor(rotvec, dtype=torch.float64))
        return torch.cat([rot, torch.tensor(translation, dtype=torch.float64)[:, None]], dim=1)

    src = extrinsics([0.1, -0.2, 0.05], [0.5, -0.1, 2.0])
    tgt = extrinsics([-0.05, 0.3, 0.1], [0.2, 0.4, 1.5])
    in_src = world @ src[:, :3].T + src[:, 3]
    in_tgt = world @ tgt[:, :3].T + tgt[:, 3]
    R, T = relative_pose(src, tgt)
    np.testing.assert_allclose(transform_points(in_src[None], R[None], T[None])[0].numpy(), in_tgt.numpy(), atol=1e-12)
    # T is the target camera centre expressed in the source frame.
    centre_world = -tgt[:, :3].T @ tgt[:, 3]
    np.testing.assert_allclose(T.numpy(), (src[:, :3] @ centre_world + src[:, 3]).numpy(), atol=1e-12)
