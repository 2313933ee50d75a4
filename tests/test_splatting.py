"""Tests of danr_renderer.splatting against the loop reference and hand-computed cases."""
import math
import zlib

import pytest
import torch

from danr_renderer.splatting import SplatResult, splat_points
from danr_renderer.splatting import api as splatting_api
from danr_renderer.splatting.reference import splat_points_reference

F64 = torch.float64


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


@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
@pytest.mark.parametrize("points_per_pixel", [1, 3, 128])
@pytest.mark.parametrize("image_size", [(6, 6), (5, 9), (8, 4)])
def test_native_matches_loop_reference(falloff, points_per_pixel, image_size):
    seed = zlib.crc32(repr((falloff, points_per_pixel, image_size)).encode())
    generator = torch.Generator().manual_seed(seed)
    points, features = random_scene(generator, 2, 25, 3, *image_size)
    assert (points[..., 2] <= 0).any()  # the scene exercises the behind-camera rule
    kwargs = dict(radius=2.3, points_per_pixel=points_per_pixel, falloff=falloff)
    result = splat_points(points, features, image_size, backend="native", **kwargs)
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


@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
def test_pytorch3d_gradients_match_native(falloff):
    pytest.importorskip("pytorch3d", reason="PyTorch3D is optional and not installed")
    generator = torch.Generator().manual_seed(3)
    points, features = random_scene(generator, 1, 20, 4, 7, 5)
    grads = {}
    for backend in ("native", "pytorch3d"):
        pts = points.float().requires_grad_()
        feats = features.float().requires_grad_()
        result = splat_points(pts, feats, (7, 5), radius=2.1, points_per_pixel=3,
                              falloff=falloff, backend=backend)
        (result.image.square().sum() + result.alpha.sum()).backward()
        grads[backend] = (pts.grad[..., :2], feats.grad)
    for native, other in zip(grads["native"], grads["pytorch3d"]):
        torch.testing.assert_close(other, native, atol=1e-4, rtol=1e-4)


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


@pytest.mark.parametrize("falloff", ["linear", "quadratic"])
def test_native_gradcheck_wrt_uv_z_and_features(falloff):
    radius = 1.7
    points, features, image_size = gradcheck_scene(radius)

    def splat(pts, feats):
        result = splat_points(pts, feats, image_size, radius=radius, points_per_pixel=2,
                              falloff=falloff, backend="native")
        return result.image, result.alpha, result.depth

    inputs = (points.requires_grad_(), features.requires_grad_())
    assert torch.autograd.gradcheck(splat, inputs, eps=1e-6, atol=1e-6)
    # u, v really do move the image (not a vacuous check of a constant function).
    image, alpha, _ = splat(*inputs)
    grad_points, = torch.autograd.grad(image.sum() + alpha.sum(), points)
    assert grad_points[..., :2].abs().sum() > 1e-3
    assert torch.all(grad_points[..., 2] == 0)  # z only orders the points


def test_hand_computed_two_points():
    # Pixel (row 1, col 2), centre (2.5, 1.5). A: d = 1 (3-4-5 offset), z = 1, in front;
    # B: d = 0.5, z = 2, behind A.
    points = torch.tensor([[[3.1, 2.3, 1.0], [2.5, 1.0, 2.0]]], dtype=F64)
    features = torch.tensor([[[1.0, 0.0], [0.0, 1.0]]], dtype=F64)
    for falloff, a_front, a_back in [("linear", 1 - 1 / 2, 1 - 0.5 / 2),
                                     ("quadratic", 1 - 1 / 4, 1 - 0.25 / 4)]:
        result = splat_points(points, features, (4, 6), radius=2.0, falloff=falloff,
                              backend="native")
        pixel = result.image[0, :, 1, 2]
        torch.testing.assert_close(pixel, torch.tensor([a_front, (1 - a_front) * a_back],
                                                       dtype=F64))
        torch.testing.assert_close(result.alpha[0, 0, 1, 2],
                                   torch.tensor(1 - (1 - a_front) * (1 - a_back), dtype=F64))
        assert result.depth[0, 0, 1, 2] == 1.0


def test_single_point_and_empty_pixels():
    points = torch.tensor([[[3.2, 2.9, 5.0]]], dtype=F64)
    features = torch.tensor([[[0.25, 2.0, -1.0]]], dtype=F64)
    radius = 1.5
    result = splat_points(points, features, (6, 7), radius=radius, backend="native")
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


def test_points_behind_camera_are_ignored():
    generator = torch.Generator().manual_seed(5)
    front, front_features = random_scene(generator, 1, 12, 3, 6, 6)
    front[..., 2] = front[..., 2].abs() + 0.5
    behind = front.clone()
    behind[..., 2] = -torch.rand(1, 12, generator=generator, dtype=F64)
    behind[0, 0, 2] = 0.0  # z == 0 counts as behind too
    points = torch.cat([behind, front], dim=1)
    features = torch.cat([torch.full_like(front_features, 9.0), front_features], dim=1)
    result = splat_points(points, features, (6, 6), radius=2.0, backend="native")
    expected = splat_points(front, front_features, (6, 6), radius=2.0, backend="native")
    assert_results_close(result, expected, atol=1e-12)
    only_behind = splat_points(behind, features[:, :12], (6, 6), radius=2.0, backend="native")
    assert torch.all(only_behind.alpha == 0) and torch.all(only_behind.image == 0)


def test_only_the_k_nearest_points_are_kept():
    # Five points on the same spot over pixel (2, 2) (centre (2.5, 2.5), d = 0.6); z shuffled.
    z = torch.tensor([3.0, 1.0, 5.0, 2.0, 4.0], dtype=F64)
    points = torch.stack([torch.full_like(z, 2.5), torch.full_like(z, 3.1), z], -1)[None]
    features = torch.eye(5, dtype=F64)[None]
    result = splat_points(points, features, (5, 5), radius=2.0, points_per_pixel=2,
                          backend="native")
    a = 1 - 0.6 / 2.0
    expected = torch.zeros(5, dtype=F64)
    expected[1] = a  # z = 1, nearest
    expected[3] = (1 - a) * a  # z = 2, second; the rest are dropped
    torch.testing.assert_close(result.image[0, :, 2, 2], expected)
    torch.testing.assert_close(result.alpha[0, 0, 2, 2], torch.tensor(1 - (1 - a) ** 2,
                                                                      dtype=F64))


def test_point_on_a_pixel_centre_occludes_fully_with_finite_gradients():
    # Linear falloff at d = 0 gives a = 1: everything behind gets zero weight.
    points = torch.tensor([[[1.5, 1.5, 1.0], [1.8, 1.4, 2.0]]], dtype=F64, requires_grad=True)
    features = torch.tensor([[[1.0], [7.0]]], dtype=F64, requires_grad=True)
    result = splat_points(points, features, (3, 3), radius=2.0, backend="native")
    assert result.image[0, 0, 1, 1] == 1.0 and result.alpha[0, 0, 1, 1] == 1.0
    result.image[0, 0, 1, 1].backward()
    assert torch.isfinite(points.grad).all()
    torch.testing.assert_close(features.grad[0, :, 0], torch.tensor([1.0, 0.0], dtype=F64))


def test_dense_cloud_matches_reference_with_sideways_shift():
    # One point per pixel shifted sideways, the benchmark's and the renderer's regime.
    height, width = 6, 7
    rows, cols = torch.meshgrid(torch.arange(height, dtype=F64), torch.arange(width, dtype=F64),
                                indexing="ij")
    generator = torch.Generator().manual_seed(2)
    z = 1 + torch.rand(height * width, generator=generator, dtype=F64)
    points = torch.stack([cols.reshape(-1) + 0.5 + 0.7, rows.reshape(-1) + 0.5 - 0.3, z], -1)[None]
    features = torch.rand(1, height * width, 2, generator=generator, dtype=F64)
    kwargs = dict(radius=2.0, points_per_pixel=5)
    result = splat_points(points, features, (height, width), backend="native", **kwargs)
    expected = splat_points_reference(points, features, (height, width), **kwargs)
    assert_results_close(result, expected, atol=1e-5)


def test_auto_uses_native_for_cpu_tensors(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("pytorch3d backend chosen for CPU tensors")

    monkeypatch.setattr(splatting_api, "pytorch3d_available", lambda: True)
    monkeypatch.setattr(splatting_api, "splat_points_pytorch3d", fail)
    points = torch.tensor([[[1.2, 1.0, 1.0]]])
    result = splat_points(points, torch.ones(1, 1, 1), (2, 2), radius=1.0, backend="auto")
    assert result.alpha.sum() > 0


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
        (torch.ones(1, 3), torch.ones(1, 3, 1), {}, "points must be a"),
        (torch.ones(1, 2, 2), torch.ones(1, 2, 1), {}, "points must be a"),
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
