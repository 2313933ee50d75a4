"""Render modes, border policies and calibrated cameras of the offline augmentation (issues 13
and 15): the library pieces on analytic cases, and every mode and option of the tool on tiny
inputs."""
import json
import math

import cv2
import numpy as np
import pytest
import torch

from danr_renderer.augment.border import covered_mask, crop_and_resize, crop_boxes, largest_centred_crop
from danr_renderer.augment.camera import CameraError, parse_camera, read_image_intrinsics
from danr_renderer.augment.composite import fill_holes, splat_source_pixels
from danr_renderer.augment.depth_upsample import upsample_depth
from danr_renderer.augment.render_frame import RenderFrame, carry_boxes
from danr_renderer.augment.render_image import render_image_views
from danr_renderer.augment.runner import load_renderer
from danr_renderer.augment.super_resolution import super_resolution_unavailable_reason
from danr_renderer.augment.views import PAPER_VIEWS, View
from danr_renderer.geometry import rotvec_to_matrix
from danr_renderer.renderer import NovelViewRenderer
from danr_renderer.splatting import splat_points

HEIGHT, WIDTH = 36, 60
CLI = "tools/augment_dataset.py"


def _tiny_renderer(seed: int = 0) -> NovelViewRenderer:
    torch.manual_seed(seed)
    return NovelViewRenderer(
        feature_channels=8, encoder_widths=(8,), decoder_widths=(8,), depth_base_channels=4,
        depth_levels=1, depth_max_channels=8, splat_radius=1.5, points_per_pixel=4,
    ).eval()


def _textured(height: int = HEIGHT, width: int = WIDTH, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return cv2.resize(rng.random((height // 4, width // 4, 3)).astype(np.float32), (width, height),
                      interpolation=cv2.INTER_LINEAR)


# ------------------------------------------------------------------------------ depth, composite
def test_upsample_depth_keeps_constant_depth_and_takes_the_source_size():
    depth = torch.full((1, 1, 9, 16), 3.0)
    for method in ("bilinear", "nearest"):
        up = upsample_depth(depth, (HEIGHT, WIDTH), method)
        assert up.shape == (1, 1, HEIGHT, WIDTH)
        torch.testing.assert_close(up, torch.full_like(up, 3.0))
    steps = torch.tensor([[[[1.0, 2.0]]]])
    assert upsample_depth(steps, (1, 4), "nearest").flatten().tolist() == [1.0, 1.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="method"):
        upsample_depth(depth, (4, 4), "cubic")


def test_composite_splat_shifts_the_source_by_focal_times_baseline_over_depth():
    rgb = torch.from_numpy(_textured().transpose(2, 0, 1))[None]
    z, shift_px = 4.0, 3
    fx = 50.0
    K = torch.tensor([[fx, 0, WIDTH / 2], [0, fx, HEIGHT / 2], [0, 0, 1.0]])
    T = torch.tensor([[shift_px * z / fx, 0.0, 0.0]])  # u' = u - fx tx / z = u - 3
    colour, alpha = splat_source_pixels(rgb, torch.full((1, 1, HEIGHT, WIDTH), z), K, torch.eye(3)[None], T)
    torch.testing.assert_close(colour[0, :, :, 2:WIDTH - shift_px - 2],
                               rgb[0, :, :, 2 + shift_px:WIDTH - 2], atol=1e-5, rtol=0)
    assert float(alpha[0, 0, :, -1].max()) == 0.0  # the revealed column on the right


def test_composite_splat_resamples_a_subpixel_shift_bicubically():
    """A shift of 2.5 px at constant depth: the view is the source resampled with Keys' cubic
    kernel (a = -0.75, written out below as the oracle), not a linear blend of neighbours."""
    rgb_np = _textured(seed=3).astype(np.float64)
    rgb = torch.from_numpy(rgb_np.transpose(2, 0, 1))[None]
    z, shift_px, fx = 4.0, 2.5, 50.0
    K = torch.tensor([[fx, 0, WIDTH / 2], [0, fx, HEIGHT / 2], [0, 0, 1.0]], dtype=torch.float64)
    T = torch.tensor([[shift_px * z / fx, 0.0, 0.0]], dtype=torch.float64)
    colour, _ = splat_source_pixels(rgb, torch.full((1, 1, HEIGHT, WIDTH), z, dtype=torch.float64), K,
                                    torch.eye(3, dtype=torch.float64)[None], T)

    def keys_cubic(d):
        d, a = abs(d), -0.75
        if d <= 1:
            return (a + 2) * d**3 - (a + 3) * d**2 + 1
        return a * (d**3 - 5 * d**2 + 8 * d - 4) if d < 2 else 0.0

    # view column j = source at column j + 2.5 (pixel indices), rows unchanged
    expected = np.stack([sum(keys_cubic(j + shift_px - k) * rgb_np[:, k] for k in range(WIDTH))
                         for j in range(WIDTH)], axis=1)
    view = colour[0].permute(1, 2, 0).numpy()
    inner = (slice(None), slice(2, WIDTH - 6))  # away from the frame edge and the revealed columns
    np.testing.assert_allclose(view[inner], expected[inner], atol=1e-9)
    linear = 0.5 * (rgb_np[:, 2:-1] + rgb_np[:, 3:])  # what averaging the two nearest points gives
    assert np.abs(view[inner] - linear[inner]).max() > 1e-2


def test_composite_splat_rotation_is_the_depth_free_homography():
    """A pure rotation needs no depth: whatever the (smooth, varying) depth, the view is the
    source sampled bicubically at K R^T K^-1 (u, v, 1) of each pixel centre."""
    rgb = torch.from_numpy(_textured(seed=4).astype(np.float64).transpose(2, 0, 1))[None]
    rows = torch.linspace(3.0, 5.0, HEIGHT, dtype=torch.float64)[:, None]
    depth = (rows + torch.linspace(0.0, 1.0, WIDTH, dtype=torch.float64)[None]).expand(1, 1, -1, -1)
    K = torch.tensor([[50.0, 0, WIDTH / 2], [0, 50.0, HEIGHT / 2], [0, 0, 1.0]], dtype=torch.float64)
    R = rotvec_to_matrix(torch.tensor([0.0, 0.05, 0.0], dtype=torch.float64))
    colour, alpha = splat_source_pixels(rgb, depth, K, R[None], torch.zeros(1, 3, dtype=torch.float64))
    v, u = torch.meshgrid(torch.arange(HEIGHT, dtype=torch.float64) + 0.5,
                          torch.arange(WIDTH, dtype=torch.float64) + 0.5, indexing="ij")
    source = torch.stack([u, v, torch.ones_like(u)], -1) @ (K @ R.T @ torch.linalg.inv(K)).T
    grid = source[..., :2] / source[..., 2:] / torch.tensor([WIDTH, HEIGHT], dtype=torch.float64) * 2 - 1
    expected = torch.nn.functional.grid_sample(rgb, grid[None], mode="bicubic", padding_mode="border",
                                               align_corners=False)
    reached = alpha[0, 0] > 0  # all but the band the rotation reveals
    assert reached.double().mean() > 0.9
    torch.testing.assert_close(colour[0][:, reached], expected[0][:, reached], atol=1e-9, rtol=0)


def test_composite_splat_blends_colours_where_points_straddle_an_occlusion_edge():
    """A near strip (z = 2) moves 3 px further than the wall (z = 6) behind it. Where a pixel's
    points come from both surfaces (their mean depth is far from the front one), a mean source
    position would sample neither: the composite takes the splatted colour there, and inside
    the strip the resampled source."""
    rgb, depth = torch.zeros(1, 3, 1, 40, dtype=torch.float64), torch.full((1, 1, 1, 40), 6.0, dtype=torch.float64)
    rgb[0, 2], rgb[0, :, 0, 10:20], depth[..., 10:20] = 1.0, 0.0, 2.0  # blue wall, black strip
    rgb[0, 1, 0, 20:26], rgb[0, 2, 0, 20:26] = 1.0, 0.0  # green wall beside the strip
    fx = 9.0  # tx = -1: the strip moves 4.5 px to the right, the wall 1.5 px
    K = torch.tensor([[fx, 0, 20.0], [0, fx, 0.5], [0, 0, 1.0]], dtype=torch.float64)
    T = torch.tensor([[-1.0, 0.0, 0.0]], dtype=torch.float64)
    colour, _ = splat_source_pixels(rgb, depth, K, torch.eye(3, dtype=torch.float64)[None], T)
    u = torch.arange(40, dtype=torch.float64) + 0.5 + fx / depth[0, 0, 0]
    points = torch.stack([u, torch.full_like(u, 0.5), depth[0, 0, 0]], -1)[None]
    blend = splat_points(points, rgb[0, :, 0].T[None], (1, 40), radius=1.0, points_per_pixel=8)
    blend = blend.image / blend.alpha
    # The strip's points now sit at u = 15..24, the green wall's at 22..27 behind it: pixels 21-24
    # see both. Pixel 24 by hand: strip 0.5, then green points at 24 and 25: 0.25 and 0.125.
    torch.testing.assert_close(colour[0, :, 0, 21:25], blend[0, :, 0, 21:25])
    torch.testing.assert_close(colour[0, :, 0, 24], torch.tensor([0.0, 0.375 / 0.875, 0.0], dtype=torch.float64))
    torch.testing.assert_close(colour[0, :, 0, 16:21], torch.zeros(3, 5, dtype=torch.float64))


def test_fill_holes_uses_the_fill_only_where_the_splat_is_thin():
    colour, fill = torch.ones(1, 3, 1, 3), torch.zeros(1, 3, 1, 3)
    alpha = torch.tensor([0.0, 0.25, 0.9]).reshape(1, 1, 1, 3)
    assert fill_holes(colour, alpha, fill)[0, 0, 0].tolist() == [0.0, 0.5, 1.0]


# ------------------------------------------------------------------------------------- border
def test_covered_mask_closes_small_gaps_but_not_the_revealed_border():
    alpha = torch.ones(1, 1, 40, 60)
    alpha[..., 20, 30] = 0  # a one-pixel hole
    alpha[..., :, :12] = 0  # the revealed band on the left
    covered = covered_mask(alpha, (40, 60))[0]
    assert covered[20, 30] and covered[:, 12:].all() and not covered[:, :8].any()


def test_largest_centred_crop_avoids_the_revealed_band():
    covered = np.ones((40, 60), bool)
    covered[:, :12] = False
    x0, y0, x1, y1 = largest_centred_crop(covered)
    assert covered[y0:y1, x0:x1].all() and x0 >= 12
    assert abs((x1 - x0) / (y1 - y0) - 60 / 40) < 0.1 and x1 - x0 >= 60 - 2 * 12 - 2
    assert largest_centred_crop(np.ones((40, 60), bool)) == (0, 0, 60, 40)


def test_crop_maps_boxes_exactly_and_drops_those_left_outside():
    crop, size = (10, 5, 40, 25), (40, 60)  # 30 x 20 crop -> x2 both axes
    boxes = np.array([[12.0, 7.0, 22.0, 17.0], [0.0, 0.0, 12.0, 10.0], [20.0, 10.0, 30.0, 20.0]])
    mapped, visible, reasons = crop_boxes(boxes, np.ones(3), [None, None, "occluded"], crop, size, 0.5, 1.0)
    np.testing.assert_allclose(mapped[0], [4.0, 4.0, 24.0, 24.0])
    assert reasons == [None, "left_frame", "occluded"] and visible[0] == 1.0
    image = np.zeros((40, 60, 3), np.uint8)
    image[5:25, 10:40] = 200
    assert (crop_and_resize(image, crop) == 200).all()


# ------------------------------------------------------------------------------------ cameras
def test_camera_option_and_coco_intrinsics(tmp_path):
    assert parse_camera("500,400.5,320,180") == (500.0, 400.5, 320.0, 180.0)
    for bad in ("500,400,320", "a,b,c,d", "0,400,320,180"):
        with pytest.raises(CameraError, match="--camera"):
            parse_camera(bad)
    ann = tmp_path / "a.json"
    ann.write_text(json.dumps({"images": [{"id": 1, "intrinsics": [50, 50, 30, 18]}, {"id": 2}]}))
    assert read_image_intrinsics(ann) == {1: (50.0, 50.0, 30.0, 18.0)}
    ann.write_text(json.dumps({"images": [{"id": 3, "intrinsics": [50, -1, 30, 18]}]}))
    with pytest.raises(CameraError, match=r"a\.json: image id 3 'intrinsics'"):
        read_image_intrinsics(ann)


@pytest.mark.parametrize("grid", [(16, 16), (HEIGHT, WIDTH)])  # the square canvas and full resolution
def test_calibrated_intrinsics_move_boxes_as_the_geometry_says(grid):
    """Sideways move tx at constant depth z: u' = u - fx tx / z, v' = v - fy ty / z, whatever
    the grid the depth lives on; a forward move tz scales about the calibrated principal point."""
    fx, fy, cx, cy, z = 90.0, 60.0, 25.0, 20.0, 4.0
    frame = RenderFrame(HEIGHT, WIDTH, 16, intrinsics=(fx, fy, cx, cy))
    depth = torch.full(grid, z, dtype=torch.float64)
    boxes = np.array([[20.0, 10.0, 40.0, 26.0]])
    tx, ty = 0.2, -0.1
    side = carry_boxes(boxes, depth, frame, View(0, (0.0, 0.0, 0.0), (tx, ty, 0.0)), "object_plane", 0.5)
    np.testing.assert_allclose(side.boxes, boxes + [-fx * tx / z, -fy * ty / z] * 2, atol=1e-6)
    default = carry_boxes(boxes, depth, RenderFrame(HEIGHT, WIDTH, 16), View(0, (0.0, 0.0, 0.0), (tx, ty, 0.0)),
                          "object_plane", 0.5)
    focal = (WIDTH / 2) / math.tan(math.radians(30))
    np.testing.assert_allclose(default.boxes, boxes + [-focal * tx / z, -focal * ty / z] * 2, atol=1e-6)
    tz = 1.0
    forward = carry_boxes(boxes, depth, frame, View(0, (0.0, 0.0, 0.0), (0.0, 0.0, tz)), "corners", 0.5)
    centre = np.array([cx, cy] * 2)
    np.testing.assert_allclose(forward.boxes, np.clip(centre + (boxes - centre) * z / (z - tz), 0,
                                                      [WIDTH, HEIGHT] * 2), atol=1e-6)


# ------------------------------------------------------------------------------ render modes
@pytest.mark.parametrize("mode,border", [("composite", "inpaint"), ("composite", "crop"), ("composite", "black"),
                                         ("plane", "inpaint"), ("plane", "crop"),
                                         ("canvas", "inpaint"), ("canvas", "crop")])
def test_every_mode_and_border_writes_source_size_views(mode, border):
    rgb, boxes = _textured(), np.array([[10.0, 8.0, 30.0, 28.0]])
    views = [View(0, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)), View(1, (0.05, -0.1, 0.0), (0.0, 0.0, 0.3))]
    rendered = render_image_views(_tiny_renderer(), rgb, boxes, views, 24, 2, "object_plane", 0.5,
                                  mode=mode, border=border)
    for item in rendered:
        assert item.image.shape == (HEIGHT, WIDTH, 3) and item.image.dtype == np.uint8
        assert len(item.carried.drop_reasons) == 1
    identity = rendered[0]
    np.testing.assert_allclose(identity.carried.boxes, boxes, atol=1e-6)
    if mode in ("composite", "plane"):  # the identity view is the source itself at full resolution
        assert np.abs(identity.image.astype(float) - rgb * 255).max() <= 1.0


PLANE_DEPTH = 4.0


def _renderer_predicting_a_median_of(depth: float, monkeypatch) -> NovelViewRenderer:
    """The tiny renderer whose depth net sees a scene with median depth `depth` and a different
    mean (10% of the pixels at 1, 30% at 9, the rest at `depth`): only the median may matter."""
    renderer = _tiny_renderer()
    encode = renderer.encode

    def forced_depth(image):
        features, predicted = encode(image)
        values = torch.full((predicted.numel(),), depth)
        values[:predicted.numel() // 10] = 1.0
        values[-predicted.numel() * 3 // 10:] = 9.0
        return features, values.reshape(predicted.shape)

    monkeypatch.setattr(renderer, "encode", forced_depth)
    return renderer


def test_plane_mode_shifts_image_and_boxes_by_focal_times_baseline_over_the_median_depth(monkeypatch):
    """A sideways move tx of the plane Z = d (d the median predicted depth) is the shift
    u' = u - fx tx / d of the source and its boxes; 2 px here, which the radius-1 splat copies."""
    fx, shift_px = 50.0, 2
    rgb, boxes = _textured(), np.array([[10.0, 8.0, 30.0, 28.0], [40.0, 5.0, 55.0, 30.0]])
    view = View(0, (0.0, 0.0, 0.0), (shift_px * PLANE_DEPTH / fx, 0.0, 0.0))
    renderer = _renderer_predicting_a_median_of(PLANE_DEPTH, monkeypatch)
    [item] = render_image_views(renderer, rgb, boxes, [view], 24, 1, "object_plane", 0.5, mode="plane",
                                intrinsics=(fx, fx, WIDTH / 2, HEIGHT / 2))
    np.testing.assert_allclose(item.carried.boxes, boxes - [shift_px, 0, shift_px, 0], atol=1e-4)
    assert item.carried.drop_reasons == [None, None]
    source = (rgb * 255.0 + 0.5).astype(np.uint8).astype(int)
    moved = item.image.astype(int)[:, 2:WIDTH - shift_px - 2]
    assert np.abs(moved - source[:, 2 + shift_px:WIDTH - 2]).max() <= 1


@pytest.mark.parametrize("box_method", ["fronto_plane", "corners", "object_plane"])
def test_plane_mode_carries_boxes_by_the_plane_homography(box_method, monkeypatch):
    """The paper's four poses: each box corner x goes to K R (I - T e_z^T / d) K^-1 x (x
    homogeneous), the carried box is the hull of the four, clipped to the image."""
    fx, fy, cx, cy = 60.0, 55.0, 28.0, 19.0
    K = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]])
    boxes = np.array([[12.0, 9.0, 34.0, 27.0]])
    renderer = _renderer_predicting_a_median_of(PLANE_DEPTH, monkeypatch)
    rendered = render_image_views(renderer, _textured(), boxes, list(PAPER_VIEWS), 24, 4, box_method, 0.5,
                                  mode="plane", intrinsics=(fx, fy, cx, cy))
    x0, y0, x1, y1 = boxes[0]
    corners = np.array([[x0, y0, 1], [x1, y0, 1], [x0, y1, 1], [x1, y1, 1]]).T
    for item in rendered:
        R = rotvec_to_matrix(torch.tensor(item.view.rotvec, dtype=torch.float64)).numpy()
        T = np.array(item.view.translation)[:, None]
        homography = K @ R @ (np.eye(3) - T @ np.array([[0, 0, 1.0]]) / PLANE_DEPTH) @ np.linalg.inv(K)
        moved = homography @ corners
        uv = moved[:2] / moved[2]
        expected = np.clip([*uv.min(axis=1), *uv.max(axis=1)], 0, [WIDTH, HEIGHT] * 2)
        np.testing.assert_allclose(item.carried.boxes[0], expected, atol=1e-3)


def test_pointss_renders_the_canvas_view_at_twice_the_size(tmp_path):
    checkpoint = tmp_path / "r.pth"
    _tiny_renderer().save_checkpoint(checkpoint)
    scaled = load_renderer(checkpoint, "cpu", 2)
    assert scaled.render_scale == 2
    K = torch.tensor([[10.0, 0, 8], [0, 10.0, 8], [0, 0, 1]])
    out = scaled(torch.rand(1, 3, 16, 16), K, torch.eye(3), torch.zeros(3))
    assert out.image.shape == (1, 3, 32, 32)


# ------------------------------------------------------------------------------------ the tool
def _tiny_set(root):
    img_dir = root / "images"
    img_dir.mkdir(parents=True)
    images, annotations = [], []
    for index in range(2):
        name = f"f{index}.png"
        cv2.imwrite(str(img_dir / name), (_textured(seed=index)[:, :, ::-1] * 255).astype(np.uint8))
        entry = {"id": index + 1, "file_name": name, "width": WIDTH, "height": HEIGHT}
        if index == 1:
            entry["intrinsics"] = [70.0, 70.0, 30.0, 18.0]
        images.append(entry)
        annotations.append({"id": index + 1, "image_id": index + 1, "category_id": 1, "iscrowd": 0,
                            "bbox": [10, 8, 20, 20], "area": 400})
    ann = root / "annotations.json"
    ann.write_text(json.dumps({"images": images, "annotations": annotations,
                               "categories": [{"id": 1, "name": "thing"}]}))
    checkpoint = root / "tiny.pth"
    _tiny_renderer().save_checkpoint(checkpoint)
    return ann, img_dir, checkpoint


def test_help_names_the_render_modes_and_options(run_tool):
    text = run_tool(CLI, "--help").stdout
    for word in ("--border", "--render-scale", "--camera", "PointSS", "PixelSS", "composite", "plane", "canvas"):
        assert word in text


@pytest.mark.parametrize("options", [
    [],
    ["--mode", "canvas", "--render-scale", "2"],
    ["--border", "crop", "--camera", "60,60,30,18"],
    ["--border", "black"],
    ["--mode", "plane"],
    ["--mode", "plane", "--border", "crop"],
])
def test_tool_runs_every_mode(run_tool, tmp_path, options):
    ann, img_dir, checkpoint = _tiny_set(tmp_path / "source")
    out = tmp_path / "out"
    run_tool(CLI, "--ann-file", ann, "--img-dir", img_dir, "--out-dir", out, "--checkpoint", checkpoint,
             "--render-size", "24", "--no-progress", *options)
    document = json.loads((out / "annotations.json").read_text())
    assert len(document["images"]) == 8
    for image in document["images"]:
        assert cv2.imread(str(out / "images" / image["file_name"])).shape == (HEIGHT, WIDTH, 3)
    assert document["info"]["danr"]["calibrated_images"] == 1


def test_tool_refuses_a_bad_camera(run_tool, tmp_path):
    ann, img_dir, checkpoint = _tiny_set(tmp_path / "source")
    result = run_tool(CLI, "--ann-file", ann, "--img-dir", img_dir, "--out-dir", tmp_path / "out",
                      "--camera", "1,2,3", check=False)
    assert result.returncode != 0 and "fx,fy,cx,cy" in result.stderr


@pytest.mark.skipif(super_resolution_unavailable_reason() is not None,
                    reason=str(super_resolution_unavailable_reason()))
def test_tool_pixelss(run_tool, tmp_path):
    ann, img_dir, checkpoint = _tiny_set(tmp_path / "source")
    out = tmp_path / "out"
    run_tool(CLI, "--ann-file", ann, "--img-dir", img_dir, "--out-dir", out, "--checkpoint", checkpoint,
             "--render-size", "16", "--views", "random1", "--mode", "pixelss", "--no-progress")
    document = json.loads((out / "annotations.json").read_text())
    assert len(document["images"]) == 2
