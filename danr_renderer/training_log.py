"""Reading MMEngine's per-interval training records and drawing their curves.

A scalars.json (WORK_DIR/<timestamp>/vis_data/scalars.json) holds one JSON object a line, each
with "iter" or "step": training records (those with a "loss") and validation records (metrics
such as "coco/bbox_mAP", at the iteration in "step" for iteration-based loops).
"""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["TrainingLogError", "plot_training_curves", "read_scalars"]


class TrainingLogError(ValueError):
    """A scalars file that cannot be read or holds no training record (the message names it)."""


def read_scalars(path: Path) -> list[dict]:
    """Every record of a scalars.json, training and validation, in file order."""
    records = []
    try:
        with open(path, encoding="utf-8") as handle:
            for line_number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    raise TrainingLogError(f"{path}:{line_number}: not a JSON record") from None
                records.append(record)
    except OSError as error:
        raise TrainingLogError(f"{path}: cannot read ({error.strerror})") from None
    return records


def plot_training_curves(paths: list[Path], keys: list[str], out: Path) -> None:
    """One panel per key; the files are drawn one after the other on a single iteration axis,
    in the order given (a dashed line marks where each later file starts), written as a PNG.
    A key may be logged in training records (a line) or in validation records (a line with
    markers, e.g. the holdout mAP); each file's span ends at its last training iteration."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(len(keys), 1, figsize=(7, 2.2 * len(keys)), sharex=True, squeeze=False)
    offset, starts = 0, []
    for path in paths:
        records = read_scalars(path)
        if not any("loss" in record for record in records):
            raise TrainingLogError(f"{path}: no training records")
        iterations = [offset + record.get("iter", record.get("step")) for record in records]
        for axis, key in zip(axes[:, 0], keys):
            points = [(i, r[key]) for i, r in zip(iterations, records) if key in r]
            training = all("loss" in r for r in records if key in r)
            if points:
                axis.plot(*zip(*points), color="tab:blue", linewidth=1, marker=None if training else "o")
        if offset:
            starts.append(offset)
        offset = max(i for i, r in zip(iterations, records) if "loss" in r)
    for axis, key in zip(axes[:, 0], keys):
        axis.set_ylabel(key)
        axis.grid(alpha=0.3)
        for start in starts:
            axis.axvline(start, color="gray", linestyle="--", linewidth=1)
    axes[-1, 0].set_xlabel("iteration")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=110)
    plt.close(figure)
