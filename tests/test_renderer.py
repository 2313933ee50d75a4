"""NovelViewRenderer: shapes, geometry wiring, gradients, training, checkpoints, batched views."""
import pytest
import torch
import torch.nn.functional as F

from danr_renderer.geometry import default_intrinsics, pixel_centers, rotvec_to_matrix
from danr_renderer.renderer import NovelViewRenderer, RenderOutput

PAPER_ROTVECS = torch.tensor([[-0.1, -0.15, 0.0], [0.1, -0.15, 0.0], [-0.1, 0.15, 0.0], [0.1, 0.15, 0.0]])


def tiny_renderer(**overrides) -> NovelViewRenderer:
    config = dict(feature_channels=4, encoder_widths=(4, 8), decoder_widths=(4, 8, 8),
                  depth_base_channels=4, min_depth=1.0, max_depth=4.0, splat_radius=1.5,
                  points_per_pixel=8, splat_backend="native")
    config.update(overrides)
    return NovelViewRenderer(**config)


def camera_batch(batch, height, width, rotvec=(0.05, -0.1, 0.0), translation=(0.05, -0.03, 0.3)):
    K = default_intrinsics(height, width).expand(batch, 3, 3)
    R = rotvec_to_matrix(torch.tensor([rotvec])).expand(batch, 3, 3)
    T = torch.tensor([translation]).expand(batch, 3)
    return K, R, T


@pytest.mark.parametrize("size, scale", [((32, 32), 1), ((48, 64), 1), ((32, 32), 2), ((16, 24), 2)])
def test_output_shapes_and_ranges(size, scale):
    torch.manual_seed(0)
    height, width = size
    renderer = tiny_renderer(render_scale=scale)
    out = renderer(torch.rand(2, 3, height, width), *camera_batch(2, height, width))
    assert isinstance(out, RenderOutput)
    assert out.image.shape == (2, 3, scale * height, scale * width)
    assert out.alpha.shape == (2, 1, scale * height, scale * width)
    assert out.depth.shape == (2, 1, height, width)
    assert out.points.shape == (2, height * width, 3)
    assert out.image.min() >= 0 and out.image.max() <= 1
    assert out.alpha.min() >= 0 and out.alpha.max() <= 1 and out.alpha.max() > 0.5
    assert out.depth.min() >= 1.0 and out.depth.max() <= 4.0


@pytest.mark.parametrize("scale", [1, 2])
def test_identity_pose_puts_points_on_scaled_pixel_centres(scale):
    renderer = tiny_renderer(render_scale=scale, splat_radius=0.6).eval()
    image = torch.rand(1, 3, 16, 20)
    out = renderer(image, *camera_batch(1, 16, 20, rotvec=(0, 0, 0), translation=(0, 0, 0)))
    torch.testing.assert_close(out.points[0, :, :2], scale * pixel_centers(16, 20), atol=1e-4, rtol=0)
    torch.testing.assert_close(out.points[0, :, 2], out.depth.flatten(), atol=1e-5, rtol=1e-5)
    # Radius 0.6 source px = 1.2 palette px at s = 2 reaches every palette centre (the farthest
    # is sqrt(0.5) px from a point); an unscaled 0.6 would leave holes.
    assert out.alpha.min() > 0


def test_identity_pose_with_small_radius_decodes_the_encoder_features():
    # r < 1 px: every pixel gets exactly its own point at distance 0 (weight 1), so the
    # palette is the encoder's feature map and the output must be decoder(encoder(image)).
    torch.manual_seed(1)
    renderer = tiny_renderer(splat_radius=0.9).eval()
    image = torch.rand(2, 3, 16, 24)
    out = renderer(image, *camera_batch(2, 16, 24, rotvec=(0, 0, 0), translation=(0, 0, 0)))
    with torch.no_grad():
        expected = renderer.decoder(renderer.encoder(2 * image - 1))
    torch.testing.assert_close(out.image, expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(out.alpha, torch.ones_like(out.alpha))


def test_splat_rgb_feeds_the_decoder_the_source_colours_beside_the_features():
    torch.manual_seed(3)
    renderer = tiny_renderer(splat_radius=0.9, splat_rgb=True).eval()
    image = torch.rand(1, 3, 16, 24)
    out = renderer(image, *camera_batch(1, 16, 24, rotvec=(0, 0, 0), translation=(0, 0, 0)))
    with torch.no_grad():
        palette = torch.cat([renderer.encoder(2 * image - 1), 2 * image - 1], dim=1)
        expected = renderer.decoder(palette)
    torch.testing.assert_close(out.image, expected, atol=1e-5, rtol=1e-5)


def test_over_composite_shows_fully_covered_source_colours_and_decoder_in_holes():
    torch.manual_seed(4)
    renderer = tiny_renderer(splat_radius=0.9, splat_rgb=True, composite="over").eval()
    image = torch.rand(1, 3, 16, 24)
    # Identity pose, r < 1 px: each pixel holds only its own point at distance 0 (alpha 1).
    out = renderer(image, *camera_batch(1, 16, 24, rotvec=(0, 0, 0), translation=(0, 0, 0)))
    torch.testing.assert_close(out.image, image, atol=1e-5, rtol=0)
    # A sideways move of several pixels uncovers a band at one edge: there the output is what
    # the same weights decode without compositing; where alpha is 1, the moved source colours.
    cameras = camera_batch(1, 16, 24, rotvec=(0, 0, 0), translation=(-0.5, 0, 0))
    out = renderer(image, *cameras)
    decoder_only = tiny_renderer(splat_radius=0.9, splat_rgb=True).eval()
    decoder_only.load_state_dict(renderer.state_dict())
    decoded = decoder_only(image, *cameras).image
    holes = out.alpha[0, 0] == 0
    assert holes.any() and not holes.all()
    torch.testing.assert_close(out.image[0][:, holes], decoded[0][:, holes], atol=1e-6, rtol=0)
    # Elsewhere the part not painted by the decoder is a premultiplied colour in [0, alpha].
    premultiplied = out.image - (1 - out.alpha) * decoded
    assert (premultiplied >= -1e-6).all() and (premultiplied <= out.alpha + 1e-6).all()


def test_over_composite_needs_splat_rgb():
    with pytest.raises(ValueError, match="composite"):
        tiny_renderer(composite="over")


def test_gradients_reach_depth_net_and_encoder_through_the_splatter():
    torch.manual_seed(2)
    renderer = tiny_renderer()
    image = torch.rand(2, 3, 16, 16)
    out = renderer(image, *camera_batch(2, 16, 16))
    F.l1_loss(out.image, torch.rand_like(out.image)).backward()
    for name, module in [("depth_net", renderer.depth_net), ("encoder", renderer.encoder),
                         ("decoder", renderer.decoder)]:
        grads = [p.grad for p in module.parameters()]
        assert all(g is not None for g in grads), name
        assert sum(g.abs().sum() for g in grads) > 0, name
    # The depth net's first convolution is far from the loss: it must still learn.
    assert renderer.depth_net.first.downs[0][1].weight.grad.abs().sum() > 0


def test_adam_lowers_the_loss_on_a_fixed_batch():
    torch.manual_seed(3)
    renderer = tiny_renderer()
    image = torch.rand(2, 3, 16, 16)
    # A smooth colour ramp: reachable by the decoder, far from its initial grey output.
    ramp = torch.linspace(0.05, 0.95, 16)
    target = torch.stack([ramp.view(1, 16).expand(16, 16), ramp.view(16, 1).expand(16, 16),
                          torch.full((16, 16), 0.9)])[None].expand(2, 3, 16, 16)
    cameras = camera_batch(2, 16, 16)
    optimiser = torch.optim.Adam(renderer.parameters(), lr=1e-2)
    losses = []
    for _ in range(12):
        optimiser.zero_grad()
        loss = F.l1_loss(renderer(image, *cameras).image, target)
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.6 * losses[0], losses


@pytest.mark.parametrize("depth_net", ["hourglass", "lite0"])
def test_checkpoint_round_trip(tmp_path, depth_net):
    torch.manual_seed(4)
    renderer = tiny_renderer(render_scale=2, min_depth=1.5, max_depth=3.0, falloff="quadratic",
                             depth_net=depth_net)
    image = torch.rand(2, 3, 16, 16)
    cameras = camera_batch(2, 16, 16)
    renderer(image, *cameras)  # a train-mode pass moves the BN running statistics
    renderer.eval()
    path = tmp_path / "ckpt" / "renderer.pth"
    renderer.save_checkpoint(path, extra={"step": 7, "note": "test"})

    payload = torch.load(path, weights_only=True)
    assert set(payload) == {"config", "state_dict", "extra"}
    assert payload["config"] == renderer.to_config()
    assert payload["extra"] == {"step": 7, "note": "test"}

    restored = NovelViewRenderer.load_checkpoint(path, map_location="cpu").eval()
    assert restored.to_config() == renderer.to_config()
    with torch.no_grad():
        before, after = renderer(image, *cameras), restored(image, *cameras)
    for field in ("image", "depth", "alpha", "points"):
        assert torch.equal(getattr(before, field), getattr(after, field)), field


def test_config_round_trip_and_errors(tmp_path):
    renderer = tiny_renderer(render_scale=2)
    assert NovelViewRenderer.from_config(renderer.to_config()).to_config() == renderer.to_config()
    with pytest.raises(ValueError, match="unknown keys \\['radius'\\]"):
        NovelViewRenderer.from_config({"radius": 3.0})
    with pytest.raises(FileNotFoundError, match="nothing.pth"):
        NovelViewRenderer.load_checkpoint(tmp_path / "nothing.pth")
    bad = tmp_path / "bad.pth"
    torch.save({"weights": torch.zeros(1)}, bad)
    with pytest.raises(ValueError, match="bad.pth"):
        NovelViewRenderer.load_checkpoint(bad)
    mismatched = tmp_path / "mismatched.pth"
    torch.save({"config": tiny_renderer(feature_channels=6).to_config(),
                "state_dict": renderer.state_dict()}, mismatched)
    with pytest.raises(ValueError, match="mismatched.pth"):
        NovelViewRenderer.load_checkpoint(mismatched)
    with pytest.raises(ValueError, match="render_scale"):
        tiny_renderer(render_scale=0)
    with pytest.raises(ValueError, match="falloff"):
        tiny_renderer(falloff="cubic")
    with pytest.raises(ValueError, match="depth_net must be one of"):
        tiny_renderer(depth_net="midas")
    # Checkpoints written before depth_net existed hold the paper's hourglass.
    older = {k: v for k, v in renderer.to_config().items() if k != "depth_net"}
    assert NovelViewRenderer.from_config(older).to_config()["depth_net"] == "hourglass"


def test_bad_inputs_name_the_argument():
    renderer = tiny_renderer()
    K, R, T = camera_batch(1, 16, 16)
    with pytest.raises(ValueError, match="image must have shape"):
        renderer(torch.rand(1, 4, 16, 16), K, R, T)
    with pytest.raises(ValueError, match="T must have shape \\(1, 3\\)"):
        renderer(torch.rand(1, 3, 16, 16), K, R, T[:, :2])
    with pytest.raises(ValueError, match="translations must have shape \\(4, 3\\)"):
        renderer.render_views(torch.rand(3, 16, 16), K[0], PAPER_ROTVECS, torch.zeros(3, 3))


@pytest.mark.parametrize("scale", [1, 2])
def test_render_views_equals_forward_per_view(scale):
    torch.manual_seed(5)
    renderer = tiny_renderer(render_scale=scale)
    renderer(torch.rand(2, 3, 16, 24), *camera_batch(2, 16, 24))  # non-trivial BN statistics
    renderer.eval()
    image = torch.rand(3, 16, 24)
    K = default_intrinsics(16, 24)
    translations = torch.tensor([[0.0, 0.0, 0.3]]).expand(4, 3)
    with torch.no_grad():
        views = renderer.render_views(image, K, PAPER_ROTVECS, translations)
        assert views.image.shape == (4, 3, 16 * scale, 24 * scale)
        assert views.depth.shape == (1, 1, 16, 24)
        for index in range(4):
            single = renderer(image[None], K[None], rotvec_to_matrix(PAPER_ROTVECS[index:index + 1]),
                              translations[index:index + 1])
            torch.testing.assert_close(views.image[index:index + 1], single.image, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(views.alpha[index:index + 1], single.alpha, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(views.points[index:index + 1], single.points, atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(views.depth, single.depth)
    # The four views really are different views.
    assert (views.points[0, :, :2] - views.points[3, :, :2]).abs().max() > 1.0


def test_images_outside_the_unit_range_are_refused_by_name():
    renderer = tiny_renderer()
    K, R, T = camera_batch(1, 16, 16)
    pixels = (torch.rand(1, 3, 16, 16) * 255).round()
    with pytest.raises(TypeError, match="image must be a float image in \\[0, 1\\], got dtype torch.uint8"):
        renderer(pixels.to(torch.uint8), K, R, T)
    with pytest.raises(ValueError, match="image must hold values in \\[0, 1\\].*divide by 255"):
        renderer(pixels, K, R, T)
    with pytest.raises(TypeError, match="K must be a torch.Tensor or numpy array, got list"):
        renderer(pixels / 255, K[0].tolist(), R, T)


def test_numpy_and_unbatched_cameras_equal_batched_tensors():
    torch.manual_seed(2)
    renderer = tiny_renderer().eval()
    image = torch.rand(2, 3, 16, 20)
    K, R, T = camera_batch(2, 16, 20)
    with torch.no_grad():
        batched = renderer(image, K, R, T)
        shared = renderer(image, K[0].numpy(), R[0], T[0].numpy())
    torch.testing.assert_close(shared.image, batched.image)
    torch.testing.assert_close(shared.points, batched.points)
    with pytest.raises(ValueError, match="K must have shape \\(2, 3, 3\\)"):
        renderer(image, K[:1].expand(3, 3, 3), R, T)


def test_render_views_in_chunks_equals_all_at_once():
    torch.manual_seed(4)
    renderer = tiny_renderer().eval()
    image, K = torch.rand(3, 16, 24), default_intrinsics(16, 24)
    translations = torch.tensor([[0.0, 0.0, 0.3]]).expand(4, 3)
    with torch.no_grad():
        whole = renderer.render_views(image, K, PAPER_ROTVECS, translations)
        chunked = renderer.render_views(image, K, PAPER_ROTVECS, translations, views_per_batch=3)
    for name in ("image", "alpha", "points", "depth"):
        torch.testing.assert_close(getattr(chunked, name), getattr(whole, name))
    with pytest.raises(ValueError, match="views_per_batch >= 1"):
        renderer.render_views(image, K, PAPER_ROTVECS, translations, views_per_batch=0)
