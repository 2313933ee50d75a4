"""Depth estimator: two stacked U-Net hourglasses (paper §3.2 and appendix C, Fig. 14).

One hourglass of level L (default 4):

    x ─ down_1 ─ down_2 ─ ... ─ down_L
         │        │              │
    out ─ up_1 ── up_2 ── ... ── up_L        (up_i takes up_{i+1}'s output concatenated with
                                               down_i's, as in a U-Net; up_L takes down_L's)

* down block: LeakyReLU(0.2) -> conv k4 s2 p1 -> BN (halves H and W);
* up block:   ReLU -> bilinear x2 (to the skip's exact size) -> conv k3 s1 p1 -> BN.
Channels of down_i: min(base * 2**(i-1), max_channels); the paper caps them at 256.

`HourglassDepthNet` stacks two of them: the first sees the image, the second sees the image
concatenated with the first's output. Both outputs (base channels each, full resolution) go
through a ReLU, are concatenated, and a 1x1 conv (no BN) regresses one channel x, bounded to
depth = min_depth + (max_depth - min_depth) * sigmoid(x): always positive and finite, so every
point lands in front of the source camera. The depth is learned without supervision (eq. 5).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["Hourglass", "HourglassDepthNet"]


class _DownBlock(nn.Sequential):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__(
            nn.LeakyReLU(0.2),
            nn.Conv2d(in_channels, out_channels, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )


class _UpBlock(nn.Module):
    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False)
        self.norm = nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        x = F.interpolate(F.relu(x), size=size, mode="bilinear", align_corners=False)
        return self.norm(self.conv(x))


class Hourglass(nn.Module):
    """U-Net hourglass: (B, in_channels, H, W) -> (B, out_channels, H, W).

    Needs H, W >= 2**levels (each down block halves the size, rounding down, and must leave
    at least one pixel).
    """

    def __init__(self, in_channels: int, out_channels: int, base_channels: int = 32,
                 levels: int = 4, max_channels: int = 256):
        super().__init__()
        if levels < 1:
            raise ValueError(f"Hourglass: levels must be >= 1, got {levels}")
        widths = [min(base_channels * 2**i, max_channels) for i in range(levels)]
        self.levels = levels
        self.downs = nn.ModuleList(
            _DownBlock(a, b) for a, b in zip([in_channels] + widths[:-1], widths)
        )
        # up_i maps to down_{i-1}'s width; its input is its predecessor concatenated with down_i.
        up_out = [out_channels] + widths[:-1]
        up_in = [2 * w for w in widths[:-1]] + [widths[-1]]
        self.ups = nn.ModuleList(_UpBlock(a, b) for a, b in zip(up_in, up_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if min(x.shape[-2:]) < 2**self.levels:
            raise ValueError(
                f"Hourglass: input {tuple(x.shape[-2:])} is smaller than 2**levels = {2**self.levels}"
            )
        sizes, skips = [], []
        for block in self.downs:
            sizes.append(tuple(x.shape[-2:]))
            x = block(x)
            skips.append(x)
        out = self.ups[-1](skips[-1], sizes[-1])
        for i in range(self.levels - 2, -1, -1):
            out = self.ups[i](torch.cat([out, skips[i]], dim=1), sizes[i])
        return out


class HourglassDepthNet(nn.Module):
    """Image (B, in_channels, H, W) -> z-depth (B, 1, H, W) in (min_depth, max_depth).

    Args:
        base_channels: channels of the first level and of each hourglass output (paper-scale
            32 gives 32-64-128-256; use 4 or 8 for CPU tests).
        levels: hourglass depth (paper: 4). max_channels: channel cap (paper: 256).
        min_depth, max_depth: bounds of the regressed depth, in scene units.
    """

    def __init__(self, in_channels: int = 3, base_channels: int = 32, levels: int = 4,
                 max_channels: int = 256, min_depth: float = 1.0, max_depth: float = 10.0):
        super().__init__()
        if not 0.0 < min_depth < max_depth:
            raise ValueError(
                f"HourglassDepthNet: need 0 < min_depth < max_depth, got {min_depth}, {max_depth}"
            )
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.first = Hourglass(in_channels, base_channels, base_channels, levels, max_channels)
        self.second = Hourglass(in_channels + base_channels, base_channels, base_channels,
                                levels, max_channels)
        self.regress = nn.Conv2d(2 * base_channels, 1, 1)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        first = self.first(image)
        second = self.second(torch.cat([image, first], dim=1))
        logits = self.regress(torch.cat([F.relu(first), F.relu(second)], dim=1))
        return self.min_depth + (self.max_depth - self.min_depth) * torch.sigmoid(logits)
