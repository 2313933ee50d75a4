"""Transforms that carry the per-box ``gt_weights`` of KeypointMixUp through a pipeline.

Stock transforms that drop boxes filter ``gt_bboxes``, ``gt_bboxes_labels`` and
``gt_ignore_flags`` (and masks) but not ``gt_weights``. In MMDetection 3.3 these are:
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


def check_weights_aligned(results: dict, where: str) -> None:
    """Raise when ``results['gt_weights']`` does not have one entry per box."""
    if 'gt_weights' in results and len(results['gt_weights']) != len(results['gt_bboxes']):
        raise ValueError(
            f'{where}: {len(results["gt_weights"])} gt_weights for '
            f'{len(results["gt_bboxes"])} gt_bboxes (image {results.get("img_path")}); a '
            'transform after KeypointMixUp dropped boxes without their weights: move it before '
            'KeypointMixUp or wrap it in KeepGtWeightsAligned')


@TRANSFORMS.register_module()
class PackDetInputsWithWeights(PackDetInputs):
    """PackDetInputs that also packs ``results['gt_weights']`` (N,) into
    ``data_sample.gt_instances.weights`` (float32 tensor), split by ``gt_ignore_flags``
    like the boxes. Samples without ``gt_weights`` get no ``weights`` field (the head
    then uses unit weights)."""

    mapping_table = {**PackDetInputs.mapping_table, 'gt_weights': 'weights'}

    def transform(self, results: dict) -> dict:
        check_weights_aligned(results, 'PackDetInputsWithWeights')
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
        if 'gt_weights' not in results:
            return self.wrapped(results)
        check_weights_aligned(results, 'KeepGtWeightsAligned (input)')
        labels = results['gt_bboxes_labels']
        weights = results['gt_weights']
        results['gt_bboxes_labels'] = np.arange(len(labels), dtype=np.int64)
        results = self.wrapped(results)
        if results is None:
            return None
        kept = results['gt_bboxes_labels']
        results['gt_bboxes_labels'] = labels[kept]
        results['gt_weights'] = weights[kept]
        check_weights_aligned(results, f'KeepGtWeightsAligned({self.wrapped!r})')
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}({self.wrapped!r})'
