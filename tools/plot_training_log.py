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
import sys
from pathlib import Path

from danr_renderer.training_log import TrainingLogError, plot_training_curves


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scalars", type=Path, nargs="+", help="scalars.json files, in training order")
    parser.add_argument("--keys", nargs="+", default=["loss"], help="logged values to plot")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        plot_training_curves(args.scalars, args.keys, args.out)
    except TrainingLogError as error:
        print(f"plot_training_log.py: error: {error}", file=sys.stderr)
        return 1
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
