"""Camera geometry of DANR (paper eqs. 1-3), batched and differentiable.

One convention for the whole code base (docs/conventions.md):

* Pixel frame: continuous; pixel (row i, column j) covers [j, j+1) x [i, i+1), its centre
  is (u, v) = (j + 0.5, i + 0.5). COCO boxes live in the same frame.
* Camera frame: OpenCV pinhole, x right, y down, z forward; z > 0 is in front.
  u = fx * X / Z + cx, v = fy * Y / Z + cy. Depth is z-depth.
* A target view (rotvec r, translation T) moves source-camera points to the target camera by
  P' = R(r) (P - T) (eq. 2), R(r) the Rodrigues rotation of the axis-angle vector r.

All functions work for any floating dtype and device, and keep the autograd graph.
"""
from __future__ import annotations

import math

import torch

__all__ = [
    "rotvec_to_matrix",
    "default_intrinsics",
    "scale_intrinsics",
    "pixel_centers",
    "unproject",
    "transform_points",
    "project",
    "relative_pose",
]


def _skew(vectors: torch.Tensor) -> torch.Tensor:
    """(..., 3) -> (..., 3, 3) cross-product matrices [v]_x."""
    x, y, z = vectors.unbind(-1)
    zero = torch.zeros_like(x)
    return torch.stack(
        [zero, -z, y, z, zero, -x, -y, x, zero], dim=-1
    ).reshape(vectors.shape[:-1] + (3, 3))


def rotvec_to_matrix(rotvec: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula: axis-angle vectors (..., 3) -> rotation matrices (..., 3, 3).

    R = I + A(t) [r]_x + B(t) [r]_x^2 with t = |r|, A = sin(t)/t, B = (1 - cos t)/t^2.
    Near t = 0 the coefficients switch to their Taylor series, so the result and its
    gradient stay exact (no 0/0) at and around the identity.
    """
    theta_sq = (rotvec * rotvec).sum(-1, keepdim=True).unsqueeze(-1)  # (..., 1, 1)
    small = theta_sq < 1e-6
    # Guarded angle: the series branch is used where small, so any positive value does here.
    theta_safe = torch.sqrt(torch.where(small, torch.ones_like(theta_sq), theta_sq))
    coef_a = torch.where(
        small, 1.0 - theta_sq / 6.0 + theta_sq**2 / 120.0, torch.sin(theta_safe) / theta_safe
    )
    coef_b = torch.where(
        small,
        0.5 - theta_sq / 24.0 + theta_sq**2 / 720.0,
        (1.0 - torch.cos(theta_safe)) / (theta_safe * theta_safe),
    )
    skew = _skew(rotvec)
    eye = torch.eye(3, dtype=rotvec.dtype, device=rotvec.device).expand_as(skew)
    return eye + coef_a * skew + coef_b * (skew @ skew)


def default_intrinsics(
    height: int,
    width: int,
    hfov_deg: float = 60.0,
    dtype: torch.dtype = torch.float32,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Intrinsics (3, 3) for an uncalibrated image of size (height, width).

    fx = fy = (width / 2) / tan(hfov / 2); principal point at the image centre
    (width / 2, height / 2) in the continuous pixel frame.
    """
    focal = (width / 2.0) / math.tan(math.radians(hfov_deg) / 2.0)
    return torch.tensor(
        [[focal, 0.0, width / 2.0], [0.0, focal, height / 2.0], [0.0, 0.0, 1.0]],
        dtype=dtype,
        device=device,
    )


def scale_intrinsics(K: torch.Tensor, scale_x: float, scale_y: float) -> torch.Tensor:
    """Intrinsics (..., 3, 3) of the same camera after resizing the image by (scale_x, scale_y).

    In the continuous pixel frame a resize maps u -> scale_x * u exactly, so fx, cx scale by
    scale_x and fy, cy by scale_y; no half-pixel correction is needed.
    """
    scale = torch.tensor([scale_x, scale_y, 1.0], dtype=K.dtype, device=K.device)
    return K * scale.reshape(3, 1)


def pixel_centers(
    height: int, width: int, dtype: torch.dtype = torch.float32, device=None
) -> torch.Tensor:
    """(H*W, 2) pixel-centre coordinates (u, v) = (j + 0.5, i + 0.5), row-major order."""
    rows = torch.arange(height, dtype=dtype, device=device) + 0.5
    cols = torch.arange(width, dtype=dtype, device=device) + 0.5
    v, u = torch.meshgrid(rows, cols, indexing="ij")
    return torch.stack([u.reshape(-1), v.reshape(-1)], dim=-1)


def unproject(depth: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Lift every pixel centre to the camera frame (eq. 1).

    Args:
        depth: (B, 1, H, W) z-depth per pixel.
        K: (B, 3, 3) pixel intrinsics of the image the depth belongs to.
    Returns:
        (B, H*W, 3) points (X, Y, Z) in the camera frame, pixels in row-major order.
    """
    batch, _, height, width = depth.shape
    uv = pixel_centers(height, width, depth.dtype, depth.device)  # (HW, 2)
    z = depth.reshape(batch, height * width)
    fx, fy = K[:, 0, 0, None], K[:, 1, 1, None]
    cx, cy = K[:, 0, 2, None], K[:, 1, 2, None]
    x = z * (uv[None, :, 0] - cx) / fx
    y = z * (uv[None, :, 1] - cy) / fy
    return torch.stack([x, y, z], dim=-1)


def transform_points(points: torch.Tensor, R: torch.Tensor, T: torch.Tensor) -> torch.Tensor:
    """Move points to the target camera frame: P' = R (P - T) (eq. 2).

    Args:
        points: (B, N, 3) in the source camera frame.
        R: (B, 3, 3) rotation; T: (B, 3) translation (the target camera centre in the
            source frame).
    Returns:
        (B, N, 3) points in the target camera frame.
    """
    return (points - T[:, None, :]) @ R.transpose(-1, -2)


def project(points: torch.Tensor, K: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Perspective projection (eq. 3).

    Args:
        points: (B, N, 3) in a camera frame.
        K: (B, 3, 3) that camera's pixel intrinsics.
    Returns:
        (B, N, 3) holding (u, v, z): continuous pixel coordinates and z-depth. Points with
        |z| < eps are divided by eps instead of zero; callers drop z <= 0 anyway.
    """
    x, y, z = points.unbind(-1)
    z_safe = torch.where(z.abs() < eps, torch.full_like(z, eps), z)
    u = K[:, 0, 0, None] * x / z_safe + K[:, 0, 2, None]
    v = K[:, 1, 1, None] * y / z_safe + K[:, 1, 2, None]
    return torch.stack([u, v, z], dim=-1)


def relative_pose(
    world_to_src: torch.Tensor, world_to_tgt: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """(R, T) of eq. 2 between two cameras given their world-to-camera extrinsics.

    Args:
        world_to_src, world_to_tgt: (..., 3, 4) or (..., 4, 4) [R_w | t_w] with
            P_cam = R_w P_world + t_w.
    Returns:
        R (..., 3, 3) and T (..., 3) with P_tgt = R (P_src - T): R = R_t R_s^T and T the
        target camera centre in the source frame, T = R_s (c_t) + t_s where c_t = -R_t^T t_t.
    """
    rot_s, trans_s = world_to_src[..., :3, :3], world_to_src[..., :3, 3]
    rot_t, trans_t = world_to_tgt[..., :3, :3], world_to_tgt[..., :3, 3]
    rotation = rot_t @ rot_s.transpose(-1, -2)
    centre_tgt_world = -(rot_t.transpose(-1, -2) @ trans_t.unsqueeze(-1)).squeeze(-1)
    translation = (rot_s @ centre_tgt_world.unsqueeze(-1)).squeeze(-1) + trans_s
    return rotation, translation
