"""Benchmark of splat_points: forward + backward time, peak memory and share of the machine's
peak, per backend.

Scene: one point per pixel of an H x H image, z uniform in [1, 3], moved sideways by 3/z
pixels (a parallax-like shift that makes overlaps and holes), C = 64 feature channels,
r = 4 px, K in {8, 32, 128}; plus a full-resolution RGB case (640 x 360, C = 3, r = 1.5 px,
K = 8). Each case runs in its own subprocess so that its peak resident memory (ru_maxrss) is
its own.

Share of peak: the machine's fp32 GEMM rate (GFLOP/s) and memory-copy bandwidth (GB/s) are
measured at the start of the same run; a case's share is its roofline time
max(FLOPs / GEMM rate, bytes / bandwidth) over its measured forward + backward time. Counted
per kept (pixel, point) pair, M = sum over pixels of min(K, candidates): 6C + 30 FLOPs (forward
compositing 2C, backward dot product and feature gradient 4C, distances, weights and their
gradients about 30); bytes: the compulsory traffic, points and features read twice and their
gradients written once (3 N (3 + C)), the image, alpha and depth written and their gradients
read (2 H W (C + 2)), 4 bytes each.

    .venv/bin/python benchmarks/bench_splatting.py --out benchmarks/RESULTS.md

writes markdown tables into the "## Splatting" section of the output file (other sections
are kept as they are).
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SECTION = "## Splatting"
CHANNELS = 64
RADIUS = 4.0
# The full-resolution RGB case: (height, width, channels, radius, K).
FULL_RES = (360, 640, 3, 1.5, 8)
# Repeat a case while its runs so far took under this many seconds (at most MAX_REPEATS).
REPEAT_BUDGET_S = 2.0
MAX_REPEATS = 9


def scene(height: int, width: int, channels: int, generator):
    """Points (1, H*W, 3) one per pixel centre shifted by 3/z px along u, features (1, H*W, C)."""
    import torch

    from danr_renderer.geometry import pixel_centers

    z = 1.0 + 2.0 * torch.rand(height * width, generator=generator)
    uv = pixel_centers(height, width)
    uv = torch.stack([uv[:, 0] + 3.0 / z, uv[:, 1]], dim=-1)
    points = torch.cat([uv, z[:, None]], dim=-1)[None]
    features = torch.rand(1, height * width, channels, generator=generator)
    return points, features


def run_case(backend: str, height: int, width: int, channels: int, radius: float,
             points_per_pixel: int, threads: int) -> dict:
    """Inside the worker process: time forward + backward (median of the runs), peak memory."""
    import torch

    from danr_renderer.splatting import splat_points

    torch.set_num_threads(threads)
    generator = torch.Generator().manual_seed(0)

    def forward_backward(points, features, size):
        points, features = points.requires_grad_(), features.requires_grad_()
        # The outputs' gradients are made before the clock starts, so that the backward
        # column is the splat's own backward and not also a loss's (forming a loss on the
        # 16 MB image and its backward took 10-37 ms at 256x256, C = 64).
        grad_image = torch.rand(1, channels, *size, generator=generator)
        grad_alpha = torch.full((1, 1, *size), 1.0 / (size[0] * size[1]))
        start = time.perf_counter()
        result = splat_points(points, features, size, radius=radius,
                              points_per_pixel=points_per_pixel, backend=backend)
        middle = time.perf_counter()
        torch.autograd.backward((result.image, result.alpha), (grad_image, grad_alpha))
        return middle - start, time.perf_counter() - middle

    forward_backward(*scene(16, 16, channels, generator), (16, 16))  # lazy initialisation
    points, features = scene(height, width, channels, generator)
    rss_before_mb = _current_rss_mb()
    cpu_before = _cpu_seconds()
    runs = [forward_backward(points.clone(), features.clone(), (height, width))]
    cpu_s = _cpu_seconds() - cpu_before
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # first run's
    while sum(map(sum, runs)) < REPEAT_BUDGET_S and len(runs) < MAX_REPEATS:
        runs.append(forward_backward(points.clone(), features.clone(), (height, width)))
    flops, nbytes, kept = case_work(height, width, channels, radius, points_per_pixel)
    return {"flops": flops, "bytes": nbytes, "pairs": kept,
            "forward_s": statistics.median(run[0] for run in runs),
            "backward_s": statistics.median(run[1] for run in runs),
            "total_s": statistics.median(sum(run) for run in runs),
            "best_forward_s": min(run[0] for run in runs),
            "runs": len(runs), "cpu_s": cpu_s,
            "rss_before_mb": rss_before_mb, "peak_rss_mb": peak_rss_mb}


def case_work(height: int, width: int, channels: int, radius: float,
              points_per_pixel: int) -> tuple[float, float, int]:
    """(FLOPs, bytes, kept pairs M) of one forward + backward of the case (module docstring)."""
    import torch

    from danr_renderer.splatting.torch_backend import _candidate_pairs

    points, _ = scene(height, width, 1, torch.Generator().manual_seed(0))
    u, v, _ = points[0].unbind(-1)
    _, pixel = _candidate_pairs(u, v, height, width, radius)
    kept = int(torch.bincount(pixel, minlength=height * width).clamp(max=points_per_pixel).sum())
    num_points, num_pixels = points.shape[1], height * width
    flops = kept * (6.0 * channels + 30.0)
    elements = 3 * num_points * (3 + channels) + 2 * num_pixels * (channels + 2)
    return flops, 4.0 * elements, kept


def measure_peak(threads: int) -> tuple[float, float]:
    """(fp32 GEMM GFLOP/s, memory-copy GB/s counting read + write), best of a few runs."""
    import torch

    torch.set_num_threads(threads)
    n = 2048
    a, b = torch.rand(n, n), torch.rand(n, n)
    torch.mm(a, b)
    gemm_s = min(_timed(lambda: torch.mm(a, b)) for _ in range(5))
    src = torch.rand(64 * 2**20)  # 256 MiB
    dst = torch.empty_like(src)
    dst.copy_(src)
    copy_s = min(_timed(lambda: dst.copy_(src)) for _ in range(5))
    return 2.0 * n**3 / gemm_s / 1e9, 2.0 * src.numel() * 4 / copy_s / 1e9


def _timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


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
    from danr_renderer.splatting import native_available, pytorch3d_available

    return ((["native"] if native_available() else []) + ["torch"]
            + (["pytorch3d"] if pytorch3d_available() else []))


def machine_description() -> str:
    """The shared machine line, plus where PyTorch3D came from when it imports."""
    from results_file import machine_description as shared_machine_description

    description = shared_machine_description()
    try:
        import pytorch3d
    except ImportError:
        return description
    location = Path(pytorch3d.__file__).parent
    return description + f"; PyTorch3D {pytorch3d.__version__} from {location}"


def run_worker(args, backend, case) -> dict | str:
    """The case's stats from a subprocess, or the table text that replaces them."""
    worker = [sys.executable, __file__, "--threads", str(args.threads),
              "--worker", backend, *map(str, case)]
    try:
        done = subprocess.run(worker, capture_output=True, text=True, timeout=args.timeout,
                              check=True)
    except subprocess.TimeoutExpired:
        return f"timeout > {args.timeout:.0f} s"
    except subprocess.CalledProcessError as error:
        return "failed: " + (error.stderr.strip().splitlines() or ["?"])[-1]
    return json.loads(done.stdout.strip().splitlines()[-1])


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
    parser.add_argument("--torch-max-size", type=int, default=640,
                        help="skip larger images for the pure-torch backend")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per case")
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS,
                        metavar=("BACKEND", "H", "W", "C", "R", "K"))
    parser.add_argument("--notes", type=Path, default=None,
                        help="a markdown file whose text ends the section (notes on the run)")
    parser.add_argument("--peak-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.peak_worker:  # also lists the backends, so that the parent never imports torch
        print(json.dumps([*measure_peak(args.threads), available_backends(),
                          machine_description()]))
        return
    if args.worker:
        backend, height, width, channels, radius, k = args.worker
        stats = run_case(backend, int(height), int(width), int(channels), float(radius), int(k),
                         args.threads)
        print(json.dumps(stats))
        return

    command = "python benchmarks/bench_splatting.py " + " ".join(sys.argv[1:])
    # In a subprocess: a child inherits its parent's peak RSS (ru_maxrss), so the parent
    # stays small (it never imports torch).
    peak = subprocess.run([sys.executable, __file__, "--threads", str(args.threads),
                           "--peak-worker"], capture_output=True, text=True, check=True)
    gflops, gbps, importable, machine = json.loads(peak.stdout.strip().splitlines()[-1])
    backends = args.backends or importable
    print(f"peak: {gflops:.0f} GFLOP/s fp32 GEMM, {gbps:.1f} GB/s copy", flush=True)
    max_size = {"pytorch3d": args.pytorch3d_max_size, "torch": args.torch_max_size}

    def row(backend, case, label):
        height, width, channels, radius, k = case
        cells = f"| {backend} | {label} | {k} |"
        if max(height, width) > max_size.get(backend, 1 << 30):
            return f"{cells} not run (> --{backend}-max-size) | | | | | | |"
        stats = run_worker(args, backend, case)
        if isinstance(stats, str):
            return f"{cells} {stats} | | | | | | |"
        flops = stats["flops"]
        roofline_s = max(flops / (gflops * 1e9), stats["bytes"] / (gbps * 1e9))
        return (f"{cells} {stats['forward_s']:.3f} | {stats['backward_s']:.3f} | "
                f"{stats['cpu_s']:.2f} | {stats['peak_rss_mb'] / 1024:.2f} | "
                f"{(stats['peak_rss_mb'] - stats['rss_before_mb']) / 1024:.2f} | "
                f"{flops / 1e9:.2f} | {100 * roofline_s / stats['total_s']:.1f}% |")

    rows = []
    for backend in backends:
        for size in args.sizes:
            for k in args.ks:
                rows.append(row(backend, (size, size, CHANNELS, RADIUS, k), f"{size}x{size}"))
                print(rows[-1], flush=True)
    full_rows = []
    height, width, channels, radius, k = FULL_RES
    for backend in backends:
        full_rows.append(row(backend, FULL_RES, f"{width}x{height}, C = {channels}"))
        print(full_rows[-1], flush=True)

    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    missing = [name for name in ("native", "pytorch3d") if name not in backends]
    header = ("| backend | image | K | forward (s) | backward (s) | CPU time (s) | peak RSS (GB) "
              "| growth (GB) | GFLOP | share of peak |\n"
              "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    body = "\n".join([
        f"Command: `{command}` (threads: torch.set_num_threads({args.threads}))",
        f"Machine: {machine}; load average after the run: {load}",
        f"Measured peak in this run: {gflops:.0f} GFLOP/s (fp32 GEMM 2048^3), "
        f"{gbps:.1f} GB/s (256 MiB copy, read + write).",
        "",
        f"Scene: one point per pixel, z in [1, 3], shifted sideways by 3/z px; C = {CHANNELS}, "
        f"r = {RADIUS:g} px, batch 1. Wall-clock seconds of one forward and one backward "
        "(from given gradients of image and alpha: uniform in [0, 1) and 1 / (H W); no loss "
        "is formed inside the timing), the median over repeated runs (a case repeats "
        f"while its runs took under {REPEAT_BUDGET_S:g} s, at most {MAX_REPEATS}); the process "
        "CPU time (user + sys, all threads) of the first run; the peak RSS of the case's own "
        "process (ru_maxrss) after the first run and its growth during that run; the case's "
        "FLOPs and its share of the machine's peak, roofline time max(FLOPs / GEMM rate, "
        "bytes / copy rate) over the median forward + backward time (counting rules: the "
        "script's docstring).",
        "",
        header,
        *rows,
        "",
        f"Full-resolution RGB splat: {width}x{height}, one point per pixel (same scene), "
        f"C = {channels}, r = {radius:g} px, K = {k}, batch 1.",
        "",
        header,
        *full_rows,
        "",
        *(f"Backend '{name}' not measured: it does not import here." for name in missing),
        *([args.notes.read_text().strip()] if args.notes else []),
    ])
    from results_file import write_section  # imports torch: only after the workers ran

    write_section(args.out, SECTION, body)
    print(f"wrote the {SECTION!r} section of {args.out}")


if __name__ == "__main__":
    main()
