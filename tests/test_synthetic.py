"""Synthetic posed scenes: ray casting, ground truth, determinism and the data-set tool."""

import math

import cv2
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from pycocotools.coco import COCO
from scipy.spatial.transform import Rotation

from danr_renderer.data.realestate10k_cameras import frame_pair_pose, read_camera_file
from danr_renderer.geometry import (
    default_intrinsics,
    project,
    relative_pose,
    rotvec_to_matrix,
    transform_points,
    unproject,
)
from danr_renderer.synthetic import (
    CLASS_NAMES,
    MIN_VISIBLE_PIXELS,
    camera_pose,
    camera_trajectory,
    generate_scene,
    render_target_view,
    render_view,
    scene_seed,
    target_world_to_camera,
    trajectory_seed,
)
from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset
from danr_renderer.synthetic.raycast import (
    box_surface,
    cylinder_surface,
    intersect_boxes,
    intersect_cylinders,
)
from danr_renderer.synthetic.scene import Box, Cylinder, SceneObject, SyntheticScene
from danr_renderer.synthetic.textures import make_material

INF = math.inf


# ---------------------------------------------------------------------------------------------
# Ray-primitive intersections against hand-computed answers.


def test_box_slab_hits_misses_and_inside_starts():
    origins = torch.tensor([[-3.0, 0.0, 0.0], [0.0, 0.0, -5.0], [-3.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    directions = torch.tensor(
        [[[1.0, 0.0, 0.0]], [[0.0, 0.0, 2.0]], [[1.0, 0.0, 0.0]], [[1.0, 0.0, 0.0]]]
    )
    half = torch.tensor([[1.0, 1.0, 1.0]] * 4)
    t = intersect_boxes(origins, directions, half)[:, 0]
    # enters x = -1 after 2; z = -1 after (5 - 1) / 2; passes above; starts inside (no hit).
    assert t.tolist() == [2.0, 2.0, INF, INF]


def test_cylinder_side_cap_and_misses():
    origins = torch.tensor(
        [[-3.0, 0.0, 0.0], [0.5, 2.5, 0.0], [1.1, 2.5, 0.0], [-2.0, 2.5, 0.0], [-3.0, 0.4, 0.0]]
    )
    directions = torch.tensor(
        [
            [[1.0, 0.0, 0.0]],
            [[0.0, -1.0, 0.0]],
            [[0.0, -1.0, 0.0]],
            [[1.0, -1.0, 0.0]],
            [[1.0, 0.1, 0.0]],
        ]
    )
    radii = torch.ones(5)
    half_heights = torch.full((5,), 0.5)
    t = intersect_cylinders(origins, directions, radii, half_heights)[:, 0]
    # side at x = -1; cap y = 0.5 inside the disc; beside the disc; oblique onto the cap
    # centre (x = 0 when y = 0.5); reaches the tube at y = 0.6, above the top cap.
    torch.testing.assert_close(t, torch.tensor([2.0, 2.0, INF, 2.0, INF]))


def test_surface_coordinates_and_normals():
    face, s, t, normal = box_surface(
        torch.tensor([[1.0, 0.2, -0.3]]), torch.tensor([[1.0, 1.0, 2.0]])
    )
    assert face.tolist() == [1]  # +x
    torch.testing.assert_close(
        torch.stack([s, t], -1), torch.tensor([[1.7, 1.2]])
    )  # (z + 2, y + 1)
    torch.testing.assert_close(normal, torch.tensor([[1.0, 0.0, 0.0]]))
    part, s, t, normal = cylinder_surface(
        torch.tensor([[0.0, 0.1, 2.0], [0.3, -0.5, 0.2]]),
        torch.tensor([2.0, 1.0]),
        torch.tensor([0.5, 0.5]),
    )
    assert part.tolist() == [0, 1]  # side, then the -y cap
    torch.testing.assert_close(s, torch.tensor([math.pi, 0.3]))  # arc length r * pi / 2; cap x
    torch.testing.assert_close(t, torch.tensor([0.6, 0.2]))
    torch.testing.assert_close(normal, torch.tensor([[0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]))


# ---------------------------------------------------------------------------------------------
# Rendered geometry against analytic expectations.


def _plane_depths(centre, room_min, room_max, K, size):
    """z-depth of an axis-aligned camera (R = I) at `centre` inside the room, per pixel."""
    k = K.numpy()
    grid = np.arange(size) + 0.5
    a = (grid[None, :] - k[0, 2]) / k[0, 0]  # x / z per column
    b = (grid[:, None] - k[1, 2]) / k[1, 1]  # y / z per row
    a, b = np.broadcast_to(a, (size, size)), np.broadcast_to(b, (size, size))
    with np.errstate(divide="ignore"):
        far = np.full((size, size), room_max[2] - centre[2])
        sides = np.where(a > 0, (room_max[0] - centre[0]) / a, (room_min[0] - centre[0]) / a)
        floor_ceiling = np.where(
            b > 0, (room_max[1] - centre[1]) / b, (room_min[1] - centre[1]) / b
        )
    return np.minimum(far, np.minimum(sides, floor_ceiling))


def test_empty_room_depth_is_the_nearest_plane():
    scene = generate_scene(3, num_objects=0)
    centre = (scene.room_min + scene.room_max) / 2.0
    centre[1] = -1.4
    K = default_intrinsics(40, 40, dtype=torch.float64)
    view = render_view(scene, camera_pose(centre, 0.0, 0.0, 0.0), K, 40, 40)
    expected = _plane_depths(centre, scene.room_min, scene.room_max, K, 40)
    np.testing.assert_allclose(view.depth.numpy(), expected, rtol=1e-5)
    assert int(view.instance_ids.max()) == 0 and view.boxes == ()


def test_unprojected_depth_lies_on_the_room_walls_for_a_tilted_camera():
    scene = generate_scene(4, num_objects=0)
    centre = (scene.room_min + scene.room_max) / 2.0
    pose = camera_pose(centre, yaw=0.7, pitch=0.2, roll=-0.1)
    K = default_intrinsics(32, 48, dtype=torch.float64)
    view = render_view(scene, pose, K, 32, 48)
    camera_points = unproject(view.depth[None, None].double(), K[None])[0]
    world = (camera_points - pose[:, 3]) @ pose[:, :3]  # R^T (P - t)
    low, high = torch.from_numpy(scene.room_min), torch.from_numpy(scene.room_max)
    distance_to_walls = torch.minimum((world - low).abs(), (world - high).abs()).amin(-1)
    assert float(distance_to_walls.max()) < 1e-4
    assert bool(((world > low - 1e-4) & (world < high + 1e-4)).all())


def _custom_scene(objects, room_half=4.0, room=None):
    rng = np.random.default_rng(0)
    room = room or make_material(rng, "plain", [[0.5, 0.5, 0.5]], frequency=1.0, grain=0.0)
    red = make_material(rng, "plain", [[0.9, 0.1, 0.1]], frequency=1.0, grain=0.0)
    built = []
    for instance_id, (class_name, boxes, cylinders) in enumerate(objects, start=1):
        corners = [b.centre + s * b.half_size for b in boxes for s in (-1, 1)]
        corners += [c.centre + s * max(c.radius, c.half_height) for c in cylinders for s in (-1, 1)]
        bounds = np.stack([np.min(corners, 0), np.max(corners, 0)])
        built.append(SceneObject(instance_id, class_name, tuple(boxes), tuple(cylinders), bounds))
    return SyntheticScene(
        seed=0,
        room_min=np.array([-room_half, -room_half, -room_half]),
        room_max=np.array([room_half, room_half, room_half]),
        room_materials=(0,) * 6,
        materials=(room, red),
        objects=tuple(built),
        light_position=np.zeros(3),
        ambient=0.5,
        camera_region=np.array([[-1.0, -1.0], [1.0, 1.0]]),
    )


def test_fronto_parallel_box_covers_exactly_the_pixel_centres_of_its_front_face():
    half = np.array([0.4, 0.3, 0.2])
    box = Box(np.array([0.0, 0.0, 3.0]), half, np.eye(3), (1,) * 6)
    scene = _custom_scene([("cabinet", [box], [])])
    size = 64
    K = default_intrinsics(size, size, dtype=torch.float64)
    view = render_view(scene, camera_pose(np.zeros(3), 0.0, 0.0, 0.0), K, size, size)
    # Camera on the box axis: only the front face z = 2.8 is visible. Pixel centre (j + 0.5)
    # is inside when |j + 0.5 - c| <= f * half / 2.8.
    f, c = float(K[0, 0]), float(K[0, 2])
    centres = np.arange(size) + 0.5
    cols = np.abs(centres - c) <= f * half[0] / 2.8
    rows = np.abs(centres - c) <= f * half[1] / 2.8
    expected_mask = rows[:, None] & cols[None, :]
    np.testing.assert_array_equal(view.instance_ids.numpy() == 1, expected_mask)
    np.testing.assert_allclose(view.depth.numpy()[expected_mask], 2.8, rtol=1e-6)
    j, i = np.nonzero(cols)[0], np.nonzero(rows)[0]
    (box2d,) = view.boxes
    assert box2d.class_name == "cabinet"
    assert box2d.xyxy == (j.min(), i.min(), j.max() + 1, i.max() + 1)


def test_disc_facing_the_camera_projects_to_a_circle():
    # A cylinder whose axis is the optical axis: its near cap is a disc of radius 0.5 at z = 2.
    axis_to_z = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    disc = Cylinder(np.array([0.0, 0.0, 2.05]), axis_to_z, 0.5, 0.05, 1, (1, 1))
    scene = _custom_scene([("clock", [], [disc])])
    size = 48
    K = default_intrinsics(size, size, dtype=torch.float64)
    view = render_view(scene, camera_pose(np.zeros(3), 0.0, 0.0, 0.0), K, size, size)
    f, c = float(K[0, 0]), float(K[0, 2])
    centres = np.arange(size) + 0.5
    radius_px = np.hypot(centres[None, :] - c, centres[:, None] - c)
    boundary = f * 0.5 / 2.0
    away = np.abs(radius_px - boundary) > 1e-3
    mask = view.instance_ids.numpy() == 1
    np.testing.assert_array_equal(mask[away], (radius_px <= boundary)[away])
    np.testing.assert_allclose(view.depth.numpy()[mask], 2.0, rtol=1e-6)


def test_camera_shift_of_whole_pixels_moves_the_wall_image_exactly():
    # Sideways by dx = 3 Z / f moves every point of the fronto-parallel wall Z = 4 by exactly
    # 3 pixels; with a fine, view-independent texture the colours must move with them.
    rng = np.random.default_rng(1)
    noise = make_material(
        rng, "noise", [[0.1, 0.2, 0.9], [0.9, 0.8, 0.1]], frequency=12.0, contrast=2.0
    )
    scene = _custom_scene([], room=noise)
    size, shift = 64, 3
    K = default_intrinsics(size, size, dtype=torch.float64)
    dx = shift * 4.0 / float(K[0, 0])
    first = render_view(scene, camera_pose(np.zeros(3), 0.0, 0.0, 0.0), K, size, size)
    second = render_view(scene, camera_pose(np.array([dx, 0.0, 0.0]), 0.0, 0.0, 0.0), K, size, size)
    on_wall = (first.depth[:, shift:] == 4.0) & (second.depth[:, :-shift] == 4.0)
    assert int(on_wall.sum()) > size * size // 4
    moved = (first.rgb[:, shift:] - second.rgb[:, :-shift]).abs().amax(-1)[on_wall]
    assert float(moved.max()) < 1e-4
    assert (
        float((first.rgb[:, shift:] - first.rgb[:, :-shift]).abs().amax(-1)[on_wall].mean()) > 0.02
    )


# ---------------------------------------------------------------------------------------------
# Generated scenes: determinism, boxes, multi-view consistency, the oracle.


@pytest.fixture(scope="module")
def scene():
    return generate_scene(11)


def test_same_seed_same_scene_and_views(scene):
    K = default_intrinsics(32, 32, dtype=torch.float64)
    poses = camera_trajectory(scene, 4, seed=2)
    again = generate_scene(11)
    torch.testing.assert_close(camera_trajectory(again, 4, seed=2), poses, rtol=0, atol=0)
    first, second = render_view(scene, poses[3], K, 32, 32), render_view(again, poses[3], K, 32, 32)
    for name in ("rgb", "depth", "instance_ids"):
        assert torch.equal(getattr(first, name), getattr(second, name))
    assert first.boxes == second.boxes
    other = render_view(generate_scene(12), poses[3], K, 32, 32)
    assert not torch.equal(first.rgb, other.rgb)


def test_scenes_hold_every_class_and_keep_the_camera_region_free():
    seen = set()
    for seed in range(4):
        generated = generate_scene(seed)
        region = generated.camera_region
        for obj in generated.objects:
            seen.add(obj.class_name)
            low, high = obj.bounds
            assert np.all(low > generated.room_min - 1e-9) and np.all(
                high < generated.room_max + 1e-9
            )
            apart = np.any(high[[0, 2]] < region[0]) or np.any(low[[0, 2]] > region[1])
            assert apart, f"seed {seed}: {obj.class_name} reaches into the camera region"
    assert seen == set(CLASS_NAMES)


def test_trajectory_is_smooth_horizontal_and_inside_the_region(scene):
    poses = camera_trajectory(scene, 40, seed=5)
    rotations, translations = poses[:, :, :3], poses[:, :, 3]
    centres = -(rotations.transpose(1, 2) @ translations[:, :, None])[:, :, 0]
    region = torch.from_numpy(scene.camera_region)
    assert bool(
        ((centres[:, [0, 2]] >= region[0] - 1e-9) & (centres[:, [0, 2]] <= region[1] + 1e-9)).all()
    )
    assert bool((centres[:, 1] < 0).all())  # above the floor (y points down)
    optical_axes = rotations[:, 2, :]  # third row of R = camera z in world coordinates
    assert float(optical_axes[:, 1].abs().max()) < math.sin(0.35)  # roughly horizontal
    steps = (centres[1:] - centres[:-1]).norm(dim=-1)
    assert float(steps.max()) < 0.1 and float(steps.sum()) > 0.05
    turn = torch.einsum("nij,nij->n", rotations[1:], rotations[:-1])  # trace(R_k R_{k-1}^T)
    assert float(torch.arccos(torch.clamp((turn - 1) / 2, -1, 1)).max()) < 0.05


def test_boxes_are_the_extent_of_the_instance_masks(scene):
    K = default_intrinsics(48, 64, dtype=torch.float64)
    checked = 0
    for pose in camera_trajectory(scene, 6, seed=1)[::2]:
        view = render_view(scene, pose, K, 48, 64)
        ids = view.instance_ids.numpy()
        boxes = {box.instance_id: box for box in view.boxes}
        for obj in scene.objects:
            rows, cols = np.nonzero(ids == obj.instance_id)
            if len(rows) < MIN_VISIBLE_PIXELS:
                assert obj.instance_id not in boxes
                continue
            box = boxes[obj.instance_id]
            assert box.class_name == obj.class_name and box.num_pixels == len(rows)
            assert box.xyxy == (cols.min(), rows.min(), cols.max() + 1, rows.max() + 1)
            checked += 1
    assert checked >= 3


def _warp_errors(source, target, R, T, size):
    """Colour error (N,) at source pixels visible in the target, and the visible fraction."""
    K = source.K[None]
    points = unproject(source.depth[None, None].double(), K)
    u, v, z = project(transform_points(points, R[None], T[None]), K)[0].unbind(-1)
    grid = torch.stack([2 * u / size - 1, 2 * v / size - 1], -1).float()[None, None]
    sampled_rgb = F.grid_sample(target.rgb.permute(2, 0, 1)[None], grid, align_corners=False)[
        0, :, 0
    ].T
    sampled_depth = F.grid_sample(target.depth[None, None], grid, align_corners=False)[0, 0, 0]
    z = z.float()
    inside = (u > 0.5) & (u < size - 0.5) & (v > 0.5) & (v < size - 0.5) & (z > 0)
    visible = inside & ((sampled_depth - z).abs() < 0.005 * z)
    errors = (sampled_rgb - source.rgb.reshape(-1, 3)).abs().amax(-1)[visible]
    return errors, float(visible.float().mean())


@pytest.mark.parametrize("target_kind", ["trajectory", "oracle"])
def test_views_agree_through_the_true_depth(scene, target_kind):
    size = 96
    K = default_intrinsics(size, size, dtype=torch.float64)
    poses = camera_trajectory(scene, 12, seed=3)
    source = render_view(scene, poses[0], K, size, size)
    if target_kind == "trajectory":
        target = render_view(scene, poses[11], K, size, size)
        R, T = relative_pose(poses[0], poses[11])
    else:
        rotvec, T = torch.tensor([0.1, 0.15, 0.0], dtype=torch.float64), torch.tensor(
            [0.0, 0.0, 0.3], dtype=torch.float64
        )
        target = render_target_view(scene, poses[0], K, rotvec, T, size, size)
        R = rotvec_to_matrix(rotvec)
    errors, visible_fraction = _warp_errors(source, target, R, T, size)
    # Bilinear resampling blurs texture edges, so a few pixels differ; most agree to 1e-3.
    assert visible_fraction > 0.5
    assert float(errors.median()) < 0.005
    assert float((errors < 0.1).float().mean()) > 0.9


def test_oracle_with_identity_pose_is_the_source_view(scene):
    K = default_intrinsics(40, 40, dtype=torch.float64)
    pose = camera_trajectory(scene, 1, seed=4)[0]
    source = render_view(scene, pose, K, 40, 40)
    same = render_target_view(scene, pose, K, torch.zeros(3), torch.zeros(3), 40, 40)
    for name in ("rgb", "depth", "instance_ids", "world_to_camera"):
        assert torch.equal(getattr(same, name), getattr(source, name))
    assert same.boxes == source.boxes


def test_target_extrinsics_follow_equation_2():
    rng = np.random.default_rng(0)
    source = torch.cat(
        [
            rotvec_to_matrix(torch.tensor([0.3, -0.2, 0.5], dtype=torch.float64)),
            torch.tensor([[0.4], [-1.0], [2.0]], dtype=torch.float64),
        ],
        1,
    )
    rotvec, T = torch.tensor([0.1, -0.15, 0.05], dtype=torch.float64), torch.tensor(
        [0.2, 0.1, 0.3], dtype=torch.float64
    )
    world = torch.from_numpy(rng.normal(size=(10, 3)))
    in_source = world @ source[:, :3].T + source[:, 3]
    expected = transform_points(in_source[None], rotvec_to_matrix(rotvec)[None], T[None])[0]
    target = target_world_to_camera(source, rotvec, T)
    torch.testing.assert_close(world @ target[:, :3].T + target[:, 3], expected)


# ---------------------------------------------------------------------------------------------
# The data-set tool.

_SPEC = SyntheticDatasetSpec(num_scenes=2, views_per_scene=3, size=48, seed=5)


@pytest.fixture(scope="module")
def tool_outputs(tmp_path_factory):
    first, second = tmp_path_factory.mktemp("first"), tmp_path_factory.mktemp("second")
    write_synthetic_dataset(first, _SPEC)
    write_synthetic_dataset(second, _SPEC)
    return first, second


def test_tool_is_byte_for_byte_deterministic(tool_outputs):
    first, second = tool_outputs
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert len(files) == 2 * 6 + 2 + 1  # images twice, camera files, annotations
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_tool_coco_matches_the_rendered_views(tool_outputs):
    out = tool_outputs[0]
    coco = COCO(str(out / "detection" / "annotations.json"))
    assert [coco.cats[i]["name"] for i in sorted(coco.cats)] == list(CLASS_NAMES)
    assert len(coco.imgs) == 6
    K = default_intrinsics(48, 48, dtype=torch.float64)
    expected_boxes = 0
    for index in range(2):
        generated = generate_scene(scene_seed(5, index))
        poses = camera_trajectory(generated, 3, trajectory_seed(5, index))
        for frame, pose in enumerate(poses):
            view = render_view(generated, pose, K, 48, 48)
            (image,) = [
                im
                for im in coco.imgs.values()
                if im["scene"] == f"scene{index:04d}" and im["frame"] == frame
            ]
            anns = coco.imgToAnns[image["id"]]
            got = sorted((coco.cats[a["category_id"]]["name"], *a["bbox"]) for a in anns)
            want = sorted(
                (b.class_name, b.xyxy[0], b.xyxy[1], b.xyxy[2] - b.xyxy[0], b.xyxy[3] - b.xyxy[1])
                for b in view.boxes
            )
            assert got == want
            expected_boxes += len(want)
            pixels = cv2.imread(str(out / "detection" / "images" / image["file_name"]))[:, :, ::-1]
            np.testing.assert_array_equal(
                pixels, torch.round(view.rgb * 255).to(torch.uint8).numpy()
            )
            video_frame = out / "video" / "frames" / image["scene"] / f"{frame * 33333}.png"
            assert (
                video_frame.read_bytes()
                == (out / "detection" / "images" / image["file_name"]).read_bytes()
            )
    assert len(coco.anns) == expected_boxes > 0


def test_tool_camera_files_agree_with_the_oracle_composition(tool_outputs):
    frames = read_camera_file(tool_outputs[0] / "video" / "cameras" / "scene0001.txt")
    assert [f.timestamp for f in frames] == [0, 33333, 66666]
    generated = generate_scene(scene_seed(5, 1))
    poses = camera_trajectory(generated, 3, trajectory_seed(5, 1))
    for frame, pose in zip(frames, poses):
        np.testing.assert_allclose(frame.world_to_camera, pose.numpy(), atol=1e-7)
        f = 24.0 / math.tan(math.radians(30.0))
        np.testing.assert_allclose(
            frame.intrinsics_normalised, [f / 48, f / 48, 0.5, 0.5], rtol=1e-8
        )
    R, T = frame_pair_pose(frames[0], frames[2], dtype=torch.float64)
    rotvec = torch.from_numpy(Rotation.from_matrix(R.numpy()).as_rotvec())
    composed = target_world_to_camera(frames[0].world_to_camera, rotvec, T)
    np.testing.assert_allclose(composed.numpy(), frames[2].world_to_camera, atol=1e-7)
