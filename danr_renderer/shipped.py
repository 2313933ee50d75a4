"""The renderer checkpoints shipped in the repository's `checkpoints/` folder.

The paths assume the project is used from its checkout (`pip install -e .`, as the Makefile does);
tools take `--checkpoint` for any other file.
"""
from __future__ import annotations

from pathlib import Path

__all__ = ["CHECKPOINT_DIR", "DEMO_CHECKPOINT", "INDOOR_VIDEO_CHECKPOINT"]

CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "checkpoints"
# Trained on synthetic rooms only, on CPU (benchmarks/RESULTS.md): the checkpoint of `make demo`.
DEMO_CHECKPOINT = CHECKPOINT_DIR / "danr_synthetic_demo.pth"
# For real photographs, the default of tools/augment_dataset.py: configs/renderer/
# indoor_video_lite0_frozen_128.py after indoor_depth_lite0_128.py (scripts/train_indoor_renderer.sh),
# trained on the unlabelled Indoor frames (CC BY 4.0, Adhikari et al.) minus the last 20% of every
# sequence; it has seen most Indoor frames, so the Indoor study trains its own renderers.
INDOOR_VIDEO_CHECKPOINT = CHECKPOINT_DIR / "danr_indoor_video.pth"
