"""Benchmark of the synthetic scene renderer: views per second at a given size.

Renders the first views of several scenes' camera paths (scene generation and path sampling
are not timed; one warm-up view is) for each torch thread count, each in its own process, and
reports views/s and the process CPU time per view. Multi-thread cases run once per OpenMP wait
policy: with more runnable jobs than cores, OpenMP's default spin-waiting at the end of every
parallel op can make small-tensor work like this far slower. The machine's load average is
printed beside the numbers because other jobs on a shared machine change wall times a lot
(CPU time much less).

    .venv/bin/python benchmarks/bench_synthetic.py --size 256 --views 60 --out benchmarks/RESULTS.md

With --out, writes the "## Synthetic scenes" section of that markdown file (other sections are
kept as they are).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
from results_file import machine_description, publish

REPO = Path(__file__).resolve().parent.parent

from danr_renderer.geometry import default_intrinsics
from danr_renderer.synthetic import (
    camera_trajectory,
    generate_scene,
    render_view,
    scene_seed,
    trajectory_seed,
)

SECTION = "## Synthetic scenes"
SCENES = 6


def views_per_second(size: int, num_views: int, threads: int, seed: int) -> tuple[float, float]:
    """(views per wall-clock second, CPU seconds per view) with `threads` torch threads."""
    torch.set_num_threads(threads)
    K = default_intrinsics(size, size, dtype=torch.float64)
    jobs = []
    per_scene = -(-num_views // SCENES)
    for index in range(SCENES):
        scene = generate_scene(scene_seed(seed, index))
        poses = camera_trajectory(scene, per_scene, trajectory_seed(seed, index))
        jobs += [(scene, pose) for pose in poses]
    jobs = jobs[:num_views]
    render_view(jobs[0][0], jobs[0][1], K, size, size)  # warm-up
    start, cpu_start = time.perf_counter(), time.process_time()
    for scene, pose in jobs:
        render_view(scene, pose, K, size, size)
    return len(jobs) / (time.perf_counter() - start), (time.process_time() - cpu_start) / len(jobs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--views", type=int, default=60)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--wait-policies",
        nargs="+",
        default=["default", "PASSIVE"],
        help="OMP_WAIT_POLICY values to run multi-thread cases with ('default' = unset)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--out", type=Path, default=None, help="markdown file to write the section into"
    )
    parser.add_argument("--worker", nargs=2, metavar=("THREADS", "POLICY"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.worker:
        rate, cpu_seconds = views_per_second(args.size, args.views, int(args.worker[0]), args.seed)
        print(json.dumps({"rate": rate, "cpu": cpu_seconds}))
        return

    rows = []
    for threads in args.threads:
        # One thread never waits at a barrier, so the wait policy only matters above one.
        for policy in args.wait_policies if threads > 1 else ["default"]:
            env = dict(os.environ)
            env.pop("OMP_WAIT_POLICY", None)
            if policy != "default":
                env["OMP_WAIT_POLICY"] = policy
            command = [
                sys.executable,
                __file__,
                "--size",
                str(args.size),
                "--views",
                str(args.views),
                "--seed",
                str(args.seed),
                "--worker",
                str(threads),
                policy,
            ]
            load_before = os.getloadavg()[0]
            result = json.loads(
                subprocess.run(command, env=env, check=True, capture_output=True, text=True)
                .stdout.strip()
                .splitlines()[-1]
            )
            load_after = os.getloadavg()[0]
            rows.append(
                f"| {threads} | {policy} | {result['rate']:.1f} | {1000.0 / result['rate']:.1f} "
                f"| {1000.0 * result['cpu']:.1f} | {1.0 / result['cpu']:.1f} "
                f"| {load_before:.1f} / {load_after:.1f} |"
            )
            print(rows[-1], flush=True)

    command = "    .venv/bin/python " + " ".join(["benchmarks/bench_synthetic.py", *sys.argv[1:]])
    body = "\n".join(
        [
            f"render_view of {args.views} views of {SCENES} scenes (seed {args.seed}), "
            f"{args.size}x{args.size} px, RGB + depth + instance ids + boxes; "
            "generation and camera paths not timed. Machine: " + machine_description() + ".",
            "",
            "| torch threads | OMP_WAIT_POLICY | views/s | wall ms/view "
            "| CPU ms/view (all threads) | 1000 / CPU ms | 1-min load avg before / after |",
            "|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Wall-clock rates depend on what else runs on the machine (see the load average). "
            "1000 / CPU ms is the rate the measured CPU time per view allows when the process has "
            "its cores to itself (for 2 threads it also counts OpenMP spin-waiting).",
        ]
    )
    publish(args.out, SECTION, body, command)


if __name__ == "__main__":
    main()
