"""Feature encoder and image decoder built from inception-residual blocks (appendix C, Fig. 13).

Both share one body, `InceptionStack`: an "id" stem, `len(widths) - 1` "down" blocks, an "id"
block at the coarsest level and as many "up" blocks back to the input size (no skips). The
round trip through coarser levels widens the receptive field — the encoder sees context around
each pixel, the decoder can fill disocclusion holes left by the splatter — while the output stays
pixel-aligned with the input.

* `FeatureEncoder`: image (B, 3, H, W) -> pixel-aligned features (B, C, H, W), C = 64 by default
  (the paper's choice at 512x512).
* `ImageDecoder`: splatted features (B, C, H', W') -> RGB (B, 3, H', W') in [0, 1] (sigmoid).
  It is fully convolutional, so H', W' may be s times the encoder's size (PointSS).
Any H, W work: every "up" block returns exactly the size its matching "down" block received.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from .blocks import InceptionResBlock

__all__ = ["InceptionStack", "FeatureEncoder", "ImageDecoder"]


class InceptionStack(nn.Module):
    """id(in -> w0), down(w0 -> w1) ... down(w_{n-1} -> w_n), id(w_n -> w_n),
    up(w_n -> w_{n-1}) ... up(w1 -> w0).  (B, in, H, W) -> (B, w0, H, W)."""

    def __init__(self, in_channels: int, widths: Sequence[int]):
        super().__init__()
        widths = [int(w) for w in widths]
        if not widths:
            raise ValueError("InceptionStack: widths must hold at least one channel count")
        self.stem = InceptionResBlock(in_channels, widths[0], "id")
        self.downs = nn.ModuleList(
            InceptionResBlock(a, b, "down") for a, b in zip(widths[:-1], widths[1:])
        )
        self.bottom = InceptionResBlock(widths[-1], widths[-1], "id")
        self.ups = nn.ModuleList(
            InceptionResBlock(b, a, "up") for a, b in reversed(list(zip(widths[:-1], widths[1:])))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        sizes = []
        for block in self.downs:
            sizes.append(x.shape[-2:])
            x = block(x)
        x = self.bottom(x)
        for block, size in zip(self.ups, reversed(sizes)):
            x = block(x, size=tuple(size))
        return x


class FeatureEncoder(nn.Module):
    """Image (B, in_channels, H, W) -> features (B, out_channels, H, W).

    Args:
        in_channels: 3 for RGB (the renderer feeds images rescaled to [-1, 1]).
        out_channels: feature channels per point, C (paper: 64).
        widths: block widths per level; (32, 64) = one down/up pair.
    """

    def __init__(self, in_channels: int = 3, out_channels: int = 64, widths: Sequence[int] = (32, 64)):
        super().__init__()
        self.body = InceptionStack(in_channels, widths)
        self.head = InceptionResBlock(int(widths[0]), out_channels, "id")

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(image))


class ImageDecoder(nn.Module):
    """Splatted features (B, in_channels, H', W') -> RGB (B, out_channels, H', W') in [0, 1].

    Args:
        in_channels: feature channels C of the splatted palette.
        out_channels: 3 for RGB.
        widths: block widths per level; (64, 128, 128) = two down/up levels, enough receptive
            field to in-paint holes a few splat radii wide.
    The last layer is a plain 3x3 conv (no BN) followed by a sigmoid.
    """

    def __init__(self, in_channels: int = 64, out_channels: int = 3, widths: Sequence[int] = (64, 128, 128)):
        super().__init__()
        self.body = InceptionStack(in_channels, widths)
        self.to_rgb = nn.Conv2d(int(widths[0]), out_channels, 3, padding=1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.to_rgb(self.body(features)))
