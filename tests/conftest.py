"""Suite-wide settings and fixtures."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def single_torch_thread():
    """The suite's tensors are small: one thread is as fast as two, and immune to the OpenMP
    spin-waits that make two threads crawl when the 2-core machine is shared (see the
    'Synthetic scenes' section of benchmarks/RESULTS.md)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def run_tool():
    """run_tool("tools/x.py", *args, check=True) runs a command-line tool of the repository as a
    user would (a fresh interpreter, from the repository root); returns the CompletedProcess
    with text stdout/stderr. With check=True a failure shows the tool's stderr."""

    def run(script: str, *args, check: bool = True, env: dict | None = None):
        completed = subprocess.run([sys.executable, str(REPO / script), *map(str, args)], cwd=REPO,
                                   capture_output=True, text=True, env=env)
        if check and completed.returncode != 0:
            raise AssertionError(f"{script} exited {completed.returncode}:\n{completed.stderr[-4000:]}")
        return completed

    return run


@pytest.fixture(scope="session")
def synthetic_posed_footage():
    """synthetic_posed_footage(out, size, seed, points) writes one synthetic clip laid out as
    posed footage, whose depth is exact: len(points) frames of size x size px, frame i with
    points[i] of its exact-depth pixels as its "SfM points" (sparse_depth/), and out/frames.json,
    the clip's COCO file naming frames as tools/pose_video.py does (clip 'scene0000' = group
    'scene' + '0000', timestamp = 'frame'). Returns (video root, frames.json)."""
    import json

    import numpy as np

    from danr_renderer.data.depth_points import read_depth_points, write_depth_points
    from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset

    def write(out: Path, size: int, seed: int, points: list[int]):
        write_synthetic_dataset(out, SyntheticDatasetSpec(num_scenes=1, views_per_scene=len(points), size=size,
                                                          seed=seed, write_depth=True))
        video = out / "video"
        for count, dense in zip(points, sorted((video / "depth").rglob("*.npz"), key=lambda p: int(p.stem))):
            uv, z = read_depth_points(dense)
            keep = np.random.default_rng(0).choice(len(z), count, replace=False)
            (video / "sparse_depth" / dense.parent.name).mkdir(parents=True, exist_ok=True)
            write_depth_points(video / "sparse_depth" / dense.parent.name / dense.name, uv[keep], z[keep])
        coco = json.loads((out / "detection" / "annotations.json").read_text())
        for image in coco["images"]:
            image["scene"], image["frame"] = image["scene"].removeprefix("scene"), image["frame"] * 33333
        (out / "frames.json").write_text(json.dumps(coco))
        return video, out / "frames.json"

    return write
