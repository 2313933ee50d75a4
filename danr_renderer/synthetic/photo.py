"""Synthetic scenes dressed in a user's photographs, to adapt the renderer to their domain.

A renderer trained on procedural textures has never seen a real photograph. Tiling the
surfaces of the synthetic rooms with patches cut from the user's own training images keeps the
exact geometry and camera poses of the synthetic scenes (the supervision of view synthesis)
while the pixels look like the target domain.

    patches = photo_patches(read_coco_detection(ann), img_dir, rng)  # (N, P, P, 3)
    scene = with_photo_textures(generate_scene(seed), patches, rng)
"""
from __future__ import annotations

import dataclasses
import warnings
from pathlib import Path

import cv2
import numpy as np

from ..data.coco_io import CocoDetectionSet, read_coco_detection
from ..data.image_io import ImageReadError, read_image_rgb
from .scene import SyntheticScene
from .textures import photo_material

__all__ = ["photo_patches", "photo_patches_from_file", "with_photo_textures"]


def photo_patches(
    dataset: CocoDetectionSet,
    img_dir: str | Path,
    rng: np.random.Generator,
    patches_per_image: int = 8,
    patch_size: int = 64,
    side_fraction: tuple[float, float] = (0.15, 0.5),
) -> np.ndarray:
    """Square patches (N, patch_size, patch_size, 3) float32 RGB in [0, 1] cut from the images.

    Each patch is a random square of side side_fraction x the image's shorter side, resized
    (area interpolation) to patch_size. An image that cannot be read is reported (warning) and
    skipped; no readable image at all is an error.
    """
    patches = []
    for entry in dataset.images:
        path = Path(img_dir) / entry.file_name
        try:
            rgb = read_image_rgb(path).rgb
        except ImageReadError as error:
            warnings.warn(f"photo_patches: skipping {path}: {error}")
            continue
        height, width = rgb.shape[:2]
        for _ in range(patches_per_image):
            side = max(2, int(round(rng.uniform(*side_fraction) * min(height, width))))
            y = int(rng.integers(0, height - side + 1))
            x = int(rng.integers(0, width - side + 1))
            crop = rgb[y:y + side, x:x + side]
            patches.append(cv2.resize(crop, (patch_size, patch_size), interpolation=cv2.INTER_AREA))
    if not patches:
        raise ValueError(f"photo_patches: none of the {len(dataset.images)} images in {img_dir} could be read")
    return np.stack(patches).astype(np.float32)


def photo_patches_from_file(
    ann_file: str | Path, img_dir: str | Path | None, rng: np.random.Generator
) -> np.ndarray:
    """photo_patches of the images a COCO file lists; img_dir None: 'images' beside ann_file
    (the tools' --photo-textures / --photo-img-dir)."""
    ann_file = Path(ann_file)
    return photo_patches(read_coco_detection(ann_file), img_dir or ann_file.parent / "images", rng)


def with_photo_textures(
    scene: SyntheticScene,
    patches: np.ndarray,
    rng: np.random.Generator,
    fraction: float = 0.7,
    size_range: tuple[float, float] = (0.4, 1.5),
) -> SyntheticScene:
    """The same scene with each material replaced, with probability `fraction`, by a random
    patch of `patches` (N, h, w, 3) tiled every size_range-uniform metres. Geometry, lighting
    and object instances are unchanged, so boxes and depth are those of the original scene."""
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"with_photo_textures: fraction must be in [0, 1], got {fraction}")
    materials = tuple(
        photo_material(patches[int(rng.integers(len(patches)))], rng.uniform(*size_range))
        if rng.random() < fraction else material
        for material in scene.materials
    )
    return dataclasses.replace(scene, materials=materials)
