"""Carrying bounding boxes into a new view (paper eq. 4) and measuring how much of each survives.

Frames follow docs/conventions.md: continuous pixels (pixel (i, j) covers [j, j+1) x [i, i+1), centre
(j + 0.5, i + 0.5)), OpenCV camera, z-depth, eq. 2 pose P' = R (P - T).

A box's *marked points* are the source pixel centres inside it (the paper's keypoints marked
with the box index). Along an axis where a box holds no pixel centre, the pixel holding the box
centre is marked, so every box has at least one marked point.

Methods placing the new box (each ends with eq. 4, the hull of projected points):

* ``"object_plane"`` (default): the object's own points plus a margin carried on the object's
  plane; see :func:`transfer_boxes` for the design and why.
* ``"fronto_plane"``: the box rectangle put on the fronto-parallel plane at the object depth
  (median depth of the box's central part), its four corners moved. Immune to per-pixel depth
  noise, but ignores the object's own depth extent.
* ``"points"``: eq. 4 on every marked point, each lifted with its own depth; points that end
  behind the target camera are dropped. Background in the box drags the edges.
* ``"corners"``: the paper's minimum. The four box corners are lifted with the depth of the
  pixel nearest each corner inside the box, moved and projected; corners that end behind the
  target camera are dropped.

A box whose points all end behind the target camera gets the box [0, 0, 0, 0].
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .checks import check_shape
from .geometry import project, transform_points, unproject

__all__ = ["BoxTransfer", "DROP_REASONS", "METHODS", "transfer_boxes"]

METHODS = ("object_plane", "fronto_plane", "points", "corners")
# Why a carried box is dropped: most of it left the frame (or went behind the camera), most of
# it is hidden behind nearer surfaces, or what is left is under min_size.
DROP_REASONS = ("left_frame", "occluded", "too_small")

# A marked point is hidden when its target z exceeds the target z-buffer by more than this
# share: enough for neighbouring samples of one surface seen at a slant, far below the depth
# gap between an object and what stands in front of it.
HIDDEN_REL_TOL = 0.03
# Points within this share of the object depth belong to the object. Wide enough for a
# rounded object's silhouette (a sphere's rim lies ~14% behind its front when its radius is
# 1/7 of its distance), narrow enough to exclude background a few object-sizes behind.
OBJECT_REL_TOL = 0.15
# The object depth is the median over the central share (per axis) of the box's pixels,
# where the object rather than the background is.
CENTRAL_SHARE = 0.5
# Plane polygons are clipped at target z = NEAR_REL * object depth before projecting, so a
# plane crossing the camera plane projects to an unbounded (then clipped) box, not a mirrored
# one.
NEAR_REL = 1e-3


@dataclass
class BoxTransfer:
    """Boxes carried into the target view.

    Attributes:
        boxes: (M, 4) xyxy in target pixels, clipped to [0, W'] x [0, H'].
        keep: (M,) bool, visible >= min_visible and the clipped box at least min_size
            pixels wide and high.
        visible: (M,) share in [0, 1] of the box's marked points that land inside the target
            image, in front of the camera, and not hidden behind nearer surfaces.
        in_frame: (M,) share of the marked points that land inside the target image in front
            of the camera, occlusion ignored (so in_frame >= visible).
        drop_reasons: per box None (kept) or one of DROP_REASONS: "too_small" when enough of
            it is seen but its clipped box is under min_size; otherwise "left_frame" when under
            min_visible of it lands in the frame at all, else "occluded".
    """

    boxes: torch.Tensor
    keep: torch.Tensor
    visible: torch.Tensor
    in_frame: torch.Tensor
    drop_reasons: list[str | None]


def _validated_boxes(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(M, 4) xyxy checked box by box, then clipped to the source image [0, W] x [0, H]."""
    check_shape("transfer_boxes", "boxes (xyxy)", boxes, (None, 4))
    well_formed = torch.isfinite(boxes).all(dim=1)
    well_formed &= (boxes[:, 2] > boxes[:, 0]) & (boxes[:, 3] > boxes[:, 1])
    for index in torch.nonzero(~well_formed).flatten().tolist():
        raise ValueError(
            f"box {index} {boxes[index].tolist()} is invalid: need finite x1 < x2 and y1 < y2"
        )
    limits = boxes.new_tensor([width, height, width, height])
    clipped = torch.minimum(boxes.clamp(min=0), limits)
    inside = (clipped[:, 2] > clipped[:, 0]) & (clipped[:, 3] > clipped[:, 1])
    for index in torch.nonzero(~inside).flatten().tolist():
        raise ValueError(
            f"box {index} {boxes[index].tolist()} lies outside the source image "
            f"(width {width}, height {height})"
        )
    return clipped


def _marked_ranges(boxes: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """(M, 4) int64 inclusive pixel ranges (row0, row1, col0, col1) of each box's marked points.

    Along each axis the pixels whose centre c = k + 0.5 has low <= c <= high are marked; when
    there is none, the pixel holding the box centre.
    """

    def axis_range(low, high, size):
        first = torch.ceil(low - 0.5).clamp(0, size - 1)
        last = torch.floor(high - 0.5).clamp(0, size - 1)
        centre = torch.floor((low + high) / 2).clamp(0, size - 1)
        empty = torch.ceil(low - 0.5) > torch.floor(high - 0.5)
        return torch.where(empty, centre, first), torch.where(empty, centre, last)

    row0, row1 = axis_range(boxes[:, 1], boxes[:, 3], height)
    col0, col1 = axis_range(boxes[:, 0], boxes[:, 2], width)
    return torch.stack([row0, row1, col0, col1], dim=1).long()


def _lift(uv: torch.Tensor, z: torch.Tensor, K: torch.Tensor) -> torch.Tensor:
    """Eq. 1 at arbitrary pixel positions: uv (..., 2), z (...), K (3, 3) -> points (..., 3)."""
    x = z * (uv[..., 0] - K[0, 2]) / K[0, 0]
    y = z * (uv[..., 1] - K[1, 2]) / K[1, 1]
    return torch.stack([x, y, z], dim=-1)


def _move_and_project(points, R, T, K_out) -> torch.Tensor:
    """Source camera points (..., N, 3) -> target (u', v', z') (..., N, 3) by eqs. 2 and 3."""
    flat = points.reshape(1, -1, 3)
    uvz = project(transform_points(flat, R[None], T[None]), K_out[None])
    return uvz.reshape(points.shape)


def _hull(uvz: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Eq. 4 per row: uvz (M, N, 3), valid (M, N) -> (M, 4) xyxy; rows with no valid point -> 0."""
    big = torch.finfo(uvz.dtype).max
    u, v = uvz[..., 0], uvz[..., 1]
    box = torch.stack(
        [
            torch.where(valid, u, big).amin(-1),
            torch.where(valid, v, big).amin(-1),
            torch.where(valid, u, -big).amax(-1),
            torch.where(valid, v, -big).amax(-1),
        ],
        dim=-1,
    )
    return torch.where(valid.any(-1, keepdim=True), box, torch.zeros_like(box))


def _rect_corners(rects: torch.Tensor) -> torch.Tensor:
    """(M, 4) xyxy -> (M, 4, 2) corners in polygon order (x1y1, x2y1, x2y2, x1y2)."""
    x1, y1, x2, y2 = rects.unbind(-1)
    return torch.stack([x1, y1, x2, y1, x2, y2, x1, y2], dim=-1).reshape(-1, 4, 2)


def _fronto_rect_hull(rects, plane_depths, R, T, K, K_out) -> tuple[torch.Tensor, torch.Tensor]:
    """Target hull of source rectangles lying on fronto-parallel planes.

    Args:
        rects: (M, 4) xyxy source rectangles; plane_depths: (M,) their plane's z-depth.
    Returns:
        (M, 4) xyxy target hull (unclipped), and (M,) bool: whether the whole rectangle
        stayed in front of the near plane (else the hull is of the clipped polygon).
    """
    corners = _lift(_rect_corners(rects), plane_depths[:, None].expand(-1, 4), K)
    moved = transform_points(corners, R.expand(len(rects), 3, 3), T.expand(len(rects), 3))
    following = moved.roll(-1, dims=1)
    near = NEAR_REL * plane_depths[:, None]
    z, z_following = moved[..., 2], following[..., 2]
    front = z >= near
    crossing = front != (z_following >= near)
    share = (near - z) / torch.where(crossing, z_following - z, torch.ones_like(z))
    cuts = moved + share.unsqueeze(-1) * (following - moved)
    # Sutherland-Hodgman against the one near plane: the clipped polygon's vertices are the
    # corners in front plus the edge crossings, and the hull of its projection is theirs.
    candidates = torch.cat([moved, cuts], dim=1)
    valid = torch.cat([front, crossing], dim=1)
    uvz = project(candidates, K_out.expand(len(rects), 3, 3))
    return _hull(uvz, valid), front.all(dim=1)


def _zbuffer_seen(target_uvz: torch.Tensor, out_size, tol: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, 3) target (u', v', z') of the whole source cloud -> (inside, seen), (N,) bool each.

    Inside: in the target image with z' > 0. Seen: inside, and z' <= (1 + tol) * the least z'
    of all points landing in the same target pixel (the z-buffer; pixels nobody lands in hide
    nothing).
    """
    out_h, out_w = out_size
    u, v, z = target_uvz.unbind(-1)
    inside = (z > 0) & (u >= 0) & (u < out_w) & (v >= 0) & (v < out_h)
    col = torch.floor(u).clamp(0, out_w - 1).long()
    row = torch.floor(v).clamp(0, out_h - 1).long()
    pixel = row * out_w + col
    zbuffer = torch.full((out_h * out_w,), float("inf"), dtype=z.dtype, device=z.device)
    zbuffer = zbuffer.scatter_reduce(0, pixel[inside], z[inside], reduce="amin")
    return inside, inside & (z <= zbuffer[pixel] * (1 + tol))


def _range_shares(flags: torch.Tensor, ranges: torch.Tensor) -> torch.Tensor:
    """Share of True in bool flags (H, W) over inclusive pixel ranges (M, 4), in torch's
    default float dtype; counted exactly in integers with a summed-area table."""
    table = F.pad(flags.long().cumsum(0).cumsum(1), (1, 0, 1, 0))
    row0, row1, col0, col1 = ranges.unbind(-1)
    total = (
        table[row1 + 1, col1 + 1] - table[row0, col1 + 1]
        - table[row1 + 1, col0] + table[row0, col0]
    )
    count = (row1 - row0 + 1) * (col1 - col0 + 1)
    return total / count


def _median3x3(depth: torch.Tensor) -> torch.Tensor:
    """(H, W) 3x3 median filter (edges replicated): removes per-pixel depth noise, keeps steps."""
    height, width = depth.shape
    padded = F.pad(depth[None, None], (1, 1, 1, 1), mode="replicate")
    return F.unfold(padded, 3).median(dim=1).values.reshape(height, width)


def _object_depth(depth: torch.Tensor, box_range) -> torch.Tensor:
    """Median depth over the central CENTRAL_SHARE (per axis) of a box's marked pixels."""
    row0, row1, col0, col1 = box_range
    trim_rows = int((row1 - row0 + 1) * (1 - CENTRAL_SHARE) / 2)
    trim_cols = int((col1 - col0 + 1) * (1 - CENTRAL_SHARE) / 2)
    rows = slice(row0 + trim_rows, row1 + 1 - trim_rows)
    cols = slice(col0 + trim_cols, col1 + 1 - trim_cols)
    central = depth[rows, cols]
    return central.median()


def _corners_method(boxes, ranges, depth, K, R, T, K_out) -> torch.Tensor:
    row0, row1, col0, col1 = ranges.unbind(-1)
    rows = torch.stack([row0, row0, row1, row1], dim=1)
    cols = torch.stack([col0, col1, col1, col0], dim=1)  # _rect_corners order
    uvz = _move_and_project(_lift(_rect_corners(boxes), depth[rows, cols], K), R, T, K_out)
    return _hull(uvz, uvz[..., 2] > 0)


def _points_method(ranges, target_uvz) -> torch.Tensor:
    hulls = []
    for row0, row1, col0, col1 in ranges.tolist():
        uvz = target_uvz[row0 : row1 + 1, col0 : col1 + 1].reshape(1, -1, 3)
        hulls.append(_hull(uvz, uvz[..., 2] > 0))
    return torch.cat(hulls)


def _fronto_plane_method(boxes, ranges, depth, K, R, T, K_out) -> torch.Tensor:
    object_depths = torch.stack([_object_depth(depth, r) for r in ranges.tolist()])
    return _fronto_rect_hull(boxes, object_depths, R, T, K, K_out)[0]


def _object_plane_method(boxes, ranges, depth, K, R, T, K_out) -> torch.Tensor:
    height, width = depth.shape
    smooth = _median3x3(depth)
    target_uvz = _move_and_project(unproject(smooth[None, None], K[None])[0], R, T, K_out)
    target_uvz = target_uvz.reshape(height, width, 3)
    object_depths, object_hulls, extents, has_front = [], [], [], []
    for box_range in ranges.tolist():
        row0, row1, col0, col1 = box_range
        object_depth = _object_depth(smooth, box_range)
        window = smooth[row0 : row1 + 1, col0 : col1 + 1]
        # Never empty: the median is one of the window's own depths.
        is_object = (window - object_depth).abs() <= OBJECT_REL_TOL * object_depth
        uvz = target_uvz[row0 : row1 + 1, col0 : col1 + 1]
        usable_points = (is_object & (uvz[..., 2] > 0)).reshape(1, -1)
        object_hulls.append(_hull(uvz.reshape(1, -1, 3), usable_points))
        has_front.append(usable_points.any())
        rows = torch.nonzero(is_object.any(dim=1)).flatten() + row0
        cols = torch.nonzero(is_object.any(dim=0)).flatten() + col0
        # Source rectangle spanned by the object's outermost pixel centres.
        extents.append(torch.stack([cols[0], rows[0], cols[-1], rows[-1]]))
        object_depths.append(object_depth)
    object_depths = torch.stack(object_depths)
    extents = torch.stack(extents).to(depth.dtype) + 0.5
    plane_box, _ = _fronto_rect_hull(boxes, object_depths, R, T, K, K_out)
    plane_extent, extent_in_front = _fronto_rect_hull(extents, object_depths, R, T, K, K_out)
    with_margin = torch.cat(object_hulls) + (plane_box - plane_extent)
    # Without object points in front, or with the extent crossing the camera plane, the
    # margin is not defined; the plane alone places the box then.
    usable = extent_in_front & torch.stack(has_front)
    return torch.where(usable[:, None], with_margin, plane_box)


def transfer_boxes(
    boxes,
    depth,
    K,
    R,
    T,
    out_size=None,
    K_out=None,
    method: str = "object_plane",
    min_visible: float = 0.5,
    min_size: float = 1.0,
    hidden_tol: float = HIDDEN_REL_TOL,
) -> BoxTransfer:
    """Carry source boxes into the target view of pose (R, T) (eq. 4), with visibility.

    Args:
        boxes: (M, 4) xyxy in source pixels (COCO [x, y, w, h] -> [x, y, x + w, y + h]),
            torch or numpy. Clipped to the source image first; a box with a non-finite value,
            x2 <= x1 or y2 <= y1, or nothing inside the image raises ValueError naming it.
        depth: (H, W) finite positive z-depth of the source image (leading dimensions of
            size 1 are dropped). Sets the dtype (float32 if not floating) and device of all
            computation and outputs.
        K: (3, 3) source intrinsics. R: (3, 3), T: (3,) the eq. 2 pose, P' = R (P - T).
        out_size: (H', W') of the target image; default (H, W).
        K_out: (3, 3) target intrinsics; default K.
        method: "object_plane" (default), "fronto_plane", "points" or "corners" (module
            docstring).
        min_visible: keep a box only when at least this share of its marked points is seen
            (default 0.5: at least half of the box area survives).
        min_size: keep a box only when its clipped target box is at least this many pixels
            wide and high (default 1); a pair (width, height) sets each axis apart.
        hidden_tol: a marked point is hidden when its target z exceeds the target z-buffer
            (the least z of the whole moved source cloud per target pixel) by more than this
            share (default 3%). Target pixels no point lands in hide nothing.

    Returns:
        BoxTransfer(boxes (M, 4), keep (M,) bool, visible (M,), in_frame (M,), drop_reasons).
        Visibility always uses the marked points and the raw depth, whatever the method.

    Why "object_plane": a real box holds background around its object, and the background
    sits at another depth, so it moves with another parallax; eq. 4 on all marked points
    ("points") or on the corner pixels ("corners") lets it drag the box edges. Here the
    object depth is the median depth of the central half (per axis) of the box. The marked
    points within OBJECT_REL_TOL of it are the object: they move with their own depth, so a
    slanted or rounded object keeps its own parallax, and their hull is its new extent. The
    margin between the box and the rectangle spanned by those points rides along with the
    object: both rectangles are put on the fronto-parallel plane at the object depth and
    moved, and the difference of their target hulls is added to the object's hull. At
    constant depth, and for a flat fronto-parallel object before any background, this is
    exactly the moved box; for slanted or rounded objects it beats the bare plane
    ("fronto_plane"), which gives every part of the object one depth. The object's depths
    are 3x3-median filtered first, because a hull takes extremes and per-pixel depth noise
    would otherwise push its edges out.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
    depth = torch.as_tensor(depth)
    if not depth.is_floating_point():
        depth = depth.float()
    if depth.ndim > 2 and all(size == 1 for size in depth.shape[:-2]):
        depth = depth.reshape(depth.shape[-2:])
    check_shape("transfer_boxes", "depth", depth, (None, None))
    if not bool((torch.isfinite(depth) & (depth > 0)).all()):
        raise ValueError("depth must be finite and positive everywhere")
    like = dict(dtype=depth.dtype, device=depth.device)
    boxes = torch.as_tensor(boxes, **like)
    if boxes.numel() == 0:
        boxes = boxes.reshape(0, 4)
    K = torch.as_tensor(K, **like)
    R = torch.as_tensor(R, **like)
    T = torch.as_tensor(T, **like).reshape(3)
    K_out = K if K_out is None else torch.as_tensor(K_out, **like)
    for name, matrix in (("K", K), ("R", R), ("K_out", K_out)):
        check_shape("transfer_boxes", name, matrix, (3, 3))
    height, width = depth.shape
    out_h, out_w = (height, width) if out_size is None else (int(out_size[0]), int(out_size[1]))

    boxes = _validated_boxes(boxes, height, width)
    if len(boxes) == 0:
        nothing = boxes.new_zeros((0,))
        return BoxTransfer(boxes.new_zeros((0, 4)), nothing.bool(), nothing, nothing, [])
    ranges = _marked_ranges(boxes, height, width)

    cloud_uvz = _move_and_project(unproject(depth[None, None], K[None])[0], R, T, K_out)
    inside, seen = _zbuffer_seen(cloud_uvz, (out_h, out_w), hidden_tol)
    visible = _range_shares(seen.reshape(height, width), ranges).to(depth.dtype)
    in_frame = _range_shares(inside.reshape(height, width), ranges).to(depth.dtype)

    if method == "object_plane":
        new_boxes = _object_plane_method(boxes, ranges, depth, K, R, T, K_out)
    elif method == "fronto_plane":
        new_boxes = _fronto_plane_method(boxes, ranges, depth, K, R, T, K_out)
    elif method == "points":
        new_boxes = _points_method(ranges, cloud_uvz.reshape(height, width, 3))
    else:
        new_boxes = _corners_method(boxes, ranges, depth, K, R, T, K_out)
    new_boxes = torch.minimum(new_boxes.clamp(min=0), new_boxes.new_tensor([out_w, out_h] * 2))
    min_wh = new_boxes.new_tensor(min_size).expand(2)
    big_enough = ((new_boxes[:, 2:] - new_boxes[:, :2]) >= min_wh).all(dim=1)
    seen_enough = visible >= min_visible
    reasons = [
        None if seen_box and big else "too_small" if seen_box
        else "left_frame" if share < min_visible else "occluded"
        for seen_box, big, share in zip(seen_enough.tolist(), big_enough.tolist(), in_frame.tolist())
    ]
    return BoxTransfer(new_boxes, seen_enough & big_enough, visible, in_frame, reasons)
