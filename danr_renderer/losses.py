"""Training losses of the neural renderer (paper eq. 5):

    L = lambda_1 L_D + lambda_2 L_L1 + lambda_3 L_C

* L_D, the adversarial term, is pix2pixHD's: a GAN loss averaged over the two discriminator
  scales (`lambda_gan`) plus feature matching (`lambda_feat`): the L1 distance between the
  discriminators' intermediate features of the rendered and the real image. Feature matching
  stabilises training and pushes statistics at several depths to match, not only the final score.
* L_L1 (`lambda_l1`): mean absolute error per pixel; keeps colours right but alone gives blur.
* L_C (`lambda_content`): L1 between VGG19 features of render and target (relu1_1 ... relu5_1,
  weighted 1/32, 1/16, 1/8, 1/4, 1 so that the deep, semantic layers dominate). With a local
  ImageNet VGG19 file this is the usual perceptual loss, which sharpens textures. Without one a
  frozen, fixed-seed random VGG19 is used: random conv features still compare multi-scale local
  structure, so the term still beats pure L1 on sharpness, but less than trained features do
  and it does not favour what humans notice (see `networks.vgg`).

GAN modes: "lsgan" (default; pix2pixHD's least-squares loss: D pushes scores to 1 for real, 0 for
fake; smooth, non-saturating gradients) or "hinge" (SynSin's choice: margins at +-1; the score
stops mattering once past the margin, which limits how hard D can push).

Images are RGB in [0, 1], (B, 3, H, W); every loss is a scalar averaged over the batch.
"""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .networks.discriminator import MultiscaleDiscriminator
from .networks.vgg import VGG19_RELU_X_1, VGG19_WIDTHS, VGG19Features

__all__ = [
    "GAN_MODES",
    "gan_loss",
    "feature_matching_loss",
    "ContentLoss",
    "GeneratorLoss",
    "DiscriminatorLoss",
    "depth_loss",
]

GAN_MODES = ("lsgan", "hinge")
DEFAULT_CONTENT_LAYER_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)


def _check_gan_mode(mode: str) -> None:
    if mode not in GAN_MODES:
        raise ValueError(f"gan mode must be one of {GAN_MODES}, got {mode!r}")


def gan_loss(scores: Sequence[Sequence[torch.Tensor]], real: bool, mode: str,
             for_discriminator: bool) -> torch.Tensor:
    """GAN loss of a multiscale discriminator's output, averaged over scales.

    Args:
        scores: per scale, the list of stage outputs; the last entry is the score map.
        real: whether the scored images should be judged real.
        mode: "lsgan" or "hinge".
        for_discriminator: hinge uses margins for the discriminator but -score for the generator.
    """
    _check_gan_mode(mode)
    terms = []
    for stages in scores:
        score = stages[-1]
        if mode == "lsgan":
            terms.append((score - (1.0 if real else 0.0)).pow(2).mean())
        elif for_discriminator:
            terms.append(F.relu(1.0 - score).mean() if real else F.relu(1.0 + score).mean())
        else:
            terms.append(-score.mean() if real else score.mean())
    return torch.stack(terms).mean()


def feature_matching_loss(fake_outputs: Sequence[Sequence[torch.Tensor]],
                          real_outputs: Sequence[Sequence[torch.Tensor]]) -> torch.Tensor:
    """Mean over scales and intermediate stages (all but the score map) of L1(fake, real)."""
    terms = [
        F.l1_loss(fake_feature, real_feature.detach())
        for fake_stages, real_stages in zip(fake_outputs, real_outputs)
        for fake_feature, real_feature in zip(fake_stages[:-1], real_stages[:-1])
    ]
    return torch.stack(terms).mean()


class ContentLoss(nn.Module):
    """sum_l weight_l * mean |phi_l(fake) - phi_l(real)| over a frozen `VGG19Features` phi."""

    def __init__(self, layer_ids: Sequence[int] = VGG19_RELU_X_1,
                 layer_weights: Sequence[float] = DEFAULT_CONTENT_LAYER_WEIGHTS,
                 widths: Sequence[int] = VGG19_WIDTHS,
                 weights_path: str | Path | None = None, seed: int = 0):
        super().__init__()
        if len(layer_weights) != len(layer_ids):
            raise ValueError(
                f"ContentLoss: {len(layer_weights)} layer weights for {len(layer_ids)} layers"
            )
        self.network = VGG19Features(layer_ids, widths, weights_path, seed)
        self.layer_weights = [float(w) for w in layer_weights]

    def forward(self, fake: torch.Tensor, real: torch.Tensor) -> torch.Tensor:
        fake_features = self.network(fake)
        with torch.no_grad():
            real_features = self.network(real)
        return sum(
            weight * F.l1_loss(f, r)
            for weight, f, r in zip(self.layer_weights, fake_features, real_features)
        )


class GeneratorLoss(nn.Module):
    """Loss of the renderer (generator) side of eq. 5, as a dict of named terms.

    forward(fake, real, discriminator=None) -> {"l1", "content", ["gan", "feat",] "total"}
    where total = lambda_l1 l1 + lambda_content content [+ lambda_gan gan + lambda_feat feat].
    Without a discriminator (e.g. a warm-up phase) the adversarial terms are left out.
    The discriminator's parameters receive gradients too; step only the generator's optimiser.
    """

    def __init__(self, lambda_gan: float = 1.0, lambda_feat: float = 10.0,
                 lambda_l1: float = 1.0, lambda_content: float = 10.0, gan_mode: str = "lsgan",
                 content_layer_ids: Sequence[int] = VGG19_RELU_X_1,
                 content_layer_weights: Sequence[float] = DEFAULT_CONTENT_LAYER_WEIGHTS,
                 content_widths: Sequence[int] = VGG19_WIDTHS,
                 content_weights_path: str | Path | None = None, content_seed: int = 0):
        super().__init__()
        _check_gan_mode(gan_mode)
        self.lambda_gan = float(lambda_gan)
        self.lambda_feat = float(lambda_feat)
        self.lambda_l1 = float(lambda_l1)
        self.lambda_content = float(lambda_content)
        self.gan_mode = gan_mode
        self.content = ContentLoss(content_layer_ids, content_layer_weights, content_widths,
                                   content_weights_path, content_seed)

    def forward(self, fake: torch.Tensor, real: torch.Tensor,
                discriminator: MultiscaleDiscriminator | None = None) -> dict[str, torch.Tensor]:
        if fake.shape != real.shape:
            raise ValueError(f"GeneratorLoss: fake {tuple(fake.shape)} and real {tuple(real.shape)} differ")
        terms = {"l1": F.l1_loss(fake, real), "content": self.content(fake, real)}
        total = self.lambda_l1 * terms["l1"] + self.lambda_content * terms["content"]
        if discriminator is not None:
            fake_outputs = discriminator(fake)
            with torch.no_grad():
                real_outputs = discriminator(real)
            terms["gan"] = gan_loss(fake_outputs, real=True, mode=self.gan_mode, for_discriminator=False)
            terms["feat"] = feature_matching_loss(fake_outputs, real_outputs)
            total = total + self.lambda_gan * terms["gan"] + self.lambda_feat * terms["feat"]
        terms["total"] = total
        return terms


class DiscriminatorLoss(nn.Module):
    """forward(fake, real, discriminator) -> {"real", "fake", "total"}, total = (real + fake) / 2.

    `fake` is detached, so only the discriminator gets gradients.
    """

    def __init__(self, gan_mode: str = "lsgan"):
        super().__init__()
        _check_gan_mode(gan_mode)
        self.gan_mode = gan_mode

    def forward(self, fake: torch.Tensor, real: torch.Tensor,
                discriminator: MultiscaleDiscriminator) -> dict[str, torch.Tensor]:
        real_term = gan_loss(discriminator(real), real=True, mode=self.gan_mode, for_discriminator=True)
        fake_term = gan_loss(discriminator(fake.detach()), real=False, mode=self.gan_mode,
                             for_discriminator=True)
        return {"real": real_term, "fake": fake_term, "total": 0.5 * (real_term + fake_term)}


def depth_loss(predicted: torch.Tensor, known: torch.Tensor, scale_invariant: bool = False) -> torch.Tensor:
    """Mean absolute log-depth error over the pixels whose depth is known; a scalar.

    Beyond the paper, whose depth is learnt only through the views: this term makes the depth
    net follow shape where a data source knows the depth (exact synthetic depth, SfM points).

    Args:
        predicted: (B, 1, H, W) positive z-depth of the renderer's depth net.
        known: (B, 1, H, W) z-depth, 0 where unknown (`data.depth_points.rasterize_depth_points`).
        scale_invariant: compare shape only: each image's log error is shifted by its median
            over the known pixels (for sources whose scale is not the renderer's, e.g. footage
            scaled by a rule rather than measured).
    Images with no known pixel do not count; a batch without any gives 0.
    """
    if predicted.shape != known.shape or predicted.dim() != 4 or predicted.shape[1] != 1:
        raise ValueError(f"depth_loss: need two (B, 1, H, W) depth maps, got {tuple(predicted.shape)} "
                         f"and {tuple(known.shape)}")
    valid = known > 0
    error = torch.log(predicted.clamp_min(1e-6)) - torch.log(known.clamp_min(1e-6))
    per_image = []
    for image_error, image_valid in zip(error, valid):
        values = image_error[image_valid]
        if values.numel() == 0:
            continue
        if scale_invariant:
            values = values - values.detach().median()
        per_image.append(values.abs().mean())
    if not per_image:
        return predicted.sum() * 0.0
    return torch.stack(per_image).mean()
