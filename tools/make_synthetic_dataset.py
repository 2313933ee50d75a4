"""Write the synthetic posed indoor data set: a COCO detection set and RealEstate10K-style video.

    python tools/make_synthetic_dataset.py --out data/synthetic --num-scenes 20 \
        --views-per-scene 30 --size 256 --seed 0

Layout under --out:
  detection/images/<scene>_<frame>.png     every view (scene = "scene0003", frame = "0012")
  detection/annotations.json               COCO; images carry extra keys `scene` and `frame`,
                                           annotations `instance_id` (stable across a scene's views)
  video/cameras/<scene>.txt                one RealEstate10K camera row per frame
  video/frames/<scene>/<timestamp>.png     the same views, named by timestamp (frame * 33333 us)

Scene k is generate_scene(scene_seed(SEED, k)), i.e. numpy SeedSequence((SEED, k)), and its
camera path camera_trajectory(scene, V, trajectory_seed(SEED, k)), i.e. SeedSequence((SEED, k, 1)),
so every scene can be rebuilt on its own. The same arguments always give the same bytes.

--photo-textures ANN_FILE [--photo-img-dir DIR]: dress the scenes in patches cut from the images
of a COCO file (danr_renderer.data.synthetic_photo), e.g. your detector's training split, to
fine-tune the renderer towards your photographs (configs/renderer/photo_finetune_128.py). The
patches come from SeedSequence((SEED, 0, 3)), scene k's choice of them from (SEED, k, 2).
Only images of that file are read: pass a training split, never a validation one.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import torch
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from danr_renderer.atomic_io import atomic_write_bytes, atomic_write_json  # noqa: E402
from danr_renderer.data.realestate10k_cameras import CameraFrame, write_camera_file  # noqa: E402
from danr_renderer.data.synthetic import (  # noqa: E402
    CLASS_NAMES,
    camera_trajectory,
    generate_scene,
    render_view,
    scene_seed,
    trajectory_seed,
)
from danr_renderer.data.synthetic_photo import photo_patches_from_file, with_photo_textures  # noqa: E402
from danr_renderer.geometry import default_intrinsics  # noqa: E402

FRAME_INTERVAL_US = 33333  # timestamps of a 30 fps video


def scene_name(index: int) -> str:
    return f"scene{index:04d}"


def encode_png(rgb: torch.Tensor) -> bytes:
    """PNG bytes of an (H, W, 3) float RGB image in [0, 1] (8 bit, BGR order on disk via OpenCV)."""
    pixels = torch.round(rgb.clamp(0.0, 1.0) * 255.0).to(torch.uint8).numpy()[:, :, ::-1]
    ok, encoded = cv2.imencode(".png", np.ascontiguousarray(pixels))
    if not ok:
        raise RuntimeError("OpenCV failed to encode a PNG")
    return encoded.tobytes()


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True, type=Path, help="output directory")
    parser.add_argument("--num-scenes", type=int, default=10)
    parser.add_argument("--views-per-scene", type=int, default=30)
    parser.add_argument("--size", type=int, default=256, help="square image side, pixels")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--hfov", type=float, default=60.0, help="horizontal field of view, degrees"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch threads (default 1: a view is many small tensor ops, and on a busy machine "
        "OpenMP's spin-waiting makes 2 threads much slower; see benchmarks/RESULTS.md)",
    )
    parser.add_argument("--photo-textures", type=Path, default=None, metavar="ANN_FILE",
                        help="COCO file whose images texture the scenes (default: procedural textures)")
    parser.add_argument("--photo-img-dir", type=Path, default=None,
                        help="folder of those images (default: 'images' beside ANN_FILE)")
    parser.add_argument("--photo-fraction", type=float, default=0.7,
                        help="share of the materials replaced by photo patches")
    args = parser.parse_args(argv)
    for name in ("num_scenes", "views_per_scene", "size", "threads"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be >= 1")
    return args


def main(argv=None) -> dict:
    """Generate the data set; returns the COCO dictionary that was written."""
    args = parse_args(argv)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    try:
        return write_dataset(args)
    finally:
        torch.set_num_threads(previous_threads)


def write_dataset(args: argparse.Namespace) -> dict:
    """Render every scene; write images, camera files and annotations (see the module doc)."""
    start_time = time.perf_counter()
    size = args.size
    image_dir = args.out / "detection" / "images"
    camera_dir = args.out / "video" / "cameras"
    for directory in (image_dir, camera_dir):
        directory.mkdir(parents=True, exist_ok=True)
    K = default_intrinsics(size, size, hfov_deg=args.hfov, dtype=torch.float64)
    k = K.numpy()
    intrinsics_normalised = np.array([k[0, 0], k[1, 1], k[0, 2], k[1, 2]]) / size

    images, annotations = [], []
    boxes_per_class: Counter[str] = Counter()
    patches = None
    if args.photo_textures is not None:
        patch_rng = np.random.default_rng(np.random.SeedSequence((args.seed, 0, 3)))
        patches = photo_patches_from_file(args.photo_textures, args.photo_img_dir, patch_rng)
    for index in tqdm(range(args.num_scenes), desc="scenes", unit="scene"):
        name = scene_name(index)
        scene = generate_scene(scene_seed(args.seed, index))
        if patches is not None:
            texture_rng = np.random.default_rng(np.random.SeedSequence((args.seed, index, 2)))
            scene = with_photo_textures(scene, patches, texture_rng, fraction=args.photo_fraction)
        poses = camera_trajectory(scene, args.views_per_scene, trajectory_seed(args.seed, index))
        frame_dir = args.out / "video" / "frames" / name
        frame_dir.mkdir(parents=True, exist_ok=True)
        camera_rows = []
        for frame, world_to_camera in enumerate(poses):
            view = render_view(scene, world_to_camera, K, size, size)
            png = encode_png(view.rgb)
            timestamp = frame * FRAME_INTERVAL_US
            file_name = f"{name}_{frame:04d}.png"
            atomic_write_bytes(image_dir / file_name, png)
            atomic_write_bytes(frame_dir / f"{timestamp}.png", png)
            camera_rows.append(
                CameraFrame(timestamp, intrinsics_normalised, world_to_camera.numpy())
            )
            image_id = len(images) + 1
            images.append(
                {
                    "id": image_id,
                    "file_name": file_name,
                    "width": size,
                    "height": size,
                    "scene": name,
                    "frame": frame,
                }
            )
            for box in view.boxes:
                x0, y0, x1, y1 = box.xyxy
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": image_id,
                        "category_id": CLASS_NAMES.index(box.class_name) + 1,
                        "bbox": [x0, y0, x1 - x0, y1 - y0],
                        "area": (x1 - x0) * (y1 - y0),
                        "iscrowd": 0,
                        "instance_id": box.instance_id,
                    }
                )
                boxes_per_class[box.class_name] += 1
        write_camera_file(camera_dir / f"{name}.txt", camera_rows)

    coco = {
        "info": {
            "description": "DANR synthetic indoor scenes",
            "seed": args.seed,
            "num_scenes": args.num_scenes,
            "views_per_scene": args.views_per_scene,
            "hfov_deg": args.hfov,
            "photo_textures": None if args.photo_textures is None else str(args.photo_textures),
        },
        "images": images,
        "annotations": annotations,
        "categories": [
            {"id": i + 1, "name": name, "supercategory": "indoor"}
            for i, name in enumerate(CLASS_NAMES)
        ],
    }
    atomic_write_json(args.out / "detection" / "annotations.json", coco, indent=1)

    elapsed = time.perf_counter() - start_time
    per_class = ", ".join(f"{name} {boxes_per_class[name]}" for name in CLASS_NAMES)
    print(
        f"Wrote {args.num_scenes} scenes x {args.views_per_scene} views = {len(images)} images of "
        f"{size}x{size} px (seed {args.seed}) to {args.out}, with {len(annotations)} boxes "
        f"({per_class}); camera files in {camera_dir}; {elapsed:.1f} s wall time "
        f"({len(images) / max(elapsed, 1e-9):.1f} views/s)."
    )
    return coco


if __name__ == "__main__":
    main()
