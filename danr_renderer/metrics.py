"""Synthesis-quality metrics of the paper's §4.2: PSNR, SSIM and the perceptual distance (eq. 7).

All take batches of images (B, C, H, W) and return one value per image, shape (B,). Images are
floats in [0, `data_range`] (RGB in [0, 1] by default, the library convention). PSNR and SSIM
take an optional `mask` (B, 1, H, W) bool: only the pixels it marks count (e.g. those a warp
covers); an image whose mask marks nothing scores NaN.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F

__all__ = ["psnr", "ssim", "perceptual_distance", "gaussian_window"]


def _check_pair(name: str, pred: torch.Tensor, target: torch.Tensor) -> None:
    if pred.dim() != 4 or pred.shape != target.shape:
        raise ValueError(
            f"{name}: need two (B, C, H, W) images of equal shape, got {tuple(pred.shape)} "
            f"and {tuple(target.shape)}"
        )


def _check_mask(name: str, mask: torch.Tensor | None, image: torch.Tensor) -> None:
    batch, _, height, width = image.shape
    if mask is not None and (mask.dtype != torch.bool or tuple(mask.shape) != (batch, 1, height, width)):
        raise ValueError(f"{name}: mask must be a (B, 1, H, W) = {(batch, 1, height, width)} bool tensor, "
                         f"got {mask.dtype} {tuple(mask.shape)}")


def _masked_mean(values: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Per-image mean of (B, C, H, W) values over all channels and the masked positions."""
    if mask is None:
        return values.flatten(1).mean(1)
    weights = mask.to(values.dtype).expand_as(values)
    return (values * weights).flatten(1).sum(1) / weights.flatten(1).sum(1)


def psnr(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0,
         mask: torch.Tensor | None = None) -> torch.Tensor:
    """Peak signal-to-noise ratio 10 log10(data_range^2 / MSE) per image, in dB; (B,).

    The MSE averages over channels and (the masked) pixels. Identical images give +inf.
    """
    _check_pair("psnr", pred, target)
    _check_mask("psnr", mask, pred)
    mse = _masked_mean((pred - target).pow(2), mask)
    return 10.0 * torch.log10(data_range**2 / mse)


def gaussian_window(size: int, sigma: float, dtype=torch.float32, device=None) -> torch.Tensor:
    """Normalised 1-D Gaussian (size,) centred on the middle tap."""
    offsets = torch.arange(size, dtype=dtype, device=device) - (size - 1) / 2.0
    weights = torch.exp(-(offsets**2) / (2.0 * sigma**2))
    return weights / weights.sum()


def ssim(pred: torch.Tensor, target: torch.Tensor, data_range: float = 1.0,
         window_size: int = 11, sigma: float = 1.5, k1: float = 0.01, k2: float = 0.03,
         mask: torch.Tensor | None = None) -> torch.Tensor:
    """Structural similarity (Wang et al. 2004) per image; (B,).

    Local means, variances and covariance use a `window_size` Gaussian window (std `sigma`),
    applied per channel over the valid region only (no padding, so borders are not biased by
    zeros); C1 = (k1 L)^2, C2 = (k2 L)^2 with L = data_range. The SSIM map is averaged over
    channels and positions; with `mask`, over the positions whose window centre it marks.
    Needs H, W >= window_size.
    """
    _check_pair("ssim", pred, target)
    _check_mask("ssim", mask, pred)
    batch, channels, height, width = pred.shape
    if min(height, width) < window_size:
        raise ValueError(f"ssim: images {height}x{width} are smaller than the {window_size}-tap window")
    taps = gaussian_window(window_size, sigma, pred.dtype, pred.device)
    kernel = (taps[:, None] * taps[None, :]).expand(channels, 1, window_size, window_size)

    def local_mean(x: torch.Tensor) -> torch.Tensor:
        return F.conv2d(x, kernel, groups=channels)

    mu_x, mu_y = local_mean(pred), local_mean(target)
    var_x = local_mean(pred * pred) - mu_x**2
    var_y = local_mean(target * target) - mu_y**2
    cov_xy = local_mean(pred * target) - mu_x * mu_y
    c1, c2 = (k1 * data_range) ** 2, (k2 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov_xy + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    if mask is not None:
        margin = window_size // 2
        mask = mask[:, :, margin:margin + ssim_map.shape[2], margin:margin + ssim_map.shape[3]]
    return _masked_mean(ssim_map, mask)


def perceptual_distance(
    pred: torch.Tensor,
    target: torch.Tensor,
    feature_net: Callable[[torch.Tensor], Sequence[torch.Tensor]],
    channel_weights: Sequence[torch.Tensor] | None = None,
    eps: float = 1e-10,
) -> torch.Tensor:
    """Perceptual distance of eq. 7 per image; (B,).

    d(x, x0) = sum_l 1/(H_l W_l) sum_{h,w} || w_l * (y^_l - y^0_l)[h, w] ||_2^2, where y^_l are
    the layer-l features of `feature_net` unit-normalised over channels at every position.

    Args:
        pred, target: (B, 3, H, W) images in the feature net's input range.
        feature_net: image -> list of L feature maps (B, C_l, H_l, W_l), e.g. `VGG19Features`.
        channel_weights: optional L tensors (C_l,) scaling the channels; None means w_l = 1, for
            which each layer's term is 2 * (1 - cosine similarity), averaged over positions.
        eps: added to the channel norm, so all-zero feature vectors normalise to zero.
    """
    _check_pair("perceptual_distance", pred, target)
    pred_features, target_features = feature_net(pred), feature_net(target)
    if channel_weights is not None and len(channel_weights) != len(pred_features):
        raise ValueError(
            f"perceptual_distance: {len(channel_weights)} channel weight vectors for "
            f"{len(pred_features)} feature layers"
        )
    total = pred.new_zeros(pred.shape[0])
    for index, (feat_x, feat_y) in enumerate(zip(pred_features, target_features)):
        unit_x = feat_x / (feat_x.norm(dim=1, keepdim=True) + eps)
        unit_y = feat_y / (feat_y.norm(dim=1, keepdim=True) + eps)
        diff = unit_x - unit_y
        if channel_weights is not None:
            diff = diff * channel_weights[index].to(diff).view(1, -1, 1, 1)
        total = total + diff.pow(2).sum(1).flatten(1).mean(1)
    return total
