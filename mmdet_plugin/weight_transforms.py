"""Transforms that carry per-box weights through a pipeline: the ``gt_weights`` of
KeypointMixUp and the ``gt_size_weights`` of rendered views (DANRAugmentedDataset's
``view_box_size_weight``).

Stock transforms that drop boxes filter ``gt_bboxes``, ``gt_bboxes_labels`` and
``gt_ignore_flags`` (and masks) but not these weights. In MMDetection 3.3 these are:
RandomCenterCropPad, RandomCrop, MinIoURandomCrop, RandomShift, RandomAffine,
RandomErasing, FilterAnnotations, Mosaic / CachedMosaic, MixUp / CachedMixUp and
CopyPaste. Resize, RandomFlip, Pad, PhotoMetricDistortion and Expand never drop boxes
(Resize and RandomFlip clip / flip them in place), so they keep the weights aligned.
Either put box-dropping transforms before KeypointMixUp, or wrap each one placed after
it in ``KeepGtWeightsAligned``. ``PackDetInputsWithWeights`` refuses misaligned weights.
"""
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.datasets.transforms import PackDetInputs
from mmdet.registry import TRANSFORMS

from .keypoint_mixup import box_size_weights

# Per-box arrays that must stay aligned with gt_bboxes.
PER_BOX_WEIGHTS = ('gt_weights', 'gt_size_weights')


def check_weights_aligned(results: dict, where: str) -> None:
    """Raise when a per-box weight array does not have one entry per box."""
    for key in PER_BOX_WEIGHTS:
        if key in results and len(results[key]) != len(results['gt_bboxes']):
            raise ValueError(
                f'{where}: {len(results[key])} {key} for '
                f'{len(results["gt_bboxes"])} gt_bboxes (image {results.get("img_path")}); a '
                'transform dropped boxes without their weights: move it before the weights are '
                'made (KeypointMixUp) or wrap it in KeepGtWeightsAligned')


@TRANSFORMS.register_module()
class PackDetInputsWithWeights(PackDetInputs):
    """PackDetInputs that also packs the per-box weights, float32 tensors split by
    ``gt_ignore_flags`` like the boxes:

    - ``results['gt_weights']`` (N,) into ``data_sample.gt_instances.weights``; samples
      without it get no ``weights`` field (the head then uses unit weights);
    - ``results['gt_size_weights']`` (N,) into ``gt_instances.size_weights``; a sample
      without it but with an image-level ``box_size_weight`` (a rendered view of
      DANRAugmentedDataset) gets that value for every box, else no field.
    """

    mapping_table = {**PackDetInputs.mapping_table, 'gt_weights': 'weights',
                     'gt_size_weights': 'size_weights'}

    def transform(self, results: dict) -> dict:
        check_weights_aligned(results, 'PackDetInputsWithWeights')
        if 'gt_size_weights' not in results and 'box_size_weight' in results:
            results['gt_size_weights'] = box_size_weights(results, 'packed')
        return super().transform(results)


@TRANSFORMS.register_module()
class KeepGtWeightsAligned(BaseTransform):
    """Run a box-dropping transform and drop the matching ``gt_weights`` too.

    The wrapped transform sees ``gt_bboxes_labels`` replaced by the box indices
    0..N-1; whichever indices survive select the labels and weights to keep. This
    works for every stock transform that filters labels together with boxes without
    reading label values (all those listed in this module's docstring except the
    multi-image ones, which read other images' labels).

    Args:
        transform (dict): config of the wrapped transform,
            e.g. ``dict(type='RandomCenterCropPad', ...)``.
    """

    def __init__(self, transform: dict) -> None:
        self.wrapped = TRANSFORMS.build(transform)

    def transform(self, results: dict) -> Optional[dict]:
        present = [key for key in PER_BOX_WEIGHTS if key in results]
        if not present:
            return self.wrapped(results)
        check_weights_aligned(results, 'KeepGtWeightsAligned (input)')
        labels = results['gt_bboxes_labels']
        weights = {key: results[key] for key in present}
        results['gt_bboxes_labels'] = np.arange(len(labels), dtype=np.int64)
        results = self.wrapped(results)
        if results is None:
            return None
        kept = results['gt_bboxes_labels']
        results['gt_bboxes_labels'] = labels[kept]
        for key, values in weights.items():
            results[key] = values[kept]
        check_weights_aligned(results, f'KeepGtWeightsAligned({self.wrapped!r})')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.wrapped!r})'
