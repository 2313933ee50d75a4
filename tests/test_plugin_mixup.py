"""KeypointMixUp, PackDetInputsWithWeights and KeepGtWeightsAligned (mmdet_plugin)."""
import pytest

pytest.importorskip("mmdet")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmdet.registry import TRANSFORMS  # noqa: E402
from mmdet.structures.bbox import HorizontalBoxes  # noqa: E402

import mmdet_plugin  # noqa: E402,F401  (registers the plugin)


def sample(image, boxes, labels, weights=None):
    results = dict(img=image, img_shape=image.shape[:2], img_path='x.png',
                   gt_bboxes=HorizontalBoxes(np.asarray(boxes, dtype=np.float32).reshape(-1, 4)),
                   gt_bboxes_labels=np.asarray(labels, dtype=np.int64),
                   gt_ignore_flags=np.zeros(len(labels), dtype=bool))
    if weights is not None:
        results['gt_weights'] = np.asarray(weights, dtype=np.float32)
    return results


def mixed(first, second, **kwargs):
    mixup = TRANSFORMS.build(dict(type='KeypointMixUp', **kwargs))
    first['mix_results'] = [second]
    return mixup(first)


def random_image(rng, height, width):
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_mixed_pixels_and_weights_follow_lambda():
    rng = np.random.default_rng(0)
    image_a, image_b = random_image(rng, 8, 8), random_image(rng, 8, 8)
    np.random.seed(1)
    out = mixed(sample(image_a, [[0, 0, 4, 4], [2, 2, 8, 6]], [3, 1]),
                sample(image_b, [[1, 1, 5, 7]], [2]), prob=1.0)
    lam = float(out['gt_weights'][0])
    assert 0.0 < lam < 1.0
    np.testing.assert_allclose(out['gt_weights'], [lam, lam, 1 - lam], rtol=0, atol=1e-7)
    assert out['gt_weights'].dtype == np.float32
    expected = lam * image_a.astype(np.float64) + (1 - lam) * image_b.astype(np.float64)
    np.testing.assert_allclose(out['img'], expected, atol=1e-3)
    np.testing.assert_array_equal(out['gt_bboxes'].numpy(),
                                  [[0, 0, 4, 4], [2, 2, 8, 6], [1, 1, 5, 7]])
    np.testing.assert_array_equal(out['gt_bboxes_labels'], [3, 1, 2])
    assert out['gt_ignore_flags'].shape == (3,)


def test_existing_weights_are_multiplied():
    rng = np.random.default_rng(1)
    np.random.seed(2)
    out = mixed(sample(random_image(rng, 4, 4), [[0, 0, 2, 2], [1, 1, 3, 3]], [0, 0], [0.5, 1.0]),
                sample(random_image(rng, 4, 4), [[0, 0, 4, 4]], [1], [0.25]), prob=1.0)
    lam = out['gt_weights'][1]
    np.testing.assert_allclose(out['gt_weights'], [0.5 * lam, lam, 0.25 * (1 - lam)], atol=1e-7)


def test_lambda_follows_beta_alpha():
    rng = np.random.default_rng(2)
    image = random_image(rng, 2, 2)
    np.random.seed(3)
    lams = np.array([mixed(sample(image, [[0, 0, 1, 1]], [0]), sample(image, [], []),
                           alpha=1.5, prob=1.0)['gt_weights'][0] for _ in range(4000)])
    # Beta(1.5, 1.5): mean 1/2, variance a*a / ((2a)^2 (2a + 1)) = 1/16 (uniform would be 1/12).
    assert abs(lams.mean() - 0.5) < 0.02
    assert abs(lams.var() - 1 / 16) < 0.006


def test_smaller_image_is_resized_keeping_ratio_and_zero_padded():
    rng = np.random.default_rng(3)
    image_a = random_image(rng, 8, 12)
    image_b = np.full((2, 4, 3), 100, dtype=np.uint8)
    np.random.seed(4)
    out = mixed(sample(image_a, [[0, 0, 2, 2]], [0]), sample(image_b, [[1, 0, 3, 2]], [1]),
                prob=1.0)
    lam = float(out['gt_weights'][0])
    # B (2x4) fits 8x12 with factor min(8/2, 12/4) = 3: it covers rows 0..5, all 12 columns.
    expected = lam * image_a.astype(np.float64)
    expected[:6] += (1 - lam) * 100
    np.testing.assert_allclose(out['img'], expected, atol=1e-3)
    assert out['img_shape'] == (8, 12)
    np.testing.assert_allclose(out['gt_bboxes'].numpy()[1], [3, 0, 9, 6])


def test_prob_zero_leaves_the_sample_untouched():
    rng = np.random.default_rng(4)
    image_a = random_image(rng, 6, 6)
    out = mixed(sample(image_a.copy(), [[0, 0, 3, 3], [1, 1, 2, 2]], [0, 1]),
                sample(random_image(rng, 6, 6), [[0, 0, 6, 6]], [1]), prob=0.0)
    np.testing.assert_array_equal(out['img'], image_a)
    assert out['img'].dtype == np.uint8
    np.testing.assert_array_equal(out['gt_weights'], [1.0, 1.0])
    assert len(out['gt_bboxes']) == 2


def test_prob_sets_the_share_of_mixed_samples():
    rng = np.random.default_rng(5)
    image = random_image(rng, 2, 2)
    np.random.seed(6)
    outs = [mixed(sample(image, [[0, 0, 1, 1]], [0]), sample(image, [[0, 0, 2, 2]], [0]),
                  prob=0.3) for _ in range(2000)]
    share = np.mean([len(out['gt_bboxes']) == 2 for out in outs])
    assert abs(share - 0.3) < 0.04


def test_mixup_without_mix_results_fails_clearly():
    mixup = TRANSFORMS.build(dict(type='KeypointMixUp'))
    with pytest.raises(ValueError, match='mix_results'):
        mixup(sample(np.zeros((2, 2, 3), np.uint8), [[0, 0, 1, 1]], [0]))


def test_packing_puts_weights_in_gt_instances():
    results = sample(np.zeros((4, 4, 3), np.uint8), [[0, 0, 1, 1], [1, 1, 2, 2], [0, 0, 4, 4]],
                     [0, 1, 2], [0.2, 0.5, 0.7])
    results['gt_ignore_flags'] = np.array([False, True, False])
    packed = TRANSFORMS.build(dict(type='PackDetInputsWithWeights'))(results)
    instances = packed['data_samples'].gt_instances
    torch.testing.assert_close(instances.weights, torch.tensor([0.2, 0.7]))
    torch.testing.assert_close(instances.labels, torch.tensor([0, 2]))
    torch.testing.assert_close(packed['data_samples'].ignored_instances.weights,
                               torch.tensor([0.5]))


def test_size_weights_follow_each_image_and_not_lambda():
    """A view (image-level box_size_weight 0) mixed with an original: its boxes get size
    weight 0 and the original's 1, whatever lambda; unmixed, the image's own value."""
    rng = np.random.default_rng(7)
    view = sample(random_image(rng, 4, 4), [[0, 0, 2, 2], [1, 1, 3, 3]], [0, 1])
    view['box_size_weight'] = 0.0
    original = sample(random_image(rng, 4, 4), [[0, 0, 4, 4]], [1])
    np.random.seed(3)
    out = mixed(dict(view), dict(original), prob=1.0)
    np.testing.assert_array_equal(out['gt_size_weights'], [0.0, 0.0, 1.0])
    assert 0.0 < out['gt_weights'][0] < 1.0
    out = mixed(dict(original), dict(view), prob=1.0)
    np.testing.assert_array_equal(out['gt_size_weights'], [1.0, 0.0, 0.0])
    out = mixed(dict(view), dict(original), prob=0.0)
    np.testing.assert_array_equal(out['gt_size_weights'], [0.0, 0.0])


def test_packing_spreads_an_image_size_weight_over_its_boxes():
    results = sample(np.zeros((4, 4, 3), np.uint8), [[0, 0, 1, 1], [1, 1, 2, 2]], [0, 1])
    results['box_size_weight'] = 0.25
    packed = TRANSFORMS.build(dict(type='PackDetInputsWithWeights'))(results)
    torch.testing.assert_close(packed['data_samples'].gt_instances.size_weights,
                               torch.tensor([0.25, 0.25]))
    plain = TRANSFORMS.build(dict(type='PackDetInputsWithWeights'))(
        sample(np.zeros((4, 4, 3), np.uint8), [[0, 0, 1, 1]], [0]))
    assert 'size_weights' not in plain['data_samples'].gt_instances


def test_weights_survive_filtering_only_inside_the_wrapper():
    boxes = [[0, 0, 1, 1], [0, 0, 5, 5], [2, 2, 3, 3], [1, 1, 7, 8]]
    filter_cfg = dict(type='FilterAnnotations', min_gt_bbox_wh=(2, 2))

    def fresh():
        return sample(np.zeros((8, 8, 3), np.uint8), boxes, [5, 6, 7, 8], [0.1, 0.2, 0.3, 0.4])

    wrapped = TRANSFORMS.build(dict(type='KeepGtWeightsAligned', transform=filter_cfg))(fresh())
    np.testing.assert_array_equal(wrapped['gt_bboxes_labels'], [6, 8])
    np.testing.assert_allclose(wrapped['gt_weights'], [0.2, 0.4])
    np.testing.assert_array_equal(wrapped['gt_bboxes'].numpy(), [boxes[1], boxes[3]])

    # The stock filter drops boxes but not their weights; packing then refuses the sample.
    bare = TRANSFORMS.build(filter_cfg)(fresh())
    assert len(bare['gt_weights']) == 4 and len(bare['gt_bboxes']) == 2
    with pytest.raises(ValueError, match='KeepGtWeightsAligned'):
        TRANSFORMS.build(dict(type='PackDetInputsWithWeights'))(bare)


def test_wrapped_random_center_crop_pad_keeps_label_weight_pairs():
    rng = np.random.default_rng(6)
    corners = rng.random((12, 2)) * 56
    boxes = np.concatenate([corners, corners + 8], axis=1)
    labels = np.arange(12)
    crop = TRANSFORMS.build(dict(
        type='KeepGtWeightsAligned',
        transform=dict(type='RandomCenterCropPad', crop_size=(32, 32), ratios=(1.0,),
                       mean=[0, 0, 0], std=[1, 1, 1], to_rgb=False, test_pad_mode=None)))
    np.random.seed(7)
    kept_counts = []
    for _ in range(10):
        results = sample(np.zeros((64, 64, 3), np.float32), boxes, labels, labels / 100)
        out = crop(results)
        kept_counts.append(len(out['gt_bboxes']))
        assert len(out['gt_weights']) == len(out['gt_bboxes_labels']) == kept_counts[-1]
        np.testing.assert_allclose(out['gt_weights'], out['gt_bboxes_labels'] / 100, rtol=1e-6)
    assert 0 < min(kept_counts) and max(kept_counts) < 12  # the crop did drop boxes
