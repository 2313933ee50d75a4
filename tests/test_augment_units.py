"""Building blocks of the offline augmentation: views, COCO/image reading, the render frame."""
import json
import math

import cv2
import numpy as np
import pytest
import torch

from danr_renderer.augment.records import output_stems
from danr_renderer.augment.render_frame import RenderFrame, carry_boxes
from danr_renderer.augment.views import PAPER_VIEWS, View, ViewSpecError, parse_view_plan
from danr_renderer.data.coco_io import (
    CocoFormatError,
    SourceBox,
    SourceImage,
    fit_boxes_to_image,
    read_coco_detection,
)
from danr_renderer.data.image_io import ImageReadError, read_image_rgb, write_image_atomic


# ------------------------------------------------------------------------------------- views
def test_paper4_is_the_papers_four_views():
    views = parse_view_plan("paper4").views_for(image_id=7, seed=0)
    assert [v.rotvec for v in views] == [
        (-0.1, -0.15, 0.0), (0.1, -0.15, 0.0), (-0.1, 0.15, 0.0), (0.1, 0.15, 0.0)
    ]
    assert all(v.translation == (0.0, 0.0, 0.3) for v in views)
    assert [v.index for v in views] == [0, 1, 2, 3]


def test_random1_depends_only_on_seed_and_image_id():
    plan = parse_view_plan("random1")
    forward = {i: plan.views_for(i, seed=3) for i in range(60)}
    backward = {i: plan.views_for(i, seed=3) for i in reversed(range(60))}
    assert forward == backward
    chosen = [views[0] for views in forward.values()]
    assert all(len(views) == 1 for views in forward.values())
    assert all(view in PAPER_VIEWS for view in chosen)
    assert {view.index for view in chosen} == {0, 1, 2, 3}  # 60 draws reach all four
    other_seed = [parse_view_plan("random1").views_for(i, seed=4)[0] for i in range(60)]
    assert other_seed != chosen


def test_sampled_views_stay_in_their_ranges(tmp_path):
    spec = tmp_path / "views.json"
    spec.write_text(json.dumps({
        "sample": 5,
        "rotvec_range": [[-0.2, -0.1], [0.0, 0.3], [0.05, 0.05]],
        "translation_range": [[-1, 1], [0, 0], [0.1, 0.2]],
    }))
    plan = parse_view_plan(str(spec))
    views = plan.views_for(11, seed=0)
    assert [v.index for v in views] == list(range(5))
    rot = np.array([v.rotvec for v in views])
    trans = np.array([v.translation for v in views])
    assert ((rot[:, 0] >= -0.2) & (rot[:, 0] <= -0.1)).all()
    assert ((rot[:, 1] >= 0.0) & (rot[:, 1] <= 0.3)).all()
    assert (rot[:, 2] == 0.05).all()
    assert ((trans[:, 0] >= -1) & (trans[:, 0] <= 1)).all() and (trans[:, 1] == 0).all()
    assert len({tuple(r) for r in rot}) == 5
    assert plan.views_for(11, seed=0) == views
    assert plan.views_for(12, seed=0) != views


def test_sampling_translation_defaults_to_the_papers(tmp_path):
    spec = tmp_path / "views.json"
    spec.write_text(json.dumps({"sample": 2, "rotvec_range": [[0, 0.1]] * 3}))
    views = parse_view_plan(str(spec)).views_for(1, seed=0)
    assert all(v.translation == (0.0, 0.0, 0.3) for v in views)


def test_explicit_view_file(tmp_path):
    spec = tmp_path / "views.json"
    spec.write_text(json.dumps([
        {"rotvec": [0, 0.2, 0], "translation": [0.1, 0, 0]},
        {"rotvec": [0, 0, 0], "translation": [0, 0, 0.5]},
    ]))
    views = parse_view_plan(str(spec)).views_for(1, seed=9)
    assert views == [View(0, (0.0, 0.2, 0.0), (0.1, 0.0, 0.0)),
                     View(1, (0.0, 0.0, 0.0), (0.0, 0.0, 0.5))]


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("[{", "malformed JSON"),
        ("[]", "empty"),
        ('[{"rotvec": [0, 0], "translation": [0, 0, 0]}]', "rotvec must be 3 finite numbers"),
        ('[{"rotvec": [0, 0, 0]}]', "exactly 'rotvec' and 'translation'"),
        ('{"sample": 0, "rotvec_range": [[0, 1], [0, 1], [0, 1]]}', "integer >= 1"),
        ('{"sample": 2, "rotvec_range": [[1, 0], [0, 1], [0, 1]]}', "lo <= hi"),
        ('{"sample": 2}', "needs 'rotvec_range'"),
        ('{"views": []}', "expected a list"),
    ],
)
def test_bad_view_files_name_the_file_and_the_problem(tmp_path, content, fragment):
    spec = tmp_path / "bad_views.json"
    spec.write_text(content)
    with pytest.raises(ViewSpecError) as error:
        parse_view_plan(str(spec))
    assert "bad_views.json" in str(error.value) and fragment in str(error.value)


def test_unknown_view_spec():
    with pytest.raises(ViewSpecError, match="paper5"):
        parse_view_plan("paper5")


# ------------------------------------------------------------------------------ COCO reading
def _write_coco(path, images, annotations, categories=({"id": 1, "name": "a"},)):
    path.write_text(json.dumps(
        {"images": images, "annotations": annotations, "categories": list(categories)}
    ))
    return path


def test_malformed_json_is_unusable(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"images": [')
    with pytest.raises(CocoFormatError, match=r"broken\.json: malformed JSON"):
        read_coco_detection(path)


@pytest.mark.parametrize(
    "document, fragment",
    [
        ([], "top level is not a JSON object"),
        ({"annotations": [], "categories": []}, "no 'images' list"),
        ({"images": []}, "no 'categories' list"),
        ({"images": [], "categories": [{"id": 1}, {"id": 1}]}, "category id 1 appears twice"),
    ],
)
def test_structurally_broken_files_are_unusable(tmp_path, document, fragment):
    path = tmp_path / "a.json"
    path.write_text(json.dumps(document))
    with pytest.raises(CocoFormatError, match=fragment):
        read_coco_detection(path)


def test_item_problems_get_one_line_each(tmp_path):
    images = [
        {"id": 2, "file_name": "b.jpg", "width": 50, "height": 40},
        {"id": 1, "file_name": "a.jpg", "width": 50, "height": 40},
        {"id": 2, "file_name": "dup.jpg"},
        {"id": "x", "file_name": "c.jpg"},
        {"id": 3, "file_name": "d.jpg", "width": 0, "height": 40},
    ]
    annotations = [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4]},
        {"id": 1, "image_id": 2, "category_id": 1, "bbox": [5, 5, 5, 5]},
        {"id": 3, "image_id": 1, "category_id": 1, "bbox": [1, 2, 0, 4]},
        {"id": 4, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, -1]},
        {"id": 5, "image_id": 1, "category_id": 9, "bbox": [1, 2, 3, 4]},
        {"id": 6, "image_id": 99, "category_id": 1, "bbox": [1, 2, 3, 4]},
        {"id": 7, "image_id": 1, "category_id": 1, "bbox": [1, 2, "w", 4]},
        {"id": 8, "image_id": 1, "category_id": 1, "bbox": [1, 2, float("nan"), 4]},
    ]
    dataset = read_coco_detection(_write_coco(tmp_path / "a.json", images, annotations))
    assert [image.id for image in dataset.images] == [1, 2, 3]
    assert dataset.images[1].file_name == "b.jpg"  # the first entry of id 2 wins
    assert dataset.images[2].width is None  # invalid size ignored
    assert [box.annotation_id for box in dataset.images[0].boxes] == [1]
    assert dataset.images[0].boxes[0].xyxy == (1.0, 2.0, 4.0, 6.0)
    assert [box.annotation_id for box in dataset.images[1].boxes] == [1]  # duplicate id kept
    messages = [problem.message for problem in dataset.problems]
    expected = [
        "image id 2 (dup.jpg): duplicate image id",
        "images[3]: no integer 'id'",
        "image id 3 (d.jpg): invalid width/height",
        "annotation id 1 (image id 2, b.jpg): duplicate annotation id",
        "annotation id 3 (image id 1, a.jpg): bbox [1.0, 2.0, 0.0, 4.0] has zero or negative",
        "annotation id 4 (image id 1, a.jpg): bbox [1.0, 2.0, 3.0, -1.0] has zero or negative",
        "annotation id 5 (image id 1, a.jpg): unknown category_id 9",
        "annotation id 6: unknown image_id 99",
        "annotation id 7 (image id 1, a.jpg): bbox [1, 2, 'w', 4] is not 4 finite numbers",
        "annotation id 8 (image id 1, a.jpg): bbox [1, 2, nan, 4] is not 4 finite numbers",
    ]
    assert len(messages) == len(expected)
    for message, start in zip(messages, expected):
        assert message.startswith(start), (message, start)


def test_boxes_are_fitted_to_the_decoded_image():
    image = SourceImage(5, "e.jpg", None, None, [
        SourceBox(1, 1, (10.0, 10.0, 20.0, 20.0)),
        SourceBox(2, 1, (-5.0, 30.0, 15.0, 50.0)),   # partly outside: clip x1, y2
        SourceBox(3, 1, (70.0, 10.0, 90.0, 20.0)),   # wholly right of the image
        SourceBox(4, 1, (10.0, 40.0, 20.0, 60.0)),   # starts exactly at the bottom edge
    ])
    kept, problems = fit_boxes_to_image(image, height=40, width=64)
    assert [box.annotation_id for box in kept] == [1, 2]
    assert kept[1].xyxy == (0.0, 30.0, 15.0, 40.0)
    assert len(problems) == 3
    assert "annotation id 2 (image id 5, e.jpg)" in problems[0].message
    assert "extends outside the 64x40 image; clipped" in problems[0].message
    assert "annotation id 3" in problems[1].message and "wholly outside" in problems[1].message
    assert "annotation id 4" in problems[2].message and "wholly outside" in problems[2].message


# -------------------------------------------------------------------------------- image files
def test_gray_rgba_and_16_bit_images_become_rgb(tmp_path):
    gray = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    cv2.imwrite(str(tmp_path / "gray.png"), gray)
    loaded = read_image_rgb(tmp_path / "gray.png")
    assert loaded.rgb.shape == (3, 4, 3) and loaded.conversions == ["grayscale expanded to RGB"]
    np.testing.assert_allclose(loaded.rgb[..., 1], gray / 255.0, atol=1e-7)

    bgra = np.zeros((2, 3, 4), np.uint8)
    bgra[..., 0], bgra[..., 2], bgra[..., 3] = 200, 50, 7  # blue 200, red 50, alpha 7
    cv2.imwrite(str(tmp_path / "rgba.png"), bgra)
    loaded = read_image_rgb(tmp_path / "rgba.png")
    assert loaded.conversions == ["alpha channel dropped"]
    np.testing.assert_allclose(loaded.rgb[0, 0], [50 / 255, 0, 200 / 255], atol=1e-7)

    deep = np.full((2, 2, 3), 32768, np.uint16)
    deep[0, 0] = 65535
    cv2.imwrite(str(tmp_path / "deep.png"), deep)
    loaded = read_image_rgb(tmp_path / "deep.png")
    assert loaded.conversions == ["16-bit image scaled to [0, 1]"]
    assert loaded.rgb[0, 0, 0] == 1.0
    assert loaded.rgb[1, 1, 0] == pytest.approx(32768 / 65535)


def test_missing_and_undecodable_images(tmp_path):
    with pytest.raises(ImageReadError, match="file not found"):
        read_image_rgb(tmp_path / "nope.jpg")
    (tmp_path / "text.jpg").write_bytes(b"not an image at all")
    with pytest.raises(ImageReadError, match="not a decodable image"):
        read_image_rgb(tmp_path / "text.jpg")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ImageReadError, match="empty"):
        read_image_rgb(tmp_path / "empty.png")


def test_atomic_image_write_round_trips_and_leaves_no_temporary(tmp_path):
    rgb = np.zeros((5, 6, 3), np.uint8)
    rgb[..., 0] = 255  # pure red
    write_image_atomic(tmp_path / "red.png", rgb)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["red.png"]
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "red.png").rgb[..., 0], 1.0)
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "red.png").rgb[..., 2], 0.0)


def test_output_stems_disambiguate_shared_stems():
    images = [SourceImage(1, "a/0001.jpg", None, None), SourceImage(2, "b/0001.png", None, None),
              SourceImage(3, "c/0002.JPG", None, None), SourceImage(4, "0002.jpg", None, None),
              SourceImage(5, "x/only.jpg", None, None)]
    assert output_stems(images) == {1: "0001_id1", 2: "0001_id2", 3: "0002_id3",
                                    4: "0002_id4", 5: "only"}


# ------------------------------------------------------------------------------- render frame
HEIGHT, WIDTH, CANVAS = 48, 80, 32
FOCAL = (WIDTH / 2) / math.tan(math.radians(30))  # default intrinsics (docs/conventions.md)


def _constant_depth(z: float) -> torch.Tensor:
    return torch.full((CANVAS, CANVAS), z, dtype=torch.float64)


def test_canvas_intrinsics_are_scaled_per_axis():
    frame = RenderFrame(HEIGHT, WIDTH, CANVAS)
    K = frame.grid_intrinsics(CANVAS, CANVAS)
    expected = torch.tensor([[FOCAL * CANVAS / WIDTH, 0, CANVAS / 2],
                             [0, FOCAL * CANVAS / HEIGHT, CANVAS / 2], [0, 0, 1]])
    torch.testing.assert_close(K, expected)


def test_sideways_move_shifts_boxes_by_focal_times_baseline_over_depth():
    frame = RenderFrame(HEIGHT, WIDTH, CANVAS)
    boxes = np.array([[20.0, 10.0, 40.0, 30.0], [50.0, 5.0, 70.0, 25.0]])
    depth, tx, ty = 4.0, 0.3, -0.2
    carried = carry_boxes(boxes, _constant_depth(depth), frame,
                          View(0, (0.0, 0.0, 0.0), (tx, ty, 0.0)), "object_plane", 0.5)
    # u' = u - f tx / Z in source pixels (fx = fy = FOCAL at source size).
    shift = np.array([-FOCAL * tx / depth, -FOCAL * ty / depth] * 2)
    np.testing.assert_allclose(carried.boxes, boxes + shift, atol=1e-6)
    assert carried.drop_reasons == [None, None]


def test_forward_move_scales_boxes_about_the_principal_point():
    frame = RenderFrame(HEIGHT, WIDTH, CANVAS)
    boxes = np.array([[30.0, 20.0, 44.0, 30.0]])
    depth, tz = 5.0, 1.0
    carried = carry_boxes(boxes, _constant_depth(depth), frame,
                          View(0, (0.0, 0.0, 0.0), (0.0, 0.0, tz)), "corners", 0.5)
    centre = np.array([WIDTH / 2, HEIGHT / 2] * 2)
    expected = centre + (boxes - centre) * depth / (depth - tz)
    np.testing.assert_allclose(carried.boxes, expected, atol=1e-6)


def test_drop_reasons():
    frame = RenderFrame(CANVAS, CANVAS, CANVAS)  # square: canvas pixels are source pixels
    depth = torch.full((CANVAS, CANVAS), 10.0, dtype=torch.float64)
    depth[:, 18:] = 1.0  # a near wall right of column 18
    boxes = np.array([
        [8.0, 8.0, 14.0, 14.0],    # far, will hide behind the near wall sliding left
        [0.0, 20.0, 4.0, 26.0],    # far, at the left edge: leaves the frame
        [10.0, 2.0, 10.4, 6.0],    # 0.4 px wide: stays in view but too small
    ])
    tx = 0.25  # far points (z = 10) shift f * tx / 10 = 0.69 px left
    carried = carry_boxes(boxes[2:], depth, frame, View(0, (0.0, 0.0, 0.0), (tx, 0.0, 0.0)),
                          "object_plane", 0.5)
    far_shift = (CANVAS / 2) / math.tan(math.radians(30)) * tx / 10.0
    assert carried.drop_reasons == ["too_small"]
    assert carried.visible[0] == 1.0 and carried.boxes[0, 0] == pytest.approx(10 - far_shift)
    big = carry_boxes(boxes[:2], depth, frame, View(0, (0.0, 0.0, 0.0), (2.0, 0.0, 0.0)),
                      "object_plane", 0.5)
    # tx = 2: the near wall shifts 55 px, out of the frame; far points shift 5.5 px:
    # box 0 (x 8..14 -> 2.5..8.5) stays in view, box 1 (x 0..4) leaves it.
    assert big.drop_reasons == [None, "left_frame"]
    hidden = carry_boxes(boxes[:1], depth, frame, View(0, (0.0, 0.0, 0.0), (0.6, 0.0, 0.0)),
                         "object_plane", 0.5)
    # tx = 0.6: the wall shifts 16.6 px to start at 1.4 and covers the whole far box.
    assert hidden.drop_reasons == ["occluded"]
