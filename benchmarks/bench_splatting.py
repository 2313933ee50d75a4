"""Benchmark of splat_points: forward + backward time and peak memory per backend.

Scene: one point per pixel of an H x H image, z uniform in [1, 3], moved sideways by 3/z
pixels (a parallax-like shift that makes overlaps and holes), C = 64 feature channels,
r = 4 px, K in {8, 32, 128}. Each case runs in its own subprocess so that its peak resident
memory (ru_maxrss) is its own.

    .venv/bin/python benchmarks/bench_splatting.py --out benchmarks/RESULTS.md

writes a markdown table into the "## Splatting" section of the output file (other sections
are kept as they are).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from results_file import machine_description as shared_machine_description
from results_file import write_section

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Splatting"
CHANNELS = 64
RADIUS = 4.0


def run_case(backend: str, size: int, points_per_pixel: int, threads: int) -> dict:
    """Inside the worker process: time one forward + backward, report peak memory."""
    import torch

    from danr_renderer.geometry import pixel_centers
    from danr_renderer.splatting import splat_points

    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)

    def scene(side):
        z = 1.0 + 2.0 * torch.rand(side * side, generator=generator)
        uv = pixel_centers(side, side)
        uv = torch.stack([uv[:, 0] + 3.0 / z, uv[:, 1]], dim=-1)
        points = torch.cat([uv, z[:, None]], dim=-1)[None].requires_grad_()
        features = torch.rand(1, side * side, CHANNELS, generator=generator).requires_grad_()
        return points, features

    def forward_backward(points, features, side):
        start = time.perf_counter()
        result = splat_points(points, features, (side, side), radius=RADIUS,
                              points_per_pixel=points_per_pixel, backend=backend)
        middle = time.perf_counter()
        (result.image.square().mean() + result.alpha.mean()).backward()
        return middle - start, time.perf_counter() - middle

    forward_backward(*scene(16), 16)  # warm-up: lazy initialisation is not the case's cost
    points, features = scene(size)
    rss_before_mb = _current_rss_mb()
    cpu_before = _cpu_seconds()
    forward_s, backward_s = forward_backward(points, features, size)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"forward_s": forward_s, "backward_s": backward_s,
            "cpu_s": _cpu_seconds() - cpu_before,
            "rss_before_mb": rss_before_mb, "peak_rss_mb": usage.ru_maxrss / 1024.0}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _current_rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def available_backends() -> list[str]:
    sys.path.insert(0, str(REPO))
    from danr_renderer.splatting import pytorch3d_available

    return ["native"] + (["pytorch3d"] if pytorch3d_available() else [])


def machine_description() -> str:
    """The shared machine line, plus where PyTorch3D came from when it imports."""
    description = shared_machine_description()
    try:
        import pytorch3d
    except ImportError:
        return description
    location = Path(pytorch3d.__file__).parent
    return description + f"; PyTorch3D {pytorch3d.__version__} from {location}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "benchmarks" / "RESULTS.md",
                        help="markdown file whose '## Splatting' section is (re)written")
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 256, 512])
    parser.add_argument("--ks", type=int, nargs="+", default=[8, 32, 128])
    parser.add_argument("--backends", nargs="+", default=None,
                        help="default: every backend that imports here")
    parser.add_argument("--pytorch3d-max-size", type=int, default=256,
                        help="skip larger images for PyTorch3D (its CPU kernels are slow)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    parser.add_argument("--worker", nargs=3, metavar=("BACKEND", "SIZE", "K"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        sys.path.insert(0, str(REPO))
        backend, size, points_per_pixel = args.worker[0], int(args.worker[1]), int(args.worker[2])
        print(json.dumps(run_case(backend, size, points_per_pixel, args.threads)))
        return

    backends = args.backends or available_backends()
    command = "python benchmarks/bench_splatting.py " + " ".join(sys.argv[1:])
    rows = []
    for backend in backends:
        for size in args.sizes:
            for points_per_pixel in args.ks:
                if backend == "pytorch3d" and size > args.pytorch3d_max_size:
                    rows.append(f"| {backend} | {size}x{size} | {points_per_pixel} | "
                                "not run (> --pytorch3d-max-size) | | | | |")
                    continue
                worker = [sys.executable, __file__, "--threads", str(args.threads),
                          "--worker", backend, str(size), str(points_per_pixel)]
                try:
                    done = subprocess.run(worker, capture_output=True, text=True,
                                          timeout=args.timeout, check=True)
                    stats = json.loads(done.stdout.strip().splitlines()[-1])
                    row = (f"| {backend} | {size}x{size} | {points_per_pixel} | "
                           f"{stats['forward_s']:.2f} | {stats['backward_s']:.2f} | "
                           f"{stats['cpu_s']:.1f} | "
                           f"{stats['peak_rss_mb'] / 1024:.2f} | "
                           f"{(stats['peak_rss_mb'] - stats['rss_before_mb']) / 1024:.2f} |")
                except subprocess.TimeoutExpired:
                    row = (f"| {backend} | {size}x{size} | {points_per_pixel} | "
                           f"timeout > {args.timeout:.0f} s | | | | |")
                except subprocess.CalledProcessError as error:
                    last = (error.stderr.strip().splitlines() or ["?"])[-1]
                    row = (f"| {backend} | {size}x{size} | {points_per_pixel} | "
                           f"failed: {last} | | | | |")
                print(row, flush=True)
                rows.append(row)

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    missing = [name for name in ("native", "pytorch3d") if name not in backends]
    body = "\n".join([
        f"Command: `{command}` (threads: torch.set_num_threads({args.threads}))",
        f"Machine: {machine_description()}; load average after the run: {load}",
        "",
        f"Scene: one point per pixel, z in [1, 3], shifted sideways by 3/z px; C = {CHANNELS}, "
        f"r = {RADIUS:g} px, batch 1. Time of one forward and one backward "
        "(loss = mean(image^2) + mean(alpha)) in wall-clock seconds, the process CPU time "
        "(user + sys, both threads) of the two together, which a busy shared machine distorts "
        "less, and the peak RSS of the case's own process (ru_maxrss) with its growth during "
        "the forward + backward.",
        "",
        "| backend | image | K | forward (s) | backward (s) | CPU time (s) | peak RSS (GB) "
        "| growth (GB) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *rows,
        "",
        *(f"Backend '{name}' not measured: it does not import here." for name in missing),
    ])
    write_section(args.out, SECTION, body)
    print(f"wrote the {SECTION!r} section of {args.out}")


if __name__ == "__main__":
    main()
