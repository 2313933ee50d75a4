"""MMDetection 3.x plugin of DANR: importing it registers the components below.

Use from a config with
``custom_imports = dict(imports=['mmdet_plugin'], allow_failed_imports=False)``.
The renderer's training components live in the separate package ``danr_mmengine`` (MMEngine
alone, no mmdet), which the renderer configs import.
"""
from .danr_dataset import DANRAugmentedDataset, DANRRenderedCocoDataset
from .disturb_boxes import DisturbBoxes
from .efficientnet_lite import EfficientNetLite0
from .keypoint_mixup import KeypointMixUp
from .review_metric import ReviewAUCMetric
from .view_epoch_hook import DANRViewEpochHook
from .weight_transforms import KeepGtWeightsAligned, PackDetInputsWithWeights
from .weighted_centernet_head import WeightedCenterNetHead
from .weighted_focal_loss import WeightedGaussianFocalLoss

__all__ = [
    'DANRAugmentedDataset', 'DANRRenderedCocoDataset', 'DANRViewEpochHook', 'DisturbBoxes',
    'EfficientNetLite0', 'KeepGtWeightsAligned', 'KeypointMixUp', 'PackDetInputsWithWeights',
    'ReviewAUCMetric', 'WeightedCenterNetHead', 'WeightedGaussianFocalLoss',
]
