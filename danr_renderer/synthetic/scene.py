"""Seeded generation of synthetic indoor scenes: a room and objects of CLASS_NAMES.

World frame (metres): x and z horizontal, y points DOWN (gravity), so a camera looking
horizontally has a world-to-camera rotation about y only. The room is the box
[0, width] x [-height, 0] x [0, depth]: the floor is the plane y = 0, the ceiling y = -height.

Objects are built from two primitive kinds, each in its own local frame:
* `Box`: an oriented cuboid (slab intersection);
* `Cylinder`: a capped cylinder around its local y axis (side + two discs).
An object's own frame follows the camera convention as seen by someone facing its front:
x right, y down, z away from the viewer (into the wall it stands against); its front faces
-z. Box faces are ordered (-x, +x, -y, +y, -z, +z); so are the room's faces.

Floor objects stand in a band along the walls and wall objects hang on the walls; the middle
of the room (`camera_region`) stays free for the camera.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from . import materials as mats
from .textures import Material

__all__ = [
    "CLASS_NAMES",
    "Box",
    "Cylinder",
    "SceneObject",
    "SyntheticScene",
    "generate_scene",
    "CAMERA_WALL_MARGIN",
]

CLASS_NAMES = ("cabinet", "table", "monitor", "picture", "sign", "clock", "bin")

# The camera keeps this distance (metres) from every wall; floor objects stay outside it.
CAMERA_WALL_MARGIN = 1.3
_CAMERA_CLEARANCE = 0.3  # extra gap between the camera region and any floor object
_FLOOR_GAP = 0.04  # gap between a floor object's back and its wall


@dataclass(frozen=True, eq=False)
class Box:
    """Oriented cuboid. centre (3,) world, half_size (3,) local, rotation (3, 3) whose columns
    are the local axes in world coordinates, face_materials: 6 indices into scene.materials."""

    centre: np.ndarray
    half_size: np.ndarray
    rotation: np.ndarray
    face_materials: tuple[int, int, int, int, int, int]


@dataclass(frozen=True, eq=False)
class Cylinder:
    """Capped cylinder around its local y axis: centre (3,) world (mid-axis), rotation (3, 3)
    local-to-world columns, radius, half_height, side material and (-y cap, +y cap) materials."""

    centre: np.ndarray
    rotation: np.ndarray
    radius: float
    half_height: float
    side_material: int
    cap_materials: tuple[int, int]


@dataclass(frozen=True, eq=False)
class SceneObject:
    """One labelled object: instance id (1..), class name, its primitives and world AABB (2, 3)."""

    instance_id: int
    class_name: str
    boxes: tuple[Box, ...]
    cylinders: tuple[Cylinder, ...]
    bounds: np.ndarray


@dataclass(frozen=True, eq=False)
class SyntheticScene:
    """A room with objects, materials and lighting.

    Attributes:
        seed: the entropy the scene was generated from (int or tuple of ints).
        room_min, room_max: (3,) corners of the room box (see the module docstring).
        room_materials: 6 material indices for the faces (-x, +x, -y = ceiling, +y = floor, -z, +z).
        materials: all materials; primitives refer to them by index.
        objects: the objects, instance ids 1..len(objects) in order.
        light_position: (3,) point light for Lambert shading.
        ambient: ambient fraction of the shading, in (0, 1).
        camera_region: (2, 2) [[x_min, z_min], [x_max, z_max]] where cameras may stand.
        eye_height_range: (min, max) camera height above the floor, metres.
    """

    seed: int | tuple[int, ...]
    room_min: np.ndarray
    room_max: np.ndarray
    room_materials: tuple[int, int, int, int, int, int]
    materials: tuple[Material, ...]
    objects: tuple[SceneObject, ...]
    light_position: np.ndarray
    ambient: float
    camera_region: np.ndarray
    eye_height_range: tuple[float, float] = (1.2, 1.7)


def _yaw_matrix(yaw: float) -> np.ndarray:
    """Rotation about world y taking local z to (sin yaw, 0, cos yaw)."""
    c, s = np.cos(yaw), np.sin(yaw)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


# Cylinder-local axes (x, y, z) expressed in an object frame when the cylinder axis is the
# object's z (a disc facing the viewer): x -> x, y -> z, z -> x cross z = -y.
_AXIS_ALONG_Z = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])

_UNIT_CORNERS = np.array(
    [[x, y, z] for x in (-1, 1) for y in (-1, 1) for z in (-1, 1)], dtype=np.float64
)


class _ObjectBuilder:
    """Collects an object's primitives given in its own frame (anchor + yaw)."""

    def __init__(self, anchor: np.ndarray, yaw: float, add_material: Callable[[Material], int]):
        self.anchor = np.asarray(anchor, dtype=np.float64)
        self.rotation = _yaw_matrix(yaw)
        self.add_material = add_material
        self.boxes: list[Box] = []
        self.cylinders: list[Cylinder] = []

    def box(self, centre, size, material: Material, front: Material | None = None) -> None:
        """A cuboid of full `size` (3,) at local `centre`; `front` textures its -z face."""
        body = self.add_material(material)
        face = self.add_material(front) if front is not None else body
        self.boxes.append(
            Box(
                centre=self.anchor + self.rotation @ np.asarray(centre, dtype=np.float64),
                half_size=np.asarray(size, dtype=np.float64) / 2.0,
                rotation=self.rotation.copy(),
                face_materials=(body, body, body, body, face, body),
            )
        )

    def cylinder(
        self,
        centre,
        radius: float,
        height: float,
        side: Material,
        caps: tuple[Material, Material],
        axis_along_z: bool = False,
    ) -> None:
        """A cylinder about local y (vertical) or, with axis_along_z, local z (a wall disc)."""
        rotation = self.rotation @ _AXIS_ALONG_Z if axis_along_z else self.rotation.copy()
        self.cylinders.append(
            Cylinder(
                centre=self.anchor + self.rotation @ np.asarray(centre, dtype=np.float64),
                rotation=rotation,
                radius=float(radius),
                half_height=float(height) / 2.0,
                side_material=self.add_material(side),
                cap_materials=(self.add_material(caps[0]), self.add_material(caps[1])),
            )
        )

    def build(self, instance_id: int, class_name: str) -> SceneObject:
        corners = [
            box.centre + (_UNIT_CORNERS * box.half_size) @ box.rotation.T for box in self.boxes
        ]
        corners += [
            cyl.centre
            + (_UNIT_CORNERS * [cyl.radius, cyl.half_height, cyl.radius]) @ cyl.rotation.T
            for cyl in self.cylinders
        ]
        points = np.concatenate(corners)
        return SceneObject(
            instance_id=instance_id,
            class_name=class_name,
            boxes=tuple(self.boxes),
            cylinders=tuple(self.cylinders),
            bounds=np.stack([points.min(0), points.max(0)]),
        )


@dataclass
class _Table:
    """A placed table whose top can carry a monitor."""

    anchor: np.ndarray
    yaw: float
    width: float
    depth: float
    top_height: float
    has_monitor: bool = False


class _Layout:
    """Free space bookkeeping: floor footprints (AABBs) and occupied wall rectangles."""

    # Walls: (outward normal, index of the coordinate that runs along the wall).
    _WALLS = (
        (np.array([-1.0, 0, 0]), 2),
        (np.array([1.0, 0, 0]), 2),
        (np.array([0, 0, -1.0]), 0),
        (np.array([0, 0, 1.0]), 0),
    )

    def __init__(self, width: float, depth: float, height: float):
        self.size = np.array([width, height, depth])
        self.floor_boxes: list[np.ndarray] = []  # (2, 2) [[x0, z0], [x1, z1]]
        self.wall_rects: list[tuple[int, float, float, float, float]] = []  # wall, u0, u1, y0, y1
        self.tables: list[_Table] = []
        margin = CAMERA_WALL_MARGIN
        self.camera_region = np.array([[margin, margin], [width - margin, depth - margin]])

    def _wall_frame(self, wall: int) -> tuple[np.ndarray, int, float, float]:
        """Outward normal, along-wall axis, wall length and the wall plane's offset."""
        normal, along = self._WALLS[wall]
        length = self.size[along]
        normal_axis = 0 if along == 2 else 2
        offset = self.size[normal_axis] if normal[normal_axis] > 0 else 0.0
        return normal, along, length, offset

    def _wall_point(self, wall: int, along_value: float, inset: float, y: float) -> np.ndarray:
        normal, along, _, offset = self._wall_frame(wall)
        point = np.zeros(3)
        normal_axis = 0 if along == 2 else 2
        point[normal_axis] = offset - normal[normal_axis] * inset
        point[along] = along_value
        point[1] = y
        return point

    def place_on_floor(
        self,
        rng: np.random.Generator,
        width: float,
        depth: float,
        yaw_jitter: float = 0.1,
        tries: int = 30,
    ) -> tuple[np.ndarray, float] | None:
        """Anchor (footprint centre on the floor) and yaw for a width x depth footprint against
        a wall, facing the room; None when no free spot was found."""
        free = self.camera_region + np.array([[-_CAMERA_CLEARANCE] * 2, [_CAMERA_CLEARANCE] * 2])
        for _ in range(tries):
            wall = int(rng.integers(4))
            normal, along, length, _ = self._wall_frame(wall)
            jitter = rng.uniform(-yaw_jitter, yaw_jitter)
            yaw = float(np.arctan2(normal[0], normal[2]) + jitter)
            inset = (
                _FLOOR_GAP + depth / 2.0 + abs(np.sin(jitter)) * width / 2.0 + rng.uniform(0.0, 0.1)
            )
            anchor = self._wall_point(wall, rng.uniform(0.0, length), inset, 0.0)
            half = np.abs(_yaw_matrix(yaw)[[0, 2]][:, [0, 2]]) @ np.array([width, depth]) / 2.0
            footprint = np.stack([anchor[[0, 2]] - half, anchor[[0, 2]] + half])
            inside_room = np.all(footprint[0] > 0.02) and np.all(
                footprint[1] < self.size[[0, 2]] - 0.02
            )
            if not inside_room or _overlap(footprint, free, 0.0):
                continue
            if any(_overlap(footprint, other, 0.1) for other in self.floor_boxes):
                continue
            self.floor_boxes.append(footprint)
            return anchor, yaw
        return None

    def place_on_wall(
        self,
        rng: np.random.Generator,
        width: float,
        height: float,
        centre_height: tuple[float, float],
        tries: int = 30,
    ) -> tuple[np.ndarray, float] | None:
        """Anchor (the centre of the object's back on the wall) and yaw for a width x height
        wall object whose centre is centre_height metres above the floor; None when full."""
        for _ in range(tries):
            wall = int(rng.integers(4))
            normal, _, length, _ = self._wall_frame(wall)
            if length < width + 0.8:
                continue
            u = rng.uniform(0.4 + width / 2.0, length - 0.4 - width / 2.0)
            top = min(rng.uniform(*centre_height) + height / 2.0, self.size[1] - 0.1)
            rect = (wall, u - width / 2.0, u + width / 2.0, top - height, top)
            if any(
                o[0] == wall
                and o[1] < rect[2] + 0.1
                and rect[1] < o[2] + 0.1
                and o[3] < rect[4] + 0.1
                and rect[3] < o[4] + 0.1
                for o in self.wall_rects
            ):
                continue
            self.wall_rects.append(rect)
            anchor = self._wall_point(wall, u, 0.0, -(top - height / 2.0))
            return anchor, float(np.arctan2(normal[0], normal[2]))
        return None


def _overlap(a: np.ndarray, b: np.ndarray, margin: float) -> bool:
    """Whether two (2, 2) [[min], [max]] rectangles overlap once grown by margin."""
    return bool(np.all(a[0] < b[1] + margin) and np.all(b[0] < a[1] + margin))


# ---------------------------------------------------------------------------------------------
# Shape families, one per class. Each returns a builder or None when the layout has no room.

AddMaterial = Callable[[Material], int]


def _cabinet(rng, layout: _Layout, add: AddMaterial) -> _ObjectBuilder | None:
    width, height, depth = rng.uniform(0.45, 1.0), rng.uniform(0.8, 2.0), rng.uniform(0.35, 0.6)
    placed = layout.place_on_floor(rng, width, depth)
    if placed is None:
        return None
    builder = _ObjectBuilder(*placed, add)
    body = mats.wood_or_paint_material(rng)
    builder.box(
        [0, -height / 2, 0],
        [width, height, depth],
        body,
        front=mats.panel_material(rng, body, width, height),
    )
    handle_x = rng.choice([-1, 1]) * (width / 2 - 0.06) if rng.random() < 0.7 else 0.0
    handle_y = -height * rng.uniform(0.4, 0.7)
    builder.box(
        [handle_x, handle_y, -depth / 2 - 0.015],
        [0.025, rng.uniform(0.1, 0.25), 0.03],
        mats.metal_material(rng),
    )
    return builder


def _table(rng, layout: _Layout, add: AddMaterial) -> _ObjectBuilder | None:
    width, depth, height = rng.uniform(0.8, 1.6), rng.uniform(0.55, 0.8), rng.uniform(0.68, 0.78)
    placed = layout.place_on_floor(rng, width, depth)
    if placed is None:
        return None
    builder = _ObjectBuilder(*placed, add)
    top, thickness, leg = (
        mats.wood_or_paint_material(rng),
        rng.uniform(0.025, 0.05),
        rng.uniform(0.035, 0.06),
    )
    builder.box([0, -height + thickness / 2, 0], [width, thickness, depth], top)
    legs = mats.metal_material(rng) if rng.random() < 0.6 else top
    inset = rng.uniform(0.02, 0.08) + leg / 2
    for sx in (-1, 1):
        for sz in (-1, 1):
            builder.box(
                [sx * (width / 2 - inset), -(height - thickness) / 2, sz * (depth / 2 - inset)],
                [leg, height - thickness, leg],
                legs,
            )
    layout.tables.append(_Table(builder.anchor, float(placed[1]), width, depth, height))
    return builder


def _monitor(rng, layout: _Layout, add: AddMaterial) -> _ObjectBuilder | None:
    """A screen in a bezel on a stand: on a free table when there is one, else on a pedestal."""
    width = rng.uniform(0.4, 0.75)
    height = width * rng.uniform(0.55, 0.68)
    border, thickness = rng.uniform(0.012, 0.035), rng.uniform(0.025, 0.05)
    tables = [table for table in layout.tables if not table.has_monitor]
    if tables:
        table = tables[int(rng.integers(len(tables)))]
        table.has_monitor = True
        yaw = table.yaw + rng.normal(0.0, 0.1)
        offset = np.array(
            [
                rng.uniform(-0.25, 0.25) * (table.width - width),
                -table.top_height,
                table.depth * 0.15,
            ]
        )
        anchor = table.anchor + _yaw_matrix(table.yaw) @ offset
        neck_height = rng.uniform(0.08, 0.18)
        base = [rng.uniform(0.18, 0.28), 0.015, rng.uniform(0.14, 0.2)]
    else:
        placed = layout.place_on_floor(rng, 0.45, 0.4)
        if placed is None:
            return None
        anchor, yaw = placed
        neck_height = rng.uniform(0.8, 1.1)
        base = [0.45, 0.03, 0.4]
    builder = _ObjectBuilder(anchor, yaw, add)
    stand, bezel = mats.metal_material(rng), mats.dark_material(rng)
    builder.box([0, -base[1] / 2, 0], base, stand)
    builder.box([0, -(base[1] + neck_height) / 2, 0.02], [0.05, neck_height, 0.025], stand)
    screen_bottom = base[1] + neck_height * 0.8
    centre_y = -(screen_bottom + height / 2)
    builder.box([0, centre_y, -0.0125], [width, height, thickness], bezel)
    inner = [width - 2 * border, height - 2 * border, 0.004]
    builder.box(
        [0, centre_y, -0.0125 - thickness / 2 - 0.002],
        inner,
        bezel,
        front=mats.screen_material(rng, inner[0], inner[1]),
    )
    return builder


def _picture(rng, layout: _Layout, add: AddMaterial) -> _ObjectBuilder | None:
    width, height = rng.uniform(0.35, 1.2), rng.uniform(0.3, 0.9)
    placed = layout.place_on_wall(rng, width, height, centre_height=(1.3, 1.8))
    if placed is None:
        return None
    builder = _ObjectBuilder(*placed, add)
    border, depth = rng.uniform(0.025, 0.07), rng.uniform(0.02, 0.04)
    builder.box([0, 0, -depth / 2], [width, height, depth], mats.frame_material(rng))
    canvas = [width - 2 * border, height - 2 * border, 0.004]
    builder.box(
        [0, 0, -depth - 0.002],
        canvas,
        mats.dark_material(rng),
        front=mats.canvas_material(rng, canvas[0], canvas[1]),
    )
    return builder


def _sign(rng, layout: _Layout, add: AddMaterial) -> _ObjectBuilder | None:
    width = rng.uniform(0.25, 0.55)
    height = width * rng.uniform(0.3, 0.55)
    placed = layout.place_on_wall(rng, width, height, centre_height=(1.9, 2.4))
    if placed is None:
        return None
    builder = _ObjectBuilder(*placed, add)
    depth = rng.uniform(0.01, 0.03)
    plate = mats.sign_material(rng, width, height)
    builder.box([0, 0, -depth / 2], [width, height, depth], mats.metal_material(rng), front=plate)
    return builder


def _clock(rng, layout: _Layout, add: AddMaterial) -> _ObjectBuilder | None:
    radius = rng.uniform(0.12, 0.22)
    placed = layout.place_on_wall(rng, 2 * radius, 2 * radius, centre_height=(1.8, 2.3))
    if placed is None:
        return None
    builder = _ObjectBuilder(*placed, add)
    depth = rng.uniform(0.03, 0.06)
    face = mats.clock_face_material(rng, radius)
    rim = mats.make_material(rng, "plain", [face.colors[2]], frequency=10.0, grain=0.1)
    builder.cylinder([0, 0, -depth / 2], radius, depth, rim, caps=(face, rim), axis_along_z=True)
    return builder


def _bin(rng, layout: _Layout, add: AddMaterial) -> _ObjectBuilder | None:
    radius, height = rng.uniform(0.13, 0.25), rng.uniform(0.3, 0.65)
    placed = layout.place_on_floor(rng, 2 * radius, 2 * radius, yaw_jitter=np.pi)
    if placed is None:
        return None
    builder = _ObjectBuilder(*placed, add)
    builder.cylinder(
        [0, -height / 2, 0],
        radius,
        height,
        mats.bin_side_material(rng),
        caps=(mats.dark_material(rng), mats.dark_material(rng)),
    )
    return builder


_SHAPE_FAMILIES = {
    "cabinet": _cabinet,
    "table": _table,
    "monitor": _monitor,
    "picture": _picture,
    "sign": _sign,
    "clock": _clock,
    "bin": _bin,
}
assert tuple(_SHAPE_FAMILIES) == CLASS_NAMES


def generate_scene(seed: int | Sequence[int], num_objects: int | None = None) -> SyntheticScene:
    """A random room with objects, fully determined by `seed`.

    Args:
        seed: an int or a sequence of ints, fed to numpy.random.SeedSequence.
        num_objects: how many objects to attempt (default: 8 to 15). Classes are drawn as
            successive random permutations of CLASS_NAMES, so a scene repeats a class only
            after using all of them; an object that finds no free spot is dropped.
    """
    entropy = int(seed) if np.isscalar(seed) else tuple(int(value) for value in seed)
    rng = np.random.default_rng(np.random.SeedSequence(entropy))
    width, depth, height = rng.uniform(4.0, 6.0), rng.uniform(4.0, 6.0), rng.uniform(2.5, 3.0)
    materials: list[Material] = []

    def add(material: Material) -> int:
        materials.append(material)
        return len(materials) - 1

    floor, ceiling = add(mats.floor_material(rng)), add(mats.ceiling_material(rng))
    wall = mats.wall_material(rng)
    walls = [add(wall) if rng.random() < 0.7 else add(mats.wall_material(rng)) for _ in range(4)]
    room_materials = (walls[0], walls[1], ceiling, floor, walls[2], walls[3])

    layout = _Layout(width, depth, height)
    if num_objects is None:
        num_objects = int(rng.integers(8, 16))
    order = np.concatenate(
        [rng.permutation(len(CLASS_NAMES)) for _ in range(num_objects // len(CLASS_NAMES) + 1)]
    )
    objects: list[SceneObject] = []
    for class_index in order[:num_objects]:
        name = CLASS_NAMES[int(class_index)]
        builder = _SHAPE_FAMILIES[name](rng, layout, add)
        if builder is not None:
            objects.append(builder.build(len(objects) + 1, name))

    light = np.array(
        [rng.uniform(0.25, 0.75) * width, -height + 0.2, rng.uniform(0.25, 0.75) * depth]
    )
    return SyntheticScene(
        seed=entropy,
        room_min=np.array([0.0, -height, 0.0]),
        room_max=np.array([width, 0.0, depth]),
        room_materials=room_materials,
        materials=tuple(materials),
        objects=tuple(objects),
        light_position=light,
        ambient=float(rng.uniform(0.3, 0.5)),
        camera_region=layout.camera_region,
    )
