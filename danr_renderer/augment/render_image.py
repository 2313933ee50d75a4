"""Render the target views of one source image and carry its boxes into each."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..renderer import NovelViewRenderer
from .render_frame import CarriedBoxes, RenderFrame, carry_boxes
from .views import View

__all__ = ["RenderedView", "render_image_views"]


@dataclass
class RenderedView:
    """One written view: its pose, the image (H, W, 3) uint8 RGB at source size, its boxes."""

    view: View
    image: np.ndarray
    carried: CarriedBoxes


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
) -> list[RenderedView]:
    """Render `views` of one image and carry its boxes.

    Args:
        renderer: in eval mode; its parameters' device is used.
        rgb: (H, W, 3) float32 RGB in [0, 1], the source image.
        boxes: (M, 4) xyxy source pixels, inside the image (M may be 0).
        views: target poses; views_per_batch of them are decoded per renderer call (the
            encoder and depth net run once per image).
        render_size: S, side of the square canvas the renderer sees (see RenderFrame).
    Returns:
        One RenderedView per view, in the order given.

    The result depends only on these arguments (not on other images), which is what makes
    sharded and resumed runs reproduce an uninterrupted one.
    """
    if not views:
        return []
    device = next(renderer.parameters()).device
    frame = RenderFrame(rgb.shape[0], rgb.shape[1], render_size)
    canvas = frame.to_canvas(rgb).to(device)
    K = frame.grid_intrinsics(render_size, render_size).to(device)
    rotvecs = torch.tensor([v.rotvec for v in views], dtype=canvas.dtype, device=device)
    translations = torch.tensor([v.translation for v in views], dtype=canvas.dtype, device=device)
    output = renderer.render_views(canvas, K, rotvecs, translations, views_per_batch)
    source_depth = output.depth[0, 0]
    return [
        RenderedView(view, frame.to_source(image),
                     carry_boxes(boxes, source_depth, frame, view, box_method, min_visible))
        for view, image in zip(views, output.image)
    ]
