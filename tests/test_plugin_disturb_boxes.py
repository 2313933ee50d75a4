"""DisturbBoxes (mmdet_plugin): label noise of a set size on ground-truth boxes."""
import math

import pytest

pytest.importorskip("mmdet")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmdet.registry import TRANSFORMS  # noqa: E402
from mmdet.structures.bbox import HorizontalBoxes  # noqa: E402

import mmdet_plugin  # noqa: E402,F401  (registers the plugin)
from danr_renderer.evaluation.measures import box_errors  # noqa: E402


def sample(boxes, height=100, width=200):
    image = np.zeros((height, width, 3), dtype=np.uint8)
    return dict(img=image, img_shape=(height, width),
                gt_bboxes=HorizontalBoxes(np.asarray(boxes, dtype=np.float32).reshape(-1, 4)),
                gt_bboxes_labels=np.zeros(len(boxes), dtype=np.int64))


def disturbed(boxes, seed=0, **kwargs):
    np.random.seed(seed)
    out = TRANSFORMS.build(dict(type='DisturbBoxes', **kwargs))(sample(boxes))
    return out['gt_bboxes'].tensor.numpy()


def test_noise_free_size_change_is_the_hand_computed_box():
    # width 20 -> 22 (x1.1), height 40 -> 20 (x0.5), about the same centre (20, 40).
    out = disturbed([[10, 20, 30, 60]], prob=1.0, log_size_std=0.0, centre_std=0.0,
                    log_size_mean=(math.log(1.1), math.log(0.5)))
    np.testing.assert_allclose(out, [[9, 30, 31, 50]], atol=1e-4)


def test_prob_zero_leaves_boxes_and_image_alone():
    boxes = [[10, 20, 30, 60], [0, 0, 5, 5]]
    results = sample(boxes)
    np.random.seed(0)
    out = TRANSFORMS.build(dict(type='DisturbBoxes', prob=0.0, log_size_std=0.5))(results)
    np.testing.assert_array_equal(out['gt_bboxes'].tensor.numpy(), boxes)
    assert not out['img'].any()


def test_share_of_disturbed_images_follows_prob():
    np.random.seed(3)
    transform = TRANSFORMS.build(dict(type='DisturbBoxes', prob=0.8, log_size_std=0.2))
    changed = [not np.array_equal(transform(sample([[50, 30, 80, 70]]))['gt_bboxes'].tensor.numpy(),
                                  [[50, 30, 80, 70]]) for _ in range(2000)]
    assert abs(np.mean(changed) - 0.8) < 0.03


def test_errors_have_the_set_distribution():
    """box_errors of many disturbed boxes (far from the border) against the originals: log size
    ratios N(mean, 0.2), centre offsets N(0, 0.1) in box units."""
    rng = np.random.default_rng(0)
    centre = np.stack([rng.uniform(60, 140, 4000), rng.uniform(30, 70, 4000)], axis=1)
    size = rng.uniform(4, 12, (4000, 2))
    boxes = np.concatenate([centre - size / 2, centre + size / 2], axis=1)
    out = disturbed(boxes.tolist(), prob=1.0, log_size_mean=(0.05, -0.02), log_size_std=0.2,
                    centre_std=0.1)
    errors = box_errors(torch.as_tensor(out), torch.as_tensor(boxes, dtype=torch.float32))
    for key, mean, std in [('log_width_ratio', 0.05, 0.2), ('log_height_ratio', -0.02, 0.2),
                           ('centre_dx', 0.0, 0.1), ('centre_dy', 0.0, 0.1)]:
        values = errors[key].numpy()
        assert abs(values.mean() - mean) < 0.015, key
        assert abs(values.std() - std) < 0.015, key


def test_boxes_are_clipped_to_the_image_and_degenerate_ones_kept():
    # width 20 -> 40 about x = 190 reaches x = 210: clipped at the image's width, 200
    out = disturbed([[180, 40, 200, 60]], prob=1.0, log_size_std=0.0, centre_std=0.0,
                    log_size_mean=(math.log(2.0), 0.0))
    np.testing.assert_allclose(out, [[170, 40, 200, 60]], atol=1e-4)
    # width 5 -> 0.5 pixel: under one pixel, so the box keeps its coordinates
    out = disturbed([[10, 10, 15, 20]], prob=1.0, log_size_std=0.0, centre_std=0.0,
                    log_size_mean=(math.log(0.1), 0.0))
    np.testing.assert_allclose(out, [[10, 10, 15, 20]])


@pytest.mark.parametrize('kwargs', [dict(prob=1.5), dict(log_size_std=-0.1),
                                    dict(log_size_mean=(0.1,))])
def test_bad_settings_are_refused(kwargs):
    with pytest.raises(ValueError, match='DisturbBoxes'):
        TRANSFORMS.build(dict(type='DisturbBoxes', **kwargs))
