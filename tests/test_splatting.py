"""Tests of danr_renderer.splatting against the loop reference and hand-computed cases."""
import math
import zlib

import pytest
import torch

from danr_renderer.splatting import SplatResult, native_available, splat_points
from danr_renderer.splatting import api as splatting_api
from danr_renderer.splatting import native as splatting_native
from danr_renderer.splatting.native import native_unavailable_reason
from danr_renderer.splatting.reference import splat_points_reference

F64 = torch.float64

needs_native = pytest.mark.skipif(
    not native_available(),
    reason=f"the compiled splatting kernel is not built here: {native_unavailable_reason()}",
)
# The project's own backends: pure torch, and the compiled kernel where it is built.
OWN_BACKENDS = ["torch", pytest.param("native", marks=needs_native)]


def random_scene(generator, batch, num_points, channels, height, width, margin=2.0):
    """Points scattered over the image plus a margin, some behind the camera (z <= 0)."""
    scale = torch.tensor([width + 2 * margin, height + 2 * margin, 3.0], dtype=F64)
    shift = torch.tensor([margin, margin, 0.5], dtype=F64)
    points = torch.rand(batch, num_points, 3, generator=generator, dtype=F64) * scale - shift
    features = torch.rand(batch, num_points, channels, generator=generator, dtype=F64)
    return points, features


def assert_results_close(result, expected, atol):
    for name in SplatResult._fields:
        got, want = getattr(result, name), getattr(expected, name)
        assert got.shape == want.shape, name
        torch.testing.assert_close(got.double(), want.double(), atol=atol, rtol=0, msg=name)


@pytest.mark.parametrize("backend", OWN_BACKENDS)
@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
@pytest.mark.parametrize("points_per_pixel", [1, 3, 128])
@pytest.mark.parametrize("image_size", [(6, 6), (5, 9), (8, 4)])
def test_own_backends_match_loop_reference(backend, falloff, points_per_pixel, image_size):
    seed = zlib.crc32(repr((falloff, points_per_pixel, image_size)).encode())
    generator = torch.Generator().manual_seed(seed)
    points, features = random_scene(generator, 2, 25, 3, *image_size)
    assert (points[..., 2] <= 0).any()  # the scene exercises the behind-camera rule
    kwargs = dict(radius=2.3, points_per_pixel=points_per_pixel, falloff=falloff)
    result = splat_points(points, features, image_size, backend=backend, **kwargs)
    expected = splat_points_reference(points, features, image_size, **kwargs)
    assert expected.alpha.max() > 0.5  # not a trivially empty image
    assert_results_close(result, expected, atol=1e-5)


@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
@pytest.mark.parametrize("image_size", [(6, 6), (5, 9)])
def test_pytorch3d_matches_loop_reference(falloff, image_size):
    pytest.importorskip("pytorch3d", reason="PyTorch3D is optional and not installed")
    generator = torch.Generator().manual_seed(7)
    points, features = random_scene(generator, 2, 25, 3, *image_size)
    kwargs = dict(radius=2.3, points_per_pixel=4, falloff=falloff)
    # PyTorch3D's kernels run in float32 whatever the input dtype.
    result = splat_points(points.float(), features.float(), image_size, backend="pytorch3d",
                          **kwargs)
    expected = splat_points_reference(points, features, image_size, **kwargs)
    assert_results_close(result, expected, atol=1e-5)


@pytest.mark.parametrize("backend", OWN_BACKENDS)
@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
def test_pytorch3d_gradients_match_own_backends(backend, falloff):
    pytest.importorskip("pytorch3d", reason="PyTorch3D is optional and not installed")
    generator = torch.Generator().manual_seed(3)
    points, features = random_scene(generator, 1, 20, 4, 7, 5)
    grads = {}
    for name in (backend, "pytorch3d"):
        pts = points.float().requires_grad_()
        feats = features.float().requires_grad_()
        result = splat_points(pts, feats, (7, 5), radius=2.1, points_per_pixel=3,
                              falloff=falloff, backend=name)
        (result.image.square().sum() + result.alpha.sum()).backward()
        grads[name] = (pts.grad[..., :2], feats.grad)
    for mine, other in zip(grads[backend], grads["pytorch3d"]):
        torch.testing.assert_close(other, mine, atol=1e-4, rtol=1e-4)


def gradcheck_scene(radius):
    """A tiny scene with distinct z and no point within 0.05 px of a disk edge or centre."""
    height, width, num_points = 4, 5, 6
    generator = torch.Generator().manual_seed(11)
    centres = torch.stack(torch.meshgrid(torch.arange(height, dtype=F64) + 0.5,
                                         torch.arange(width, dtype=F64) + 0.5,
                                         indexing="ij"), -1).reshape(-1, 2).flip(-1)
    uv = []
    while len(uv) < num_points:
        candidate = torch.rand(2, generator=generator, dtype=F64) * torch.tensor(
            [width, height], dtype=F64)
        dist = (centres - candidate).norm(dim=-1)
        if ((dist - radius).abs() > 0.05).all() and (dist > 0.05).all():
            uv.append(candidate)
    z = torch.linspace(1.0, 2.0, num_points, dtype=F64)[torch.randperm(num_points,
                                                                       generator=generator)]
    points = torch.cat([torch.stack(uv), z[:, None]], dim=1)[None]
    features = torch.rand(1, num_points, 2, generator=generator, dtype=F64)
    return points, features, (height, width)


@pytest.mark.parametrize("backend", OWN_BACKENDS)
@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
def test_gradcheck_wrt_uv_z_and_features(backend, falloff):
    radius = 1.7
    points, features, image_size = gradcheck_scene(radius)

    def splat(pts, feats):
        result = splat_points(pts, feats, image_size, radius=radius, points_per_pixel=2,
                              falloff=falloff, backend=backend)
        return result.image, result.alpha, result.depth

    inputs = (points.requires_grad_(), features.requires_grad_())
    assert torch.autograd.gradcheck(splat, inputs, eps=1e-6, atol=1e-6)
    # u, v really do move the image (not a vacuous check of a constant function).
    image, alpha, _ = splat(*inputs)
    grad_points, = torch.autograd.grad(image.sum() + alpha.sum(), points)
    assert grad_points[..., :2].abs().sum() > 1e-3
    assert torch.all(grad_points[..., 2] == 0)  # z only orders the points


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_hand_computed_two_points(backend):
    # Pixel (row 1, col 2), centre (2.5, 1.5). A: d = 1 (3-4-5 offset), z = 1, in front;
    # B: d = 0.5, z = 2, behind A.
    points = torch.tensor([[[3.1, 2.3, 1.0], [2.5, 1.0, 2.0]]], dtype=F64)
    features = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]], dtype=F64)
    for falloff, a_front, a_back in [("linear", 1 - 1 / 2, 1 - 0.5 / 2),
                                     ("quadratic", 1 - 1 / 4, 1 - 0.25 / 4)]:
        result = splat_points(points, features, (4, 6), radius=2.0, falloff=falloff,
                              backend=backend)
        pixel = result.image[0, :, 1, 2]
        torch.testing.assert_close(pixel, torch.tensor([a_front, (1 - a_front) * a_back],
                                                       dtype=F64))
        torch.testing.assert_close(result.alpha[0, 0, 1, 2],
                                   torch.tensor(1 - (1 - a_front) * (1 - a_back), dtype=F64))
        assert result.depth[0, 0, 1, 2] == 1.0


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_single_point_and_empty_pixels(backend):
    points = torch.tensor([[[3.2, 2.9, 5.0]]], dtype=F64)
    features = torch.tensor([[[0.25, 2.0, -1.0]]], dtype=F64)
    radius = 1.5
    result = splat_points(points, features, (6, 7), radius=radius, backend=backend)
    rows = torch.arange(6, dtype=F64)[:, None] + 0.5
    cols = torch.arange(7, dtype=F64)[None, :] + 0.5
    dist = torch.sqrt((cols - 3.2) ** 2 + (rows - 2.9) ** 2)
    covered = dist < radius
    expected_alpha = torch.where(covered, 1 - dist / radius, 0.0)
    torch.testing.assert_close(result.alpha[0, 0], expected_alpha)
    torch.testing.assert_close(result.image[0], expected_alpha * features[0, 0, :, None, None])
    torch.testing.assert_close(result.depth[0, 0], torch.where(covered, 5.0, 0.0).to(F64))
    assert 0 < covered.sum() < covered.numel()
    empty = ~covered
    assert torch.all(result.alpha[0, 0][empty] == 0)
    assert torch.all(result.image[0][:, empty] == 0)
    assert torch.all(result.depth[0, 0][empty] == 0)


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_points_behind_camera_are_ignored(backend):
    generator = torch.Generator().manual_seed(5)
    front, front_features = random_scene(generator, 1, 12, 3, 6, 6)
    front[..., 2] = front[..., 2].abs() + 0.5
    behind = front.clone()
    behind[..., 2] = -torch.rand(1, 12, generator=generator, dtype=F64)
    behind[0, 0, 2] = 0.0  # z == 0 counts as behind too
    points = torch.cat([behind, front], dim=1)
    features = torch.cat([torch.full_like(front_features, 9.0), front_features], dim=1)
    result = splat_points(points, features, (6, 6), radius=2.0, backend=backend)
    expected = splat_points(front, front_features, (6, 6), radius=2.0, backend=backend)
    assert_results_close(result, expected, atol=1e-12)
    only_behind = splat_points(behind, features[:, :12], (6, 6), radius=2.0, backend=backend)
    assert torch.all(only_behind.alpha == 0) and torch.all(only_behind.image == 0)


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_only_the_k_nearest_points_are_kept(backend):
    # Five points on the same spot over pixel (2, 2) (centre (2.5, 2.5), d = 0.6); z shuffled.
    z = torch.tensor([3.0, 1.0, 5.0, 2.0, 4.0], dtype=F64)
    points = torch.stack([torch.full_like(z, 2.5), torch.full_like(z, 3.1), z], -1)[None]
    features = torch.eye(5, dtype=F64)[None]
    result = splat_points(points, features, (5, 5), radius=2.0, points_per_pixel=2,
                          backend=backend)
    a = 1 - 0.6 / 2.0
    expected = torch.zeros(5, dtype=F64)
    expected[1] = a  # z = 1, nearest
    expected[3] = (1 - a) * a  # z = 2, second; the rest are dropped
    torch.testing.assert_close(result.image[0, :, 2, 2], expected)
    torch.testing.assert_close(result.alpha[0, 0, 2, 2], torch.tensor(1 - (1 - a) ** 2,
                                                                      dtype=F64))


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_point_on_a_pixel_centre_occludes_fully_with_finite_gradients(backend):
    # Linear falloff at d = 0 gives a = 1: everything behind gets zero weight.
    points = torch.tensor([[[1.5, 1.5, 1.0], [1.8, 1.4, 2.0]]], dtype=F64, requires_grad=True)
    features = torch.tensor([[[1.0], [7.0]]], dtype=F64, requires_grad=True)
    result = splat_points(points, features, (3, 3), radius=2.0, backend=backend)
    assert result.image[0, 0, 1, 1] == 1.0 and result.alpha[0, 0, 1, 1] == 1.0
    result.image[0, 0, 1, 1].backward()
    assert torch.isfinite(points.grad).all()
    torch.testing.assert_close(features.grad[0, :, 0], torch.tensor([1.0, 0.0], dtype=F64))


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_dense_cloud_matches_reference_with_sideways_shift(backend):
    # One point per pixel shifted sideways, the benchmark's and the renderer's regime.
    height, width = 6, 7
    rows, cols = torch.meshgrid(torch.arange(height, dtype=F64), torch.arange(width, dtype=F64),
                                indexing="ij")
    generator = torch.Generator().manual_seed(2)
    z = 1 + torch.rand(height * width, generator=generator, dtype=F64)
    points = torch.stack([cols.reshape(-1) + 0.5 + 0.7, rows.reshape(-1) + 0.5 - 0.3, z], -1)[None]
    features = torch.rand(1, height * width, 2, generator=generator, dtype=F64)
    kwargs = dict(radius=2.0, points_per_pixel=5)
    result = splat_points(points, features, (height, width), backend=backend, **kwargs)
    expected = splat_points_reference(points, features, (height, width), **kwargs)
    assert_results_close(result, expected, atol=1e-5)


def test_auto_never_uses_pytorch3d_for_cpu_tensors(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("pytorch3d backend chosen for CPU tensors")

    monkeypatch.setattr(splatting_api, "pytorch3d_available", lambda: True)
    monkeypatch.setitem(splatting_api._BACKEND_FUNCTIONS, "pytorch3d", fail)
    points = torch.tensor([[[1.2, 1.0, 1.0]]])
    result = splat_points(points, torch.ones(1, 1, 1), (2, 2), radius=1.0, backend="auto")
    assert result.alpha.sum() > 0


def splat_with_grads(points, features, image_size, backend, **kwargs):
    """Result and the gradients of a fixed random loss of image, alpha and depth w.r.t. the
    points and the features."""
    points = points.clone().requires_grad_()
    features = features.clone().requires_grad_()
    result = splat_points(points, features, image_size, backend=backend, **kwargs)
    generator = torch.Generator().manual_seed(99)
    loss = sum((output * torch.rand(output.shape, generator=generator, dtype=output.dtype)).sum()
               for output in result)
    grad_points, grad_features = torch.autograd.grad(loss, (points, features))
    return result, grad_points, grad_features


def crowded_scene(generator, batch, num_points, channels, height, width, dtype=F64):
    """Many more points than K per pixel, over several tiles, some behind the camera."""
    points, features = random_scene(generator, batch, num_points, channels, height, width,
                                    margin=5.0)
    return points.to(dtype), features.to(dtype)


@needs_native
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
@pytest.mark.parametrize("points_per_pixel, radius", [(1, 1.5), (4, 3.0), (24, 4.0)])
# 123 channels: the kernel's blocks of 8, 4, 2 and 1 vectors of float, its 8 x 8 plane transposes
# and the leftover channels; 5: leftovers only.
@pytest.mark.parametrize("channels", [5, 123])
def test_native_matches_torch_backend_with_gradients(dtype, falloff, points_per_pixel, radius,
                                                     channels):
    # 37 x 53: 2 x 2 tiles of 32 px, partial ones at the right and bottom edges.
    generator = torch.Generator().manual_seed(zlib.crc32(repr((falloff, radius)).encode()))
    points, features = crowded_scene(generator, 3, 1500, channels, 37, 53, dtype)
    points[1, :700, 2] = -1.0  # batch items differ in how many points are behind the camera
    kwargs = dict(radius=radius, points_per_pixel=points_per_pixel, falloff=falloff)
    native = splat_with_grads(points, features, (37, 53), "native", **kwargs)
    torch_ = splat_with_grads(points, features, (37, 53), "torch", **kwargs)
    tolerance = 1e-10 if dtype == F64 else 1e-4
    assert_results_close(native[0], torch_[0], atol=tolerance)
    for got, want in zip(native[1:], torch_[1:]):
        torch.testing.assert_close(got, want, atol=tolerance, rtol=tolerance)
    assert most_candidates(points, (37, 53), radius) > points_per_pixel


def most_candidates(points, image_size, radius):
    """The most candidates (z > 0, d < r) any pixel has."""
    rows, cols = torch.meshgrid(torch.arange(image_size[0], dtype=F64) + 0.5,
                                torch.arange(image_size[1], dtype=F64) + 0.5, indexing="ij")
    centres = torch.stack([cols.reshape(-1), rows.reshape(-1)], -1)
    dist = torch.cdist(centres[None].expand(points.shape[0], -1, -1), points[..., :2].double())
    return int(((dist < radius) & (points[:, None, :, 2] > 0)).sum(-1).max())


@needs_native
def test_native_matches_loop_reference_on_a_crowded_non_square_batch():
    generator = torch.Generator().manual_seed(21)
    points, features = crowded_scene(generator, 2, 300, 3, 11, 19)
    kwargs = dict(radius=2.5, points_per_pixel=6, falloff="linear")
    result = splat_points(points, features, (11, 19), backend="native", **kwargs)
    expected = splat_points_reference(points, features, (11, 19), **kwargs)
    assert_results_close(result, expected, atol=1e-5)


@pytest.mark.parametrize("backend", OWN_BACKENDS)
@pytest.mark.parametrize("radius", [1.5, 3.0])
def test_points_on_exact_disk_edges_match_loop_reference(backend, radius):
    # Quarter-pixel positions: many candidates lie exactly at d = r (excluded).
    steps = torch.arange(0, 8.01, 0.25, dtype=F64)
    u, v = torch.meshgrid(steps, steps[:20], indexing="xy")
    z = 1.0 + torch.rand(u.numel(), generator=torch.Generator().manual_seed(4), dtype=F64)
    points = torch.stack([u.reshape(-1), v.reshape(-1), z], -1)[None]
    features = torch.rand(1, points.shape[1], 2, generator=torch.Generator().manual_seed(5),
                          dtype=F64)
    kwargs = dict(radius=radius, points_per_pixel=5, falloff="quadratic")
    result = splat_points(points, features, (5, 7), backend=backend, **kwargs)
    expected = splat_points_reference(points, features, (5, 7), **kwargs)
    assert_results_close(result, expected, atol=1e-5)


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_points_with_nan_coordinates_are_dropped(backend):
    generator = torch.Generator().manual_seed(8)
    points, features = random_scene(generator, 2, 30, 3, 9, 7)
    nan = torch.full((2, 3, 3), 1.5, dtype=F64)
    nan[:, 0, 0] = nan[:, 1, 1] = nan[:, 2, 2] = math.nan  # NaN u, v or z
    with_nan = torch.cat([nan, points], dim=1)
    nan_features = torch.cat([torch.full((2, 3, 3), 7.0, dtype=F64), features], dim=1)
    result, grad_points, grad_features = splat_with_grads(with_nan, nan_features, (9, 7),
                                                          backend, radius=2.0)
    expected = splat_points(points, features, (9, 7), radius=2.0, backend=backend)
    assert_results_close(result, expected, atol=1e-12)
    assert torch.all(grad_points[:, :3] == 0) and torch.all(grad_features[:, :3] == 0)
    assert torch.isfinite(grad_points[:, 3:]).all()


@pytest.mark.parametrize("backend", OWN_BACKENDS)
def test_radius_larger_than_the_image(backend):
    generator = torch.Generator().manual_seed(13)
    points, features = random_scene(generator, 1, 12, 2, 6, 9, margin=1.0)
    kwargs = dict(radius=25.0, points_per_pixel=5)
    result = splat_points(points, features, (6, 9), backend=backend, **kwargs)
    expected = splat_points_reference(points, features, (6, 9), **kwargs)
    assert_results_close(result, expected, atol=1e-5)


@needs_native
def test_native_result_does_not_depend_on_the_thread_count():
    generator = torch.Generator().manual_seed(17)
    points, features = crowded_scene(generator, 2, 6000, 6, 70, 90, torch.float32)
    kwargs = dict(radius=3.0, points_per_pixel=8)
    threads = torch.get_num_threads()
    runs = []
    try:
        for count in (1, 2, 3):
            torch.set_num_threads(count)
            runs.append(splat_with_grads(points, features, (70, 90), "native", **kwargs))
    finally:
        torch.set_num_threads(threads)
    for other in runs[1:]:
        for got, want in zip([*other[0], *other[1:]], [*runs[0][0], *runs[0][1:]]):
            assert torch.equal(got, want)


@needs_native
def test_native_computes_half_precision_in_float32():
    generator = torch.Generator().manual_seed(6)
    points, features = random_scene(generator, 1, 30, 3, 8, 8)
    half = splat_points(points.half(), features.half(), (8, 8), radius=2.0, backend="native")
    single = splat_points(points.half().float(), features.half().float(), (8, 8), radius=2.0,
                          backend="native")
    assert half.image.dtype == torch.float16
    assert_results_close(half, single, atol=2e-3)


def test_auto_uses_native_for_cpu_tensors_when_built(monkeypatch):
    calls = []
    monkeypatch.setattr(splatting_api, "native_available", lambda: True)
    monkeypatch.setitem(splatting_api._BACKEND_FUNCTIONS, "native",
                        lambda *args: calls.append(args) or "native ran")
    assert splat_points(torch.ones(1, 1, 3), torch.ones(1, 1, 1), (2, 2)) == "native ran"
    assert len(calls) == 1


def test_auto_falls_back_to_torch_without_the_kernel(monkeypatch):
    monkeypatch.setattr(splatting_api, "native_available", lambda: False)
    monkeypatch.setitem(splatting_api._BACKEND_FUNCTIONS, "native", None)  # never called
    result = splat_points(torch.tensor([[[1.2, 1.0, 1.0]]]), torch.ones(1, 1, 1), (2, 2),
                          radius=1.0)
    assert result.alpha.sum() > 0


@pytest.mark.parametrize("pytorch3d_imports, expected", [(True, "pytorch3d"), (False, "torch")])
def test_auto_for_cuda_tensors(monkeypatch, pytorch3d_imports, expected):
    monkeypatch.setattr(splatting_api, "pytorch3d_available", lambda: pytorch3d_imports)
    monkeypatch.setattr(splatting_api, "native_available", lambda: True)
    assert splatting_api._resolve_backend("auto", torch.device("cuda")) == expected


def test_native_without_the_kernel_warns_and_uses_torch(monkeypatch):
    monkeypatch.setattr(splatting_api, "native_available", lambda: False)
    monkeypatch.setattr(splatting_api, "native_unavailable_reason", lambda: "not built (test)")
    generator = torch.Generator().manual_seed(9)
    points, features = random_scene(generator, 1, 10, 2, 5, 5)
    with pytest.warns(RuntimeWarning, match="falls back to backend='torch': not built"):
        result = splat_points(points, features, (5, 5), radius=2.0, backend="native")
    expected = splat_points(points, features, (5, 5), radius=2.0, backend="torch")
    assert_results_close(result, expected, atol=0)
    with pytest.warns(RuntimeWarning, match="CPU tensors only"):
        monkeypatch.setattr(splatting_api, "native_available", lambda: True)
        splatting_api._resolve_backend("native", torch.device("cuda"))


def test_missing_kernel_is_explained_with_how_to_build(monkeypatch):
    def not_built(name):
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(splatting_native.importlib, "import_module", not_built)
    splatting_native._load_extension.cache_clear()
    try:
        assert not splatting_native.native_available()
        reason = native_unavailable_reason()
        assert "pip install --no-build-isolation --no-deps -e ." in reason
        assert "No module named" in reason
        with pytest.raises(RuntimeError, match="not built"):
            splatting_native.splat_points_native(torch.ones(1, 1, 3), torch.ones(1, 1, 1),
                                                 (2, 2), 1.0, 1, "linear")
    finally:
        monkeypatch.undo()
        splatting_native._load_extension.cache_clear()


def test_pytorch3d_backend_explains_how_to_install_when_missing():
    try:
        import pytorch3d  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("PyTorch3D is installed here")
    with pytest.raises(ImportError, match="pip install"):
        splat_points(torch.ones(1, 1, 3), torch.ones(1, 1, 1), (2, 2), backend="pytorch3d")


@pytest.mark.parametrize(
    "points, features, kwargs, message",
    [
        (torch.ones(1, 3), torch.ones(1, 3, 1), {}, "points \\(u, v, z\\) must have shape \\(\\*, \\*, 3\\)"),
        (torch.ones(1, 2, 2), torch.ones(1, 2, 1), {}, "points \\(u, v, z\\) must have shape"),
        (torch.ones(1, 2, 3), [[[1.0]]], {}, "features must be a torch.Tensor, got a list"),
        (torch.ones(1, 2, 3), torch.ones(1, 3, 1), {}, "disagree"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1, dtype=F64), {}, "dtype"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"image_size": (0, 4)}, "image_size"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"image_size": (4,)}, "image_size"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"radius": 0.0}, "radius"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"radius": math.inf}, "radius"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"points_per_pixel": 0}, "points_per_pixel"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"points_per_pixel": 2.5}, "points_per_pixel"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"falloff": "gaussian"}, "falloff"),
        (torch.ones(1, 2, 3), torch.ones(1, 2, 1), {"backend": "cuda"}, "backend"),
    ],
)
def test_bad_inputs_raise_clear_errors(points, features, kwargs, message):
    kwargs = {"image_size": (4, 4), **kwargs}
    with pytest.raises(ValueError, match=message):
        splat_points(points, features, **kwargs)
