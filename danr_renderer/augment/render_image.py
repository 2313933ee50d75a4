"""Render the target views of one source image and carry its boxes into each.

Render modes (paper Table 3 and this project's full-resolution composite):

* "composite" (default of the tool): the networks run on a canvas of the source's aspect ratio;
  their depth is upsampled to the source size (depth_upsample.py), the source's own pixels are
  splatted at the source size with it (composite.py) and the decoder's view, upsampled, fills
  only the holes. Boxes are carried with the same full-resolution depth.
* "plane": "composite" with one depth per image, the median d of the renderer's predicted
  depth (plane_depth): the source's pixels and its boxes move as the fronto-parallel plane
  Z = d, i.e. by the homography x' ~ K R (I - T e_z^T / d) K^-1 x, e_z = (0, 0, 1) (eq. 1-3 with
  Z = d). A 2-D warp at the renderer's scale, so of the DANR views' motion magnitude: the
  control that says what 3-D rendering adds over a homography. "inpaint" fills the holes with
  the decoder's view as in "composite".
* "canvas": the paper's pipeline on the square canvas (RenderFrame), the decoder's view resized
  to the source size. With a checkpoint trained at S and --render-size S this is "S-native";
  the renderer's render_scale s (PointSS) renders the view at s S.
* "pixelss": "canvas", then the rendered canvas super-resolved x4 by Real-ESRGAN
  (super_resolution.py) before the resize to the source size.

The border policy (border.py) then decides what the revealed border shows.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..data.image_io import image_tensor
from ..geometry import rotvec_to_matrix
from ..renderer import NovelViewRenderer
from .border import BORDER_POLICIES, covered_mask, crop_and_resize, crop_boxes, largest_centred_crop
from .camera import Intrinsics
from .composite import composite_views
from .depth_upsample import upsample_depth
from .render_frame import MIN_SIZE, CarriedBoxes, RenderFrame, carry_boxes
from .views import View

__all__ = ["RENDER_MODES", "RenderedView", "plane_depth", "render_image_views"]

RENDER_MODES = ("composite", "plane", "canvas", "pixelss")
# The modes that splat the source's own pixels at its full resolution (composite.py).
FULL_RESOLUTION_MODES = ("composite", "plane")


@dataclass
class RenderedView:
    """One written view: its pose, the image (H, W, 3) uint8 RGB at source size, its boxes and,
    with the "crop" border, the crop (x0, y0, x1, y1) of the rendered view it shows."""

    view: View
    image: np.ndarray
    carried: CarriedBoxes
    crop: tuple[int, int, int, int] | None = None


def _to_rgb8(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) float in [0, 1] -> (H, W, 3) uint8."""
    return (image.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()


def plane_depth(depth: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The "plane" mode's depth: the predicted z-depth (1, 1, h, w) of the canvas -> (1, 1, H, W)
    at the source size (H, W), every pixel at its median (torch.median: for an even count the
    lower of the two middle values), in the renderer's scene units."""
    return torch.full((1, 1, *size), float(depth.median()), dtype=depth.dtype, device=depth.device)


def _apply_border(image: np.ndarray, carried: CarriedBoxes, covered: np.ndarray | None, border: str,
                  min_visible: float) -> tuple[np.ndarray, CarriedBoxes, tuple | None]:
    """One view's image (H, W, 3), boxes and crop after the border policy; covered (H, W) bool."""
    if border == "black":
        return np.where(covered[:, :, None], image, 0).astype(np.uint8), carried, None
    if border == "crop":
        crop = largest_centred_crop(covered)
        size = image.shape[:2]
        boxes, visible, reasons = crop_boxes(carried.boxes, carried.visible, carried.drop_reasons, crop,
                                             size, min_visible, MIN_SIZE)
        return crop_and_resize(image, crop), CarriedBoxes(boxes, visible, reasons), crop
    return image, carried, None


@torch.inference_mode()
def render_image_views(
    renderer: NovelViewRenderer,
    rgb: np.ndarray,
    boxes: np.ndarray,
    views: list[View],
    render_size: int,
    views_per_batch: int,
    box_method: str,
    min_visible: float,
    mode: str = "canvas",
    border: str = "inpaint",
    intrinsics: Intrinsics | None = None,
    depth_upsampling: str = "bilinear",
    super_resolver: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> list[RenderedView]:
    """Render `views` of one image and carry its boxes.

    Args:
        renderer: in eval mode; its parameters' device is used.
        rgb: (H, W, 3) float32 RGB in [0, 1], the source image.
        boxes: (M, 4) xyxy source pixels, inside the image (M may be 0).
        views: target poses; views_per_batch of them are decoded per renderer call (the
            encoder and depth net run once per image).
        render_size: S, the canvas side (long side for "composite" and "plane"; see RenderFrame).
        mode: one of RENDER_MODES (module docstring); border: one of border.BORDER_POLICIES.
        intrinsics: the source camera (fx, fy, cx, cy) in source pixels; None: 60-degree default.
        depth_upsampling: depth_upsample.DEPTH_UPSAMPLING method ("composite").
        super_resolver: (3, h, w) -> (3, 4h, 4w) float images; needed by "pixelss".
    Returns:
        One RenderedView per view, in the order given.

    The result depends only on these arguments (not on other images), which is what makes
    sharded and resumed runs reproduce an uninterrupted one.
    """
    if mode not in RENDER_MODES or border not in BORDER_POLICIES:
        raise ValueError(f"render_image_views: mode must be one of {RENDER_MODES} and border one of "
                         f"{BORDER_POLICIES}, got {mode!r} and {border!r}")
    if mode == "pixelss" and super_resolver is None:
        raise ValueError("render_image_views: mode 'pixelss' needs a super_resolver")
    if not views:
        return []
    device = next(renderer.parameters()).device
    height, width = rgb.shape[:2]
    frame = RenderFrame(height, width, render_size, intrinsics, keep_aspect=mode in FULL_RESOLUTION_MODES)
    canvas = frame.to_canvas(rgb).to(device)
    K = frame.grid_intrinsics(*frame.canvas_size).to(device)
    rotvecs = torch.tensor([v.rotvec for v in views], dtype=canvas.dtype, device=device)
    translations = torch.tensor([v.translation for v in views], dtype=canvas.dtype, device=device)
    output = renderer.render_views(canvas, K, rotvecs, translations, views_per_batch)
    if mode in FULL_RESOLUTION_MODES:
        box_depth = (upsample_depth(output.depth, (height, width), depth_upsampling) if mode == "composite"
                     else plane_depth(output.depth, (height, width)))
        source = image_tensor(rgb)[None].to(device)
        fill = F.interpolate(output.image, size=(height, width), mode="bilinear", align_corners=False)
        composites, coverage = composite_views(source, box_depth, frame.source_intrinsics().to(device),
                                               rotvec_to_matrix(rotvecs), translations, fill,
                                               backend=renderer.to_config()["splat_backend"])
        images = [_to_rgb8(image) for image in composites]
        box_depth = box_depth[0, 0]
    else:
        rendered = output.image if super_resolver is None else [super_resolver(i) for i in output.image]
        images = [frame.to_source(image) for image in rendered]
        box_depth, coverage = output.depth[0, 0], output.alpha
    covered = covered_mask(coverage, (height, width)).cpu().numpy() if border != "inpaint" else None
    result = []
    for index, (view, image) in enumerate(zip(views, images)):
        carried = carry_boxes(boxes, box_depth, frame, view, box_method, min_visible)
        image, carried, crop = _apply_border(image, carried, None if covered is None else covered[index],
                                             border, min_visible)
        result.append(RenderedView(view, image, carried, crop))
    return result
