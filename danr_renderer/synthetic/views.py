"""Synthetic posed indoor scenes with exact ground truth: the project's embedded data set.

A scene (`generate_scene`) is a textured room holding objects of CLASS_NAMES; a camera path
(`camera_trajectory`) moves through it like a hand-held video; `render_view` ray-casts a
view exactly and returns its RGB image, z-depth, instance ids and the tight box of every
visible object. `render_target_view` is the ground-truth oracle for a novel view given in the
eq. 2 convention relative to a source camera.

Reproducibility: scene k of a data set with seed s is `generate_scene(scene_seed(s, k))` and
its camera path `camera_trajectory(scene, V, trajectory_seed(s, k))`; both seeds are entropy
tuples for numpy.random.SeedSequence, so any scene can be rebuilt on its own.

Conventions (docs/conventions.md): continuous pixel frame, rays through pixel centres (j + 0.5, i + 0.5);
OpenCV camera (x right, y down, z forward); depth is z-depth; world frame of the scenes in
scene.py (y down, floor y = 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..geometry import pixel_centers, rotvec_to_matrix
from .raycast import (
    box_surface,
    cylinder_surface,
    intersect_boxes,
    intersect_cylinders,
    intersect_room,
    room_surface,
)
from .scene import CLASS_NAMES, SceneObject, SyntheticScene, generate_scene
from .textures import texture_albedo
from .trajectory import camera_pose, camera_trajectory

__all__ = [
    "CLASS_NAMES",
    "MIN_VISIBLE_PIXELS",
    "SyntheticScene",
    "SyntheticBox",
    "SyntheticView",
    "generate_scene",
    "camera_trajectory",
    "camera_pose",
    "render_view",
    "render_target_view",
    "target_world_to_camera",
    "scene_seed",
    "trajectory_seed",
]

# An object gets a box only when at least this many of its pixels are visible: a sliver of
# one or two pixels is not a detectable object.
MIN_VISIBLE_PIXELS = 4
_BEHIND_CAMERA = 1e-3  # near plane (camera z) that object bounds are clipped at before projecting


def scene_seed(dataset_seed: int, index: int) -> tuple[int, int]:
    """Entropy of scene `index` of a data set generated with `dataset_seed`."""
    return (int(dataset_seed), int(index))


def trajectory_seed(dataset_seed: int, index: int) -> tuple[int, int, int]:
    """Entropy of the camera path of scene `index` of a data set generated with `dataset_seed`."""
    return (int(dataset_seed), int(index), 1)


@dataclass(frozen=True)
class SyntheticBox:
    """A visible object's box: xyxy in the continuous pixel frame, from its visible pixels."""

    instance_id: int
    class_name: str
    xyxy: tuple[float, float, float, float]
    num_pixels: int


@dataclass(frozen=True, eq=False)
class SyntheticView:
    """One rendered view.

    Attributes:
        rgb: (H, W, 3) float32 in [0, 1].
        depth: (H, W) float32 z-depth (along the optical axis).
        instance_ids: (H, W) int64; 0 = room, k > 0 = scene.objects[k - 1].
        K: (3, 3) float64 intrinsics; world_to_camera: (3, 4) float64 [R | t].
        boxes: one SyntheticBox per object with >= MIN_VISIBLE_PIXELS visible pixels, by id.
    """

    rgb: torch.Tensor
    depth: torch.Tensor
    instance_ids: torch.Tensor
    K: torch.Tensor
    world_to_camera: torch.Tensor
    boxes: tuple[SyntheticBox, ...]


@dataclass(frozen=True)
class _PackedPrimitives:
    """All boxes or all cylinders of a scene as float32 arrays; index p is one primitive."""

    centres: torch.Tensor  # (P, 3)
    rotations: torch.Tensor  # (P, 3, 3) local-to-world columns
    sizes: torch.Tensor  # boxes: (P, 3) half sizes; cylinders: (P, 2) radius, half height
    materials: torch.Tensor  # (P, 6) box faces or (P, 3) cylinder side, -y cap, +y cap
    instance_ids: torch.Tensor  # (P,)
    object_ranges: list[tuple[int, int]]  # per scene object, its [start, stop) primitives


def _pack(scene: SyntheticScene, kind: str) -> _PackedPrimitives:
    """Pack the scene's primitives of `kind` ("boxes" or "cylinders"), object by object."""
    centres, rotations, sizes, materials, ids, ranges = [], [], [], [], [], []
    for obj in scene.objects:
        start = len(centres)
        for prim in getattr(obj, kind):
            centres.append(prim.centre)
            rotations.append(prim.rotation)
            if kind == "boxes":
                sizes.append(prim.half_size)
                materials.append(prim.face_materials)
            else:
                sizes.append([prim.radius, prim.half_height])
                materials.append((prim.side_material, *prim.cap_materials))
            ids.append(obj.instance_id)
        ranges.append((start, len(centres)))
    size_width, material_width = (3, 6) if kind == "boxes" else (2, 3)
    return _PackedPrimitives(
        centres=torch.tensor(np.reshape(centres, (-1, 3)), dtype=torch.float32),
        rotations=torch.tensor(np.reshape(rotations, (-1, 3, 3)), dtype=torch.float32),
        sizes=torch.tensor(np.reshape(sizes, (-1, size_width)), dtype=torch.float32),
        materials=torch.tensor(np.reshape(materials, (-1, material_width)), dtype=torch.long),
        instance_ids=torch.tensor(ids, dtype=torch.long),
        object_ranges=ranges,
    )


# Corner c of a box has bits (x, y, z) = (c >> 2, c >> 1, c) & 1; edges join corners one bit apart.
_CORNER_BITS = np.array([[(c >> 2) & 1, (c >> 1) & 1, c & 1] for c in range(8)], dtype=bool)
_BOX_EDGES = np.array([(a, a | bit) for a in range(8) for bit in (1, 2, 4) if not a & bit])


def _object_pixels(
    obj: SceneObject,
    rotation: np.ndarray,
    translation: np.ndarray,
    K: np.ndarray,
    height: int,
    width: int,
) -> tuple[slice, slice] | None:
    """(rows, columns) slices of the pixel rectangle whose rays may hit `obj`, or None if none can.

    The object lies inside its world AABB. The part of that box in front of the camera
    (z >= _BEHIND_CAMERA) is a convex polytope whose vertices are the box corners in front and
    the points where box edges cross the plane z = _BEHIND_CAMERA; the rectangle around their
    projections bounds the object's image, so only pixels in it are tested.
    """
    low, high = obj.bounds
    camera = np.where(_CORNER_BITS, high, low) @ rotation.T + translation  # (8, 3)
    z = camera[:, 2]
    in_front = z >= _BEHIND_CAMERA
    if not in_front.any():
        return None
    start, end = _BOX_EDGES[:, 0], _BOX_EDGES[:, 1]
    crossing = in_front[start] != in_front[end]
    start, end = start[crossing], end[crossing]
    fraction = (_BEHIND_CAMERA - z[start]) / (z[end] - z[start])
    points = np.concatenate(
        [camera[in_front], camera[start] + fraction[:, None] * (camera[end] - camera[start])]
    )
    u = K[0, 0] * points[:, 0] / points[:, 2] + K[0, 2]
    v = K[1, 1] * points[:, 1] / points[:, 2] + K[1, 2]
    col0, col1 = max(int(np.floor(u.min())), 0), min(int(np.ceil(u.max())), width)
    row0, row1 = max(int(np.floor(v.min())), 0), min(int(np.ceil(v.max())), height)
    if col0 >= col1 or row0 >= row1:
        return None
    return slice(row0, row1), slice(col0, col1)


def _nearest_hit(
    packed: _PackedPrimitives,
    start: int,
    stop: int,
    origin: torch.Tensor,
    directions: torch.Tensor,
    kind: str,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Nearest t (N,) and primitive index (N,) among primitives [start, stop) of one kind."""
    rotations = packed.rotations[start:stop]
    local_origins = torch.einsum("pi,pij->pj", origin[None] - packed.centres[start:stop], rotations)
    local_directions = directions[None] @ rotations  # (P, N, 3)
    sizes = packed.sizes[start:stop]
    if kind == "boxes":
        t = intersect_boxes(local_origins, local_directions, sizes)
    else:
        t = intersect_cylinders(local_origins, local_directions, sizes[:, 0], sizes[:, 1])
    nearest, index = t.min(dim=0)
    return nearest, index + start


def _surface_of_hits(
    packed: _PackedPrimitives, owner: torch.Tensor, points: torch.Tensor, kind: str
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Material (N,), s, t (N,) and world normal (N, 3) of hit points (N, 3) lying on the
    primitives `owner` (N,) of one kind."""
    rotations = packed.rotations[owner]
    local = torch.einsum("ni,nij->nj", points - packed.centres[owner], rotations)
    sizes = packed.sizes[owner]
    if kind == "boxes":
        part, s, t, normal = box_surface(local, sizes)
    else:
        part, s, t, normal = cylinder_surface(local, sizes[:, 0], sizes[:, 1])
    material = packed.materials[owner].gather(1, part[:, None])[:, 0]
    return material, s, t, torch.einsum("nij,nj->ni", rotations, normal)


def _boxes_from_instances(
    instance_ids: torch.Tensor, scene: SyntheticScene, min_visible_pixels: int
) -> tuple[SyntheticBox, ...]:
    """Tight xyxy [min j, min i, max j + 1, max i + 1] of each instance's pixels (H, W)."""
    height, width = instance_ids.shape
    flat = instance_ids.reshape(-1)
    count = len(scene.objects) + 1
    rows = torch.arange(height).repeat_interleave(width)
    cols = torch.arange(width).repeat(height)
    pixels = torch.bincount(flat, minlength=count)
    big = torch.full((count,), height + width, dtype=torch.long)
    small = torch.full((count,), -1, dtype=torch.long)
    col_min = big.scatter_reduce(0, flat, cols, "amin")
    row_min = big.scatter_reduce(0, flat, rows, "amin")
    col_max = small.scatter_reduce(0, flat, cols, "amax")
    row_max = small.scatter_reduce(0, flat, rows, "amax")
    boxes = []
    for obj in scene.objects:
        k = obj.instance_id
        if int(pixels[k]) >= min_visible_pixels:
            xyxy = (
                float(col_min[k]),
                float(row_min[k]),
                float(col_max[k] + 1),
                float(row_max[k] + 1),
            )
            boxes.append(SyntheticBox(k, obj.class_name, xyxy, int(pixels[k])))
    return tuple(boxes)


def _camera_rays(
    rotation: torch.Tensor, translation: torch.Tensor, K: torch.Tensor, height: int, width: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Origin (3,) and world directions (H*W, 3), float32, of the rays through pixel centres.

    A direction is R^T (x, y, 1) with (x, y, 1) the camera-frame ray, so the ray parameter
    of a hit is its z-depth.
    """
    uv = pixel_centers(height, width, dtype=torch.float64)
    camera_dirs = torch.stack(
        [
            (uv[:, 0] - K[0, 2]) / K[0, 0],
            (uv[:, 1] - K[1, 2]) / K[1, 1],
            torch.ones(len(uv), dtype=torch.float64),
        ],
        dim=1,
    )
    centre = -rotation.T @ translation
    return centre.float(), (camera_dirs @ rotation).float()


def _cast(
    scene: SyntheticScene,
    packs: dict[str, _PackedPrimitives],
    offsets: dict[str, int],
    origin: torch.Tensor,
    directions: torch.Tensor,
    extrinsics: torch.Tensor,
    K: torch.Tensor,
    height: int,
    width: int,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Nearest hit per ray: depth (H*W,), owner (H*W,) (-1 room, else offsets[kind] + index
    in that kind's pack) and the room face each ray leaves by (H*W,)."""
    room_min = torch.as_tensor(scene.room_min, dtype=torch.float32)
    room_max = torch.as_tensor(scene.room_max, dtype=torch.float32)
    depth, room_face = intersect_room(origin, directions, room_min, room_max)
    owner = torch.full_like(room_face, -1)
    depth_grid, owner_grid = depth.view(height, width), owner.view(height, width)
    rotation, translation, k = extrinsics[:, :3].numpy(), extrinsics[:, 3].numpy(), K.numpy()
    for object_index, obj in enumerate(scene.objects):
        rectangle = _object_pixels(obj, rotation, translation, k, height, width)
        if rectangle is None:
            continue
        rays = directions.view(height, width, 3)[rectangle].reshape(-1, 3)
        for kind, packed in packs.items():
            start, stop = packed.object_ranges[object_index]
            if start == stop:
                continue
            t, index = _nearest_hit(packed, start, stop, origin, rays, kind)
            current_depth, current_owner = depth_grid[rectangle], owner_grid[rectangle]
            closer = t.view_as(current_depth) < current_depth
            depth_grid[rectangle] = torch.where(closer, t.view_as(current_depth), current_depth)
            owner_grid[rectangle] = torch.where(
                closer, index.view_as(current_owner) + offsets[kind], current_owner
            )
    return depth, owner, room_face


def _surfaces(
    scene: SyntheticScene,
    packs: dict[str, _PackedPrimitives],
    offsets: dict[str, int],
    points: torch.Tensor,
    owner: torch.Tensor,
    room_face: torch.Tensor,
) -> tuple[torch.Tensor, ...]:
    """Attributes of the visible surface points (N, 3), grouped by kind and concatenated:
    pixel index, material, s, t (N,), world normal (N, 3) and instance id (N,)."""
    room_pixels = (owner < 0).nonzero()[:, 0]
    room_face_hit = room_face[room_pixels]
    room_min = torch.as_tensor(scene.room_min, dtype=torch.float32)
    parts = [
        (
            room_pixels,
            torch.tensor(scene.room_materials)[room_face_hit],
            *room_surface(points[room_pixels], room_face_hit, room_min),
            torch.zeros_like(room_pixels),
        )
    ]
    for kind, packed in packs.items():
        local_index = owner - offsets[kind]
        pixels = ((local_index >= 0) & (local_index < len(packed.instance_ids))).nonzero()[:, 0]
        if len(pixels) == 0:
            continue
        hit_owner = local_index[pixels]
        parts.append(
            (
                pixels,
                *_surface_of_hits(packed, hit_owner, points[pixels], kind),
                packed.instance_ids[hit_owner],
            )
        )
    return tuple(torch.cat(column) for column in zip(*parts))


def _shade(
    scene: SyntheticScene,
    material: torch.Tensor,
    s: torch.Tensor,
    t: torch.Tensor,
    points: torch.Tensor,
    normal: torch.Tensor,
) -> torch.Tensor:
    """RGB (N, 3) in [0, 1]: texture albedo times Lambert shading with an ambient term."""
    albedo = torch.empty_like(normal)
    order = torch.sort(material.to(torch.int32), stable=True).indices  # int32 sorts faster
    used, counts = torch.unique_consecutive(material[order], return_counts=True)
    for material_index, group in zip(used.tolist(), torch.split(order, counts.tolist())):
        albedo[group] = texture_albedo(scene.materials[material_index], s[group], t[group])
    to_light = torch.as_tensor(scene.light_position, dtype=torch.float32) - points
    lambert = torch.clamp((normal * to_light).sum(-1) / to_light.norm(dim=-1), min=0.0)
    shading = scene.ambient + (1.0 - scene.ambient) * lambert
    return torch.clamp(albedo * shading[:, None], 0.0, 1.0)


def render_view(
    scene: SyntheticScene,
    world_to_camera,
    K,
    height: int,
    width: int,
    min_visible_pixels: int = MIN_VISIBLE_PIXELS,
) -> SyntheticView:
    """Ray-cast one view of `scene` exactly.

    Args:
        scene: from generate_scene.
        world_to_camera: (3, 4) or (4, 4) [R | t], P_cam = R P_world + t (tensor or array).
        K: (3, 3) pixel intrinsics of the (height, width) image.
        min_visible_pixels: objects with fewer visible pixels get no box.
    Returns:
        SyntheticView with rgb, depth, instance_ids, K, world_to_camera and boxes.
    """
    extrinsics = torch.as_tensor(world_to_camera, dtype=torch.float64)[:3, :4]
    K = torch.as_tensor(K, dtype=torch.float64)
    if extrinsics.shape != (3, 4) or K.shape != (3, 3):
        raise ValueError(
            "expected world_to_camera (3, 4) and K (3, 3), got "
            f"{tuple(extrinsics.shape)} and {tuple(K.shape)}"
        )
    origin, directions = _camera_rays(extrinsics[:, :3], extrinsics[:, 3], K, height, width)
    centre = origin.double().numpy()
    if np.any(centre <= scene.room_min) or np.any(centre >= scene.room_max):
        raise ValueError(
            f"camera centre {centre.tolist()} is outside the room "
            f"{scene.room_min.tolist()} .. {scene.room_max.tolist()}"
        )

    packs = {kind: _pack(scene, kind) for kind in ("boxes", "cylinders")}
    offsets = {"boxes": 0, "cylinders": len(packs["boxes"].instance_ids)}
    depth, owner, room_face = _cast(
        scene, packs, offsets, origin, directions, extrinsics, K, height, width
    )
    points = origin + depth[:, None] * directions
    pixel, material, s, t, normal, instance = _surfaces(
        scene, packs, offsets, points, owner, room_face
    )

    rgb = torch.empty(height * width, 3)
    rgb[pixel] = _shade(scene, material, s, t, points[pixel], normal)
    instance_ids = torch.empty(height * width, dtype=torch.long)
    instance_ids[pixel] = instance
    instance_ids = instance_ids.reshape(height, width)
    return SyntheticView(
        rgb=rgb.reshape(height, width, 3),
        depth=depth.reshape(height, width),
        instance_ids=instance_ids,
        K=K.clone(),
        world_to_camera=extrinsics.clone(),
        boxes=_boxes_from_instances(instance_ids, scene, min_visible_pixels),
    )


def target_world_to_camera(source_world_to_camera, rotvec, T) -> torch.Tensor:
    """World-to-target (3, 4) float64 for the eq. 2 pose (rotvec, T) relative to a source camera.

    With P_src = Rs P_w + ts and P_tgt = R (P_src - T): world_to_tgt = [R Rs | R (ts - T)].
    """
    source = torch.as_tensor(source_world_to_camera, dtype=torch.float64)[:3, :4]
    rotation = rotvec_to_matrix(torch.as_tensor(rotvec, dtype=torch.float64))
    T = torch.as_tensor(T, dtype=torch.float64)
    return torch.cat([rotation @ source[:, :3], (rotation @ (source[:, 3] - T))[:, None]], dim=1)


def render_target_view(
    scene: SyntheticScene,
    source_world_to_camera,
    K,
    rotvec,
    T,
    height: int,
    width: int,
    min_visible_pixels: int = MIN_VISIBLE_PIXELS,
) -> SyntheticView:
    """Ground-truth oracle: the true target view for the eq. 2 pose (rotvec (3,), T (3,))
    relative to the source camera, with the same intrinsics K (3, 3) and size."""
    world_to_target = target_world_to_camera(source_world_to_camera, rotvec, T)
    return render_view(scene, world_to_target, K, height, width, min_visible_pixels)
