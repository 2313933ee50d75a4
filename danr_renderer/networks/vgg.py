"""A VGG19 feature stack laid out like torchvision's `vgg19().features`, for the content loss and
the perceptual metric (eq. 7).

No pretrained weights can be downloaded here, so the network has two modes:

* `weights_path=None`: random He-normal weights drawn from a private generator seeded with
  `seed` (the global RNG is untouched), so the same seed gives the same network on every
  machine and run. Random conv features are a weaker but meaningful perceptual signal: they
  still compare local structure at several scales (edges, texture statistics), which L1 alone
  ignores, but they do not know which differences humans notice. Losses and distances made
  with them are comparable only between runs using the same seed and widths.
* `weights_path=<file>`: a local torchvision-style VGG19 state_dict (keys `features.N.weight`
  / `features.N.bias`, or the same without the `features.` prefix). Module indices here are
  the torchvision ones — conv at 0, 2, 5, 7, 10, ..., max-pools at 4, 9, 18, 27, 36 — so such a
  file loads unchanged. This needs the default full widths.

The network is frozen (no parameter takes gradients; it stays in eval mode), but gradients
flow through it to its input. Inputs are RGB in [0, 1]; they are normalised with the ImageNet
mean and std that the torchvision weights expect.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn

__all__ = ["VGG19Features", "VGG19_WIDTHS", "VGG19_RELU_X_1"]

# Conv widths of VGG19's five stages and convs per stage.
VGG19_WIDTHS = (64, 128, 256, 512, 512)
_CONVS_PER_STAGE = (2, 2, 4, 4, 4)
# torchvision indices of relu1_1, relu2_1, relu3_1, relu4_1, relu5_1: the usual content layers.
VGG19_RELU_X_1 = (1, 6, 11, 20, 29)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


def _vgg19_layers(widths: Sequence[int], last_index: int) -> list[nn.Module]:
    """torchvision's VGG19 `features` modules 0..last_index with the given stage widths."""
    layers: list[nn.Module] = []
    in_channels = 3
    for width, convs in zip(widths, _CONVS_PER_STAGE):
        for _ in range(convs):
            layers += [nn.Conv2d(in_channels, width, 3, padding=1), nn.ReLU(inplace=False)]
            in_channels = width
        layers.append(nn.MaxPool2d(2, 2))
    return layers[: last_index + 1]


class VGG19Features(nn.Module):
    """RGB (B, 3, H, W) in [0, 1] -> list of feature maps at `layer_ids` (torchvision indices).

    Args:
        layer_ids: indices into VGG19 `features` whose outputs are returned, increasing
            (default relu1_1 ... relu5_1). Modules past the last one are not built.
        widths: five stage widths; the default is VGG19's; smaller ones (e.g. (8, 16, 16,
            32, 32)) make a cheap random network for tests and CPU runs.
        weights_path: optional local torchvision-style VGG19 state_dict.
        seed: seed of the random initialisation when no weights are given.
    """

    def __init__(self, layer_ids: Sequence[int] = VGG19_RELU_X_1,
                 widths: Sequence[int] = VGG19_WIDTHS,
                 weights_path: str | Path | None = None, seed: int = 0):
        super().__init__()
        layer_ids = [int(i) for i in layer_ids]
        if not layer_ids or sorted(set(layer_ids)) != layer_ids or layer_ids[0] < 0 or layer_ids[-1] > 36:
            raise ValueError(f"VGG19Features: layer_ids must increase within 0..36, got {layer_ids}")
        if len(widths) != 5:
            raise ValueError(f"VGG19Features: widths must hold 5 stage widths, got {tuple(widths)}")
        self.layer_ids = layer_ids
        # Module construction draws default inits from the global RNG; fork it so building a
        # measuring network never shifts the caller's random stream.
        with torch.random.fork_rng(devices=[]):
            self.features = nn.Sequential(*_vgg19_layers(widths, layer_ids[-1]))
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        if weights_path is None:
            self._init_random(seed)
        else:
            self._load(Path(weights_path))
        self.requires_grad_(False)
        self.eval()

    def _init_random(self, seed: int) -> None:
        generator = torch.Generator().manual_seed(seed)
        for module in self.features:
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu",
                                        generator=generator)
                nn.init.zeros_(module.bias)

    def _load(self, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"VGG19Features: weights file {path} does not exist")
        state = torch.load(path, map_location="cpu", weights_only=True)
        if not isinstance(state, dict):
            raise ValueError(f"VGG19Features: {path} does not hold a state_dict (got {type(state).__name__})")
        wanted = self.features.state_dict()
        loaded = {}
        for key in wanted:
            for candidate in (f"features.{key}", key):
                if candidate in state:
                    loaded[key] = state[candidate]
                    break
            else:
                raise KeyError(f"VGG19Features: {path} has no tensor 'features.{key}'")
            if loaded[key].shape != wanted[key].shape:
                raise ValueError(
                    f"VGG19Features: {path} 'features.{key}' has shape {tuple(loaded[key].shape)}, "
                    f"expected {tuple(wanted[key].shape)} (weights need the default widths)"
                )
        self.features.load_state_dict(loaded)

    def train(self, mode: bool = True) -> "VGG19Features":
        """Stays in eval mode: it is a fixed measuring instrument, not a trained part."""
        return super().train(False)

    def forward(self, image: torch.Tensor) -> list[torch.Tensor]:
        x = (image - self.mean.to(image.dtype)) / self.std.to(image.dtype)
        outputs = []
        wanted = iter(self.layer_ids)
        next_id = next(wanted)
        for index, module in enumerate(self.features):
            x = module(x)
            if index == next_id:
                outputs.append(x)
                next_id = next(wanted, -1)
        return outputs
