"""danr_renderer.depth_scale and tools/calibrate_depth_scale.py on synthetic footage laid out as
posed footage, whose exact depth is known: a depth net off by known factors per frame must get
the hand-computed factor back, and the calibrated renderer must predict exactly that factor times
the old depth."""
import hashlib
import json

import numpy as np
import pytest
import torch

from danr_renderer.data.depth_points import read_depth_points
from danr_renderer.data.image_io import read_image_rgb
from danr_renderer.depth_scale import fit_depth_scale, with_depth_scale
from danr_renderer.evaluation.posed import MIN_SOURCE_POINTS, canvas_image, load_posed_frames
from danr_renderer.renderer import NovelViewRenderer

SIZE = 40
# Per frame: how many of its exact-depth pixels become its "SfM points", and the factor by which
# the stand-in depth net below is off there.
POINTS = [150, 10, 10, 10, MIN_SOURCE_POINTS - 1]
OFF_BY = [1.0, 2.0, 4.0, 8.0, 1000.0]


@pytest.fixture(scope="module")
def footage(tmp_path_factory, synthetic_posed_footage):
    """Five frames of one synthetic clip, frame i with POINTS[i] pixels of its exact depth as
    SfM points."""
    return synthetic_posed_footage(tmp_path_factory.mktemp("posed"), SIZE, 4, POINTS)


class OffByFactorDepth:
    """Stands in for a renderer's depth net: frame i's exact depth divided by OFF_BY[i], found by
    comparing the canvas it is shown with each frame's."""

    def __init__(self, video):
        self.frames = []
        for frame, off_by in zip(load_posed_frames(video), OFF_BY):
            uv, z = read_depth_points(video / "depth" / frame.clip / f"{frame.timestamp}.npz")
            exact = torch.zeros(SIZE, SIZE)
            exact[(uv[:, 1] - 0.5).astype(int), (uv[:, 0] - 0.5).astype(int)] = torch.from_numpy(z)
            self.frames.append((canvas_image(read_image_rgb(frame.image_path).rgb, SIZE), exact / off_by))

    def predict_depth(self, image):
        for canvas, depth in self.frames:
            if torch.equal(canvas, image):
                return depth[None, None]
        raise AssertionError("an image the stand-in does not know")


def test_the_factor_is_the_median_over_frames_of_each_frames_factor(footage):
    """Frames' factors 1, 2, 4 and 8 (the fifth frame has too few points to count): numpy's median
    of their logs is the mean of the middle two, so the factor is sqrt(2 * 4). Pooling the points
    instead would give 1 (150 of the 180 points are the first frame's)."""
    fit = fit_depth_scale(OffByFactorDepth(footage[0]), load_posed_frames(footage[0]), SIZE)
    assert fit.num_frames == 4 and fit.num_points == 180
    assert fit.factor == pytest.approx(np.sqrt(2.0 * 4.0), rel=1e-5)
    np.testing.assert_allclose(fit.frame_factors, [1.0, 2.0, 4.0, 8.0], rtol=1e-5)
    summary = fit.summary()
    assert summary["factor"] == fit.factor and summary["frame_factor_quartiles"][1] == pytest.approx(3.0, rel=1e-5)


def test_no_frame_with_enough_points_is_an_error(footage):
    frames = load_posed_frames(footage[0])[-1:]
    with pytest.raises(ValueError, match=f"none of the 1 frames has {MIN_SOURCE_POINTS} SfM points"):
        fit_depth_scale(OffByFactorDepth(footage[0]), frames, SIZE)


def tiny_renderer(depth_net):
    torch.manual_seed(0)
    return NovelViewRenderer(feature_channels=8, encoder_widths=[8], decoder_widths=[8, 8], depth_base_channels=8,
                             depth_levels=2, depth_max_channels=16, min_depth=0.5, max_depth=6.0,
                             depth_net=depth_net).eval()


@pytest.mark.parametrize("depth_net", ["hourglass", "lite0"])
def test_a_scaled_renderer_predicts_exactly_factor_times_the_depth(depth_net):
    renderer = tiny_renderer(depth_net)
    image = torch.rand(2, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    scaled = with_depth_scale(renderer, 0.625)
    with torch.no_grad():
        torch.testing.assert_close(scaled.predict_depth(image), 0.625 * renderer.predict_depth(image))
    assert scaled.to_config()["max_depth"] == pytest.approx(0.625 * 6.0) and not scaled.training
    for key, value in renderer.state_dict().items():
        assert torch.equal(scaled.state_dict()[key], value), key
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="finite factor > 0"):
            with_depth_scale(renderer, bad)


def test_the_tool_writes_a_calibrated_checkpoint_and_leaves_its_input(footage, tmp_path, run_tool):
    video, frames_file = footage
    checkpoint, out = tmp_path / "in.pth", tmp_path / "calibrated.pth"
    renderer = tiny_renderer("hourglass")
    renderer.save_checkpoint(checkpoint, extra={"iter": 7})
    before = hashlib.sha256(checkpoint.read_bytes()).hexdigest()
    # Only the first three frames are "training frames" here.
    coco = json.loads(frames_file.read_text())
    coco["images"] = coco["images"][:3]
    coco["annotations"] = [a for a in coco["annotations"] if a["image_id"] in {i["id"] for i in coco["images"]}]
    fit_file = tmp_path / "fit.json"
    fit_file.write_text(json.dumps(coco))
    run_tool("tools/calibrate_depth_scale.py", "--checkpoint", checkpoint, "--posed", video, "--ann-file", fit_file,
             "--group-key", "scene", "--size", SIZE, "--out", out)
    assert hashlib.sha256(checkpoint.read_bytes()).hexdigest() == before
    payload = torch.load(out, weights_only=True)
    summary = payload["extra"]["depth_scale"]
    assert payload["extra"]["iter"] == 7 and summary["num_frames"] == 3 and summary["num_points"] == 170
    # The factor is the median of the three frames' own factors, each recomputed here from the
    # renderer's depth at the points; the calibrated renderer's depth is that factor times it.
    frames = load_posed_frames(video)[:3]
    own = []
    with torch.no_grad():
        for frame in frames:
            uv, z = read_depth_points(frame.depth_path)
            depth = renderer.predict_depth(canvas_image(read_image_rgb(frame.image_path).rgb, SIZE))[0, 0]
            at_points = depth[(uv[:, 1] - 0.5).astype(int), (uv[:, 0] - 0.5).astype(int)].numpy()
            own.append(np.exp(np.median(np.log(z) - np.log(at_points))))
    assert summary["factor"] == pytest.approx(float(np.median(own)), rel=1e-4)
    calibrated = NovelViewRenderer.load_checkpoint(out).eval()
    image = canvas_image(read_image_rgb(frames[0].image_path).rgb, SIZE)
    with torch.no_grad():
        torch.testing.assert_close(calibrated.predict_depth(image), summary["factor"] * renderer.predict_depth(image))
    result = run_tool("tools/calibrate_depth_scale.py", "--checkpoint", checkpoint, "--posed", video, "--out",
                      checkpoint, check=False)
    assert result.returncode != 0 and "is the input checkpoint" in result.stderr
