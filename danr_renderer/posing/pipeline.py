"""Posing clips end to end: stage frames, run pycolmap, keep good models, scale, write, resume.

For each FootageClip, under the output folder OUT:

1. its readable frames are staged as OUT/.posing/<clip>/images/<position>.png (position in the
   clip, zero-padded, so name order is time order); unreadable frames and frames whose size
   differs from the clip's first readable frame are reported and left out;
2. colmap_sfm extracts SIFT, matches frames within the window, finds cuts and maps every part
   between cuts;
3. models that are degenerate (models.degenerate_reason) are dropped with one line each, and a
   frame registered by two models stays only in the larger;
4. the kept models, in time order of their first frame, become clips <clip>_a, <clip>_b, ...
   scaled by the one scale rule (scale.py) and written by export.write_posed_clip.

A clip that cannot be posed gets one line (ClipSummary.failure) and the run goes on. Resuming:
OUT/.posing/<clip>/summary.json marks a finished clip (skipped next time with the same
settings); an unfinished clip is redone, reusing the features and matches already in its COLMAP
database, and its outputs from an earlier attempt (<clip>_<letters>) are replaced.
"""
from __future__ import annotations

import json
import math
import re
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..atomic_io import atomic_write_json
from ..data.image_io import write_image_atomic
from . import colmap_sfm
from .export import clip_paths, write_posed_clip
from .models import PosedModel, degenerate_reason, keep_each_frame_once, posed_model_from_reconstruction
from .scale import scale_to_synthetic
from .settings import PosingSettings
from .sources import FootageClip

__all__ = ["ModelSummary", "ClipSummary", "pose_clips", "model_suffix"]


@dataclass
class ModelSummary:
    """One written clip (a kept model): name, frames, SfM points, mean reprojection error (px),
    focal (px), horizontal field of view (degrees), distortion k and the scale factor applied."""

    name: str
    frames: int
    points: int
    reprojection_error: float
    focal_px: float
    hfov_deg: float
    k: float
    scale: float
    first_timestamp: int
    last_timestamp: int


@dataclass
class ClipSummary:
    """What became of one input clip. `failure` is the one line of a clip that could not be posed
    (None otherwise); `problems` lists frames left out and models dropped."""

    name: str
    frames_total: int
    frames_readable: int = 0
    cuts: int = 0
    models: list[ModelSummary] = field(default_factory=list)
    unregistered: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    failure: str | None = None
    wall_time_s: float = 0.0
    resumed: bool = False

    @property
    def frames_registered(self) -> int:
        return sum(model.frames for model in self.models)

    def lines(self) -> list[str]:
        """Human-readable summary: one line for the clip, one per written clip."""
        if self.failure is not None:
            return [f"{self.name}: cannot be posed: {self.failure} ({self.wall_time_s:.1f} s)"]
        head = (
            f"{self.name}: {self.frames_registered} of {self.frames_total} frames registered in "
            f"{len(self.models)} clip(s), {self.cuts} cut(s), {self.wall_time_s:.1f} s"
            + (" (finished earlier)" if self.resumed else "")
        )
        return [head] + [
            f"  {m.name}: {m.frames} frames, {m.points} points, reprojection error "
            f"{m.reprojection_error:.2f} px, focal {m.focal_px:.1f} px ({m.hfov_deg:.1f} deg), "
            f"k {m.k:+.4f}, scale x{m.scale:.3g}"
            for m in self.models
        ]

    @classmethod
    def from_dict(cls, data: dict) -> "ClipSummary":
        data = dict(data)
        data["models"] = [ModelSummary(**model) for model in data.get("models", [])]
        return cls(**data)


def model_suffix(index: int) -> str:
    """0 -> 'a', 25 -> 'z', 26 -> 'aa', ... (spreadsheet-column letters)."""
    letters = ""
    index += 1
    while index > 0:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("a") + remainder) + letters
    return letters


def source_clip(posed_clip: str) -> str:
    """The footage clip a posed clip came from: 'sequence3_b' -> 'sequence3' (model_suffix
    undone); a name without such a suffix (footage posed elsewhere) is its own source."""
    return re.sub("_[a-z]+$", "", posed_clip)


def _stage(clip: FootageClip, image_dir: Path, summary: ClipSummary) -> dict[str, int]:
    """Write the clip's readable frames into image_dir; returns {staged name: timestamp}."""
    image_dir.mkdir(parents=True, exist_ok=True)
    staged, size = {}, None
    digits = max(6, len(str(len(clip.frames))))
    for position, decoded in enumerate(clip.read_frames()):
        if decoded.rgb is None:
            summary.problems.append(f"unreadable frame left out: {decoded.problem}")
            continue
        if size is None:
            size = decoded.rgb.shape[:2]
        elif decoded.rgb.shape[:2] != size:
            summary.problems.append(
                f"frame left out: {decoded.frame.label} is {decoded.rgb.shape[1]}x"
                f"{decoded.rgb.shape[0]}, the clip's frames are {size[1]}x{size[0]}"
            )
            continue
        name = f"{position:0{digits}d}.png"
        if not (image_dir / name).is_file():
            write_image_atomic(image_dir / name, decoded.rgb)
        staged[name] = decoded.frame.timestamp
    return staged


def _frame_label(clip: FootageClip, name: str) -> str:
    """Label (path) of the clip's frame staged as `name` (its position in the clip)."""
    return clip.frames[int(Path(name).stem)].label


def _segments(names: list[str], cuts: list[int]) -> list[list[str]]:
    bounds = [0, *cuts, len(names)]
    return [names[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _models_of_clip(
    names: list[str], work: Path, settings: PosingSettings, summary: ClipSummary, bar: tqdm
) -> list[PosedModel]:
    database, image_dir = work / "database.db", work / "images"
    bar.set_postfix_str(f"{summary.name}: features and matches")
    colmap_sfm.extract_and_match(image_dir, names, database, settings)
    links = colmap_sfm.linked_pairs(database, settings.min_pair_inliers)
    cuts = colmap_sfm.find_cuts(names, links)
    summary.cuts = len(cuts)
    models = []
    for number, segment in enumerate(_segments(names, cuts)):
        if len(segment) < settings.min_frames:
            continue
        bar.set_postfix_str(f"{summary.name}: mapping part {number + 1} of {len(cuts) + 1}")
        shutil.rmtree(work / "sparse" / str(number), ignore_errors=True)
        for reconstruction in colmap_sfm.map_segment(
            database, image_dir, segment, work / "sparse" / str(number), settings
        ):
            model = posed_model_from_reconstruction(reconstruction)
            reason = degenerate_reason(model, settings)
            if reason is None:
                models.append(model)
            else:
                summary.problems.append(f"model of frames {model.names[0]}..{model.names[-1]} dropped: {reason}")
    kept = []
    for model in keep_each_frame_once(models):
        reason = degenerate_reason(model, settings)
        if reason is None:
            kept.append(model)
        elif model.num_frames:
            summary.problems.append(f"model dropped after removing frames shared with a larger one: {reason}")
    return sorted(kept, key=lambda model: model.names[0])


def _remove_earlier_outputs(out: Path, clip: str) -> None:
    pattern = re.compile(rf"^{re.escape(clip)}_[a-z]+$")
    for camera_file in (out / "cameras").glob(f"{clip}_*.txt"):
        if pattern.match(camera_file.stem):
            for path in clip_paths(out, camera_file.stem):
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    for folder in ("frames", "sparse_depth"):
        for path in (out / folder).glob(f"{clip}_*"):
            if pattern.match(path.name):
                shutil.rmtree(path, ignore_errors=True)


def _model_summary(name: str, model: PosedModel, scale: float, timestamps: dict[str, int]) -> ModelSummary:
    return ModelSummary(
        name=name, frames=model.num_frames, points=len(model.points),
        reprojection_error=model.reprojection_error, focal_px=model.fx,
        hfov_deg=math.degrees(2 * math.atan(model.width / (2 * model.fx))), k=model.k, scale=scale,
        first_timestamp=timestamps[model.names[0]], last_timestamp=timestamps[model.names[-1]],
    )


def _pose_one(clip: FootageClip, out: Path, work: Path, settings: PosingSettings, bar: tqdm) -> ClipSummary:
    summary = ClipSummary(clip.name, frames_total=len(clip.frames))
    bar.set_postfix_str(f"{clip.name}: reading frames")
    timestamps = _stage(clip, work / "images", summary)
    summary.frames_readable = len(timestamps)
    if len(timestamps) < settings.min_frames:
        summary.failure = f"{len(timestamps)} readable frames (need at least {settings.min_frames})"
        return summary
    names = sorted(timestamps)
    models = _models_of_clip(names, work, settings, summary, bar)
    _remove_earlier_outputs(out, clip.name)
    if not models:
        summary.failure = (
            f"no model of {settings.min_frames} or more frames registered "
            f"({len(names)} frames, {summary.cuts} cut(s); too little texture or overlap?)"
        )
        summary.unregistered = [_frame_label(clip, n) for n in names]
        return summary
    registered = set()
    for index, model in enumerate(models):
        name = f"{clip.name}_{model_suffix(index)}"
        scaled, factor = scale_to_synthetic(model)
        write_posed_clip(out, name, scaled, work / "images", timestamps)
        summary.models.append(_model_summary(name, scaled, factor, timestamps))
        registered.update(model.names)
    summary.unregistered = [_frame_label(clip, n) for n in names if n not in registered]
    return summary


def _stored_settings(path: Path) -> dict | None:
    """Settings a clip was posed with, fields added to PosingSettings since taking their
    defaults; None when the file is unreadable or has fields PosingSettings no longer has."""
    try:
        stored = json.loads(path.read_text())
        return PosingSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in stored.items()}).as_dict()
    except (OSError, ValueError, TypeError):
        return None


def pose_clips(
    clips: list[FootageClip], out: str | Path, settings: PosingSettings, keep_work: bool = False
) -> list[ClipSummary]:
    """Pose every clip into `out` (see the module docstring); returns one summary per clip and
    writes them all to out/posing_summary.json. Work files of a finished clip (staged frames,
    COLMAP database) are deleted unless keep_work."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    summaries = []
    bar = tqdm(clips, desc="clips", unit="clip")
    for clip in bar:
        work = out / ".posing" / clip.name
        marker, settings_file = work / "summary.json", work / "settings.json"
        same_settings = settings_file.is_file() and _stored_settings(settings_file) == settings.as_dict()
        if marker.is_file() and same_settings:
            summary = ClipSummary.from_dict(json.loads(marker.read_text()))
            summary.resumed = True
        else:
            if settings_file.is_file() and not same_settings:
                shutil.rmtree(work)  # features of other settings cannot be reused
            work.mkdir(parents=True, exist_ok=True)
            atomic_write_json(settings_file, settings.as_dict())
            start = time.perf_counter()
            try:
                summary = _pose_one(clip, out, work, settings, bar)
            except Exception as error:  # noqa: BLE001 - one clip's failure must not stop the run
                summary = ClipSummary(clip.name, frames_total=len(clip.frames))
                summary.failure = f"{type(error).__name__}: {error}"
            summary.wall_time_s = time.perf_counter() - start
            atomic_write_json(marker, asdict(summary), indent=1)
            if not keep_work:
                shutil.rmtree(work / "images", ignore_errors=True)
                shutil.rmtree(work / "sparse", ignore_errors=True)
                (work / "database.db").unlink(missing_ok=True)
        for line in summary.lines():
            tqdm.write(line)
        summaries.append(summary)
    atomic_write_json(out / "posing_summary.json", [asdict(s) for s in summaries], indent=1)
    return summaries

