"""Losses (danr_renderer.losses) and metrics (danr_renderer.metrics) against hand-computed
values and slow reference loops."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from danr_renderer.losses import (
    ContentLoss,
    DiscriminatorLoss,
    GeneratorLoss,
    feature_matching_loss,
    gan_loss,
)
from danr_renderer.metrics import perceptual_distance, psnr, ssim
from danr_renderer.networks import MultiscaleDiscriminator, VGG19Features

TINY_VGG = (4, 8, 8, 16, 16)


# ----------------------------------------------------------------------------- PSNR


def test_psnr_of_constant_offsets():
    target = torch.rand(3, 3, 8, 8) * 0.5
    offsets = torch.tensor([0.1, 0.02, 0.3])
    pred = target + offsets.view(3, 1, 1, 1)
    expected = torch.tensor([-10 * math.log10(o**2) for o in offsets.tolist()])
    torch.testing.assert_close(psnr(pred, target), expected)


def test_psnr_data_range_and_identity():
    target = torch.rand(1, 3, 4, 4) * 255
    assert torch.allclose(psnr(target + 5, target, data_range=255.0),
                          torch.tensor([20 * math.log10(255 / 5)]))
    assert torch.isinf(psnr(target, target)).all()


# ----------------------------------------------------------------------------- SSIM


def _ssim_reference(x: np.ndarray, y: np.ndarray, size=11, sigma=1.5, L=1.0, mask=None) -> float:
    """Slow SSIM of one (C, H, W) pair: explicit loops over every valid window (with an (H, W)
    mask, only the windows whose centre pixel it marks)."""
    offsets = np.arange(size) - (size - 1) / 2
    g = np.exp(-(offsets**2) / (2 * sigma**2))
    w = np.outer(g, g)
    w /= w.sum()
    c1, c2 = (0.01 * L) ** 2, (0.03 * L) ** 2
    values = []
    channels, height, width = x.shape
    for c in range(channels):
        for i in range(height - size + 1):
            for j in range(width - size + 1):
                if mask is not None and not mask[i + size // 2, j + size // 2]:
                    continue
                px, py = x[c, i:i + size, j:j + size], y[c, i:i + size, j:j + size]
                mx, my = (w * px).sum(), (w * py).sum()
                vx = (w * (px - mx) ** 2).sum()
                vy = (w * (py - my) ** 2).sum()
                cxy = (w * (px - mx) * (py - my)).sum()
                values.append(((2 * mx * my + c1) * (2 * cxy + c2))
                              / ((mx**2 + my**2 + c1) * (vx + vy + c2)))
    return float(np.mean(values))


def test_ssim_matches_slow_loop():
    generator = torch.Generator().manual_seed(0)
    x = torch.rand(2, 3, 16, 19, generator=generator, dtype=torch.float64)
    y = (0.6 * x + 0.4 * torch.rand(2, 3, 16, 19, generator=generator, dtype=torch.float64))
    got = ssim(x, y)
    expected = torch.tensor([_ssim_reference(x[b].numpy(), y[b].numpy()) for b in range(2)],
                            dtype=torch.float64)
    torch.testing.assert_close(got, expected, rtol=1e-9, atol=1e-9)
    assert 0.2 < got.min() and got.max() < 0.99  # a meaningful, non-trivial pair


def test_masked_ssim_matches_slow_loop_over_the_masked_centres():
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(1, 3, 16, 19, generator=generator, dtype=torch.float64)
    y = 0.5 * x + 0.5 * torch.rand(1, 3, 16, 19, generator=generator, dtype=torch.float64)
    mask = torch.zeros(1, 1, 16, 19, dtype=torch.bool)
    mask[..., 4:12, 9:19] = True  # a covered block reaching the right edge
    expected = _ssim_reference(x[0].numpy(), y[0].numpy(), mask=mask[0, 0].numpy())
    torch.testing.assert_close(ssim(x, y, mask=mask), torch.tensor([expected], dtype=torch.float64),
                               rtol=1e-9, atol=1e-9)
    assert not math.isclose(expected, float(ssim(x, y)))


def test_masked_psnr_counts_only_the_masked_pixels():
    target = torch.full((2, 3, 4, 4), 0.5)
    pred = target + 0.5
    pred[..., :2, :] = target[..., :2, :] + 0.1  # the top half is off by 0.1 only
    mask = torch.zeros(2, 1, 4, 4, dtype=torch.bool)
    mask[..., :2, :] = True
    torch.testing.assert_close(psnr(pred, target, mask=mask), torch.full((2,), 20.0))
    with pytest.raises(ValueError, match="mask must be a \\(B, 1, H, W\\)"):
        psnr(pred, target, mask=mask.float())


def test_ssim_identity_is_one_and_data_range_is_honoured():
    x = torch.rand(2, 3, 12, 12)
    torch.testing.assert_close(ssim(x, x), torch.ones(2))
    torch.testing.assert_close(ssim(255 * x, 255 * x.flip(-1), data_range=255.0),
                               ssim(x, x.flip(-1)), rtol=1e-4, atol=1e-5)


def test_ssim_rejects_tiny_images():
    with pytest.raises(ValueError, match="smaller than the 11-tap window"):
        ssim(torch.rand(1, 3, 8, 20), torch.rand(1, 3, 8, 20))


# ----------------------------------------------------------------------------- eq. 7


def _two_layer_features(image):
    """A fixed feature 'network': the image itself and a 2x2-pooled squared copy."""
    return [image, F.avg_pool2d(image**2, 2)]


def _perceptual_reference(x, y, weights=None):
    """Direct loop over images, layers and positions of eq. 7."""
    out = []
    for b in range(x.shape[0]):
        total = 0.0
        for layer, (fx, fy) in enumerate(zip(_two_layer_features(x[b:b + 1]), _two_layer_features(y[b:b + 1]))):
            _, channels, height, width = fx.shape
            layer_sum = 0.0
            for i in range(height):
                for j in range(width):
                    vx, vy = fx[0, :, i, j], fy[0, :, i, j]
                    diff = vx / vx.norm() - vy / vy.norm()
                    if weights is not None:
                        diff = weights[layer] * diff
                    layer_sum += float((diff**2).sum())
            total += layer_sum / (height * width)
        out.append(total)
    return torch.tensor(out, dtype=x.dtype)


def test_perceptual_distance_matches_direct_loop():
    generator = torch.Generator().manual_seed(1)
    x = torch.rand(2, 3, 6, 8, generator=generator, dtype=torch.float64) + 0.1
    y = torch.rand(2, 3, 6, 8, generator=generator, dtype=torch.float64) + 0.1
    torch.testing.assert_close(perceptual_distance(x, y, _two_layer_features), _perceptual_reference(x, y))
    weights = [torch.tensor([0.5, 2.0, 1.0], dtype=torch.float64),
               torch.tensor([3.0, 0.0, 1.5], dtype=torch.float64)]
    torch.testing.assert_close(perceptual_distance(x, y, _two_layer_features, weights),
                               _perceptual_reference(x, y, weights))


def test_perceptual_distance_unit_weights_is_cosine_distance():
    x, y = torch.rand(3, 3, 5, 5) + 0.1, torch.rand(3, 3, 5, 5) + 0.1
    expected = (2 * (1 - F.cosine_similarity(x, y, dim=1))).flatten(1).mean(1)
    torch.testing.assert_close(perceptual_distance(x, y, lambda im: [im]), expected)
    torch.testing.assert_close(perceptual_distance(x, 4 * x, lambda im: [im]), torch.zeros(3),
                               atol=1e-6, rtol=0)


def test_perceptual_distance_with_vgg_orders_corruptions():
    vgg = VGG19Features(widths=TINY_VGG)
    generator = torch.Generator().manual_seed(2)
    target = torch.rand(1, 3, 32, 32, generator=generator)
    slight = (target + 0.05 * torch.randn(1, 3, 32, 32, generator=generator)).clamp(0, 1)
    heavy = torch.rand(1, 3, 32, 32, generator=generator)
    d_self = perceptual_distance(target, target, vgg)
    d_slight = perceptual_distance(slight, target, vgg)
    d_heavy = perceptual_distance(heavy, target, vgg)
    assert d_self.item() == pytest.approx(0.0, abs=1e-6)
    assert d_slight.item() < d_heavy.item()


def test_perceptual_distance_checks_weight_count():
    x = torch.rand(1, 3, 4, 4)
    with pytest.raises(ValueError, match="1 channel weight vectors for 2 feature layers"):
        perceptual_distance(x, x, _two_layer_features, [torch.ones(3)])


# ----------------------------------------------------------------------------- GAN terms


def _scores(value, scales=2):
    """Fake multiscale output: two intermediate maps and a constant score map per scale."""
    return [[torch.zeros(1, 2, 3, 3), torch.ones(1, 2, 2, 2), torch.full((1, 1, 4, 4), value)]
            for _ in range(scales)]


def test_gan_loss_hand_values():
    assert gan_loss(_scores(0.5), real=True, mode="lsgan", for_discriminator=True).item() == pytest.approx(0.25)
    assert gan_loss(_scores(0.5), real=False, mode="lsgan", for_discriminator=True).item() == pytest.approx(0.25)
    assert gan_loss(_scores(-1.0), real=True, mode="lsgan", for_discriminator=False).item() == pytest.approx(4.0)
    assert gan_loss(_scores(0.5), real=True, mode="hinge", for_discriminator=True).item() == pytest.approx(0.5)
    assert gan_loss(_scores(0.5), real=False, mode="hinge", for_discriminator=True).item() == pytest.approx(1.5)
    assert gan_loss(_scores(3.0), real=True, mode="hinge", for_discriminator=True).item() == pytest.approx(0.0)
    assert gan_loss(_scores(0.5), real=True, mode="hinge", for_discriminator=False).item() == pytest.approx(-0.5)
    # Averaged over scales: scores 0 and 2 for "real" under lsgan -> (1 + 1) / 2.
    mixed = [_scores(0.0, 1)[0], _scores(2.0, 1)[0]]
    assert gan_loss(mixed, real=True, mode="lsgan", for_discriminator=True).item() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="gan mode"):
        gan_loss(_scores(0.0), real=True, mode="wgan", for_discriminator=True)


def test_feature_matching_hand_value():
    fake = _scores(0.0)
    real = [[s[0] + 0.5, s[1] - 0.25, s[2] + 100.0] for s in _scores(0.0)]
    # Score maps are ignored; the mean of |0.5| and |0.25| over stages and scales.
    assert feature_matching_loss(fake, real).item() == pytest.approx(0.375)


# ----------------------------------------------------------------------------- content and totals


def test_content_loss_is_weighted_feature_l1():
    loss = ContentLoss(layer_ids=[1, 6, 11], layer_weights=[0.5, 1.0, 2.0], widths=TINY_VGG)
    fake = torch.rand(2, 3, 16, 16, requires_grad=True)
    real = torch.rand(2, 3, 16, 16)
    features_fake, features_real = loss.network(fake), loss.network(real)
    expected = sum(w * (a - b).abs().mean() for w, a, b in zip([0.5, 1.0, 2.0], features_fake, features_real))
    value = loss(fake, real)
    torch.testing.assert_close(value, expected)
    value.backward()
    assert fake.grad.abs().sum() > 0
    assert loss(real, real).item() == 0.0


def _generator_loss(**kwargs):
    return GeneratorLoss(content_layer_ids=[1, 6], content_layer_weights=[1.0, 1.0],
                         content_widths=TINY_VGG, **kwargs)


def test_generator_loss_total_is_eq5_weighted_sum():
    weights = dict(lambda_gan=0.7, lambda_feat=3.0, lambda_l1=2.0, lambda_content=5.0)
    loss = _generator_loss(**weights)
    disc = MultiscaleDiscriminator(3, base_channels=4)
    fake = torch.rand(2, 3, 32, 32, requires_grad=True)
    real = torch.rand(2, 3, 32, 32)
    terms = loss(fake, real, disc)
    assert set(terms) == {"l1", "content", "gan", "feat", "total"}
    expected = (0.7 * terms["gan"] + 3.0 * terms["feat"] + 2.0 * terms["l1"] + 5.0 * terms["content"])
    torch.testing.assert_close(terms["total"], expected)
    torch.testing.assert_close(terms["l1"], (fake - real).abs().mean())
    terms["total"].backward()
    assert fake.grad.abs().sum() > 0


def test_generator_loss_without_discriminator_has_no_adversarial_terms():
    terms = _generator_loss()(torch.rand(1, 3, 16, 16), torch.rand(1, 3, 16, 16))
    assert set(terms) == {"l1", "content", "total"}
    torch.testing.assert_close(terms["total"], terms["l1"] + 10.0 * terms["content"])


def test_discriminator_loss_trains_only_the_discriminator():
    torch.manual_seed(0)
    disc = MultiscaleDiscriminator(3, base_channels=4)
    fake = torch.rand(2, 3, 32, 32, requires_grad=True)
    real = torch.rand(2, 3, 32, 32).pow(3)
    criterion = DiscriminatorLoss("hinge")
    terms = criterion(fake, real, disc)
    torch.testing.assert_close(terms["total"], 0.5 * (terms["real"] + terms["fake"]))
    terms["total"].backward()
    assert fake.grad is None
    assert all(p.grad is not None for p in disc.parameters())
    # A few steps teach it to tell these two fixed batches apart.
    optimiser = torch.optim.Adam(disc.parameters(), lr=1e-3)
    losses = []
    for _ in range(15):
        optimiser.zero_grad()
        total = criterion(fake, real, disc)["total"]
        total.backward()
        optimiser.step()
        losses.append(total.item())
    assert losses[-1] < 0.7 * losses[0]
