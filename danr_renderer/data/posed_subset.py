"""A subset of posed footage (RealEstate10K layout), e.g. the training side of a split.

`subset_posed_footage(root, out, keep)` writes OUT/cameras/<clip>.txt with only the rows whose
(clip, timestamp) `keep` accepts, and links their frame images and depth files (every folder
beside cameras/ and frames/, e.g. sparse_depth/) into OUT, so a renderer can train on part of
one posing run while the rest is held out with exactly the same poses. Clips left with fewer
than two frames are dropped. The input is never modified.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .realestate10k_cameras import read_camera_file, write_camera_file

__all__ = ["subset_posed_footage"]


def subset_posed_footage(root: str | os.PathLike, out: str | os.PathLike,
                         keep: Callable[[str, int], bool]) -> dict[str, int]:
    """Write the kept frames of `root` under `out` (module doc); returns frames kept per clip."""
    root, out = Path(root), Path(out)
    if root.resolve() == out.resolve():
        raise ValueError(f"{out}: the subset must go to another folder than its footage")
    kept_per_clip = {}
    for camera_file in sorted((root / "cameras").glob("*.txt")):
        clip = camera_file.stem
        rows = [row for row in read_camera_file(camera_file) if keep(clip, row.timestamp)]
        if len(rows) < 2:
            continue
        stamps = {str(row.timestamp) for row in rows}
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name != "cameras"):
            clip_dir = folder / clip
            if not clip_dir.is_dir():
                continue
            (out / folder.name / clip).mkdir(parents=True, exist_ok=True)
            for path in clip_dir.iterdir():
                link = out / folder.name / clip / path.name
                if path.stem in stamps and not link.exists():
                    link.symlink_to(path.resolve())
        (out / "cameras").mkdir(parents=True, exist_ok=True)
        write_camera_file(out / "cameras" / f"{clip}.txt", rows)
        kept_per_clip[clip] = len(rows)
    return kept_per_clip
