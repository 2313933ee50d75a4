"""The renderer checkpoints shipped in the repository's `checkpoints/` folder.

The paths assume the project is used from its checkout (`pip install -e .`, as the Makefile does);
tools take `--checkpoint` for any other file.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["CHECKPOINT_DIR", "DEMO_CHECKPOINT"]

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"
# Trained on synthetic rooms only, on CPU (benchmarks/RESULTS.md): the checkpoint of `make demo`.
DEMO_CHECKPOINT = CHECKPOINT_DIR / "danr_synthetic_demo.pth"
