"""The "torch" splatting backend: pure, vectorised PyTorch (CPU or GPU), differentiable.

The fallback where the compiled kernel (``native.py``) is not built, and the CUDA path where
PyTorch3D is absent.

How it works, for one batch item (the batch is a Python loop; nothing loops over pixels or
points):

1. Keep the points in front of the camera (z > 0) whose disk can reach the image, and
   renumber them in ascending z, so a point's new index is its depth rank.
2. For every point enumerate the pixels of its (2h + 1)^2 window around the pixel that
   contains it whose centres lie strictly within r -> (point, pixel) pairs, point-major.
3. A stable sort by pixel makes the pairs pixel-major and, inside a pixel, front to back;
   the position inside the pixel's run is the rank k; pairs with k >= K are dropped.
4. The compositing weights a_k prod_{j<k} (1 - a_j) come from a cumprod over a dense
   (H*W, K') tensor, K' = min(K, most pairs in any pixel).
5. The image is a sparse (H*W x N) weight matrix times the (N x C) features, so memory
   holds pairs and pixels x channels, never pairs x channels.
"""
from __future__ import annotations

import math
import warnings

import torch

from .common import SplatResult, falloff_weights

# Bounds the (points x window) candidate tensors of step 2 to a few hundred MB.
_CANDIDATES_PER_CHUNK = 1 << 22


def splat_points_torch(
    points: torch.Tensor,
    features: torch.Tensor,
    image_size: tuple[int, int],
    radius: float,
    points_per_pixel: int,
    falloff: str,
) -> SplatResult:
    """Splat points (B, N, 3) = (u, v, z) in target pixels with features (B, N, C).

    Inputs are assumed validated (see ``splat_points``). Returns image (B, C, H, W),
    alpha (B, 1, H, W) and depth (B, 1, H, W).
    """
    height, width = image_size
    images, alphas, depths = [], [], []
    for points_b, features_b in zip(points, features):
        image, alpha, depth = _splat_one(
            points_b, features_b, height, width, radius, points_per_pixel, falloff
        )
        images.append(image.t().reshape(-1, height, width))
        alphas.append(alpha.reshape(1, height, width))
        depths.append(depth.reshape(1, height, width))
    return SplatResult(torch.stack(images), torch.stack(alphas), torch.stack(depths))


def _splat_one(
    points: torch.Tensor,
    features: torch.Tensor,
    height: int,
    width: int,
    radius: float,
    max_per_pixel: int,
    falloff: str,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One batch item: points (N, 3), features (N, C) -> image (H*W, C), alpha, depth (H*W,)."""
    num_pixels = height * width
    device = points.device

    u, v, z = points.detach().unbind(-1)
    reachable = (
        (z > 0)
        & (u > -radius) & (u < width + radius)
        & (v > -radius) & (v < height + radius)
    )  # also drops NaN / inf coordinates
    kept_points = torch.nonzero(reachable).squeeze(1)
    kept_points = kept_points.index_select(0, torch.argsort(z[kept_points], stable=True))
    # Per kept point, index = depth rank (P,); 1-D gathers (index_select) are the fast kind.
    point_u, point_v, point_z = (points[:, axis].index_select(0, kept_points) for axis in range(3))
    point_features = features.index_select(0, kept_points)
    num_points = kept_points.numel()

    pair_point, pair_pixel = _candidate_pairs(
        point_u.detach(), point_v.detach(), height, width, radius
    )

    # Pixel-major, front to back inside each pixel; rank = position inside the pixel's run.
    order = torch.argsort(pair_pixel.int(), stable=True)  # int32 keys sort about 2x faster
    pix = pair_pixel.index_select(0, order)
    pnt = pair_point.index_select(0, order)
    pairs_per_pixel = torch.bincount(pair_pixel, minlength=num_pixels)
    run_start = torch.cumsum(pairs_per_pixel, 0) - pairs_per_pixel
    rank = torch.arange(order.numel(), device=device) - run_start.index_select(0, pix)
    most_per_pixel = int(pairs_per_pixel.max()) if pix.numel() else 0

    # The same pairs point-major (the order they were generated in) give the transposed
    # weight matrix for the feature gradient; point_major indexes the pixel-major list.
    point_major = torch.empty_like(order)
    point_major[order] = torch.arange(order.numel(), device=device)
    if most_per_pixel > max_per_pixel:
        keep = rank < max_per_pixel
        pix, pnt, rank = pix[keep], pnt[keep], rank[keep]
        kept_position = torch.cumsum(keep, 0) - 1
        point_major = kept_position.index_select(0, point_major[keep.index_select(0, point_major)])

    centre_u = (pix % width).to(point_u.dtype) + 0.5
    centre_v = torch.div(pix, width, rounding_mode="floor").to(point_u.dtype) + 0.5
    offset_u = point_u.index_select(0, pnt) - centre_u
    offset_v = point_v.index_select(0, pnt) - centre_v
    dist_sq = offset_u * offset_u + offset_v * offset_v
    splat_alpha = falloff_weights(dist_sq, radius, falloff)

    slots = max(1, min(max_per_pixel, most_per_pixel))
    slot = pix * slots + rank  # flat index into the dense (H*W, slots) layout
    dense_alpha = point_u.new_zeros(num_pixels * slots).index_put((slot,), splat_alpha)
    transmittance = torch.cumprod(1.0 - dense_alpha.view(num_pixels, slots), dim=1)
    before = torch.cat([torch.ones_like(transmittance[:, :1]), transmittance[:, :-1]], dim=1)
    # a_k prod_{j<k} (1 - a_j) of every kept pair
    pair_weights = before.reshape(-1).index_select(0, slot) * splat_alpha
    alpha = 1.0 - transmittance[:, -1]

    image = _SparseWeightedSum.apply(
        pair_weights,
        point_features,
        _row_pointers(pairs_per_pixel.clamp(max=max_per_pixel)),
        pnt,
        _row_pointers(torch.bincount(pnt, minlength=num_points)),
        pix.index_select(0, point_major),
        point_major,
    )

    front = rank == 0
    depth = point_z.new_zeros(num_pixels).index_put(
        (pix[front],), point_z.index_select(0, pnt[front])
    )
    return image, alpha, depth


def _candidate_pairs(
    u: torch.Tensor, v: torch.Tensor, height: int, width: int, radius: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """(point, pixel) pairs with ||(u, v)[point] - centre(pixel)|| < radius, inside the image.

    u, v: (P,) in pixels. Returns int64 (M,) point indices and row-major pixel indices
    i * W + j, ordered point-major and by ascending pixel inside a point.
    """
    half = math.ceil(radius + 0.5) - 1
    offsets = torch.arange(-half, half + 1, device=u.device)
    offset_i, offset_j = torch.meshgrid(offsets, offsets, indexing="ij")
    offset_i, offset_j = offset_i.reshape(1, -1), offset_j.reshape(1, -1)
    window = offset_i.shape[1]
    radius_sq = radius * radius
    chunk = max(1, _CANDIDATES_PER_CHUNK // window)

    point_parts, pixel_parts = [], []
    for start in range(0, u.shape[0], chunk):
        u_chunk, v_chunk = u[start:start + chunk, None], v[start:start + chunk, None]  # (n, 1)
        col = torch.floor(u_chunk).long() + offset_j  # (n, window)
        row = torch.floor(v_chunk).long() + offset_i
        offset_u = u_chunk - (col.to(u.dtype) + 0.5)
        offset_v = v_chunk - (row.to(u.dtype) + 0.5)
        dist_sq = offset_u * offset_u + offset_v * offset_v
        hit = (dist_sq < radius_sq) & (col >= 0) & (col < width) & (row >= 0) & (row < height)
        hit_flat = torch.nonzero(hit.view(-1)).squeeze(1)
        point_parts.append(torch.div(hit_flat, window, rounding_mode="floor") + start)
        pixel_parts.append((row * width + col).view(-1)[hit_flat])
    if not point_parts:
        empty = torch.zeros(0, dtype=torch.long, device=u.device)
        return empty, empty
    return torch.cat(point_parts), torch.cat(pixel_parts)


def _row_pointers(entries_per_row: torch.Tensor) -> torch.Tensor:
    """CSR row pointers (rows + 1,) from the number of entries in each row (rows,)."""
    return torch.cat([entries_per_row.new_zeros(1), torch.cumsum(entries_per_row, 0)])


def _csr(row_pointers, columns, values, shape) -> torch.Tensor:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(
            row_pointers, columns, values, shape, check_invariants=False
        )


class _SparseWeightedSum(torch.autograd.Function):
    """out[pixel] = sum over pairs (pixel, point) of weight * features[point].

    Differentiable w.r.t. the pair weights (M,) and the features (P, C). Both directions are
    sparse products, so no (M, C) tensor is ever formed: the weight gradient is the sampled
    product (grad_out @ features^T) on the pairs' pattern, the feature gradient is the
    transposed (point-major) weight matrix times grad_out.
    """

    @staticmethod
    def forward(ctx, weights, features, pixel_rows, pixel_cols, point_rows, point_cols,
                point_major):
        num_pixels, num_points = pixel_rows.numel() - 1, point_rows.numel() - 1
        weight_matrix = _csr(pixel_rows, pixel_cols, weights, (num_pixels, num_points))
        ctx.save_for_backward(weights, features, pixel_rows, pixel_cols, point_rows,
                              point_cols, point_major)
        return weight_matrix @ features

    @staticmethod
    def backward(ctx, grad_out):
        (weights, features, pixel_rows, pixel_cols, point_rows, point_cols,
         point_major) = ctx.saved_tensors
        num_pixels, num_points = pixel_rows.numel() - 1, point_rows.numel() - 1
        grad_out = grad_out.contiguous()
        grad_weights = grad_features = None
        if ctx.needs_input_grad[0]:
            pattern = _csr(pixel_rows, pixel_cols, weights, (num_pixels, num_points))
            grad_weights = torch.sparse.sampled_addmm(
                pattern, grad_out, features.t(), beta=0.0
            ).values()
        if ctx.needs_input_grad[1]:
            transposed = _csr(point_rows, point_cols, weights.index_select(0, point_major),
                              (num_points, num_pixels))
            grad_features = transposed @ grad_out
        return grad_weights, grad_features, None, None, None, None, None
