"""Speed of one detector training step of the Indoor study, per memory format of the backbone.

The study's detector (configs/study/centernet_effnet_320x192_na.py: CenterNet with the ImageNet
EfficientNet-Lite0, batch 8 at 320x192) built from its config with the backbone's
channels_last off and on: wall seconds of the backbone's forward + backward alone and of the
whole model's forward + backward (the head's losses on random boxes), median of --repeats after
one warm-up, at each --threads. The study runs one thread per detector.

    .venv/bin/python benchmarks/bench_detector_step.py --out benchmarks/RESULTS.md
"""
from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

import torch
from results_file import machine_description, publish

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "configs" / "study" / "centernet_effnet_320x192_na.py"
HEADING = "## Detector training step (backbone memory format)"
BATCH, HEIGHT, WIDTH = 8, 192, 320


def build_detector(channels_last: bool):
    """The study's CenterNet, in training mode, its backbone's channels_last as given."""
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.config import Config

    register_all_modules()
    import mmdet_plugin  # noqa: F401  (registers the backbone)

    cfg = Config.fromfile(str(CONFIG))
    cfg.model.backbone.channels_last = channels_last
    cfg.model.backbone.init_cfg = None  # the speed does not depend on the weights
    return MODELS.build(cfg.model).train()


def random_batch(model, generator: torch.Generator):
    """Inputs (B, 3, H, W) and data samples with 3 random boxes each, as the data
    preprocessor hands them to the model."""
    from mmdet.structures import DetDataSample
    from mmengine.structures import InstanceData

    inputs = torch.rand(BATCH, 3, HEIGHT, WIDTH, generator=generator) * 255
    samples = []
    for _ in range(BATCH):
        corner = torch.rand(3, 2, generator=generator) * torch.tensor([WIDTH - 60.0, HEIGHT - 60.0])
        size = 10 + torch.rand(3, 2, generator=generator) * 50
        sample = DetDataSample(metainfo=dict(img_shape=(HEIGHT, WIDTH), batch_input_shape=(HEIGHT, WIDTH),
                                             border=(0, HEIGHT, 0, WIDTH)))
        sample.gt_instances = InstanceData(bboxes=torch.cat([corner, corner + size], dim=1),
                                           labels=torch.randint(0, 7, (3,), generator=generator))
        samples.append(sample)
    return model.data_preprocessor(dict(inputs=list(inputs), data_samples=samples), training=True)


def seconds(step, repeats: int) -> float:
    """Median wall seconds of step() after one warm-up call."""
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(channels_last: bool, repeats: int) -> dict:
    """Backbone and whole-model forward + backward seconds for one memory format."""
    model = build_detector(channels_last)
    batch = random_batch(model, torch.Generator().manual_seed(0))
    images = batch["inputs"]

    def backbone_step():
        model.zero_grad(set_to_none=True)
        sum(feature.square().mean() for feature in model.backbone(images)).backward()

    def model_step():
        model.zero_grad(set_to_none=True)
        losses = model(images, batch["data_samples"], mode="loss")
        sum(value for name, value in losses.items() if "loss" in name).backward()

    return {"backbone": seconds(backbone_step, repeats), "model": seconds(model_step, repeats)}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", type=Path, default=None, help="RESULTS.md to write the section into")
    args = parser.parse_args(argv)
    rows = []
    for threads in args.threads:
        torch.set_num_threads(threads)
        default, fast = measure(False, args.repeats), measure(True, args.repeats)
        for part in ("backbone", "model"):
            rows.append(f"| {threads} | {part} | {default[part]:.3f} | {fast[part]:.3f} | "
                        f"{default[part] / fast[part]:.2f}x |")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    body = "\n".join([
        f"Machine: {machine_description()}; load average after the run: {load}.",
        "",
        f"The Indoor study's detector ({CONFIG.relative_to(REPO)}), batch {BATCH} at {WIDTH}x{HEIGHT}, "
        "random inputs and 3 random boxes per image: wall seconds of forward + backward, median of "
        f"{args.repeats} after a warm-up.",
        "",
        "| threads | part | NCHW (s) | channels_last (s) | speed-up |",
        "|---|---|---|---|---|",
        *rows,
    ])
    publish(args.out, HEADING, body, command="    .venv/bin/python benchmarks/bench_detector_step.py "
            "--out benchmarks/RESULTS.md")


if __name__ == "__main__":
    main()
