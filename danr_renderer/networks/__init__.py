"""Networks of the DANR neural renderer (paper §3.2, appendix C); pure PyTorch.

* `InceptionResBlock` — inception-residual block, "id" / "up" / "down" (Fig. 12).
* `FeatureEncoder`, `ImageDecoder` — stacks of those blocks (Fig. 13).
* `HourglassDepthNet` — two stacked level-4 U-Net hourglasses regressing bounded depth (Fig. 14).
* `LiteDepthNet` — beyond the paper: bounded depth from an ImageNet EfficientNet-Lite0 trunk
  (`efficientnet_lite.Lite0Trunk`, shared with the detector backbone) and a top-down decoder.
* `MultiscaleDiscriminator` — two-scale PatchGAN with intermediate features (pix2pixHD).
* `VGG19Features` — frozen VGG19-layout feature stack for the content loss and eq. 7.
"""
from .blocks import InceptionResBlock
from .depth import Hourglass, HourglassDepthNet
from .discriminator import MultiscaleDiscriminator, PatchDiscriminator
from .encoder_decoder import FeatureEncoder, ImageDecoder, InceptionStack
from .lite_depth import LiteDepthNet
from .vgg import VGG19_RELU_X_1, VGG19_WIDTHS, VGG19Features

__all__ = [
    "InceptionResBlock",
    "InceptionStack",
    "FeatureEncoder",
    "ImageDecoder",
    "Hourglass",
    "HourglassDepthNet",
    "LiteDepthNet",
    "PatchDiscriminator",
    "MultiscaleDiscriminator",
    "VGG19Features",
    "VGG19_RELU_X_1",
    "VGG19_WIDTHS",
]
