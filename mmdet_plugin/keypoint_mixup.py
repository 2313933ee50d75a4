"""Keypoint-based image mixup (paper section 3.4) as an MMDetection transform."""
from typing import Tuple

import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmdet.registry import TRANSFORMS
from mmdet.structures.bbox import BaseBoxes


def per_box_array(results: dict, key: str, fill: float, owner: str) -> np.ndarray:
    """``results[key]`` as (N,) float32, one entry per box of ``gt_bboxes``; ``fill`` for
    every box when the key is absent."""
    count = len(results['gt_bboxes'])
    if key not in results:
        return np.full(count, fill, dtype=np.float32)
    values = np.asarray(results[key], dtype=np.float32)
    if values.shape != (count,):
        raise ValueError(f'KeypointMixUp: {key} of the {owner} image has shape '
                         f'{values.shape}, expected ({count},) to match gt_bboxes')
    return values


def box_weights(results: dict, owner: str) -> np.ndarray:
    """Per-box weights of ``results``: its ``gt_weights`` or ones, (N,) float32."""
    boxes = results['gt_bboxes']
    if not isinstance(boxes, BaseBoxes):
        raise TypeError(f'KeypointMixUp: gt_bboxes of the {owner} image must be mmdet '
                        f'BaseBoxes (LoadAnnotations with box_type="hbox"), got {type(boxes)}')
    return per_box_array(results, 'gt_weights', 1.0, owner)


def box_size_weights(results: dict, owner: str) -> np.ndarray:
    """Per-box weights of the box-size and offset losses of ``results``, (N,) float32: its
    ``gt_size_weights``, else its image-level ``box_size_weight`` (DANRAugmentedDataset sets
    it on rendered views) for every box, else ones."""
    return per_box_array(results, 'gt_size_weights', results.get('box_size_weight', 1.0), owner)


def fit_into(image: np.ndarray, height: int, width: int) -> Tuple[np.ndarray, float, float]:
    """Resize ``image`` (h, w[, c]) keeping its aspect ratio so that it fits in
    ``height`` x ``width``, and zero-pad it at the bottom/right to exactly that size.

    Returns the padded image and the (x, y) factors that map its pixel coordinates to
    the output's (the rounded sizes make them differ slightly from one another).
    """
    src_h, src_w = image.shape[:2]
    if (src_h, src_w) == (height, width):
        return image, 1.0, 1.0
    scale = min(height / src_h, width / src_w)
    new_w = min(width, max(1, round(src_w * scale)))
    new_h = min(height, max(1, round(src_h * scale)))
    resized = mmcv.imresize(image, (new_w, new_h))
    canvas = np.zeros((height, width) + image.shape[2:], dtype=image.dtype)
    canvas[:new_h, :new_w] = resized
    return canvas, new_w / src_w, new_h / src_h


@TRANSFORMS.register_module()
class KeypointMixUp(BaseTransform):
    """Mix two training images and keep all boxes of both, weighted (paper eq. 6 + mixup).

    With lambda ~ Beta(alpha, alpha), the output image is
    ``lambda * A + (1 - lambda) * B`` (float32, no rounding), where A is
    ``results['img']`` and B is ``results['mix_results'][0]['img']``. When the sizes
    differ, B is resized keeping its aspect ratio to fit A's size and zero-padded at the
    bottom/right; B's boxes are scaled by the same factors. Boxes, labels and ignore flags
    of A then B are concatenated, and ``results['gt_weights']`` (N,) float32 holds
    lambda for A's boxes and 1 - lambda for B's, multiplied with any ``gt_weights`` the
    images already carry. ``WeightedCenterNetHead`` then scales each box's heatmap peak
    by its weight. ``results['gt_size_weights']`` (N,) holds each box's size-loss weight
    as its own image gave it (``box_size_weights``: a rendered view's
    ``box_size_weight``), not mixed by lambda.

    It follows MMDetection's MixUp protocol: ``get_indexes(dataset)`` picks B's index
    and ``MultiImageMixDataset`` puts the loaded B into ``results['mix_results']``.
    B may have no boxes (useful negatives for review data).

    Args:
        alpha (float): Beta distribution parameter. Defaults to 1.5.
        prob (float): probability to mix a given sample. The paper's authors mixed one
            batch in five; ``prob=0.2`` mixes the same share of images, drawn per image
            instead of per batch. When not applied the image is left untouched and
            ``gt_weights`` is set to ones (or kept when present) and
            ``gt_size_weights`` to ``box_size_weights`` of the image.

    Randomness comes from numpy's global RNG, like MMDetection's stock transforms, so
    ``np.random.seed`` (and the runner's per-worker seeding) makes it reproducible.
    """

    def __init__(self, alpha: float = 1.5, prob: float = 1.0) -> None:
        if alpha <= 0:
            raise ValueError(f'KeypointMixUp: alpha must be > 0, got {alpha}')
        if not 0.0 <= prob <= 1.0:
            raise ValueError(f'KeypointMixUp: prob must be in [0, 1], got {prob}')
        self.alpha = alpha
        self.prob = prob

    def get_indexes(self, dataset) -> int:
        """Index of the image to mix with, uniform over ``dataset``."""
        return int(np.random.randint(0, len(dataset)))

    def transform(self, results: dict) -> dict:
        weights_a = box_weights(results, 'first')
        mix_results = results.get('mix_results')
        if not mix_results or len(mix_results) != 1:
            raise ValueError('KeypointMixUp needs exactly one image in results["mix_results"]; '
                             'put it in the pipeline of a MultiImageMixDataset')
        size_weights_a = box_size_weights(results, 'first')
        if np.random.rand() >= self.prob:
            results['gt_weights'] = weights_a
            results['gt_size_weights'] = size_weights_a
            return results
        lam = float(np.random.beta(self.alpha, self.alpha))

        other = mix_results[0]
        weights_b = box_weights(other, 'mixed-in')
        image_a = results['img']
        if image_a.shape[2:] != other['img'].shape[2:]:
            raise ValueError(f'KeypointMixUp: images have different channel layouts '
                             f'{image_a.shape} and {other["img"].shape}')
        height, width = image_a.shape[:2]
        image_b, scale_x, scale_y = fit_into(other['img'], height, width)
        boxes_b = other['gt_bboxes'].clone()
        boxes_b.rescale_((scale_x, scale_y))

        results['img'] = (lam * image_a.astype(np.float32)
                          + (1.0 - lam) * image_b.astype(np.float32))
        results['img_shape'] = (height, width)
        results['gt_bboxes'] = results['gt_bboxes'].cat([results['gt_bboxes'], boxes_b])
        for key in ('gt_bboxes_labels', 'gt_ignore_flags'):
            if key in results:
                if key not in other:
                    raise KeyError(f'KeypointMixUp: the mixed-in image lacks {key}')
                results[key] = np.concatenate([results[key], other[key]])
        results['gt_weights'] = np.concatenate(
            [lam * weights_a, (1.0 - lam) * weights_b]).astype(np.float32)
        results['gt_size_weights'] = np.concatenate(
            [size_weights_a, box_size_weights(other, 'mixed-in')])
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(alpha={self.alpha}, prob={self.prob})'
