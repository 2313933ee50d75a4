"""Gaussian focal loss whose positives carry a weight (keypoint mixup, paper section 3.4)."""
from typing import Optional

import torch.nn as nn
from mmdet.models.losses.utils import weighted_loss
from mmdet.registry import MODELS
from torch import Tensor


@weighted_loss
def weighted_gaussian_focal_loss(pred: Tensor, target: Tensor, positive_weights: Tensor,
                                 alpha: float = 2.0, gamma: float = 4.0,
                                 pos_weight: float = 1.0, neg_weight: float = 1.0) -> Tensor:
    """Element-wise loss, all tensors (B, C, H, W); see WeightedGaussianFocalLoss."""
    eps = 1e-12
    negative_mask = positive_weights.eq(0)
    pos_loss = -(pred + eps).log() * (1 - pred).pow(alpha) * positive_weights
    neg_loss = (-(1 - pred + eps).log() * pred.pow(alpha)
                * (1 - target).pow(gamma) * negative_mask)
    return pos_weight * pos_loss + neg_weight * neg_loss


@MODELS.register_module()
class WeightedGaussianFocalLoss(nn.Module):
    """CornerNet/CenterNet Gaussian focal loss with weighted positives.

    With prediction p, Gaussian target heatmap Y (each box's Gaussian scaled by its
    weight, merged by max) and positive-weight map W (W = w at the peak pixel of a box
    of weight w, max over boxes sharing that pixel and class, 0 elsewhere), the loss is::

        L = loss_weight / N * sum_{b,c,y,x} [
                pos_weight * W * (-log p) * (1 - p)^alpha
              + neg_weight * [W == 0] * (1 - Y)^gamma * (-log(1 - p)) * p^alpha ]

    where N is the ``avg_factor`` given by the caller (WeightedCenterNetHead passes
    max(1, sum W), the weighted number of positives) and logs take a 1e-12 epsilon.
    Peak pixels are positives of weight w and never negatives. With unit weights W is
    exactly ``Y == 1`` and the loss equals mmdet's GaussianFocalLoss, whose positives
    are the pixels where the target equals 1 (there (1 - Y)^gamma = 0).

    Args mirror GaussianFocalLoss: alpha, gamma, reduction, loss_weight, pos_weight,
    neg_weight.
    """

    def __init__(self, alpha: float = 2.0, gamma: float = 4.0, reduction: str = 'mean',
                 loss_weight: float = 1.0, pos_weight: float = 1.0,
                 neg_weight: float = 1.0) -> None:
        super().__init__()
        self.alpha = alpha
        self.gamma = gamma
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.pos_weight = pos_weight
        self.neg_weight = neg_weight

    def forward(self, pred: Tensor, target: Tensor, positive_weights: Tensor,
                weight: Optional[Tensor] = None, avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None) -> Tensor:
        """pred, target, positive_weights (and weight when given): (B, C, H, W)."""
        if reduction_override not in (None, 'none', 'mean', 'sum'):
            raise ValueError(f'WeightedGaussianFocalLoss: bad reduction {reduction_override!r}')
        reduction = reduction_override or self.reduction
        return self.loss_weight * weighted_gaussian_focal_loss(
            pred, target, weight, reduction=reduction, avg_factor=avg_factor,
            positive_weights=positive_weights, alpha=self.alpha, gamma=self.gamma,
            pos_weight=self.pos_weight, neg_weight=self.neg_weight)
