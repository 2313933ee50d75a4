"""Write the synthetic posed indoor data set: a COCO detection set and RealEstate10K-format video.

Layout under `out`:
  detection/images/<scene>_<frame>.png     every view (scene = "scene0003", frame = "0012")
  detection/annotations.json               COCO; images carry extra keys `scene` and `frame`,
                                           annotations `instance_id` (stable across a scene's views)
  video/cameras/<scene>.txt                one RealEstate10K camera row per frame
  video/frames/<scene>/<timestamp>.png     the same views, named by timestamp (frame * 33333 us)
  video/depth/<scene>/<timestamp>.npz      with write_depth: every pixel's exact z-depth
                                           (danr_renderer.data.depth_points format)

Scene k is generate_scene(scene_seed(seed, k)), i.e. numpy SeedSequence((seed, k)), and its
camera path camera_trajectory(scene, V, trajectory_seed(seed, k)), i.e. SeedSequence((seed, k, 1)),
so every scene can be rebuilt on its own. The same arguments always give the same bytes.

Photo textures (`photo_textures=ANN_FILE`): the scenes are dressed in patches cut from the images
of a COCO file (`danr_renderer.synthetic.photo`); the patches come from SeedSequence((seed, 0, 3)),
scene k's choice of them from (seed, k, 2). Only images of that file are read.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from ..atomic_io import atomic_write_bytes, atomic_write_json
from ..data.depth_points import DEPTH_FOLDER, dense_depth_points, write_depth_points
from ..data.image_io import encode_image
from ..data.realestate10k_cameras import CameraFrame, write_camera_file
from ..geometry import default_intrinsics
from .photo import photo_patches_from_file, with_photo_textures
from .views import CLASS_NAMES, camera_trajectory, generate_scene, render_view, scene_seed, trajectory_seed

__all__ = ["FRAME_INTERVAL_US", "SyntheticDatasetSpec", "scene_name", "write_synthetic_dataset"]

FRAME_INTERVAL_US = 33333  # timestamps of a 30 fps video


@dataclass(frozen=True)
class SyntheticDatasetSpec:
    """What to generate.

    Attributes:
        num_scenes, views_per_scene: rooms and frames per room (each >= 1).
        size: square image side, pixels.
        seed: data-set seed (see the module doc).
        hfov_deg: horizontal field of view, degrees.
        photo_textures: COCO file whose images texture the scenes, or None for procedural ones.
        photo_img_dir: folder of those images (None: 'images' beside the file).
        photo_fraction: share of the materials replaced by photo patches.
        write_depth: also write each frame's exact depth (for depth supervision).
    """

    num_scenes: int = 10
    views_per_scene: int = 30
    size: int = 256
    seed: int = 0
    hfov_deg: float = 60.0
    photo_textures: Path | None = None
    photo_img_dir: Path | None = None
    photo_fraction: float = 0.7
    write_depth: bool = False

    def __post_init__(self):
        for name in ("num_scenes", "views_per_scene", "size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")


def scene_name(index: int) -> str:
    return f"scene{index:04d}"


def _png_bytes(rgb: torch.Tensor) -> bytes:
    """PNG bytes of an (H, W, 3) float RGB image in [0, 1], 8 bit."""
    pixels = torch.round(rgb.clamp(0.0, 1.0) * 255.0).to(torch.uint8).numpy()
    return encode_image(pixels, ".png")


def _coco_annotations(view, image_id: int, first_id: int) -> list[dict]:
    annotations = []
    for box in view.boxes:
        x0, y0, x1, y1 = box.xyxy
        annotations.append({
            "id": first_id + len(annotations),
            "image_id": image_id,
            "category_id": CLASS_NAMES.index(box.class_name) + 1,
            "bbox": [x0, y0, x1 - x0, y1 - y0],
            "area": (x1 - x0) * (y1 - y0),
            "iscrowd": 0,
            "instance_id": box.instance_id,
        })
    return annotations


def write_synthetic_dataset(out: Path, spec: SyntheticDatasetSpec) -> dict:
    """Render every scene of `spec`; write images, camera files and annotations under `out`.

    Returns the COCO dictionary written to out/detection/annotations.json. Prints a summary.
    """
    out = Path(out)
    start_time = time.perf_counter()
    size = spec.size
    image_dir = out / "detection" / "images"
    camera_dir = out / "video" / "cameras"
    for directory in (image_dir, camera_dir):
        directory.mkdir(parents=True, exist_ok=True)
    K = default_intrinsics(size, size, hfov_deg=spec.hfov_deg, dtype=torch.float64)
    k = K.numpy()
    intrinsics_normalised = np.array([k[0, 0], k[1, 1], k[0, 2], k[1, 2]]) / size

    images, annotations = [], []
    boxes_per_class: Counter[str] = Counter()
    patches = None
    if spec.photo_textures is not None:
        patch_rng = np.random.default_rng(np.random.SeedSequence((spec.seed, 0, 3)))
        patches = photo_patches_from_file(spec.photo_textures, spec.photo_img_dir, patch_rng)
    for index in tqdm(range(spec.num_scenes), desc="scenes", unit="scene"):
        name = scene_name(index)
        scene = generate_scene(scene_seed(spec.seed, index))
        if patches is not None:
            texture_rng = np.random.default_rng(np.random.SeedSequence((spec.seed, index, 2)))
            scene = with_photo_textures(scene, patches, texture_rng, fraction=spec.photo_fraction)
        poses = camera_trajectory(scene, spec.views_per_scene, trajectory_seed(spec.seed, index))
        frame_dir = out / "video" / "frames" / name
        depth_dir = out / "video" / DEPTH_FOLDER / name
        for directory in (frame_dir, depth_dir) if spec.write_depth else (frame_dir,):
            directory.mkdir(parents=True, exist_ok=True)
        camera_rows = []
        for frame, world_to_camera in enumerate(poses):
            view = render_view(scene, world_to_camera, K, size, size)
            png = _png_bytes(view.rgb)
            timestamp = frame * FRAME_INTERVAL_US
            file_name = f"{name}_{frame:04d}.png"
            atomic_write_bytes(image_dir / file_name, png)
            atomic_write_bytes(frame_dir / f"{timestamp}.png", png)
            if spec.write_depth:
                write_depth_points(depth_dir / f"{timestamp}.npz", *dense_depth_points(view.depth.numpy()))
            camera_rows.append(CameraFrame(timestamp, intrinsics_normalised, world_to_camera.numpy()))
            image_id = len(images) + 1
            images.append({"id": image_id, "file_name": file_name, "width": size, "height": size,
                           "scene": name, "frame": frame})
            annotations += _coco_annotations(view, image_id, len(annotations) + 1)
            boxes_per_class.update(box.class_name for box in view.boxes)
        write_camera_file(camera_dir / f"{name}.txt", camera_rows)

    coco = {
        "info": {
            "description": "DANR synthetic indoor scenes",
            "seed": spec.seed,
            "num_scenes": spec.num_scenes,
            "views_per_scene": spec.views_per_scene,
            "hfov_deg": spec.hfov_deg,
            "photo_textures": None if spec.photo_textures is None else str(spec.photo_textures),
        },
        "images": images,
        "annotations": annotations,
        "categories": [{"id": i + 1, "name": name, "supercategory": "indoor"}
                       for i, name in enumerate(CLASS_NAMES)],
    }
    atomic_write_json(out / "detection" / "annotations.json", coco, indent=1)

    elapsed = time.perf_counter() - start_time
    per_class = ", ".join(f"{name} {boxes_per_class[name]}" for name in CLASS_NAMES)
    print(
        f"Wrote {spec.num_scenes} scenes x {spec.views_per_scene} views = {len(images)} images of "
        f"{size}x{size} px (seed {spec.seed}) to {out}, with {len(annotations)} boxes "
        f"({per_class}); camera files in {camera_dir}; {elapsed:.1f} s wall time "
        f"({len(images) / max(elapsed, 1e-9):.1f} views/s)."
    )
    return coco
