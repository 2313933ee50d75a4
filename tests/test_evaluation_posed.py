"""danr_renderer.evaluation.posed on synthetic footage laid out as posed footage, where the
exact depth is known: an oracle-depth renderer must score as such, a constant depth cannot."""
import json

import numpy as np
import pytest
import torch

from danr_renderer.data.depth_points import read_depth_points, write_depth_points
from danr_renderer.evaluation.measures import box_errors, greedy_box_pairs
from danr_renderer.evaluation.posed import (
    RULE_SCALE_SUFFIX,
    SFM_SCALE_SUFFIX,
    evaluate_posed,
    load_posed_frames,
    posed_pairs,
)
from danr_renderer.posing import SYNTHETIC_MEDIAN_DEPTH
from danr_renderer.renderer import RenderOutput

SIZE = 48


@pytest.fixture(scope="module")
def footage(tmp_path_factory, synthetic_posed_footage):
    """Synthetic video of 5 frames with 150 'SfM points' each (a subset of the exact depth)."""
    return synthetic_posed_footage(tmp_path_factory.mktemp("posed"), SIZE, 9, [150] * 5)


class OracleDepthRenderer:
    """Stands in for a renderer: the exact depth of the frame it is shown (looked up by its
    pixels), and the source image as its view."""

    factor = 1.0

    def __init__(self, video):
        self.depths = {}
        for path in (video / "depth").rglob("*.npz"):
            uv, z = read_depth_points(path)
            self.depths[path] = torch.from_numpy(z.reshape(SIZE, SIZE))
        self.frames = {frame.depth_path.name: frame for frame in load_posed_frames(video)}
        self.video = video

    def encode(self, image):
        """Features: the image itself; depth: the frame's exact depth times `factor`."""
        import cv2

        for path, depth in self.depths.items():
            rgb = cv2.imread(str(self.video / "frames" / path.parent.name / f"{path.stem}.png"))[:, :, ::-1]
            if np.abs(rgb / 255.0 - image[0].permute(1, 2, 0).numpy()).max() < 1e-3:
                return image, self.factor * depth[None, None]
        raise AssertionError("an image the oracle does not know")

    def render_from(self, features, depth, K, R, T):
        return RenderOutput(features, depth, torch.ones_like(features[:, :1]), None)


class DoubledDepthRenderer(OracleDepthRenderer):
    """The oracle's shape at twice its scale."""

    factor = 2.0


class RuleScaledOracleRenderer(OracleDepthRenderer):
    """The oracle's shape, each frame's depth scaled so that its median (numpy's) is the scale
    rule's SYNTHETIC_MEDIAN_DEPTH."""

    def encode(self, image):
        features, depth = super().encode(image)
        return features, depth * (SYNTHETIC_MEDIAN_DEPTH / float(np.median(depth.numpy())))


def test_pairs_within_the_gap(footage):
    frames = load_posed_frames(footage[0])
    assert [(f.clip, f.row) for f in frames] == [("scene0000", row) for row in range(5)]
    pairs = posed_pairs(frames, max_gap=2)
    assert [(s.row, t.row) for s, t in pairs] == [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4)]
    assert posed_pairs(frames, 2, allowed={("scene0000", 0), ("scene0000", 66666)}) == [(frames[0], frames[2])]


def test_oracle_depth_scores_as_exact_and_a_constant_orders_nothing(footage):
    video, frames_file = footage
    result = evaluate_posed({"oracle": OracleDepthRenderer(video)}, video, SIZE, max_gap=1, ann_file=frames_file,
                            group_key="scene", order_key="frame")
    assert result["num_pairs"] == 4
    oracle, constant = result["depth"]["oracle"], result["depth"]["constant"]
    assert oracle["abs_rel"] < 1e-3 and oracle["delta_1_25"] == 1.0 and oracle["ordered_pairs"] == 1.0
    assert constant["ordered_pairs"] == 0.0 and constant["abs_rel"] > 0.02
    # The oracle's view is the source image itself: it scores exactly as the identity.
    assert result["views"]["oracle"] == result["views"]["identity"]
    for scores in result["views"].values():
        assert all(np.isfinite(value) for value in scores.values())
    boxes = result["boxes"]
    assert {"identity", "plane", "oracle"} <= set(boxes) and boxes["oracle"]["num_boxes"] > 0
    assert all(0.0 <= scores["mean_iou"] <= 1.0 for scores in boxes.values())


def test_size_ratios_of_the_identity_are_those_of_the_annotations(footage):
    """The identity carries each source box unchanged, so its median width and height ratio and
    centre offset over the matches at IoU >= 0.5 follow from the COCO boxes of the frame pairs
    alone (consecutive frames at max_gap=1)."""
    video, frames_file = footage
    result = evaluate_posed({}, video, SIZE, max_gap=1, ann_file=frames_file, group_key="scene", order_key="frame")
    coco = json.loads(frames_file.read_text())
    frame_of = {image["id"]: image["frame"] for image in coco["images"]}
    boxes = {}
    for annotation in coco["annotations"]:
        x, y, w, h = annotation["bbox"]
        boxes.setdefault(frame_of[annotation["image_id"]], []).append(([x, y, x + w, y + h],
                                                                       annotation["category_id"]))
    frames = sorted(boxes)
    ious, errors = [], []
    for source, target in zip(frames, frames[1:]):
        src = torch.tensor([b for b, _ in boxes[source]], dtype=torch.float64)
        tgt = torch.tensor([b for b, _ in boxes[target]], dtype=torch.float64)
        p, t, iou = greedy_box_pairs(src, [c for _, c in boxes[source]], tgt, [c for _, c in boxes[target]])
        ious.append(iou)
        errors.append(box_errors(src[p], tgt[t]))
    ious = torch.cat(ious)
    kept = ious >= 0.5
    assert kept.sum() >= 3  # enough matches for the medians to mean something
    identity = result["boxes"]["identity"]
    widths = torch.cat([e["log_width_ratio"] for e in errors])[kept]
    heights = torch.cat([e["log_height_ratio"] for e in errors])[kept]
    offsets = torch.hypot(torch.cat([e["centre_dx"] for e in errors]), torch.cat([e["centre_dy"] for e in errors]))
    assert identity["width_ratio"] == pytest.approx(float(widths.median().exp()))
    assert identity["height_ratio"] == pytest.approx(float(heights.median().exp()))
    assert identity["centre_offset"] == pytest.approx(float(offsets[kept].median()))
    assert identity["num_boxes"] == sum(len(boxes[target]) for target in frames[1:])


def test_each_box_method_carries_the_same_depths(footage):
    """Box methods are scored side by side on the same depths: the first fills "boxes", the
    default method scores as in a call with it alone, the identity does not depend on the
    method, the methods do differ under the exact depth, and each summary obeys the bounds a
    mean has over its thresholded shares."""
    video, frames_file = footage
    kwargs = dict(ann_file=frames_file, group_key="scene", order_key="frame")
    alone = evaluate_posed({"oracle": OracleDepthRenderer(video)}, video, SIZE, max_gap=2, **kwargs)
    methods = ("corners", "object_plane", "points", "fronto_plane")
    side_by_side = evaluate_posed({"oracle": OracleDepthRenderer(video)}, video, SIZE, max_gap=2,
                                  box_methods=methods, **kwargs)
    by_method = side_by_side["boxes_by_method"]
    assert list(by_method) == list(methods) and side_by_side["boxes"] == by_method["corners"]
    assert by_method["object_plane"] == alone["boxes"] == alone["boxes_by_method"]["object_plane"]
    assert all(by_method[m]["identity"] == alone["boxes"]["identity"] for m in methods)
    assert len({by_method[m]["oracle"]["mean_iou"] for m in methods}) > 1
    for scores in (s for method in methods for s in by_method[method].values()):
        assert scores["num_boxes"] > 0 and scores["share_iou_0_75"] <= scores["share_iou_0_5"]
        assert scores["mean_iou"] >= max(0.5 * scores["share_iou_0_5"], 0.75 * scores["share_iou_0_75"]) - 1e-12
    with pytest.raises(ValueError, match="choose one or more of"):
        evaluate_posed({}, video, SIZE, box_methods=("hull",), **kwargs)


def test_pairs_whose_source_has_no_sfm_points_are_left_out_and_counted(footage, tmp_path):
    """A frame SfM saw no points in (possible at a clip's edge) gives no plane depth and no depth
    score: its pairs as a source are dropped and counted, the rest are scored as before."""
    import shutil

    video = tmp_path / "video"
    shutil.copytree(footage[0], video)
    frames = load_posed_frames(video)
    write_depth_points(frames[1].depth_path, np.zeros((0, 2), np.float32), np.zeros(0, np.float32))
    write_depth_points(frames[3].depth_path, np.ones((1, 2), np.float32), np.ones(1, np.float32))
    result = evaluate_posed({"oracle": OracleDepthRenderer(footage[0])}, video, SIZE, max_gap=1)
    assert result["num_pairs"] == 2 and result["pairs_without_source_points"] == 2  # sources 0 and 2 remain
    assert result["depth"]["oracle"]["ordered_pairs"] == 1.0
    for path in (frames[0].depth_path, frames[2].depth_path):
        write_depth_points(path, np.zeros((0, 2), np.float32), np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="at least 8 SfM points"):
        evaluate_posed({}, video, SIZE, max_gap=1)


def test_the_tool_scores_checkpoints_on_posed_footage(footage, tmp_path, run_tool):
    from danr_renderer.shipped import DEMO_CHECKPOINT

    video, frames_file = footage
    out = tmp_path / "posed.json"
    run_tool("tools/eval_renderer.py", "--posed", video, "--ann-file", frames_file, "--group-key", "scene",
             "--size", SIZE, "--max-frame-gap", 1, "--num-pairs", 2, "--compare", DEMO_CHECKPOINT, "--out", out,
             "--box-methods", "points", "object_plane")
    result = json.loads(out.read_text())
    assert result["num_pairs"] == 2 and result["settings"]["ann_file"] == str(frames_file)
    assert list(result["boxes_by_method"]) == ["points", "object_plane"]
    # --checkpoint defaults to the demo too: both names score, with the baselines.
    assert set(result["depth"]) == {"constant", DEMO_CHECKPOINT.stem}
    assert set(result["views"]) == {"identity", "plane", DEMO_CHECKPOINT.stem}


def test_full_resolution_views_score_the_composite_against_the_plane(footage):
    video, frames_file = footage
    result = evaluate_posed({"oracle": OracleDepthRenderer(video)}, video, SIZE, max_gap=4, ann_file=frames_file,
                            group_key="scene", order_key="frame", full_resolution=True)
    full, canvas = result["views_full_resolution"], result["views"]
    assert set(full) == {"identity", "plane", "oracle"}
    # The frames are SIZE x SIZE: the canvas is the frame itself, so the identity scores alike
    # over the whole image (the covered mask differs: FULL_ALPHA instead of any coverage).
    for key in ("psnr", "ssim", "perceptual"):
        assert full["identity"][key] == pytest.approx(canvas["identity"][key], abs=1e-6)
    # Warped with the exact depth, the source's pixels match the target where the plane covers
    # it better than the unmoved source and than the source warped at one depth (pairs up to 4
    # frames apart: 23.6, 26.2 and 26.3 dB when written).
    assert full["oracle"]["psnr_covered"] > full["identity"]["psnr_covered"] + 2.0
    assert full["oracle"]["psnr_covered"] > full["plane"]["psnr_covered"]
    # The plane leaves its holes black; the oracle fills them from its view.
    assert full["oracle"]["psnr"] > full["plane"]["psnr"] + 1.0


@pytest.fixture(scope="module")
def rescaled(footage):
    """One evaluation with both rescaled variants of the oracle, its doubled twin and the
    rule-scaled reference (shared by the two tests below: the full-resolution scores are slow)."""
    video, frames_file = footage
    renderers = {"oracle": OracleDepthRenderer(video), "doubled": DoubledDepthRenderer(video),
                 "reference": RuleScaledOracleRenderer(video)}
    return evaluate_posed(renderers, video, SIZE, max_gap=4, ann_file=frames_file, group_key="scene",
                          order_key="frame", full_resolution=True, sfm_scale=True, rule_scale=True)


def test_sfm_scale_gives_a_renderer_the_plane_warps_scale(rescaled):
    """A depth of the right shape at twice the scale: its full-resolution views and carried boxes
    differ from the oracle's, and scaled to the SfM points' median they are the oracle's exactly;
    its depth scores (median-scaled) are the oracle's; no depth row is added for the variant."""
    result = rescaled
    full, boxes = result["views_full_resolution"], result["boxes"]
    assert set(result["depth"]) == {"constant", "oracle", "doubled", "reference"}
    assert result["depth"]["doubled"]["abs_rel"] == pytest.approx(result["depth"]["oracle"]["abs_rel"], abs=1e-6)
    assert abs(full["doubled"]["psnr_covered"] - full["oracle"]["psnr_covered"]) > 1e-3
    for name in ("oracle", "doubled"):
        scaled = name + SFM_SCALE_SUFFIX
        for key, value in full["oracle"].items():
            assert full[scaled][key] == pytest.approx(value, abs=1e-4), (scaled, key)
        assert boxes[scaled]["mean_iou"] == pytest.approx(boxes["oracle"]["mean_iou"], abs=1e-6)
    assert boxes["doubled"]["mean_iou"] != pytest.approx(boxes["oracle"]["mean_iou"], abs=1e-4)


def test_rule_scale_sets_each_frames_median_depth_without_the_sfm_points(rescaled):
    """At the rule scale the oracle and its doubled twin both become the oracle scaled per frame
    to the rule's median (a reference computed here with numpy), on every view and box score."""
    full, canvas, boxes = rescaled["views_full_resolution"], rescaled["views"], rescaled["boxes"]
    # The synthetic rooms' frames are not all at the rule's median: scaling changes the views.
    assert abs(full["oracle"]["psnr_covered"] - full["reference"]["psnr_covered"]) > 1e-3
    for name in ("oracle", "doubled"):
        scaled = name + RULE_SCALE_SUFFIX
        for scores in (full, canvas):
            for key, value in scores["reference"].items():
                assert scores[scaled][key] == pytest.approx(value, abs=1e-4), (scaled, key)
        assert boxes[scaled]["mean_iou"] == pytest.approx(boxes["reference"]["mean_iou"], abs=1e-6)
