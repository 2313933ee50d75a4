"""ReviewAUCMetric (mmdet_plugin)."""
import pytest

pytest.importorskip("mmdet")

import math  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402
from mmdet.registry import METRICS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.structures.bbox import HorizontalBoxes  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

import mmdet_plugin  # noqa: E402,F401  (registers the plugin)


def data_sample(pred_scores, num_gt_boxes):
    sample = DetDataSample()
    sample.pred_instances = InstanceData(scores=torch.tensor(pred_scores, dtype=torch.float32),
                                         bboxes=torch.zeros(len(pred_scores), 4))
    sample.gt_instances = InstanceData(bboxes=HorizontalBoxes(torch.ones(num_gt_boxes, 4)),
                                       labels=torch.zeros(num_gt_boxes, dtype=torch.long))
    return sample.to_dict()


def evaluate(samples):
    metric = METRICS.build(dict(type='ReviewAUCMetric'))
    metric.process({}, samples)
    return metric.evaluate(len(samples))


def test_hand_computed_case():
    # Image scores (max detection score, 0 without detections) and labels:
    #   positives 0.9, 0.6, 0.0; negatives 0.4, 0.6, 0.3.
    samples = [data_sample([0.9, 0.2], 1), data_sample([0.4], 0), data_sample([0.6], 2),
               data_sample([], 1), data_sample([0.6, 0.1], 0), data_sample([0.3], 0)]
    got = evaluate(samples)
    # Review curve points (pass-through rate of negatives, recall of positives) at
    # t = 0, .3, .4, .6, .9, inf: (0,1) (0,2/3) (1/3,2/3) (2/3,2/3) (1,1/3) (1,0);
    # area = 2/9 + 2/9 + (1/3)(2/3 + 1/3)/2 = 11/18 (= 5.5 of 9 pairs ordered right).
    assert got['review_auc'] == pytest.approx(11 / 18)
    # Precision-recall at t = .9, .6, .4, .3, 0: (1, 1/3) (2/3, 2/3) (2/4, 2/3) (2/5, 2/3)
    # (1/2, 1): area = 1/3 * 1 + 1/3 * 2/3 + 1/3 * 1/2 = 13/18.
    assert got['pr_auc'] == pytest.approx(13 / 18)


def test_review_auc_is_the_pairwise_ordering_probability():
    rng = np.random.default_rng(0)
    scores = np.round(rng.random(40), 1)  # rounding makes ties
    positive = rng.random(40) < 0.4
    got = evaluate([data_sample([s], int(p)) for s, p in zip(scores, positive)])
    pairs = [(sp > sn) + 0.5 * (sp == sn) for sp in scores[positive] for sn in scores[~positive]]
    assert got['review_auc'] == pytest.approx(np.mean(pairs))


def test_without_negatives_review_auc_is_nan():
    got = evaluate([data_sample([0.5], 1), data_sample([0.2], 1)])
    assert math.isnan(got['review_auc'])
    assert got['pr_auc'] == pytest.approx(1.0)


def test_missing_ground_truth_fails_clearly():
    sample = data_sample([0.5], 1)
    del sample['gt_instances']
    with pytest.raises(KeyError, match='LoadAnnotations'):
        METRICS.build(dict(type='ReviewAUCMetric')).process({}, [sample])
