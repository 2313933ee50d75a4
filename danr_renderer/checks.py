"""Argument checks shared by the library's entry points (renderer, splatting, boxes).

Each check names the function and the argument it rejects and says what was expected, so a
wrong input fails at the call that received it rather than deep inside a network.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["as_tensor", "check_shape", "check_unit_image"]

# Images in the library are floats in [0, 1]; resampling may overshoot a little, a 0-255
# image does not.
UNIT_RANGE_SLACK = 0.01


def _describe(shape: Sequence[int | None]) -> str:
    return "(" + ", ".join("*" if size is None else str(size) for size in shape) + ")"


def check_shape(where: str, name: str, tensor: torch.Tensor, shape: Sequence[int | None]) -> None:
    """Raise ValueError unless `tensor` has len(shape) dimensions matching `shape`, where an
    entry is a size or None for any size."""
    ok = tensor.dim() == len(shape) and all(s is None or s == t for s, t in zip(shape, tensor.shape))
    if not ok:
        raise ValueError(f"{where}: {name} must have shape {_describe(shape)}, got {tuple(tensor.shape)}")


def as_tensor(where: str, name: str, value, shape: Sequence[int | None] | None = None) -> torch.Tensor:
    """`value` as a torch tensor: tensors pass through, numpy arrays are wrapped (no copy);
    anything else raises TypeError naming the argument. With `shape`, checked by check_shape."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(value)
    elif not isinstance(value, torch.Tensor):
        raise TypeError(f"{where}: {name} must be a torch.Tensor or numpy array, got {type(value).__name__}")
    if shape is not None:
        check_shape(where, name, value, shape)
    return value


def check_unit_image(where: str, name: str, image: torch.Tensor) -> None:
    """Raise unless `image` is floating point with values in [0, 1] (the library's image
    convention); integer images (e.g. uint8 0-255) and 0-255 floats are named as such."""
    if not image.is_floating_point():
        raise TypeError(f"{where}: {name} must be a float image in [0, 1], got dtype {image.dtype} "
                        "(for 8-bit pixels, pass image.float() / 255)")
    if image.numel() == 0:
        return
    low, high = float(image.min()), float(image.max())
    if low < -UNIT_RANGE_SLACK or high > 1.0 + UNIT_RANGE_SLACK:
        raise ValueError(f"{where}: {name} must hold values in [0, 1], got [{low:.3g}, {high:.3g}]"
                         + (" (0-255 pixels? divide by 255)" if high > 2.0 else ""))
