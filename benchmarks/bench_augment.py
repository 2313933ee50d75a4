"""Throughput of the offline augmentation: the tool end to end vs the model alone.

On the same source images and views, in one process:

* model alone: `NovelViewRenderer.render_views` on images already read and resized to the
  canvas (timed twice, before and after the tool, and averaged: the machine is shared);
* tool: `run_augmentation` (what tools/augment_dataset.py runs): reading the annotation file and
  images, resizing, the same rendering, box transfer, JPEG writing, per-image records,
  assembling annotations.json;
* the overhead parts timed on their own (image read + canvas, box transfer, view resize + JPEG
  write per view), which does not depend on the load of other jobs.

    .venv/bin/python benchmarks/bench_augment.py --num-images 4 --render-size 256 \
        --out benchmarks/RESULTS.md

The images are a synthetic set from tools/make_synthetic_dataset.py (--size), or with
--indoor the first --num-images of ../shared/data/indoor_objects (640x360 JPEGs; skipped when
absent). Without the shipped checkpoint a randomly initialised renderer of the default
configuration is timed (weights do not change the cost). With --out, writes the
"## Augmentation throughput" section of that markdown file (other sections are kept).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

# Sleeping (not spinning) OpenMP workers: on a machine shared with other jobs, spinning threads
# steal the cores the model needs (see the "Synthetic scenes" benchmark). Set it to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch

REPO = Path(__file__).resolve().parent.parent

from results_file import machine_description, publish

from danr_renderer.augment import AugmentSettings, run_augmentation
from danr_renderer.augment.render_frame import RenderFrame, carry_boxes
from danr_renderer.augment.views import parse_view_plan
from danr_renderer.data.coco_io import fit_boxes_to_image, read_coco_detection
from danr_renderer.data.image_io import read_image_rgb, write_image_atomic
from danr_renderer.renderer import NovelViewRenderer
from danr_renderer.shipped import DEMO_CHECKPOINT
from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset

SECTION = "## Augmentation throughput"
INDOOR = REPO.parent / "shared" / "data" / "indoor_objects"


def synthetic_source(work: Path, num_images: int, size: int) -> tuple[Path, Path]:
    per_scene = 2
    scenes = -(-num_images // per_scene)
    write_synthetic_dataset(work / "synthetic", SyntheticDatasetSpec(
        num_scenes=scenes, views_per_scene=per_scene, size=size))
    return subset(work / "synthetic" / "detection" / "annotations.json", work, num_images), \
        work / "synthetic" / "detection" / "images"


def subset(ann_file: Path, work: Path, num_images: int) -> Path:
    """The first num_images images of a COCO file (by id) and their annotations."""
    document = json.loads(ann_file.read_text())
    images = sorted(document["images"], key=lambda i: i["id"])[:num_images]
    ids = {image["id"] for image in images}
    document["images"] = images
    document["annotations"] = [a for a in document["annotations"] if a["image_id"] in ids]
    path = work / "subset.json"
    path.write_text(json.dumps(document))
    return path


class Clock:
    """Wall seconds and process CPU seconds (all threads) of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def model_alone(renderer, canvases, views) -> tuple[Clock, list]:
    """render_views over all (canvas (3, S, S), K (3, 3)) pairs; returns the clock and the
    RenderOutputs."""
    rotvecs = torch.tensor([v.rotvec for v in views])
    translations = torch.tensor([v.translation for v in views])
    with Clock() as clock, torch.inference_mode():
        outputs = [renderer.render_views(canvas, K, rotvecs, translations) for canvas, K in canvases]
    return clock, outputs


def overhead_parts(dataset, img_dir, outputs, views, render_size, method, scratch: Path):
    """CPU seconds (this thread) spent outside the model on reading + canvas, box transfer,
    resize + JPEG write, given the model's RenderOutputs of the same images."""
    timings = {"read + canvas": 0.0, "box transfer": 0.0, "resize back + JPEG write": 0.0}
    for image, output in zip(dataset.images, outputs):
        start = time.thread_time()
        loaded = read_image_rgb(img_dir / image.file_name)
        frame = RenderFrame(loaded.height, loaded.width, render_size)
        frame.to_canvas(loaded.rgb)
        boxes, _ = fit_boxes_to_image(image, loaded.height, loaded.width)
        xyxy = np.array([box.xyxy for box in boxes], dtype=np.float64).reshape(-1, 4)
        timings["read + canvas"] += time.thread_time() - start
        for view, rendered in zip(views, output.image):
            start = time.thread_time()
            carry_boxes(xyxy, output.depth[0, 0], frame, view, method, 0.5)
            middle = time.thread_time()
            write_image_atomic(scratch / "view.jpg", frame.to_source(rendered))
            timings["box transfer"] += middle - start
            timings["resize back + JPEG write"] += time.thread_time() - middle
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--num-images", type=int, default=4)
    parser.add_argument("--size", type=int, default=256, help="synthetic image side")
    parser.add_argument("--render-size", type=int, default=256)
    parser.add_argument("--views", default="paper4")
    parser.add_argument("--box-method", default="object_plane")
    parser.add_argument("--indoor", action="store_true", help="use the Indoor images instead")
    parser.add_argument("--checkpoint", type=Path, default=DEMO_CHECKPOINT)
    parser.add_argument("--out", type=Path, default=None, help="markdown file for the section")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.indoor:
            if not (INDOOR / "annotations.json").is_file():
                print(f"skipped: {INDOOR} not present")
                return
            ann_file = subset(INDOOR / "annotations.json", work, args.num_images)
            img_dir, source = INDOOR / "images", "Indoor 640x360 JPEG"
        else:
            ann_file, img_dir = synthetic_source(work, args.num_images, args.size)
            source = f"synthetic {args.size}x{args.size} PNG"
        checkpoint, weights = args.checkpoint, f"checkpoint {args.checkpoint.name}"
        if not checkpoint.is_file():
            checkpoint = work / "random.pth"
            NovelViewRenderer().save_checkpoint(checkpoint)
            weights = "randomly initialised default NovelViewRenderer()"
        renderer = NovelViewRenderer.load_checkpoint(checkpoint).eval()
        dataset = read_coco_detection(ann_file)
        views = parse_view_plan(args.views).views_for(0, 0)
        canvases = []
        for image in dataset.images:
            loaded = read_image_rgb(img_dir / image.file_name)
            frame = RenderFrame(loaded.height, loaded.width, args.render_size)
            canvases.append((frame.to_canvas(loaded.rgb),
                             frame.grid_intrinsics(args.render_size, args.render_size)))
        model_alone(renderer, canvases[:1], views)  # warm-up

        load_before = os.getloadavg()[0]
        model_first, _ = model_alone(renderer, canvases, views)
        settings = AugmentSettings(ann_file=ann_file, img_dir=img_dir, out_dir=work / "out",
                                   checkpoint=checkpoint, views=args.views,
                                   render_size=args.render_size, box_method=args.box_method,
                                   mode="canvas")  # the path render_views above times
        with Clock() as tool:
            summary = run_augmentation(settings, progress=False)
        model_second, outputs = model_alone(renderer, canvases, views)
        parts = overhead_parts(dataset, img_dir, outputs, views, args.render_size,
                               args.box_method, work)
        load_after = os.getloadavg()[0]

    count = len(dataset.images)
    model_wall = (model_first.wall + model_second.wall) / 2
    model_cpu = (model_first.cpu + model_second.cpu) / 2
    part_total = sum(parts.values())
    rows = [
        f"| model alone (render_views), mean of 2 passes | {model_wall:.1f} "
        f"({model_first.wall:.1f} / {model_second.wall:.1f}) | {model_cpu:.1f} | "
        f"{count / model_wall:.3f} |",
        f"| tool end to end (run_augmentation) | {tool.wall:.1f} | {tool.cpu:.1f} | "
        f"{count / tool.wall:.3f} |",
        f"| overhead: tool - model | {100 * (tool.wall - model_wall) / model_wall:+.1f}% | "
        f"{100 * (tool.cpu - model_cpu) / model_cpu:+.1f}% | |",
    ]
    part_rows = [f"| {name} | {1000 * seconds / count:.1f} | {100 * seconds / model_cpu:.2f}% |"
                 for name, seconds in parts.items()]
    part_rows.append(f"| all of the above | {1000 * part_total / count:.1f} | "
                     f"{100 * part_total / model_cpu:.2f}% |")
    command = "    .venv/bin/python " + " ".join(["benchmarks/bench_augment.py", *sys.argv[1:]])
    body = "\n".join([
        f"{count} source images ({source}, {summary.boxes_kept + sum(summary.boxes_dropped.values())}"
        f" box transfers), views {args.views} ({len(views)} per image), --render-size "
        f"{args.render_size}, --box-method {args.box_method}; {weights}. Machine: "
        f"{machine_description()}, {torch.get_num_threads()} torch threads, OMP_WAIT_POLICY "
        f"{os.environ.get('OMP_WAIT_POLICY', 'default')}; 1-min load average {load_before:.1f} before, "
        f"{load_after:.1f} after (a shared machine: end-to-end numbers move with other jobs).",
        "",
        "| what | wall s | CPU s (all threads) | source images/s (wall) |",
        "|---|---|---|---|",
        *rows,
        "",
        "Overhead parts timed on their own (same images and views; CPU time of the one thread",
        "they run on, against the model's CPU time):",
        "",
        "| part | CPU ms per source image | share of model CPU time |",
        "|---|---|---|",
        *part_rows,
    ])
    publish(args.out, SECTION, body, command)


if __name__ == "__main__":
    main()
