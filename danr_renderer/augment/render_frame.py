"""How a source image of any size and aspect ratio meets the renderer's canvas.

The source image (H, W) gets its calibrated intrinsics K_src when given (camera.py), else the
default ones of docs/conventions.md (60 degree horizontal field of view, fx = fy, principal
point at the centre). It is resized *anisotropically* to the S x S render canvas (or, with
keep_aspect, to a canvas (h, w) of long side S and the source's aspect ratio, short side
rounded). In the continuous pixel frame that resize maps u -> u w / W and v -> v h / H exactly,
so the canvas is the same camera with K_render = K_src scaled by (w / W, h / H) per axis
(fx != fy on the canvas, which eq. 1-3 handle). The renderer works
entirely on the canvas; each rendered view (any size s S x s S) is resized back to (H, W), which
undoes the scale, so the written view is the target camera with intrinsics K_src again.

Boxes are carried in the depth map's own grid (the canvas) and then scaled back by
(W / S, H / S). Doing the transfer on the canvas rather than directly at source size (with
K_out = K_src) keeps the target z-buffer grid as dense as the moved point cloud, so the
occlusion test of `transfer_boxes` sees no holes when the source image is larger than S.
Since both scales are exact in the continuous frame, the boxes match the written image.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import torch

from ..boxes import transfer_boxes
from ..data.image_io import image_tensor
from ..geometry import default_intrinsics, rotvec_to_matrix, scale_intrinsics
from .camera import Intrinsics
from .views import View

__all__ = ["RenderFrame", "CarriedBoxes", "carry_boxes"]

# A written box must be at least this many pixels wide and high (in the written image).
MIN_SIZE = 1.0


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """cv2.resize choosing area averaging when shrinking both axes, bilinear otherwise."""
    shrinking = width <= image.shape[1] and height <= image.shape[0]
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(image, (width, height), interpolation=interpolation)


@dataclass(frozen=True)
class RenderFrame:
    """Source image size (height, width), the canvas side render_size, the source camera
    (fx, fy, cx, cy) in source pixels (None: the 60-degree default) and whether the canvas keeps
    the source's aspect ratio (long side render_size) instead of being square."""

    height: int
    width: int
    render_size: int
    intrinsics: Intrinsics | None = None
    keep_aspect: bool = False

    @property
    def canvas_size(self) -> tuple[int, int]:
        """(height, width) of the canvas the networks see."""
        if not self.keep_aspect:
            return self.render_size, self.render_size
        scale = self.render_size / max(self.height, self.width)
        return max(8, round(self.height * scale)), max(8, round(self.width * scale))

    def source_intrinsics(self) -> torch.Tensor:
        """(3, 3) K_src of the source image (calibrated, or the default 60 degree FOV)."""
        if self.intrinsics is None:
            return default_intrinsics(self.height, self.width)
        fx, fy, cx, cy = self.intrinsics
        return torch.tensor([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])

    def grid_intrinsics(self, grid_height: int, grid_width: int) -> torch.Tensor:
        """(3, 3) intrinsics of the same camera on a (grid_height, grid_width) resize."""
        return scale_intrinsics(
            self.source_intrinsics(), grid_width / self.width, grid_height / self.height
        )

    def to_canvas(self, rgb: np.ndarray) -> torch.Tensor:
        """(H, W, 3) float RGB -> (3, h, w) float tensor on the canvas (h, w) = canvas_size."""
        canvas_h, canvas_w = self.canvas_size
        canvas = _resize(rgb, canvas_w, canvas_h)
        return image_tensor(canvas)

    def to_source(self, view: torch.Tensor) -> np.ndarray:
        """A rendered view (3, h, w) float in [0, 1] -> (H, W, 3) uint8 RGB at source size."""
        pixels = (view.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
        return _resize(np.ascontiguousarray(pixels), self.width, self.height)


@dataclass
class CarriedBoxes:
    """Source boxes carried into one view, in the written (source-size) target image.

    boxes: (M, 4) float64 xyxy target pixels clipped to [0, W] x [0, H]; visible: (M,) share
    of each box seen in the view; drop_reasons: per box None (kept) or one of
    danr_renderer.boxes.DROP_REASONS.
    """

    boxes: np.ndarray
    visible: np.ndarray
    drop_reasons: list[str | None]


def carry_boxes(
    boxes: np.ndarray,
    depth: torch.Tensor,
    frame: RenderFrame,
    view: View,
    method: str,
    min_visible: float,
) -> CarriedBoxes:
    """Carry source boxes (M, 4) xyxy (source pixels) into `view` using the source depth.

    depth: (h, w) z-depth of the source image on any resized grid (the renderer's canvas, or the
    source size itself for the full-resolution composite).
    A kept box is at least MIN_SIZE written-image pixels wide and high; drop reasons are those
    of danr_renderer.boxes.transfer_boxes.
    """
    grid_h, grid_w = depth.shape[-2:]
    K = frame.grid_intrinsics(grid_h, grid_w).to(depth)
    to_grid = np.array([grid_w / frame.width, grid_h / frame.height] * 2)
    grid_boxes = torch.from_numpy(np.asarray(boxes, dtype=np.float64).reshape(-1, 4) * to_grid)
    R = rotvec_to_matrix(torch.tensor(view.rotvec, dtype=torch.float64)).to(depth)
    T = torch.tensor(view.translation, dtype=torch.float64).to(depth)
    result = transfer_boxes(grid_boxes.to(depth), depth, K, R, T, method=method,
                            min_visible=min_visible, min_size=tuple(MIN_SIZE * to_grid[:2]))
    target = result.boxes.double().cpu().numpy().reshape(-1, 4) / to_grid
    return CarriedBoxes(boxes=target, visible=result.visible.double().cpu().numpy(),
                        drop_reasons=result.drop_reasons)
