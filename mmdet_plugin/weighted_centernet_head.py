"""CenterNet head trained on per-box weights (keypoint mixup, paper section 3.4) and per-box
box-size weights (rendered views whose carried boxes should teach centres, not sizes)."""
from typing import List, Optional, Tuple

from mmdet.models.dense_heads import CenterNetHead
from mmdet.models.utils import gaussian_radius, gen_gaussian_target
from mmdet.registry import MODELS
from mmdet.utils import ConfigType, InstanceList, OptInstanceList
from torch import Tensor

from .weighted_focal_loss import WeightedGaussianFocalLoss


@MODELS.register_module()
class WeightedCenterNetHead(CenterNetHead):
    """CenterNetHead whose ground-truth boxes carry weights in [0, 1].

    A box of weight w (``gt_instances.weights``, set by KeypointMixUp and packed by
    PackDetInputsWithWeights; 1 when absent) contributes:

    - heatmap target: its Gaussian (CenterNet's radius rule) scaled by w, merged with
      the others by max, so its peak equals w;
    - heatmap loss: a positive of weight w at its peak pixel (WeightedGaussianFocalLoss,
      normalised by max(1, sum of peak weights));
    - wh / offset L1 losses: weight w * s at its centre pixel, where s is its size weight
      (``gt_instances.size_weights``, packed by PackDetInputsWithWeights from a rendered
      view's ``box_size_weight``; 1 when absent); normalised by 2 * the heatmap normaliser
      * (sum of w * s) / (sum of w) over the batch's boxes. With unit size weights that is
      the parent's normaliser; a box of s = 0 stays in the heatmap and leaves the size and
      offset regression as if it were absent, so the other boxes' regression keeps its
      strength (normalised by the heatmap alone, views at s = 0 would dilute it).

    With unit weights (or none) every target and loss equals CenterNetHead's.
    Arguments are CenterNetHead's; ``loss_center_heatmap`` must build a
    WeightedGaussianFocalLoss (the default).
    """

    def __init__(self, *args,
                 loss_center_heatmap: ConfigType = dict(
                     type='WeightedGaussianFocalLoss', loss_weight=1.0),
                 **kwargs) -> None:
        super().__init__(*args, loss_center_heatmap=loss_center_heatmap, **kwargs)
        if not isinstance(self.loss_center_heatmap, WeightedGaussianFocalLoss):
            raise TypeError('WeightedCenterNetHead: loss_center_heatmap must be '
                            "dict(type='WeightedGaussianFocalLoss', ...), got "
                            f'{type(self.loss_center_heatmap).__name__}')

    def loss_by_feat(self, center_heatmap_preds: List[Tensor], wh_preds: List[Tensor],
                     offset_preds: List[Tensor], batch_gt_instances: InstanceList,
                     batch_img_metas: List[dict],
                     batch_gt_instances_ignore: OptInstanceList = None) -> dict:
        """Losses of the head; shapes as in CenterNetHead.loss_by_feat. Box weights
        come from ``gt_instances.weights`` (N,) and size weights from
        ``gt_instances.size_weights`` (N,) when present, else ones."""
        if not len(center_heatmap_preds) == len(wh_preds) == len(offset_preds) == 1:
            raise ValueError('WeightedCenterNetHead works on a single feature level')
        center_heatmap_pred = center_heatmap_preds[0]
        gt_bboxes = [gt.bboxes for gt in batch_gt_instances]
        gt_labels = [gt.labels for gt in batch_gt_instances]
        gt_weights = [gt.weights if 'weights' in gt else gt.bboxes.new_ones(len(gt.bboxes))
                      for gt in batch_gt_instances]
        gt_size_weights = [gt.size_weights if 'size_weights' in gt
                           else gt.bboxes.new_ones(len(gt.bboxes)) for gt in batch_gt_instances]
        targets, avg_factor = self.get_targets(
            gt_bboxes, gt_labels, center_heatmap_pred.shape,
            batch_img_metas[0]['batch_input_shape'], gt_weights=gt_weights,
            gt_size_weights=gt_size_weights)

        loss_center_heatmap = self.loss_center_heatmap(
            center_heatmap_pred, targets['center_heatmap_target'],
            targets['center_heatmap_positive_weights'], avg_factor=avg_factor)
        # wh and offset have 2 channels per positive, hence the doubled normaliser.
        regression_avg_factor = avg_factor * targets['regression_share'] * 2
        loss_wh = self.loss_wh(wh_preds[0], targets['wh_target'],
                               targets['wh_offset_target_weight'], avg_factor=regression_avg_factor)
        loss_offset = self.loss_offset(offset_preds[0], targets['offset_target'],
                                       targets['wh_offset_target_weight'],
                                       avg_factor=regression_avg_factor)
        return dict(loss_center_heatmap=loss_center_heatmap, loss_wh=loss_wh,
                    loss_offset=loss_offset)

    def get_targets(self, gt_bboxes: List[Tensor], gt_labels: List[Tensor],
                    feat_shape: tuple, img_shape: tuple,
                    gt_weights: Optional[List[Tensor]] = None,
                    gt_size_weights: Optional[List[Tensor]] = None) -> Tuple[dict, Tensor]:
        """Targets of a batch, CenterNetHead.get_targets extended with box weights.

        Args:
            gt_bboxes: per image (N_i, 4) boxes x1, y1, x2, y2 in input pixels.
            gt_labels: per image (N_i,) class indices.
            feat_shape: heatmap shape (B, C, H, W).
            img_shape: (h, w) of the batch input.
            gt_weights: per image (N_i,) box weights; None means all ones.
            gt_size_weights: per image (N_i,) factors of the wh / offset weights; None
                means all ones.

        Returns:
            dict with center_heatmap_target and center_heatmap_positive_weights
            (B, num_classes, H, W), wh_target, offset_target and
            wh_offset_target_weight (B, 2, H, W), and regression_share, the share
            (sum of w * s) / (sum of w) of the box weight in the wh / offset regression
            (1 without boxes or when it is 0: the regression then has no positive); and the
            normaliser max(1, sum of center_heatmap_positive_weights).
        """
        img_h, img_w = img_shape[:2]
        batch_size, _, feat_h, feat_w = feat_shape
        width_ratio = float(feat_w / img_w)
        height_ratio = float(feat_h / img_h)

        def zeros(channels: int) -> Tensor:
            return gt_bboxes[-1].new_zeros([batch_size, channels, feat_h, feat_w])

        heatmap, positive_weights = zeros(self.num_classes), zeros(self.num_classes)
        wh_target, offset_target, wh_offset_weight = zeros(2), zeros(2), zeros(2)
        total_weight = total_regression_weight = 0.0
        for b in range(batch_size):
            boxes, labels = gt_bboxes[b], gt_labels[b]
            weights = boxes.new_ones(len(boxes)) if gt_weights is None else gt_weights[b]
            size_weights = (boxes.new_ones(len(boxes)) if gt_size_weights is None
                            else gt_size_weights[b])
            if not len(weights) == len(size_weights) == len(boxes):
                raise ValueError(f'WeightedCenterNetHead: image {b} has {len(weights)} '
                                 f'weights and {len(size_weights)} size weights for '
                                 f'{len(boxes)} boxes')
            total_weight += float(weights.sum())
            total_regression_weight += float((weights * size_weights).sum())
            centre_x = (boxes[:, 0] + boxes[:, 2]) * width_ratio / 2
            centre_y = (boxes[:, 1] + boxes[:, 3]) * height_ratio / 2
            for box, label, weight, size_weight, cx, cy in zip(boxes, labels, weights, size_weights,
                                                               centre_x, centre_y):
                cx_int, cy_int = int(cx), int(cy)
                box_h = (box[3] - box[1]) * height_ratio
                box_w = (box[2] - box[0]) * width_ratio
                radius = max(0, int(gaussian_radius([box_h, box_w], min_overlap=0.3)))
                gen_gaussian_target(heatmap[b, label], [cx_int, cy_int], radius, k=weight)
                peak = positive_weights[b, label, cy_int, cx_int]
                positive_weights[b, label, cy_int, cx_int] = peak.maximum(weight)

                wh_target[b, 0, cy_int, cx_int] = box_w
                wh_target[b, 1, cy_int, cx_int] = box_h
                offset_target[b, 0, cy_int, cx_int] = cx - cx_int
                offset_target[b, 1, cy_int, cx_int] = cy - cy_int
                wh_offset_weight[b, :, cy_int, cx_int] = weight * size_weight

        avg_factor = positive_weights.sum().clamp(min=1)
        regression_share = (total_regression_weight / total_weight
                            if total_weight > 0 and total_regression_weight > 0 else 1.0)
        targets = dict(center_heatmap_target=heatmap,
                       center_heatmap_positive_weights=positive_weights,
                       wh_target=wh_target, offset_target=offset_target,
                       wh_offset_target_weight=wh_offset_weight,
                       regression_share=regression_share)
        return targets, avg_factor
