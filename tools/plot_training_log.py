"""Plot the loss curves of one or more MMEngine training runs into a PNG.

    python tools/plot_training_log.py WORK_DIR/<timestamp>/vis_data/scalars.json [...] \
        --keys loss_l1 loss_content loss_gan loss_d --out curves.png

Each scalars.json is the per-logging-interval record MMEngine writes (one JSON object a line,
with "iter" or "step"). Several files are drawn one after the other on a single iteration axis,
in the order given, so a run continued in a second work dir (e.g. load_from a first stage)
reads as one curve; a dashed line marks where each later file starts.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_scalars(path: Path) -> list[dict]:
    """The training records (those with a loss) of a scalars.json, in file order."""
    records = []
    with open(path, encoding="utf-8") as handle:
        for line_number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                raise SystemExit(f"{path}:{line_number}: not a JSON record") from None
            if "loss" in record:
                records.append(record)
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scalars", type=Path, nargs="+", help="scalars.json files, in training order")
    parser.add_argument("--keys", nargs="+", default=["loss"], help="logged values to plot")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)

    figure, axes = plt.subplots(len(args.keys), 1, figsize=(7, 2.2 * len(args.keys)), sharex=True, squeeze=False)
    offset, starts = 0, []
    for path in args.scalars:
        records = read_scalars(path)
        if not records:
            print(f"{path}: no training records", file=sys.stderr)
            return 1
        iterations = [offset + record.get("iter", record.get("step")) for record in records]
        for axis, key in zip(axes[:, 0], args.keys):
            points = [(i, r[key]) for i, r in zip(iterations, records) if key in r]
            if points:
                axis.plot(*zip(*points), color="tab:blue", linewidth=1)
        if offset:
            starts.append(offset)
        offset = iterations[-1]
    for axis, key in zip(axes[:, 0], args.keys):
        axis.set_ylabel(key)
        axis.grid(alpha=0.3)
        for start in starts:
            axis.axvline(start, color="gray", linestyle="--", linewidth=1)
    axes[-1, 0].set_xlabel("iteration")
    figure.tight_layout()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(args.out, dpi=110)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
