"""Depth supervision beyond the paper: the depth-points format, the log-depth loss, the pair
dataset's src_depth and photometric jitter, and the training term."""
import numpy as np
import pytest
import torch

from danr_renderer.data.depth_points import (
    dense_depth_points,
    rasterize_depth_points,
    read_depth_points,
    write_depth_points,
)
from danr_renderer.data.realestate10k_dataset import RealEstate10KPairs
from danr_renderer.losses import depth_loss
from danr_renderer.synthetic import render_view
from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset
from danr_renderer.synthetic.views import camera_trajectory, generate_scene, scene_seed, trajectory_seed


def test_depth_points_round_trip_byte_for_byte(tmp_path):
    uv = np.array([[0.5, 0.5], [3.25, 1.75]], np.float32)
    z = np.array([2.0, 4.5], np.float32)
    write_depth_points(tmp_path / "a.npz", uv, z)
    write_depth_points(tmp_path / "b.npz", uv, z)
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()
    read_uv, read_z = read_depth_points(tmp_path / "a.npz")
    np.testing.assert_array_equal(read_uv, uv)
    np.testing.assert_array_equal(read_z, z)
    with pytest.raises(ValueError, match="finite positive"):
        write_depth_points(tmp_path / "c.npz", uv, np.array([1.0, 0.0]))
    (tmp_path / "d.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="d.npz: not a depth-points file"):
        read_depth_points(tmp_path / "d.npz")


def test_rasterize_moves_points_by_the_resize_and_crop():
    # Points of a 4 x 6 frame; resized x2 then cropped at (x0, y0) = (3, 1) into 5 x 4.
    uv = np.array([[2.5, 1.5], [2.6, 1.6], [0.25, 0.25], [5.9, 3.9]], np.float32)
    z = np.array([3.0, 2.0, 7.0, 1.0], np.float32)
    depth = rasterize_depth_points(uv, z, (2.0, 2.0), (3.0, 1.0), (5, 4))
    expected = np.zeros((5, 4), np.float32)
    # (2.5, 1.5) -> (2.0, 2.0) and (2.6, 1.6) -> (2.2, 2.2): the same pixel, the nearer wins.
    expected[2, 2] = 2.0
    # (0.25, 0.25) -> (-2.5, -0.5) and (5.9, 3.9) -> (8.8, 6.8): outside the crop.
    np.testing.assert_array_equal(depth, expected)


def test_dense_points_put_every_pixel_centre():
    depth = np.arange(1, 7, dtype=np.float32).reshape(2, 3)
    uv, z = dense_depth_points(depth)
    np.testing.assert_array_equal(uv[4], [1.5, 1.5])
    np.testing.assert_array_equal(rasterize_depth_points(uv, z, (1, 1), (0, 0), (2, 3)), depth)


def test_depth_loss_against_hand_values():
    known = torch.tensor([[[[2.0, 0.0], [4.0, 1.0]]]])
    doubled = torch.where(known > 0, 2 * known, torch.full_like(known, 9.0))  # unknown pixel ignored
    assert depth_loss(known.clamp_min(0.5), known).item() == pytest.approx(0.0, abs=1e-7)
    assert depth_loss(doubled, known).item() == pytest.approx(np.log(2.0), rel=1e-6)
    assert depth_loss(doubled, known, scale_invariant=True).item() == pytest.approx(0.0, abs=1e-6)
    # An image without known depth does not count; a batch without any gives a zero with a graph.
    both = depth_loss(torch.cat([doubled, doubled]), torch.cat([known, torch.zeros_like(known)]))
    assert both.item() == pytest.approx(np.log(2.0), rel=1e-6)
    predicted = torch.ones(1, 1, 2, 2, requires_grad=True)
    empty = depth_loss(predicted, torch.zeros(1, 1, 2, 2))
    empty.backward()
    assert empty.item() == 0.0 and predicted.grad is not None


@pytest.fixture(scope="module")
def synthetic_video(tmp_path_factory):
    out = tmp_path_factory.mktemp("synthetic")
    write_synthetic_dataset(out, SyntheticDatasetSpec(num_scenes=1, views_per_scene=3, size=32, seed=3,
                                                      write_depth=True))
    return out / "video"


def test_pair_dataset_carries_the_exact_source_depth(synthetic_video):
    dataset = RealEstate10KPairs(synthetic_video, image_size=32, max_frame_gap=2, depth_folder="depth")
    sample = dataset[1]
    scene = generate_scene(scene_seed(3, 0))
    poses = camera_trajectory(scene, 3, trajectory_seed(3, 0))
    view = render_view(scene, poses[1], sample["K"].double(), 32, 32)
    assert sample["src_timestamp"] == 33333  # frame 1
    torch.testing.assert_close(sample["src_depth"][0], view.depth.float())
    small = RealEstate10KPairs(synthetic_video, image_size=16, max_frame_gap=2, depth_folder="depth")[1]
    # The 16 x 16 grid halves the 32 px frame: each pixel holds the nearest of its 2 x 2 block.
    blocks = sample["src_depth"][0].reshape(16, 2, 16, 2).permute(0, 2, 1, 3).reshape(16, 16, 4)
    torch.testing.assert_close(small["src_depth"][0], blocks.min(-1).values, rtol=0, atol=0)
    with pytest.raises(FileNotFoundError, match="depth file of this frame is missing"):
        RealEstate10KPairs(synthetic_video, image_size=16, depth_folder="nowhere")[0]


def test_photometric_jitter_changes_source_and_target_alike(tmp_path):
    import cv2

    from danr_renderer.data.realestate10k_cameras import CameraFrame, write_camera_file

    rng = np.random.default_rng(0)
    image = cv2.resize(rng.integers(0, 256, (4, 6, 3), dtype=np.uint8), (24, 16))
    frames = [CameraFrame(t, np.array([0.8, 1.2, 0.5, 0.5]), np.eye(4)[:3]) for t in (1, 2)]
    (tmp_path / "cameras").mkdir()
    write_camera_file(tmp_path / "cameras" / "c.txt", frames)
    (tmp_path / "frames" / "c").mkdir(parents=True)
    for frame in frames:
        cv2.imwrite(str(tmp_path / "frames" / "c" / f"{frame.timestamp}.png"), image)
    plain = RealEstate10KPairs(tmp_path, image_size=(16, 24))[0]
    jittered = RealEstate10KPairs(tmp_path, image_size=(16, 24), photometric_jitter=0.4)[0]
    torch.testing.assert_close(jittered["src_image"], jittered["tgt_image"])
    assert (jittered["src_image"] - plain["src_image"]).abs().max() > 0.01
    assert 0.0 <= jittered["src_image"].min() and jittered["src_image"].max() <= 1.0
    torch.testing.assert_close(plain["src_image"], RealEstate10KPairs(tmp_path, image_size=(16, 24))[0]["src_image"])


def _tiny_depth_model(**settings):
    """A DANRRendererModel small enough for a few CPU steps; `settings` override its arguments."""
    from danr_mmengine import DANRRendererModel

    return DANRRendererModel(**{
        "renderer": dict(feature_channels=4, encoder_widths=(4,), decoder_widths=(4,), depth_base_channels=4,
                         depth_levels=2, depth_max_channels=8, min_depth=0.5, max_depth=12.0),
        "discriminator": dict(base_channels=4, n_layers=2),
        "loss": dict(content_widths=(4, 8, 8, 16, 16)),
        "perceptual": dict(widths=(4, 8, 8, 16, 16)), **settings})


def test_training_with_depth_supervision_learns_the_depth(synthetic_video):
    """Only the depth term (the image terms weighted 0): a few Adam steps on one batch bring the
    predicted depth towards the exact one, and the term is logged."""
    pytest.importorskip("mmengine")
    from mmengine.dataset import pseudo_collate
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    from danr_mmengine import DANRRendererModel

    torch.manual_seed(0)
    model = _tiny_depth_model(
        loss=dict(lambda_gan=0.0, lambda_feat=0.0, lambda_l1=0.0, lambda_content=0.0,
                  content_widths=(4, 8, 8, 16, 16)),
        depth_supervision=dict(weight=1.0))
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.Adam(model.generator.parameters(), lr=3e-3)),
        discriminator=OptimWrapper(torch.optim.Adam(model.discriminator.parameters(), lr=1e-4)))
    dataset = RealEstate10KPairs(synthetic_video, image_size=32, max_frame_gap=2, depth_folder="depth")
    batch = pseudo_collate([dataset[0], dataset[1]])
    logs = [model.train_step(batch, optim) for _ in range(30)]
    assert logs[-1]["loss_depth"] < 0.5 * logs[0]["loss_depth"]
    with pytest.raises(ValueError, match="depth_supervision takes"):
        DANRRendererModel(depth_supervision=dict(weight=1.0, kind="l2"))


def test_depth_only_step_is_gradient_descent_on_the_depth_term_alone(synthetic_video):
    """depth_only with plain SGD: the depth net moves by -lr times the gradient of the weighted
    depth term, computed here on a copy through encode's depth; the encoder, decoder and
    discriminator do not move; loss and loss_depth are logged."""
    pytest.importorskip("mmengine")
    import copy

    from mmengine.dataset import pseudo_collate
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    torch.manual_seed(1)
    model = _tiny_depth_model(depth_supervision=dict(weight=2.0), depth_only=True)
    reference = copy.deepcopy(model)
    lr = 0.01
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=lr)),
        discriminator=OptimWrapper(torch.optim.SGD(model.discriminator.parameters(), lr=lr)))
    dataset = RealEstate10KPairs(synthetic_video, image_size=32, max_frame_gap=2, depth_folder="depth")
    batch = pseudo_collate([dataset[0], dataset[1]])
    log = model.train_step(batch, optim)

    data = reference.data_preprocessor(batch, True)
    term = depth_loss(reference.generator.encode(data["src_image"])[1], data["src_depth"])
    grads = torch.autograd.grad(2.0 * term, list(reference.generator.depth_net.parameters()))
    assert set(log) == {"loss", "loss_depth"}
    assert float(log["loss_depth"]) == pytest.approx(term.item(), rel=1e-5)
    assert float(log["loss"]) == pytest.approx(2.0 * term.item(), rel=1e-5)
    for (name, after), before, grad in zip(model.generator.depth_net.named_parameters(),
                                           reference.generator.depth_net.parameters(), grads):
        torch.testing.assert_close(after, before - lr * grad, rtol=1e-4, atol=1e-7, msg=name)
    assert any(grad.abs().max() > 0 for grad in grads)
    for net in ("generator.encoder", "generator.decoder", "discriminator"):
        moved, kept = (dict(m.named_parameters()) for m in
                       (model.get_submodule(net), reference.get_submodule(net)))
        for name in moved:
            assert torch.equal(moved[name], kept[name]), (net, name)

    without_depth = pseudo_collate([RealEstate10KPairs(synthetic_video, image_size=32, max_frame_gap=2)[0]])
    with pytest.raises(ValueError, match="depth_only needs batches with src_depth"):
        model.train_step(without_depth, optim)
    for bad in (dict(depth_only=True),
                dict(depth_only=True, depth_supervision=dict(weight=1.0), frozen_parts=("depth_net",))):
        with pytest.raises(ValueError, match="depth_only trains the depth net"):
            _tiny_depth_model(**bad)
