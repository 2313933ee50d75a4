"""How much fine detail an image keeps: mean gradient magnitude and variance of the Laplacian.

Both are computed on the luminance (0.299 R + 0.587 G + 0.114 B) of a float RGB image in [0, 1]
and compared as ratios view / reference over the same pixels, so units cancel. The pixels are
those of a mask (e.g. the central half of the frame, or the covered pixels), eroded by the
filters' 1-pixel reach so that a mask edge adds no gradient of its own.
"""
from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

__all__ = ["central_half", "sharpness", "sharpness_ratios"]


def central_half(height: int, width: int) -> np.ndarray:
    """(H, W) bool: the central half of the frame per axis (rows H/4..3H/4, columns W/4..3W/4)."""
    mask = np.zeros((height, width), bool)
    mask[height // 4: height - height // 4, width // 4: width - width // 4] = True
    return mask


def _luma(rgb: np.ndarray) -> torch.Tensor:
    """(H, W, 3) float in [0, 1] or uint8 -> (1, 1, H, W) float64 luminance in [0, 1]."""
    image = torch.from_numpy(np.asarray(rgb, dtype=np.float64))
    if np.asarray(rgb).dtype == np.uint8:
        image = image / 255.0
    return (image @ torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64))[None, None]


def sharpness(rgb: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """(mean gradient magnitude (central differences, per pixel), variance of the 4-neighbour
    Laplacian) of an (H, W, 3) image over the (H, W) bool mask."""
    luma = _luma(rgb)
    padded = F.pad(luma, (1, 1, 1, 1), mode="replicate")
    gx = (padded[..., 1:-1, 2:] - padded[..., 1:-1, :-2]) / 2
    gy = (padded[..., 2:, 1:-1] - padded[..., :-2, 1:-1]) / 2
    laplacian = (padded[..., 1:-1, 2:] + padded[..., 1:-1, :-2] + padded[..., 2:, 1:-1]
                 + padded[..., :-2, 1:-1] - 4 * luma)
    inner = torch.from_numpy(mask)[None, None].double()
    inner = (-F.max_pool2d(-inner, 3, stride=1, padding=1))[0, 0] > 0.5
    gradient = torch.sqrt(gx**2 + gy**2)[0, 0][inner]
    return float(gradient.mean()), float(laplacian[0, 0][inner].var())


def sharpness_ratios(view: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    """sharpness(view) / sharpness(reference) over the same mask, per measure."""
    gradient, laplacian = sharpness(view, mask)
    gradient_ref, laplacian_ref = sharpness(reference, mask)
    return gradient / gradient_ref, laplacian / laplacian_ref
