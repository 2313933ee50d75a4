"""Analytic, vectorised ray intersections for the synthetic scenes.

Rays are o + t d with t >= 0. All functions take many rays at once (and, for boxes and
cylinders, many primitives at once) and return np.inf where a ray misses. The surface
functions turn a hit point, given in the primitive's local frame, into its face, its
surface coordinates (s, t) in metres and its local outward normal; surface coordinates
depend only on the point, never on the ray, so textures are view-independent.

Face order everywhere: (-x, +x, -y, +y, -z, +z), face index = 2 * axis + (side > 0).
Surface coordinates on a face of axis a use the two other axes, offset to start at 0:
axis x -> (z, y), axis y -> (x, z), axis z -> (x, y).
"""

from __future__ import annotations

import math

import torch

__all__ = [
    "intersect_room",
    "intersect_boxes",
    "intersect_cylinders",
    "room_surface",
    "box_surface",
    "cylinder_surface",
]

_FACE_AXES = ((2, 1), (0, 2), (0, 1))  # (s axis, t axis) for faces of axis x, y, z
_MIN_T = 1e-6


def _face_uv(offset_points: torch.Tensor, axis: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(s, t) (N,) from points (N, 3) already offset to the face's corner, per face axis (N,)."""
    lookup = torch.tensor(_FACE_AXES, device=axis.device)[axis]  # (N, 2)
    uv = offset_points.gather(1, lookup)
    return uv[:, 0], uv[:, 1]


def intersect_room(
    origin: torch.Tensor, directions: torch.Tensor, room_min: torch.Tensor, room_max: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """Where rays from inside an axis-aligned room leave it (ray-plane tests on its 6 faces).

    Args:
        origin: (3,) inside the room; directions: (N, 3); room_min, room_max: (3,).
    Returns:
        t (N,) of the exit point and face (N,) long, the index of the plane it lies on.
    """
    wall = torch.where(directions > 0, room_max, room_min)  # (N, 3) plane each axis exits by
    times = (wall - origin) / directions  # +inf where parallel (direction 0)
    times = torch.where(directions == 0, torch.full_like(times, math.inf), times)
    t, axis = times.min(dim=1)
    side = directions.gather(1, axis[:, None])[:, 0] > 0
    return t, 2 * axis + side.long()


def intersect_boxes(
    origins: torch.Tensor, directions: torch.Tensor, half_sizes: torch.Tensor
) -> torch.Tensor:
    """Slab test of rays against P centred axis-aligned boxes, each in its own local frame.

    Args:
        origins: (P, 3) ray origin in each box's frame; directions: (P, N, 3);
        half_sizes: (P, 3).
    Returns:
        (P, N) entry distance t, inf where the ray misses or starts inside the box.
    """
    inverse = 1.0 / directions
    near_planes = (-half_sizes - origins)[:, None, :] * inverse
    far_planes = (half_sizes - origins)[:, None, :] * inverse
    t_near = torch.minimum(near_planes, far_planes).amax(dim=-1)
    t_far = torch.maximum(near_planes, far_planes).amin(dim=-1)
    hit = (t_near <= t_far) & (t_near > _MIN_T)
    return torch.where(hit, t_near, torch.full_like(t_near, math.inf))


def intersect_cylinders(
    origins: torch.Tensor, directions: torch.Tensor, radii: torch.Tensor, half_heights: torch.Tensor
) -> torch.Tensor:
    """Rays against P capped cylinders around their local y axis, each in its own frame.

    The solid is the intersection of the infinite cylinder x^2 + z^2 <= r^2 (a quadratic in
    t) with the slab |y| <= h (the two cap discs); the ray enters it at the later of the two
    entry times, if that is before the earlier exit.

    Args:
        origins: (P, 3); directions: (P, N, 3); radii, half_heights: (P,).
    Returns:
        (P, N) entry distance t, inf where the ray misses or starts inside.
    """
    ox, oy, oz = (origins[:, None, i] for i in range(3))
    dx, dy, dz = directions.unbind(-1)
    a = dx * dx + dz * dz
    b = 2.0 * (ox * dx + oz * dz)
    c = ox * ox + oz * oz - (radii * radii)[:, None]
    discriminant = b * b - 4.0 * a * c
    root = torch.sqrt(torch.clamp(discriminant, min=0.0))
    vertical = a < 1e-12  # parallel to the axis: inside the tube everywhere or nowhere
    safe_a = torch.where(vertical, torch.ones_like(a), a)
    side_in = torch.where(vertical, torch.full_like(a, -math.inf), (-b - root) / (2.0 * safe_a))
    side_out = torch.where(vertical, torch.full_like(a, math.inf), (-b + root) / (2.0 * safe_a))
    tube_hit = torch.where(vertical, c <= 0, discriminant >= 0)
    inverse_dy = 1.0 / dy
    cap_a = (-half_heights[:, None] - oy) * inverse_dy
    cap_b = (half_heights[:, None] - oy) * inverse_dy
    t_in = torch.maximum(side_in, torch.minimum(cap_a, cap_b))
    t_out = torch.minimum(side_out, torch.maximum(cap_a, cap_b))
    hit = tube_hit & (t_in <= t_out) & (t_in > _MIN_T)
    return torch.where(hit, t_in, torch.full_like(t_in, math.inf))


def room_surface(
    points: torch.Tensor, face: torch.Tensor, room_min: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Surface coordinates s, t (N,) and inward normals (N, 3) of points (N, 3) on the room
    faces `face` (N,)."""
    axis = face // 2
    s, t = _face_uv(points - room_min, axis)
    normal = torch.zeros_like(points)
    outward = (face % 2).to(points.dtype) * 2.0 - 1.0
    normal.scatter_(1, axis[:, None], -outward[:, None])
    return s, t, normal


def box_surface(
    points: torch.Tensor, half_sizes: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Face (N,), surface coordinates s, t (N,) and outward normal (N, 3), all local, of
    points (N, 3) on the surfaces of boxes with half sizes (N, 3) (one box per point).

    The face is the axis on which the point is relatively closest to the boundary.
    """
    axis = (points.abs() / half_sizes).argmax(dim=1)
    side = points.gather(1, axis[:, None])[:, 0] > 0
    s, t = _face_uv(points + half_sizes, axis)
    normal = torch.zeros_like(points)
    normal.scatter_(1, axis[:, None], (side.to(points.dtype) * 2.0 - 1.0)[:, None])
    return 2 * axis + side.long(), s, t, normal


def cylinder_surface(
    points: torch.Tensor, radii: torch.Tensor, half_heights: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Part (N,) (0 side, 1 the -y cap, 2 the +y cap), s, t (N,) and outward normal (N, 3),
    all local, of points (N, 3) on cylinders with radii, half_heights (N,).

    Side: s is the arc length around the axis from +x, t the height from the -y end.
    Caps: (s, t) = (x, z), centred on the axis (the clock dial needs its centre).
    """
    x, y, z = points.unbind(-1)
    radial = torch.sqrt(x * x + z * z)
    on_cap = y.abs() / half_heights > radial / radii
    positive = y > 0
    part = torch.where(on_cap, 1 + positive.long(), torch.zeros_like(positive, dtype=torch.long))
    s = torch.where(on_cap, x, torch.atan2(z, x) * radii)
    t = torch.where(on_cap, z, y + half_heights)
    safe_radial = torch.clamp(radial, min=1e-12)
    side_normal = torch.stack([x / safe_radial, torch.zeros_like(y), z / safe_radial], dim=-1)
    cap_normal = torch.zeros_like(points)
    cap_normal[:, 1] = positive.to(points.dtype) * 2.0 - 1.0
    normal = torch.where(on_cap[:, None], cap_normal, side_normal)
    return part, s, t, normal
