"""Image-level review metric of the paper's ICR experiments (section 4.2, Table 8)."""
import logging
from typing import Sequence

import numpy as np
from mmdet.registry import METRICS
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log


def review_curve(scores: np.ndarray, positive: np.ndarray):
    """Pass-through rate of negatives (x) and recall of positives (y) at every threshold.

    An image is flagged for review when its score is >= t and passes when < t. The
    thresholds are the distinct scores in increasing order, then +inf, so the curve runs
    from (0, 1) to (1, 0). Needs at least one positive and one negative.
    """
    thresholds = np.append(np.unique(scores), np.inf)
    negatives = np.sort(scores[~positive])
    positives = np.sort(scores[positive])
    pass_rate = np.searchsorted(negatives, thresholds, side='left') / len(negatives)
    recall = 1.0 - np.searchsorted(positives, thresholds, side='left') / len(positives)
    return pass_rate, recall


def average_precision(scores: np.ndarray, positive: np.ndarray) -> float:
    """Step-wise area under the precision-recall curve: sum over the distinct scores t,
    from high to low, of (R(t) - R(previous t)) * P(t), with P, R the precision and
    recall of flagging the images scored >= t (R before the first threshold is 0)."""
    thresholds = np.unique(scores)[::-1]
    all_sorted, positives_sorted = np.sort(scores), np.sort(scores[positive])
    flagged = len(all_sorted) - np.searchsorted(all_sorted, thresholds, side='left')
    true_positives = (len(positives_sorted)
                      - np.searchsorted(positives_sorted, thresholds, side='left'))
    precision = true_positives / flagged
    recall = true_positives / positive.sum()
    return float(np.sum(np.diff(recall, prepend=0.0) * precision))


@METRICS.register_module()
class ReviewAUCMetric(BaseMetric):
    """Image review metrics: ``review_auc`` and ``pr_auc``.

    Each image gets a score, its highest detection score (0 without detections), and is
    positive when its ``gt_instances`` hold at least one box (ignored/crowd boxes do not
    count), negative otherwise. A review system flags images scored >= t and lets the
    others pass.

    - ``review_auc``: area under the curve of recall of positives (y, fraction of
      positives scored >= t) against pass-through rate of negatives (x, fraction of
      negatives scored < t), over all thresholds t (the distinct scores and +inf),
      points joined by straight lines (trapezoids). It equals the ROC AUC, i.e.
      P(s_pos > s_neg) + P(s_pos == s_neg) / 2.
    - ``pr_auc``: step-wise area under the precision-recall curve (average precision,
      see ``average_precision``).

    Either is NaN (with a warning) when the images contain no positive or, for
    review_auc, no negative. The test pipeline must load annotations
    (LoadAnnotations) so that data samples carry gt_instances. The keys carry no
    prefix unless one is given (``prefix='icr'`` gives ``icr/review_auc``).
    """

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            if 'gt_instances' not in sample:
                raise KeyError('ReviewAUCMetric: data sample of '
                               f'{sample.get("img_path")} has no gt_instances; keep '
                               'LoadAnnotations in the test pipeline')
            scores = sample['pred_instances']['scores']
            score = float(scores.max()) if len(scores) else 0.0
            self.results.append((score, len(sample['gt_instances']['bboxes']) > 0))

    def compute_metrics(self, results: list) -> dict:
        scores = np.array([score for score, _ in results], dtype=np.float64)
        positive = np.array([is_positive for _, is_positive in results], dtype=bool)
        num_positive, num_negative = int(positive.sum()), int((~positive).sum())
        review_auc = pr_auc = float('nan')
        if num_positive and num_negative:
            pass_rate, recall = review_curve(scores, positive)
            review_auc = float(np.sum(np.diff(pass_rate) * (recall[1:] + recall[:-1]) / 2))
        if num_positive:
            pr_auc = average_precision(scores, positive)
        if not (num_positive and num_negative):
            print_log(f'ReviewAUCMetric: {num_positive} positive and {num_negative} negative '
                      'images; undefined metrics are NaN', logger='current', level=logging.WARNING)
        return dict(review_auc=review_auc, pr_auc=pr_auc)
