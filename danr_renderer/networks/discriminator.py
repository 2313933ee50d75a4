"""Two-scale PatchGAN discriminators (paper §3.2 "Loss Function", following pix2pixHD).

`PatchDiscriminator` (n_layers = 3):
    conv k4 s2 (in -> ndf), LeakyReLU(0.2)
    n_layers - 1 times: conv k4 s2 (doubling channels, capped at max_channels), InstanceNorm, LeakyReLU
    conv k4 s1 (doubling once more), InstanceNorm, LeakyReLU
    conv k4 s1 (-> 1): a map of real/fake scores, one per overlapping patch.
All convs use padding 2, so inputs down to 16x16 still give non-empty maps. `forward` returns every
stage's output — the intermediate ones feed the feature-matching loss, the last one is the score map.

`MultiscaleDiscriminator` runs `num_scales` (2) of them: scale 0 on the image, scale k on the image
average-pooled k times (3x3 window, stride 2, padding excluded from the mean). The coarse one
sees global structure with a larger effective receptive field and trains faster; the fine one
judges texture.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["PatchDiscriminator", "MultiscaleDiscriminator"]


class PatchDiscriminator(nn.Module):
    """(B, in_channels, H, W) -> list of n_layers + 2 feature maps, the last (B, 1, h, w) scores."""

    def __init__(self, in_channels: int = 3, base_channels: int = 64, n_layers: int = 3,
                 max_channels: int = 512):
        super().__init__()
        stages = [nn.Sequential(nn.Conv2d(in_channels, base_channels, 4, 2, 2), nn.LeakyReLU(0.2))]
        channels = base_channels
        for index in range(1, n_layers + 1):
            stride = 2 if index < n_layers else 1
            next_channels = min(channels * 2, max_channels)
            stages.append(nn.Sequential(
                nn.Conv2d(channels, next_channels, 4, stride, 2),
                nn.InstanceNorm2d(next_channels),
                nn.LeakyReLU(0.2),
            ))
            channels = next_channels
        stages.append(nn.Sequential(nn.Conv2d(channels, 1, 4, 1, 2)))
        self.stages = nn.ModuleList(stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        outputs = []
        for stage in self.stages:
            x = stage(x)
            outputs.append(x)
        return outputs


class MultiscaleDiscriminator(nn.Module):
    """Image (B, in_channels, H, W) -> one list of stage outputs per scale, finest first."""

    def __init__(self, in_channels: int = 3, base_channels: int = 64, n_layers: int = 3,
                 num_scales: int = 2, max_channels: int = 512):
        super().__init__()
        self.discriminators = nn.ModuleList(
            PatchDiscriminator(in_channels, base_channels, n_layers, max_channels)
            for _ in range(num_scales)
        )

    def forward(self, x: torch.Tensor) -> list[list[torch.Tensor]]:
        outputs = []
        for index, discriminator in enumerate(self.discriminators):
            if index > 0:
                x = F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)
            outputs.append(discriminator(x))
        return outputs
