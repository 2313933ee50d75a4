"""WeightedCenterNetHead and WeightedGaussianFocalLoss (mmdet_plugin)."""
import pytest

pytest.importorskip("mmdet")

import math  # noqa: E402

import torch  # noqa: E402
from mmdet.registry import MODELS  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

import mmdet_plugin  # noqa: E402,F401  (registers the plugin)

IMG = (128, 128)
FEAT = (1, 3, 32, 32)  # stride 4


def head(cls_name='WeightedCenterNetHead', seed=0, **kwargs):
    torch.manual_seed(seed)
    built = MODELS.build(dict(type=cls_name, in_channels=8, feat_channels=8, num_classes=3,
                              **kwargs))
    built.init_weights()
    return built


def targets(boxes, labels, weights=None):
    return head().get_targets([torch.tensor(boxes, dtype=torch.float32)],
                              [torch.tensor(labels)], FEAT, IMG,
                              None if weights is None else [torch.tensor(weights)])


def stock_targets(boxes, labels):
    return head('CenterNetHead', loss_center_heatmap=dict(type='GaussianFocalLoss')).get_targets(
        [torch.tensor(boxes, dtype=torch.float32)], [torch.tensor(labels)], FEAT, IMG)


def test_heatmap_peaks_at_box_weight_and_scales_the_stock_gaussian():
    box = [[20.0, 30.0, 60.0, 70.0]]  # centre (40, 50) px -> (10, 12.5) on the heatmap
    target, avg_factor = targets(box, [1], [0.3])
    heatmap = target['center_heatmap_target'][0, 1]
    assert heatmap[12, 10].item() == pytest.approx(0.3)
    assert heatmap.max().item() == pytest.approx(0.3)
    stock, _ = stock_targets(box, [1])
    torch.testing.assert_close(target['center_heatmap_target'],
                               0.3 * stock['center_heatmap_target'])
    assert target['center_heatmap_positive_weights'][0, 1, 12, 10].item() == pytest.approx(0.3)
    assert target['center_heatmap_positive_weights'].sum().item() == pytest.approx(0.3)
    assert target['wh_offset_target_weight'][0, :, 12, 10].tolist() == pytest.approx([0.3, 0.3])
    assert float(avg_factor) == 1.0  # max(1, sum of weights)


def test_overlapping_boxes_merge_by_max():
    boxes = [[20.0, 20.0, 80.0, 80.0], [28.0, 20.0, 88.0, 80.0]]  # centres 2 heatmap px apart
    weights = [0.9, 0.4]
    both, avg_factor = targets(boxes, [0, 0], weights)
    first, _ = targets(boxes[:1], [0], weights[:1])
    second, _ = targets(boxes[1:], [0], weights[1:])
    torch.testing.assert_close(
        both['center_heatmap_target'],
        torch.maximum(first['center_heatmap_target'], second['center_heatmap_target']))
    heatmap = both['center_heatmap_target'][0, 0]
    assert heatmap[12, 12].item() == pytest.approx(0.9)
    # The weaker box's peak is covered by the stronger box's Gaussian tail.
    assert heatmap[12, 14].item() > 0.4
    positives = both['center_heatmap_positive_weights'][0, 0]
    assert positives[12, 12].item() == pytest.approx(0.9)
    assert positives[12, 14].item() == pytest.approx(0.4)
    assert float(avg_factor) == pytest.approx(1.3)


def test_boxes_sharing_a_centre_keep_the_larger_weight():
    boxes = [[20.0, 20.0, 80.0, 80.0], [30.0, 30.0, 70.0, 70.0]]  # same centre, (12, 12)
    for weights in ([0.9, 0.4], [0.4, 0.9]):
        target, avg_factor = targets(boxes, [2, 2], weights)
        assert target['center_heatmap_target'][0, 2, 12, 12].item() == pytest.approx(0.9)
        assert target['center_heatmap_positive_weights'][0, 2, 12, 12].item() == pytest.approx(0.9)
        assert float(avg_factor) == 1.0


def test_weighted_focal_loss_matches_its_formula():
    torch.manual_seed(1)
    pred = torch.rand(1, 2, 4, 5) * 0.98 + 0.01
    target = torch.rand(1, 2, 4, 5) * 0.5
    positives = torch.zeros(1, 2, 4, 5)
    for (c, y, x), w in zip([(0, 1, 2), (1, 3, 4), (1, 0, 0)], [0.7, 0.2, 1.0]):
        positives[0, c, y, x] = w
        target[0, c, y, x] = w
    loss = MODELS.build(dict(type='WeightedGaussianFocalLoss', loss_weight=2.0))
    got = loss(pred, target, positives, avg_factor=1.9)
    expected = 0.0
    for p, t, w in zip(pred.flatten().tolist(), target.flatten().tolist(),
                       positives.flatten().tolist()):
        if w > 0:
            expected += w * -math.log(p) * (1 - p) ** 2
        else:
            expected += (1 - t) ** 4 * -math.log(1 - p) * p ** 2
    assert got.item() == pytest.approx(2.0 * expected / 1.9, rel=1e-5)


def random_instances(generator, count, weights=None):
    corners = torch.rand(count, 2, generator=generator) * 96
    sizes = torch.rand(count, 2, generator=generator) * 28 + 4
    instances = InstanceData(bboxes=torch.cat([corners, corners + sizes], dim=1),
                             labels=torch.randint(0, 3, (count,), generator=generator))
    if weights is not None:
        instances.weights = weights
    return instances


@pytest.mark.parametrize('with_unit_weights', [False, True])
def test_unit_weights_give_the_stock_losses(with_unit_weights):
    generator = torch.Generator().manual_seed(7)
    features = torch.randn(2, 8, 32, 32, generator=generator)
    batch = [random_instances(generator, n, torch.ones(n) if with_unit_weights else None)
             for n in (5, 3)]
    metas = [dict(batch_input_shape=IMG)] * 2
    stock = head('CenterNetHead', seed=3, loss_center_heatmap=dict(type='GaussianFocalLoss'))
    weighted = head(seed=3)
    expected = stock.loss_by_feat(*stock([features]), batch, metas)
    got = weighted.loss_by_feat(*weighted([features]), batch, metas)
    assert set(got) == set(expected)
    for name in expected:
        assert torch.equal(got[name], expected[name]), name


def test_box_weights_scale_the_size_and_offset_losses():
    features = torch.randn(1, 8, 32, 32, generator=torch.Generator().manual_seed(2))
    weighted = head(seed=5)
    metas = [dict(batch_input_shape=IMG)]
    box = torch.tensor([[20.0, 30.0, 60.0, 70.0]])
    full = weighted.loss_by_feat(*weighted([features]),
                                 [InstanceData(bboxes=box, labels=torch.tensor([1]))], metas)
    half = weighted.loss_by_feat(
        *weighted([features]),
        [InstanceData(bboxes=box, labels=torch.tensor([1]), weights=torch.tensor([0.5]))], metas)
    # One box: the normaliser stays max(1, w) = 1, so the L1 terms scale with the weight.
    for name in ('loss_wh', 'loss_offset'):
        torch.testing.assert_close(half[name], 0.5 * full[name])
    assert half['loss_center_heatmap'] != full['loss_center_heatmap']


def test_stock_focal_loss_config_is_refused():
    with pytest.raises(TypeError, match='WeightedGaussianFocalLoss'):
        head(loss_center_heatmap=dict(type='GaussianFocalLoss'))


def test_a_zero_size_weight_keeps_a_box_in_the_heatmap_and_out_of_the_regression():
    """Box A (size weight 1) and box B (size weight 0): the heatmap loss is that of both
    boxes unweighted; the wh / offset losses are the L1 at A's centre alone, hand-computed
    from the predictions and normalised by 2 * (A's peak alone), so they equal the losses of a
    batch holding A only: B leaves the regression as if absent and does not dilute A's."""
    features = torch.randn(1, 8, 32, 32, generator=torch.Generator().manual_seed(4))
    weighted = head(seed=6)
    metas = [dict(batch_input_shape=IMG)]
    boxes = torch.tensor([[20.0, 30.0, 60.0, 70.0], [70.0, 10.0, 110.0, 34.0]])
    labels = torch.tensor([1, 2])
    heatmap, wh, offset = weighted([features])
    plain = weighted.loss_by_feat(heatmap, wh, offset, [InstanceData(bboxes=boxes, labels=labels)], metas)
    centres_only_b = weighted.loss_by_feat(
        heatmap, wh, offset,
        [InstanceData(bboxes=boxes, labels=labels, size_weights=torch.tensor([1.0, 0.0]))], metas)
    assert centres_only_b['loss_center_heatmap'] == plain['loss_center_heatmap']
    # A: centre (40, 50) px -> (10, 12.5) on the stride-4 heatmap; size (40, 40) px -> (10, 10).
    normaliser = 2 * 1.0
    expected_wh = 0.1 * ((wh[0][0, 0, 12, 10] - 10).abs() + (wh[0][0, 1, 12, 10] - 10).abs()) / normaliser
    expected_offset = ((offset[0][0, 0, 12, 10] - 0.0).abs() + (offset[0][0, 1, 12, 10] - 0.5).abs()) / normaliser
    torch.testing.assert_close(centres_only_b['loss_wh'], expected_wh)
    torch.testing.assert_close(centres_only_b['loss_offset'], expected_offset)
    only_a = weighted.loss_by_feat(heatmap, wh, offset, [InstanceData(bboxes=boxes[:1], labels=labels[:1])], metas)
    torch.testing.assert_close(centres_only_b['loss_wh'], only_a['loss_wh'])
    torch.testing.assert_close(centres_only_b['loss_offset'], only_a['loss_offset'])
    # Mixup weights 0.6 and 0.4 with B out of the regression: A's L1 weighted 0.6 over 2 * 0.6,
    # the same again; B in it at size weight 0.5: (0.6 * L1_A + 0.2 * L1_B) / (2 * 0.8).
    mixed = weighted.loss_by_feat(
        heatmap, wh, offset, [InstanceData(bboxes=boxes, labels=labels, weights=torch.tensor([0.6, 0.4]),
                                           size_weights=torch.tensor([1.0, 0.0]))], metas)
    torch.testing.assert_close(mixed['loss_wh'], expected_wh)
    # B: centre (90, 22) px -> (22.5, 5.5); size (40, 24) px -> (10, 6).
    l1_a = (wh[0][0, 0, 12, 10] - 10).abs() + (wh[0][0, 1, 12, 10] - 10).abs()
    l1_b = (wh[0][0, 0, 5, 22] - 10).abs() + (wh[0][0, 1, 5, 22] - 6).abs()
    half = weighted.loss_by_feat(
        heatmap, wh, offset, [InstanceData(bboxes=boxes, labels=labels, weights=torch.tensor([0.6, 0.4]),
                                           size_weights=torch.tensor([1.0, 0.5]))], metas)
    torch.testing.assert_close(half['loss_wh'], 0.1 * (0.6 * l1_a + 0.2 * l1_b) / (2 * 0.8))
