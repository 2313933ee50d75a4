"""Label noise on ground-truth boxes: the Indoor study's control for boxes carried into views."""
from typing import Sequence

import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes


@TRANSFORMS.register_module()
class DisturbBoxes(BaseTransform):
    """Moves and resizes every ground-truth box of an image by random amounts, on a share
    ``prob`` of the images, leaving the image itself alone.

    A box of width w, height h and centre (cx, cy) in image pixels becomes the box of width
    w * exp(a), height h * exp(b), centre (cx + u * w, cy + v * h), with a ~ N(log_size_mean[0],
    log_size_std), b ~ N(log_size_mean[1], log_size_std), u, v ~ N(0, centre_std), drawn per
    box, then clipped to the image (``img_shape``). A box that clipping leaves under one pixel
    wide or high keeps its original coordinates. The errors are those that
    danr_renderer.evaluation.measures.box_errors measures (log size ratios, centre offsets in
    units of the true box's size), so a noise level can be set from the errors of boxes carried
    into real views.

    Place it after LoadAnnotations and before any geometric transform.

    Args:
        prob: share of the images whose boxes are disturbed.
        log_size_mean: (width, height) mean of the log size ratio; > 0 widens.
        log_size_std: standard deviation of the log size ratios.
        centre_std: standard deviation of the centre offsets, in units of the box's size.
    """

    def __init__(self, prob: float = 0.8, log_size_mean: Sequence[float] = (0.0, 0.0),
                 log_size_std: float = 0.1, centre_std: float = 0.05) -> None:
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'DisturbBoxes: prob must be in [0, 1], got {prob!r}')
        if len(log_size_mean) != 2:
            raise ValueError('DisturbBoxes: log_size_mean must be (width, height), got '
                             f'{log_size_mean!r}')
        if log_size_std < 0 or centre_std < 0:
            raise ValueError('DisturbBoxes: log_size_std and centre_std must be >= 0, got '
                             f'{log_size_std!r} and {centre_std!r}')
        self.prob = float(prob)
        self.log_size_mean = np.asarray(log_size_mean, dtype=np.float64)
        self.log_size_std = float(log_size_std)
        self.centre_std = float(centre_std)

    def transform(self, results: dict) -> dict:
        boxes = results['gt_bboxes']
        if not isinstance(boxes, BaseBoxes):
            raise TypeError('DisturbBoxes: gt_bboxes must be mmdet BaseBoxes (LoadAnnotations '
                            f'with box_type="hbox"), got {type(boxes)}')
        if len(boxes) == 0 or np.random.rand() >= self.prob:
            return results
        xyxy = boxes.tensor.numpy().astype(np.float64)
        size = xyxy[:, 2:] - xyxy[:, :2]
        centre = (xyxy[:, :2] + xyxy[:, 2:]) / 2
        log_ratio = self.log_size_mean + self.log_size_std * np.random.randn(len(xyxy), 2)
        offset = self.centre_std * np.random.randn(len(xyxy), 2)
        new_centre = centre + offset * size
        new_size = size * np.exp(log_ratio)
        height, width = results['img_shape'][:2]
        disturbed = np.concatenate([new_centre - new_size / 2, new_centre + new_size / 2], axis=1)
        disturbed = disturbed.clip(0, [width, height, width, height])
        degenerate = ((disturbed[:, 2:] - disturbed[:, :2]) < 1).any(axis=1)
        disturbed[degenerate] = xyxy[degenerate]
        results['gt_bboxes'] = type(boxes)(disturbed.astype(np.float32))
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'log_size_mean={tuple(self.log_size_mean.tolist())}, '
                f'log_size_std={self.log_size_std}, centre_std={self.centre_std})')
