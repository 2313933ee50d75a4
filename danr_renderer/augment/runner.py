"""The offline augmentation run: every source image of a COCO set -> rendered views + boxes.

One run (or shard i of n: the source images whose id % n == i) goes through its images in
id order. Per image: read and convert it, fit its boxes to it, render its views, carry the
boxes, write the view JPEGs, then write its record (records.py). A resumed run skips images
whose record is finished, so a run killed at any point and resumed ends with the same files
as an uninterrupted one; a single (1-of-1) run then assembles OUT/annotations.json.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from tqdm import tqdm

from ..boxes import METHODS
from ..data.coco_io import (
    CocoFormatError,
    SourceBox,
    SourceImage,
    fit_boxes_to_image,
    read_coco_detection,
)
from ..data.image_io import ImageReadError, read_image_rgb, write_image_atomic
from ..renderer import NovelViewRenderer
from .assemble import summarize_records, write_annotations
from .border import BORDER_POLICIES
from .camera import CameraError, Intrinsics, read_image_intrinsics
from .depth_upsample import DEPTH_UPSAMPLING
from .records import (
    ANNOTATIONS_NAME,
    IMAGES_DIR,
    PARTS_DIR,
    RUNS_DIR,
    file_sha256,
    fingerprint_digest,
    manifest_path,
    output_stems,
    part_is_finished,
    read_manifests,
    read_part,
    remove_stale_temporaries,
    view_file_name,
    write_manifest,
    write_part,
)
from .render_image import RENDER_MODES, RenderedView, render_image_views
from .super_resolution import PixelSuperResolver, SuperResolutionUnavailable
from .views import ViewPlan, ViewSpecError, parse_view_plan

__all__ = ["AugmentSettings", "AugmentSummary", "AugmentError", "load_renderer", "run_augmentation"]

FORMAT_VERSION = 1
# tqdm's default turns slow rates into s/img; images/s reads the same at every speed.
PROGRESS_FORMAT = "{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}]"


class AugmentError(Exception):
    """The run cannot go on: unusable input, bad settings, or an output folder conflict."""


@dataclass(frozen=True)
class AugmentSettings:
    """Everything a run needs. shard_index in 0..shard_count-1; batch_size counts views per
    renderer call (the encoder runs once per image). mode: render_image.RENDER_MODES; border:
    border.BORDER_POLICIES; render_scale: PointSS factor s applied to the checkpoint's renderer;
    camera: (fx, fy, cx, cy) source pixels for images whose COCO entry has no "intrinsics"
    (None: the 60-degree default)."""

    ann_file: Path
    img_dir: Path
    out_dir: Path
    checkpoint: Path
    views: str = "paper4"
    render_size: int = 128
    batch_size: int = 4
    device: str = "cpu"
    seed: int = 0
    shard_index: int = 0
    shard_count: int = 1
    resume: bool = False
    min_visible: float = 0.5
    box_method: str = "object_plane"
    jpeg_quality: int = 95
    mode: str = "composite"
    border: str = "inpaint"
    render_scale: int = 1
    camera: Intrinsics | None = None
    depth_upsampling: str = "bilinear"


@dataclass
class AugmentSummary:
    """Outcome of one run over its shard (counts include images finished by earlier runs)."""

    sources: int = 0
    rendered_now: int = 0
    skipped_done: int = 0
    sources_ok: int = 0
    sources_failed: int = 0
    views: int = 0
    boxes_kept: int = 0
    boxes_dropped: dict = field(default_factory=dict)
    input_problems: int = 0
    wall_seconds: float = 0.0
    annotations: Path | None = None

    def lines(self) -> list[str]:
        dropped = ", ".join(f"{k} {v}" for k, v in self.boxes_dropped.items()) or "none"
        return [
            f"source images: {self.sources} ({self.rendered_now} rendered now, "
            f"{self.skipped_done} already done), {self.sources_failed} failed",
            f"views written: {self.views}",
            f"boxes kept: {self.boxes_kept}; dropped: {dropped}",
            f"input problems reported: {self.input_problems}",
            f"wall time: {self.wall_seconds:.1f} s",
            f"annotations: {self.annotations}" if self.annotations else
            "annotations: not assembled (shard run); join shards with the merge command",
        ]


def _validate(settings: AugmentSettings) -> None:
    if not 0 <= settings.shard_index < settings.shard_count:
        raise AugmentError(
            f"--shard {settings.shard_index}/{settings.shard_count}: need 0 <= i < n"
        )
    if settings.render_size < 8:
        raise AugmentError(f"--render-size must be at least 8, got {settings.render_size}")
    if settings.batch_size < 1:
        raise AugmentError(f"--batch-size must be at least 1, got {settings.batch_size}")
    if not 0.0 <= settings.min_visible <= 1.0:
        raise AugmentError(f"--min-visible must be in [0, 1], got {settings.min_visible}")
    for name, value, choices in (("--mode", settings.mode, RENDER_MODES),
                                 ("--border", settings.border, BORDER_POLICIES),
                                 ("--depth-upsampling", settings.depth_upsampling, DEPTH_UPSAMPLING)):
        if value not in choices:
            raise AugmentError(f"{name} {value!r}: choose one of {choices}")
    if settings.render_scale < 1:
        raise AugmentError(f"--render-scale must be an integer >= 1, got {settings.render_scale}")
    if settings.box_method not in METHODS:
        raise AugmentError(f"--box-method {settings.box_method!r}: choose one of {METHODS}")
    if not settings.checkpoint.is_file():
        raise AugmentError(
            f"checkpoint {settings.checkpoint} not found: pass --checkpoint PATH to a renderer "
            "checkpoint (a {'config', 'state_dict'} file written by NovelViewRenderer."
            "save_checkpoint)"
        )
    if not settings.img_dir.is_dir():
        raise AugmentError(f"image folder {settings.img_dir} not found")
    _check_input_untouched(settings)


def _overlaps(a: Path, b: Path) -> bool:
    return a == b or a in b.parents or b in a.parents


def _check_input_untouched(settings: AugmentSettings) -> None:
    """Refuse output locations that would write into the input images or annotation file."""
    img_dir = settings.img_dir.resolve()
    out_dir = settings.out_dir.resolve()
    written = [out_dir / folder for folder in (IMAGES_DIR, PARTS_DIR, RUNS_DIR)]
    if img_dir in out_dir.parents or img_dir == out_dir or any(
        _overlaps(img_dir, folder) for folder in written
    ):
        raise AugmentError(
            f"--out-dir {settings.out_dir} would write into the image folder "
            f"{settings.img_dir}, which is never written to; choose another --out-dir"
        )
    if settings.ann_file.resolve() == out_dir / ANNOTATIONS_NAME:
        raise AugmentError(
            f"--out-dir {settings.out_dir} would overwrite the input {settings.ann_file}"
        )


def _fingerprint(settings: AugmentSettings, plan_description: dict) -> dict:
    """The settings that determine the output files (not device, batch size or paths)."""
    return {
        "format_version": FORMAT_VERSION,
        "ann_file_sha256": file_sha256(settings.ann_file),
        "checkpoint_sha256": file_sha256(settings.checkpoint),
        "views": plan_description,
        "render_size": settings.render_size,
        "seed": settings.seed,
        "min_visible": settings.min_visible,
        "box_method": settings.box_method,
        "jpeg_quality": settings.jpeg_quality,
        "mode": settings.mode,
        "border": settings.border,
        "render_scale": settings.render_scale,
        "camera": None if settings.camera is None else list(settings.camera),
        "depth_upsampling": settings.depth_upsampling,
    }


def _prepare_out_dir(settings: AugmentSettings, manifest: dict) -> None:
    out_dir = settings.out_dir
    existing = read_manifests(out_dir) if (out_dir / RUNS_DIR).is_dir() else []
    if existing and not settings.resume:
        raise AugmentError(
            f"{out_dir} already holds an augmentation run; add --resume to finish it or "
            "choose another --out-dir"
        )
    own = manifest_path(out_dir, settings.shard_index, settings.shard_count)
    for other in existing:
        if other["fingerprint"] != manifest["fingerprint"]:
            changed = sorted(
                key for key in manifest["fingerprint"]
                if other["fingerprint"].get(key) != manifest["fingerprint"][key]
            )
            raise AugmentError(
                f"{out_dir} holds a run (shard {other['shard'][0]}/{other['shard'][1]}) made "
                f"with other settings ({', '.join(changed)} differ); resume with the same "
                "settings or choose another --out-dir"
            )
    for folder in (IMAGES_DIR, PARTS_DIR, RUNS_DIR):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(out_dir)
    if not own.is_file():
        write_manifest(out_dir, manifest)


def _view_record(item: RenderedView, boxes: list[SourceBox], file_name: str) -> dict:
    """The record entry of one written view: its pose, kept boxes ([x, y, w, h] rounded to
    0.01 px) and the count of dropped boxes per reason."""
    kept, dropped = [], {}
    for box, target, visible, reason in zip(
        boxes, item.carried.boxes, item.carried.visible, item.carried.drop_reasons
    ):
        if reason is not None:
            dropped[reason] = dropped.get(reason, 0) + 1
            continue
        x1, y1, x2, y2 = (round(float(v), 2) for v in target)
        kept.append({
            "bbox": [x1, y1, round(x2 - x1, 2), round(y2 - y1, 2)],
            "category_id": box.category_id,
            "iscrowd": box.iscrowd,
            "source_annotation_id": box.annotation_id,
            "visible": round(float(visible), 4),
        })
    return {
        "view_index": item.view.index,
        "file_name": file_name,
        "rotvec": list(item.view.rotvec),
        "translation": list(item.view.translation),
        "boxes": kept,
        "dropped": dict(sorted(dropped.items())),
    }


def _process_image(
    image: SourceImage,
    stem: str,
    settings: AugmentSettings,
    plan: ViewPlan,
    renderer: NovelViewRenderer,
    super_resolver: PixelSuperResolver | None,
    intrinsics: Intrinsics | None,
    digest: str,
    known_problems: list[str],
    report: Callable[[str], None],
) -> dict:
    """Render one source image's views, write them, then its record; returns the record.

    known_problems: lines about this image found while reading the annotation file; they
    are reported and kept in the record with those found here."""
    record = {
        "source_image_id": image.id,
        "source_file_name": image.file_name,
        "fingerprint": digest,
        "status": "ok",
        "width": None,
        "height": None,
        "problems": list(known_problems),
        "views": [],
    }
    name = f"image id {image.id} ({image.file_name})"
    try:
        loaded = read_image_rgb(settings.img_dir / image.file_name)
    except ImageReadError as error:
        record.update(status="failed", error=str(error))
        record["problems"].append(f"{name}: {error}; skipped")
        for line in record["problems"]:
            report(line)
        write_part(settings.out_dir, record)
        return record
    height, width = loaded.height, loaded.width
    record.update(width=width, height=height)
    for conversion in loaded.conversions:
        record["problems"].append(f"{name}: {conversion}")
    if image.width is not None and (image.width, image.height) != (width, height):
        record["problems"].append(
            f"{name}: annotation says {image.width}x{image.height}, file is {width}x{height}; "
            "the file's size is used"
        )
    boxes, box_problems = fit_boxes_to_image(image, height, width)
    record["problems"].extend(problem.message for problem in box_problems)
    for line in record["problems"]:
        report(line)
    xyxy = np.array([box.xyxy for box in boxes], dtype=np.float64).reshape(-1, 4)
    rendered = render_image_views(
        renderer, loaded.rgb, xyxy, plan.views_for(image.id, settings.seed),
        settings.render_size, settings.batch_size, settings.box_method, settings.min_visible,
        mode=settings.mode, border=settings.border, intrinsics=intrinsics,
        depth_upsampling=settings.depth_upsampling, super_resolver=super_resolver,
    )
    for item in rendered:
        file_name = view_file_name(stem, item.view.index)
        write_image_atomic(settings.out_dir / IMAGES_DIR / file_name, item.image,
                           settings.jpeg_quality)
        record["views"].append(_view_record(item, boxes, file_name))
    write_part(settings.out_dir, record)
    return record


def load_renderer(checkpoint: Path, device: str, render_scale: int) -> NovelViewRenderer:
    """The checkpoint's renderer in eval mode, with its render_scale set to `render_scale`
    (PointSS for any checkpoint: the weights do not depend on it)."""
    renderer = NovelViewRenderer.load_checkpoint(checkpoint, device)
    if renderer.render_scale != render_scale:
        scaled = NovelViewRenderer.from_config({**renderer.to_config(), "render_scale": render_scale})
        scaled.load_state_dict(renderer.state_dict())
        renderer = scaled.to(device)
    return renderer.eval()


def _report_to_stderr(line: str) -> None:
    tqdm.write(line, file=sys.stderr)


def run_augmentation(
    settings: AugmentSettings,
    report: Callable[[str], None] = _report_to_stderr,
    progress: bool = True,
) -> AugmentSummary:
    """Run (or resume) the augmentation of one shard; assemble annotations.json when n = 1.

    report receives one line per input problem. Raises AugmentError when the input as a
    whole is unusable (malformed annotation file, no readable image) or the settings are.
    """
    started = time.perf_counter()
    _validate(settings)
    try:
        plan = parse_view_plan(settings.views)
        dataset = read_coco_detection(settings.ann_file)
        calibrated = read_image_intrinsics(settings.ann_file)
    except (ViewSpecError, CocoFormatError, CameraError) as error:
        raise AugmentError(str(error)) from None
    if not dataset.images:
        raise AugmentError(f"{settings.ann_file}: lists no usable image")
    stems = output_stems(dataset.images)
    mine = [image for image in dataset.images
            if image.id % settings.shard_count == settings.shard_index]
    problems_by_image: dict[int, list[str]] = {}
    general_problems = []  # about no particular image: reported (and counted) by shard 0
    for problem in dataset.problems:
        if problem.image_id is None:
            general_problems.append(problem.message)
        else:
            problems_by_image.setdefault(problem.image_id, []).append(problem.message)
    if settings.shard_index != 0:
        general_problems = []
    for line in general_problems:
        report(line)

    fingerprint = _fingerprint(settings, plan.describe())
    digest = fingerprint_digest(fingerprint)
    manifest = {
        "fingerprint": fingerprint,
        "shard": [settings.shard_index, settings.shard_count],
        "source_image_ids": [image.id for image in mine],
        "categories": dataset.categories,
        "licenses": dataset.licenses,
        "info": {
            "description": f"DANR novel views of {settings.ann_file.name}",
            "danr": {
                "source_ann_file": str(settings.ann_file.resolve()),
                "source_img_dir": str(settings.img_dir.resolve()),
                "checkpoint": str(settings.checkpoint),
                "views": plan.describe(),
                "render_size": settings.render_size,
                "seed": settings.seed,
                "min_visible": settings.min_visible,
                "box_method": settings.box_method,
                "mode": settings.mode,
                "border": settings.border,
                "render_scale": settings.render_scale,
                "camera": None if settings.camera is None else list(settings.camera),
                "calibrated_images": len(calibrated),
            },
            "source_info": dataset.info,
        },
    }
    _prepare_out_dir(settings, manifest)

    records: dict[int, dict] = {}
    pending = []
    for image in mine:
        record = read_part(settings.out_dir, image.id)
        if settings.resume and part_is_finished(settings.out_dir, record, digest):
            records[image.id] = record
        else:
            pending.append(image)
    summary = AugmentSummary(sources=len(mine), skipped_done=len(records))

    if pending:
        renderer = load_renderer(settings.checkpoint, settings.device, settings.render_scale)
        try:
            super_resolver = PixelSuperResolver() if settings.mode == "pixelss" else None
        except SuperResolutionUnavailable as error:
            raise AugmentError(f"--mode pixelss: {error}") from None
        bar = tqdm(pending, unit="img", desc="augment", disable=not progress, file=sys.stderr,
                   bar_format=PROGRESS_FORMAT)
        for image in bar:
            records[image.id] = _process_image(
                image, stems[image.id], settings, plan, renderer, super_resolver,
                calibrated.get(image.id, settings.camera), digest,
                problems_by_image.get(image.id, []), report,
            )
            summary.rendered_now += 1
        bar.close()

    counts = summarize_records([records[image.id] for image in mine])
    for key, value in counts.items():
        setattr(summary, key, value)
    summary.input_problems += len(general_problems)
    if mine and summary.sources_ok == 0:
        raise AugmentError(
            f"no readable image among the {len(mine)} source images of {settings.ann_file}"
            + (f" in shard {settings.shard_index}/{settings.shard_count}"
               if settings.shard_count > 1 else "")
            + f" (image folder {settings.img_dir})"
        )
    if settings.shard_count == 1:
        summary.annotations = write_annotations(settings.out_dir)[0]
    summary.wall_seconds = time.perf_counter() - started
    return summary
