"""Inception-residual blocks (paper appendix C, Fig. 12).

Each block adds a shortcut to the channel-wise concatenation of two convolution branches:

    out = ReLU( concat(branch_narrow(x'), branch_wide(x')) + shortcut(x') )   (then resampled)

* branch_narrow: 1x1 conv -> BN -> ReLU -> 3x3 conv -> BN      (receptive field 3x3)
* branch_wide:   1x1 conv -> BN -> ReLU -> 3x3 conv -> BN -> ReLU -> 3x3 conv -> BN
                 (two stacked 3x3 = a factorised 5x5 receptive field, as in Inception-v3)
* shortcut:      identity, or a 1x1 conv when the channel count changes.

The two branches split the output channels (narrow gets out // 2, wide the rest), so the
concatenation has exactly `out_channels` channels and adds to the shortcut.

Resampling ("id", "up", "down"): convolutions always run at the higher of the two resolutions,
so no detail is thrown away before it is looked at and up-sampled maps are refined by the convs:

* "id":   no resampling, (B, C_in, H, W) -> (B, C_out, H, W).
* "up":   the input is bilinearly up-sampled x2 first, and both the main path and the shortcut
          work on it: (B, C_in, H, W) -> (B, C_out, 2H, 2W) (or `size` when given).
* "down": main path and shortcut run at the input size, their sum is average-pooled x2:
          (B, C_in, H, W) -> (B, C_out, H // 2, W // 2).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["InceptionResBlock", "conv_bn"]

RESAMPLE_MODES = ("id", "up", "down")


def conv_bn(in_channels: int, out_channels: int, kernel_size: int, relu: bool) -> nn.Sequential:
    """Same-size conv (no bias: BN follows) -> BN [-> ReLU]."""
    layers = [
        nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
    ]
    if relu:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class InceptionResBlock(nn.Module):
    """One inception-residual block; see the module docstring for the layout.

    Args:
        in_channels, out_channels: channel counts of input and output.
        resample: "id", "up" (x2 bilinear) or "down" (x2 average pooling).
        bottleneck_channels: width of the 1x1 reductions in both branches;
            default max(1, out_channels // 2).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        resample: str = "id",
        bottleneck_channels: int | None = None,
    ):
        super().__init__()
        if resample not in RESAMPLE_MODES:
            raise ValueError(f"InceptionResBlock: resample must be one of {RESAMPLE_MODES}, got {resample!r}")
        if out_channels < 2:
            raise ValueError(f"InceptionResBlock: out_channels must be >= 2 (two branches), got {out_channels}")
        mid = bottleneck_channels or max(1, out_channels // 2)
        narrow_out = out_channels // 2
        wide_out = out_channels - narrow_out
        self.resample = resample
        self.branch_narrow = nn.Sequential(
            conv_bn(in_channels, mid, 1, relu=True), conv_bn(mid, narrow_out, 3, relu=False)
        )
        self.branch_wide = nn.Sequential(
            conv_bn(in_channels, mid, 1, relu=True),
            conv_bn(mid, mid, 3, relu=True),
            conv_bn(mid, wide_out, 3, relu=False),
        )
        self.shortcut = (
            nn.Identity()
            if in_channels == out_channels
            else nn.Conv2d(in_channels, out_channels, 1, bias=False)
        )

    def forward(self, x: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
        """x (B, C_in, H, W) -> (B, C_out, H', W'); `size` overrides the "up" output size."""
        if self.resample == "up":
            target = size if size is not None else (2 * x.shape[-2], 2 * x.shape[-1])
            x = F.interpolate(x, size=target, mode="bilinear", align_corners=False)
        out = torch.cat([self.branch_narrow(x), self.branch_wide(x)], dim=1) + self.shortcut(x)
        out = F.relu(out)
        if self.resample == "down":
            out = F.avg_pool2d(out, 2)
        return out
