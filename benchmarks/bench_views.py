"""Sharpness and accuracy of the written views per render mode (issue 13), and their speed.

* Synthetic: --pairs ray-cast rooms (evaluation seeds) at 640x360, 60-degree camera; pair i's
  target is PAPER_VIEWS[i mod 4] rendered exactly by the oracle. Per method: PSNR and SSIM of
  the written view against the true target over the whole frame (for the "crop" border the
  target gets the same crop), and the sharpness ratios (mean gradient magnitude, variance of
  the Laplacian; danr_renderer.sharpness) of view over target in the central half.
* Indoor: --indoor-frames 640x360 frames spread evenly over the list of ../shared/data/indoor_objects, the four
  paper views each: sharpness ratios of view over source in the central half (skipped when the
  data is absent).
  A second reference, "vs shown", is the source region that lands in the view's central half.
* Speed: wall seconds of render_image_views (default settings, box transfer included) for one
  Indoor (or synthetic) 640x360 image into its four views, median of 3.

Plane warp: render mode "plane" (the +Warp arm of the Indoor study): the composite at one depth
per image, the median of the renderer's, the decoder filling the holes. PixelSS runs Real-ESRGAN
x4plus on CPU (slow; skipped when not installed).

    .venv/bin/python benchmarks/bench_views.py --pairs 4 --indoor-frames 30 --out benchmarks/RESULTS.md
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
from results_file import machine_description, publish

from danr_renderer.augment.border import crop_and_resize
from danr_renderer.augment.depth_upsample import upsample_depth
from danr_renderer.augment.render_frame import RenderFrame
from danr_renderer.augment.render_image import render_image_views
from danr_renderer.augment.runner import load_renderer
from danr_renderer.augment.super_resolution import PixelSuperResolver, super_resolution_unavailable_reason
from danr_renderer.augment.views import PAPER_VIEWS
from danr_renderer.data.image_io import read_image_rgb
from danr_renderer.evaluation import eval_scene_seed, eval_trajectory_seed
from danr_renderer.geometry import default_intrinsics, project, rotvec_to_matrix, transform_points, unproject
from danr_renderer.metrics import psnr, ssim
from danr_renderer.sharpness import central_half, sharpness, sharpness_ratios
from danr_renderer.shipped import DEMO_CHECKPOINT
from danr_renderer.synthetic import camera_trajectory, generate_scene, render_target_view, render_view

SECTION = "## Full-resolution views (render modes, border policies)"
INDOOR = Path(__file__).resolve().parents[2] / "shared" / "data" / "indoor_objects"
HEIGHT, WIDTH = 360, 640
SEED = 0
NO_BOXES = np.zeros((0, 4))


def methods(checkpoint: Path, with_pixelss: bool) -> dict:
    """name -> function(rgb (H, W, 3) float, views) -> list of (image uint8, crop)."""
    plain, scaled = load_renderer(checkpoint, "cpu", 1), load_renderer(checkpoint, "cpu", 2)

    def render(renderer=plain, size=128, **options):
        def run(rgb, views):
            out = render_image_views(renderer, rgb, NO_BOXES, views, size, 4, "object_plane", 0.5, **options)
            return [(item.image, item.crop) for item in out]
        return run

    table = {
        "canvas 128 (square, the former path)": render(mode="canvas"),
        "canvas 256 (square)": render(size=256, mode="canvas"),
        "PointSS: canvas 128, --render-scale 2": render(scaled, mode="canvas"),
        "composite 128, inpaint (default)": render(mode="composite"),
        "composite 128, nearest depth": render(mode="composite", depth_upsampling="nearest"),
        "composite 256, inpaint": render(size=256, mode="composite"),
        "composite 128, black": render(mode="composite", border="black"),
        "composite 128, crop": render(mode="composite", border="crop"),
        "plane warp: --mode plane (composite at the median depth)": render(mode="plane"),
    }
    if with_pixelss:
        table["PixelSS: canvas 128 + Real-ESRGAN x4"] = render(mode="pixelss", super_resolver=PixelSuperResolver())
    return table


def shown_source(renderer, rgb: np.ndarray, view, centre: np.ndarray) -> np.ndarray:
    """(H, W) bool: the source pixels that land in the view's central half, by the renderer's own
    (upsampled) depth, the reference region for "detail kept of what the view shows"."""
    frame = RenderFrame(HEIGHT, WIDTH, 128, keep_aspect=True)
    K = frame.source_intrinsics()[None]
    with torch.inference_mode():
        depth = upsample_depth(renderer.encode(frame.to_canvas(rgb)[None])[1], (HEIGHT, WIDTH))
        R, T = rotvec_to_matrix(torch.tensor(view.rotvec))[None], torch.tensor(view.translation)[None]
        u, v, z = project(transform_points(unproject(depth, K), R, T), K)[0].unbind(-1)
    rows, cols = np.nonzero(centre)
    inside = ((z > 0) & (u >= cols.min()) & (u < cols.max() + 1) & (v >= rows.min()) & (v < rows.max() + 1))
    return inside.reshape(HEIGHT, WIDTH).numpy()


def synthetic_pairs(count: int):
    K = default_intrinsics(HEIGHT, WIDTH, dtype=torch.float64)
    for index in range(count):
        scene = generate_scene(eval_scene_seed(SEED, index))
        world_to_source = camera_trajectory(scene, 1, eval_trajectory_seed(SEED, index))[0]
        view = PAPER_VIEWS[index % len(PAPER_VIEWS)]
        source = render_view(scene, world_to_source, K, HEIGHT, WIDTH)
        target = render_target_view(scene, world_to_source, K, torch.tensor(view.rotvec, dtype=torch.float64),
                                    torch.tensor(view.translation, dtype=torch.float64), HEIGHT, WIDTH)
        yield source.rgb.numpy().astype(np.float32), view, target.rgb.numpy()


def to_tensor(rgb: np.ndarray) -> torch.Tensor:
    rgb = rgb.astype(np.float64) / 255.0 if rgb.dtype == np.uint8 else rgb.astype(np.float64)
    return torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1)))[None]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=4)
    parser.add_argument("--indoor-frames", type=int, default=2)
    parser.add_argument("--checkpoint", type=Path, default=DEMO_CHECKPOINT)
    parser.add_argument("--no-pixelss", action="store_true")
    parser.add_argument("--pixelss-frames", type=int, default=1, help="Indoor frames PixelSS runs on")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    pixelss = not args.no_pixelss and super_resolution_unavailable_reason() is None
    table = methods(args.checkpoint, pixelss)
    centre = central_half(HEIGHT, WIDTH)
    synthetic = {name: {"psnr": [], "ssim": [], "grad": [], "lap": []} for name in table}
    for rgb, view, truth in synthetic_pairs(args.pairs):
        for name, method in table.items():
            (image, crop), = method(rgb, [view])
            target = truth if crop is None else crop_and_resize(truth, crop)
            scores = synthetic[name]
            scores["psnr"].append(float(psnr(to_tensor(image), to_tensor(target))[0]))
            scores["ssim"].append(float(ssim(to_tensor(image), to_tensor(target))[0]))
            grad, lap = sharpness_ratios(image, target, centre)
            scores["grad"].append(grad)
            scores["lap"].append(lap)
    indoor = {name: {"grad": [], "lap": [], "grad_shown": [], "lap_shown": []} for name in table}
    reference_renderer = load_renderer(args.checkpoint, "cpu", 1)
    frames = []
    if (INDOOR / "annotations.json").is_file():
        names = [i["file_name"] for i in json.loads((INDOOR / "annotations.json").read_text())["images"]]
        step = max(1, len(names) // max(1, args.indoor_frames))  # spread over the sequences
        frames = [read_image_rgb(INDOOR / "images" / n).rgb for n in names[::step][:args.indoor_frames]]
    for index, rgb in enumerate(frames):
        shown = [shown_source(reference_renderer, rgb, view, centre) for view in PAPER_VIEWS]
        for name, method in table.items():
            if name.startswith("PixelSS") and index >= args.pixelss_frames:
                continue
            for (image, _), source_part in zip(method(rgb, list(PAPER_VIEWS)), shown):
                scores = indoor[name]
                for key, value in zip(("grad", "lap"), sharpness_ratios(image, rgb, centre)):
                    scores[key].append(value)
                view_sharpness, shown_sharpness = sharpness(image, centre), sharpness(rgb, source_part)
                scores["grad_shown"].append(view_sharpness[0] / shown_sharpness[0])
                scores["lap_shown"].append(view_sharpness[1] / shown_sharpness[1])
    speed_image = frames[0] if frames else next(synthetic_pairs(1))[0]
    default = table["composite 128, inpaint (default)"]
    seconds = []
    for _ in range(3):
        started = time.perf_counter()
        default(speed_image, list(PAPER_VIEWS))
        seconds.append(time.perf_counter() - started)

    def mean(values):
        return f"{statistics.mean(values):.3f}" if values else "n/a"

    rows = [f"| {name} | {mean(s['psnr'])} | {mean(s['ssim'])} | {mean(s['grad'])} | {mean(s['lap'])} | "
            f"{mean(indoor[name]['grad'])} | {mean(indoor[name]['lap'])} | {mean(indoor[name]['grad_shown'])} | "
            f"{mean(indoor[name]['lap_shown'])} |" for name, s in synthetic.items()]
    body = "\n".join([
        f"Checkpoint {args.checkpoint.name} (128-px synthetic renderer). Synthetic: {args.pairs} oracle pairs "
        f"at {WIDTH}x{HEIGHT} (evaluation seeds, one paper view each); Indoor: {len(frames)} frames x 4 paper "
        "views. PSNR (dB) / SSIM of the view against the true target over the whole frame; sharpness = mean "
        "gradient magnitude and variance of the Laplacian of the view over those of the true target "
        "(synthetic) or of the source (Indoor), in the central half. \"vs shown\": the Indoor reference is the "
        "part of the source that lands in the view's "
        "central half (by the renderer's depth) instead of the source's own central half, so that a rotated view "
        "looking at less textured surfaces is not counted as lost detail. Depth upsampling bilinear unless said."
        + (f" PixelSS on the first {min(args.pixelss_frames, len(frames))} Indoor frames only (CPU time)."
           if pixelss else f" PixelSS skipped: {super_resolution_unavailable_reason() or '--no-pixelss'}."),
        "",
        "| method | PSNR | SSIM | grad ratio (synthetic) | Laplacian var ratio (synthetic) | grad ratio (Indoor) "
        "| Laplacian var ratio (Indoor) | grad ratio (Indoor, vs shown) | Laplacian var ratio (Indoor, vs shown) |",
        "|---|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "Defaults of tools/augment_dataset.py chosen from this table: --mode composite (above the canvas path "
        "on SSIM against true targets and far above it on sharpness), --border inpaint (black costs SSIM and "
        "leaves black bands unlike test frames; crop keeps only part of the frame and, resized back, loses "
        "detail), --render-size 128 (256 buys no SSIM in composite and costs speed).",
        "",
        f"Speed: one {WIDTH}x{HEIGHT} image into its four views with the default settings (composite, canvas "
        f"128, box transfer of no boxes), median of 3: {statistics.median(seconds):.2f} s wall "
        f"(runs {', '.join(f'{s:.2f}' for s in seconds)}). Machine: {machine_description()}, "
        f"{torch.get_num_threads()} torch threads; 1-min load average {os.getloadavg()[0]:.1f} (shared).",
    ])
    publish(args.out, SECTION, body, "    .venv/bin/python " + " ".join(["benchmarks/bench_views.py", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
