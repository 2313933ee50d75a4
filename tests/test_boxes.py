"""Box transfer (eq. 4) and box visibility against answers worked out by hand.

Every expectation is computed here from the pinhole formulas (u = fx X / Z + cx, eq. 2
P' = R (P - T)) or from pixel counting, never with the module's helpers.
"""
import math

import numpy as np
import pytest
import torch

from danr_renderer.boxes import METHODS, transfer_boxes

H, W = 64, 96
FX = (W / 2) / math.tan(math.radians(30))  # 60 degree horizontal field of view
CX, CY = W / 2, H / 2
K = torch.tensor([[FX, 0, CX], [0, FX, CY], [0, 0, 1]], dtype=torch.float64)
NO_ROTATION = torch.eye(3, dtype=torch.float64)


def _shift(boxes, dx):
    """xyxy boxes moved sideways by dx pixels."""
    return np.asarray(boxes, dtype=np.float64) + np.array([dx, 0.0, dx, 0.0])


def _run(boxes, depth, T, R=NO_ROTATION, **kwargs):
    return transfer_boxes(
        torch.as_tensor(np.asarray(boxes), dtype=torch.float64),
        torch.as_tensor(depth, dtype=torch.float64),
        K,
        R,
        torch.as_tensor(T, dtype=torch.float64),
        **kwargs,
    )


def _constant(value):
    return np.full((H, W), value)


def _rotation_xy(angle_x, angle_y):
    """R = Ry(angle_y) @ Rx(angle_x), written out element by element."""
    cx, sx, cy, sy = math.cos(angle_x), math.sin(angle_x), math.cos(angle_y), math.sin(angle_y)
    rot_x = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    rot_y = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    return rot_y @ rot_x


def _hull_of_moved_pixels(corners_uv, depth, R, T):
    """Hull of pixel positions (N, 2) lifted at one depth, moved by eq. 2 and projected."""
    u, v = corners_uv[:, 0], corners_uv[:, 1]
    points = np.stack([depth * (u - CX) / FX, depth * (v - CY) / FX, np.full_like(u, depth)], 1)
    moved = (points - T) @ R.T
    u_new = FX * moved[:, 0] / moved[:, 2] + CX
    v_new = FX * moved[:, 1] / moved[:, 2] + CY
    return np.array([u_new.min(), v_new.min(), u_new.max(), v_new.max()])


# Boxes on and off the pixel grid; the points method sees their outermost pixel centres.
BOXES = [[20.0, 10.0, 40.0, 30.0], [50.3, 20.7, 70.9, 41.2]]
OUTER_CENTRES = [[20.5, 10.5, 39.5, 29.5], [50.5, 21.5, 70.5, 40.5]]


@pytest.mark.parametrize("method", METHODS)
def test_constant_depth_sideways_move_shifts_by_parallax(method):
    depth, tx = 3.0, 0.3
    result = _run(BOXES, _constant(depth), [tx, 0, 0], method=method)
    exact = OUTER_CENTRES if method == "points" else BOXES
    np.testing.assert_allclose(result.boxes.numpy(), _shift(exact, -FX * tx / depth), atol=1e-6)
    assert result.keep.all()
    np.testing.assert_allclose(result.visible.numpy(), 1.0)


@pytest.mark.parametrize("method", METHODS)
def test_constant_depth_general_move_gives_hull_of_moved_corners(method):
    depth = 4.0
    R = _rotation_xy(0.1, -0.15)
    T = np.array([0.2, -0.1, 0.3])
    result = _run(BOXES, _constant(depth), T, R=torch.tensor(R), method=method)
    for box, centres, got in zip(BOXES, OUTER_CENTRES, result.boxes.numpy()):
        x1, y1, x2, y2 = centres if method == "points" else box
        corners = np.array([[x1, y1], [x2, y1], [x2, y2], [x1, y2]])
        expected = np.clip(_hull_of_moved_pixels(corners, depth, R, T), 0, [W, H, W, H])
        np.testing.assert_allclose(got, expected, atol=1e-6)


def _object_before_wall():
    """Depth 6 wall; a flat object at depth 2 covering columns 30..53 and rows 20..39."""
    depth = _constant(6.0)
    depth[20:40, 30:54] = 2.0
    return depth


def test_tight_box_on_object_moves_with_the_object():
    tight = [[30.0, 20.0, 54.0, 40.0]]
    expected = _shift(tight, -FX * 0.3 / 2.0)
    for method in ("object_plane", "fronto_plane", "corners"):
        result = _run(tight, _object_before_wall(), [0.3, 0, 0], method=method)
        np.testing.assert_allclose(result.boxes.numpy(), expected, atol=1e-6)
        assert result.keep.all() and result.visible.item() == 1.0


def test_box_with_background_margin_rides_with_the_object_by_default():
    # 20% larger than the object (24 x 20 px), same centre.
    box = [[27.6, 18.0, 56.4, 42.0]]
    object_shift, wall_shift = -FX * 0.3 / 2.0, -FX * 0.3 / 6.0
    expected = _shift(box, object_shift)
    depth = _object_before_wall()
    default = _run(box, depth, [0.3, 0, 0])
    points = _run(box, depth, [0.3, 0, 0], method="points")
    corners = _run(box, depth, [0.3, 0, 0], method="corners")

    default_error = np.abs(default.boxes.numpy() - expected).max()
    points_error = np.abs(points.boxes.numpy() - expected).max()
    assert default_error < 1.0
    assert default_error < points_error
    # Eq. 4 on all points: the outer wall columns (centres 28.5 and 55.5) move less than the
    # object's outer columns (30.5 and 53.5), stretching the box.
    stretched = [
        min(28.5 + wall_shift, 30.5 + object_shift), 18.5,
        max(55.5 + wall_shift, 53.5 + object_shift), 41.5,
    ]
    np.testing.assert_allclose(points.boxes.numpy()[0], stretched, atol=1e-6)
    # Corners sit on the wall and move like it.
    np.testing.assert_allclose(corners.boxes.numpy(), _shift(box, wall_shift), atol=1e-6)

    # Marked points: columns 28..55 x rows 18..41. The object slides over the wall columns
    # 28 and 29 on its rows 20..39, hiding 2 x 20 of the 28 x 24 points.
    for result in (default, points, corners):
        assert result.visible.item() == pytest.approx(1 - 40 / (28 * 24))
        assert result.keep.item()


@pytest.mark.parametrize("rotvec_xy, T", [((0.0, 0.0), (0.3, 0.0, 0.0)),
                                           ((0.1, 0.15), (0.0, 0.0, 0.3))])
def test_slanted_object_keeps_its_own_parallax(rotvec_xy, T):
    # Object on the plane z = 2 + X (inverse depth affine in u) over columns 30..53, rows
    # 20..39, before a wall at 6; depth sampled at pixel centres.
    def plane_depth(u):
        return 2.0 / (1.0 - (u - CX) / FX)

    depth = _constant(6.0)
    depth[20:40, 30:54] = plane_depth(np.arange(30, 54) + 0.5)
    R, T = _rotation_xy(*rotvec_xy), np.array(T)
    # The tight box's corners lie on the plane, and the plane moves by a homography, so the
    # moved box is the hull of its moved corners.
    expected = []
    for u, v in [(30.0, 20.0), (54.0, 20.0), (54.0, 40.0), (30.0, 40.0)]:
        expected.append(_hull_of_moved_pixels(np.array([[u, v]]), plane_depth(u), R, T))
    expected = np.stack(expected)
    expected = np.concatenate([expected[:, :2].min(0), expected[:, 2:].max(0)])

    errors = {
        method: np.abs(_run([[30.0, 20.0, 54.0, 40.0]], depth, T, R=torch.tensor(R),
                            method=method).boxes.numpy()[0] - expected).max()
        for method in METHODS
    }
    assert errors["object_plane"] < 0.3
    assert errors["object_plane"] < errors["points"]
    assert errors["object_plane"] < errors["fronto_plane"]


@pytest.mark.parametrize("method", METHODS)
def test_box_leaving_the_frame(method):
    depth, tx = 2.0, 0.6
    shift = -FX * tx / depth  # about -24.9 px
    result = _run([[2.0, 20.0, 14.0, 40.0], [20.0, 20.0, 40.0, 40.0]], _constant(depth),
                  [tx, 0, 0], method=method)
    assert result.visible[0].item() == 0.0
    assert not result.keep[0].item()
    # The second box keeps the columns whose centres stay at u >= 0.
    centres = np.arange(20, 40) + 0.5
    assert result.visible[1].item() == pytest.approx(np.mean(centres + shift >= 0))
    assert result.keep[1].item()
    # Nothing hides anything at constant depth: what is not seen has left the frame.
    torch.testing.assert_close(result.in_frame, result.visible)
    assert result.drop_reasons == ["left_frame", None]
    inset = 0.5 if method == "points" else 0.0  # outermost pixel centres vs box edges
    expected = [0.0, 20.0 + inset, 40.0 - inset + shift, 40.0 - inset]
    np.testing.assert_allclose(result.boxes[1].numpy(), expected, atol=1e-6)


def _occlusion_scene():
    """Wall at 6; object at depth 4 in columns 40..51, rows 20..39; near slab at depth 1 in
    columns 56..75, rows 10..49 (right of the object in the source)."""
    depth = _constant(6.0)
    depth[20:40, 40:52] = 4.0
    depth[10:50, 56:76] = 1.0
    return depth


def _hidden_share_by_pixel_counting(tx):
    """Share of the object's columns whose moved centre falls in a target pixel column that
    the moved near slab fills (the slab spans all the object's rows)."""
    slab_pixels = {math.floor(j + 0.5 - FX * tx / 1.0) for j in range(56, 76)}
    object_pixels = [math.floor(j + 0.5 - FX * tx / 4.0) for j in range(40, 52)]
    return np.mean([pixel in slab_pixels for pixel in object_pixels])


@pytest.mark.parametrize("tx, fully_hidden", [(0.3, True), (0.2, False)])
def test_box_behind_a_nearer_surface_is_hidden(tx, fully_hidden):
    box = [[40.0, 20.0, 52.0, 40.0]]
    hidden = _hidden_share_by_pixel_counting(tx)
    assert (hidden == 1.0) == fully_hidden and hidden > 0.5
    for method in METHODS:
        result = _run(box, _occlusion_scene(), [tx, 0, 0], method=method)
        assert result.visible.item() == pytest.approx(1 - hidden)
        assert not result.keep.item()
        # Every moved object centre is still inside the 96-px frame: hidden, not gone.
        assert result.in_frame.item() == 1.0 and result.drop_reasons == ["occluded"]
    # Without the slab the same box stays fully visible.
    free = _occlusion_scene()
    free[free == 1.0] = 6.0
    assert _run(box, free, [tx, 0, 0]).visible.item() == 1.0


@pytest.mark.parametrize("method", METHODS)
def test_half_resolution_target_scales_boxes(method):
    K_half = torch.tensor([[FX / 2, 0, CX / 2], [0, FX / 2, CY / 2], [0, 0, 1]],
                          dtype=torch.float64)
    depth, tx = 3.0, 0.3
    exact = np.asarray(OUTER_CENTRES if method == "points" else BOXES)
    identity = _run(BOXES, _constant(depth), [0, 0, 0], out_size=(H // 2, W // 2),
                    K_out=K_half, method=method)
    np.testing.assert_allclose(identity.boxes.numpy(), exact / 2, atol=1e-6)
    np.testing.assert_allclose(identity.visible.numpy(), 1.0)
    moved = _run(BOXES, _constant(depth), [tx, 0, 0], out_size=(H // 2, W // 2),
                 K_out=K_half, method=method)
    np.testing.assert_allclose(moved.boxes.numpy(), _shift(exact / 2, -FX / 2 * tx / depth),
                               atol=1e-6)


def test_boxes_are_clipped_to_the_source_first_and_tiny_boxes_dropped():
    result = _run([[-10.0, -5.0, 20.0, 30.0], [10.6, 10.0, 11.4, 30.0]], _constant(2.0),
                  [0, 0, 0])
    np.testing.assert_allclose(result.boxes.numpy(),
                               [[0, 0, 20, 30], [10.6, 10.0, 11.4, 30.0]], atol=1e-6)
    np.testing.assert_allclose(result.visible.numpy(), [1.0, 1.0])
    assert result.keep.tolist() == [True, False]  # 0.8 px wide < min_size 1
    assert result.drop_reasons == [None, "too_small"]
    # A per-axis minimum (width, height): 0.8 px wide passes 0.5, the 20 px height fails 25.
    assert _run([[10.6, 10.0, 11.4, 30.0]], _constant(2.0), [0, 0, 0], min_size=(0.5, 1.0)).keep.item()
    assert not _run([[10.6, 10.0, 11.4, 30.0]], _constant(2.0), [0, 0, 0], min_size=(0.5, 25.0)).keep.item()


def test_float32_numpy_inputs_match_float64():
    depth = _object_before_wall()
    box = [[27.6, 18.0, 56.4, 42.0]]
    expected = _run(box, depth, [0.1, 0.05, 0.3], R=torch.tensor(_rotation_xy(0.1, 0.15)))
    got = transfer_boxes(np.asarray(box, np.float32), depth.astype(np.float32),
                         K.numpy().astype(np.float32), _rotation_xy(0.1, 0.15),
                         np.array([0.1, 0.05, 0.3]))
    assert got.boxes.dtype == torch.float32 and got.keep.dtype == torch.bool
    np.testing.assert_allclose(got.boxes.numpy(), expected.boxes.numpy(), atol=1e-3)
    np.testing.assert_allclose(got.visible.numpy(), expected.visible.numpy(), atol=1e-6)


@pytest.mark.parametrize(
    "boxes, message",
    [
        ([[10, 10, 20, 20], [30, 10, 25, 20]], "box 1"),
        ([[10, 10, 20, 10]], "box 0"),
        ([[10, float("nan"), 20, 20]], "box 0"),
        ([[10, 10, 20, 20], [10, 10, 20, 20], [100, 10, 120, 20]], "box 2 .* outside"),
    ],
)
def test_invalid_boxes_raise_naming_the_box(boxes, message):
    with pytest.raises(ValueError, match=message):
        _run(boxes, _constant(2.0), [0, 0, 0])


def test_no_boxes_give_empty_results():
    result = _run(np.zeros((0, 4)), _constant(2.0), [0.1, 0, 0])
    assert result.boxes.shape == (0, 4) and result.keep.shape == (0,)
    assert result.visible.shape == (0,)


def test_unknown_method_and_bad_depth_raise():
    with pytest.raises(ValueError, match="unknown method"):
        _run(BOXES, _constant(2.0), [0, 0, 0], method="bogus")
    with pytest.raises(ValueError, match="positive"):
        _run(BOXES, _constant(0.0), [0, 0, 0])
