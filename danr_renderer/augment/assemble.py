"""Joining per-image records into one COCO annotation file, and merging shard outputs.

The output does not depend on how the work was split or interrupted: records are read in
source image id order and new image / annotation ids are numbered 1, 2, ... in that order
(views by view index, boxes in source annotation order).
"""
from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

from ..atomic_io import atomic_replace
from ..data.coco_io import write_json_atomic
from .records import (
    ANNOTATIONS_NAME,
    IMAGES_DIR,
    PARTS_DIR,
    RUNS_DIR,
    fingerprint_digest,
    read_manifests,
    read_part,
)

__all__ = ["AssemblyError", "assemble_annotations", "write_annotations", "merge_shard_dirs",
           "summarize_records"]


class AssemblyError(Exception):
    """The outputs cannot be joined yet (missing shards or records, mixed settings)."""


def _complete_sharding(manifests: list[dict], out_dir: Path) -> list[dict]:
    """The manifests of one sharding i/n with every i in 0..n-1 present, same settings."""
    if not manifests:
        raise AssemblyError(f"{out_dir}: no run manifests in {RUNS_DIR}/; nothing to assemble")
    digests = {fingerprint_digest(m["fingerprint"]) for m in manifests}
    if len(digests) > 1:
        raise AssemblyError(
            f"{out_dir}: runs made with different settings (input, checkpoint, views, render "
            "size, seed, box options) cannot be merged: "
            + ", ".join(f"shard {m['shard'][0]}/{m['shard'][1]}" for m in manifests)
        )
    by_count: dict[int, dict[int, dict]] = {}
    for manifest in manifests:
        index, count = manifest["shard"]
        by_count.setdefault(count, {})[index] = manifest
    for count in sorted(by_count):
        if len(by_count[count]) == count:
            return [by_count[count][index] for index in range(count)]
    missing = {count: sorted(set(range(count)) - set(found)) for count, found in by_count.items()}
    raise AssemblyError(
        f"{out_dir}: shard runs missing: "
        + "; ".join(f"of {count}: {', '.join(map(str, idx))}" for count, idx in missing.items())
    )


def _load_records(out_dir: Path, manifests: list[dict]) -> list[dict]:
    digest = fingerprint_digest(manifests[0]["fingerprint"])
    image_ids = sorted({i for manifest in manifests for i in manifest["source_image_ids"]})
    records, unfinished = [], []
    for image_id in image_ids:
        record = read_part(out_dir, image_id)
        views_present = record is not None and all(
            (out_dir / IMAGES_DIR / view["file_name"]).is_file() for view in record["views"]
        )
        if record is None or record.get("fingerprint") != digest or not views_present:
            unfinished.append(image_id)
        else:
            records.append(record)
    if unfinished:
        shown = ", ".join(map(str, unfinished[:10])) + (" ..." if len(unfinished) > 10 else "")
        raise AssemblyError(
            f"{out_dir}: {len(unfinished)} source images have no finished record (ids {shown}); "
            "finish their shard runs with --resume first"
        )
    return records


def assemble_annotations(out_dir: str | os.PathLike) -> tuple[dict, list[dict]]:
    """Build the COCO document of OUT from its manifests and per-image records.

    Returns (document, records). Raises AssemblyError when some shard or record is missing.
    """
    out_dir = Path(out_dir)
    try:
        manifests = _complete_sharding(read_manifests(out_dir), out_dir)
    except ValueError as error:
        raise AssemblyError(str(error)) from None
    records = _load_records(out_dir, manifests)
    images, annotations = [], []
    for record in records:
        if record["status"] != "ok":
            continue
        for view in record["views"]:
            image_id = len(images) + 1
            images.append({
                "id": image_id,
                "file_name": view["file_name"],
                "width": record["width"],
                "height": record["height"],
                "danr": {
                    "source_image_id": record["source_image_id"],
                    "source_file_name": record["source_file_name"],
                    "view_index": view["view_index"],
                    "rotvec": view["rotvec"],
                    "translation": view["translation"],
                },
            })
            for box in view["boxes"]:
                x, y, w, h = box["bbox"]
                annotations.append({
                    "id": len(annotations) + 1,
                    "image_id": image_id,
                    "category_id": box["category_id"],
                    "bbox": [x, y, w, h],
                    "area": round(w * h, 4),
                    "iscrowd": box["iscrowd"],
                    "danr": {
                        "source_annotation_id": box["source_annotation_id"],
                        "visible": box["visible"],
                    },
                })
    first = manifests[0]
    info = dict(first["info"])
    info["danr"] = {**info.get("danr", {}), "counts": summarize_records(records)}
    document = {
        "info": info,
        "licenses": first["licenses"],
        "categories": first["categories"],
        "images": images,
        "annotations": annotations,
    }
    return document, records


def write_annotations(out_dir: str | os.PathLike) -> tuple[Path, dict, list[dict]]:
    """Assemble OUT/annotations.json (atomically). Returns its path, the document, the records."""
    document, records = assemble_annotations(out_dir)
    path = Path(out_dir) / ANNOTATIONS_NAME
    write_json_atomic(path, document)
    return path, document, records


def summarize_records(records: list[dict]) -> dict:
    """Counts over per-image records: sources ok/failed, views, boxes kept and dropped by reason."""
    dropped: Counter = Counter()
    summary = {"sources_ok": 0, "sources_failed": 0, "views": 0, "boxes_kept": 0,
               "input_problems": 0}
    for record in records:
        summary["input_problems"] += len(record.get("problems", []))
        if record["status"] != "ok":
            summary["sources_failed"] += 1
            continue
        summary["sources_ok"] += 1
        summary["views"] += len(record["views"])
        for view in record["views"]:
            summary["boxes_kept"] += len(view["boxes"])
            dropped.update(view["dropped"])
    summary["boxes_dropped"] = dict(sorted(dropped.items()))
    return summary


def _place(source: Path, target: Path) -> None:
    """Hard-link (or copy) source to target through a temporary name, atomically."""

    def link_or_copy(tmp: Path) -> None:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)

    atomic_replace(target, link_or_copy)


def merge_shard_dirs(
    out_dir: str | os.PathLike, shard_dirs: list[str | os.PathLike]
) -> tuple[Path, dict, list[dict]]:
    """Gather shard outputs written to separate folders into OUT, then assemble OUT.

    Manifests, records and the view images they name are linked (or copied) into OUT; a
    shard folder equal to OUT is left as it is. Returns what write_annotations returns.
    """
    out_dir = Path(out_dir)
    for folder in (IMAGES_DIR, PARTS_DIR, RUNS_DIR):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    for shard_dir in map(Path, shard_dirs):
        if not (shard_dir / RUNS_DIR).is_dir():
            raise AssemblyError(f"{shard_dir}: not an augmentation output (no {RUNS_DIR}/ folder)")
        if shard_dir.resolve() == out_dir.resolve():
            continue
        for manifest in sorted((shard_dir / RUNS_DIR).glob("shard-*-of-*.json")):
            _place(manifest, out_dir / RUNS_DIR / manifest.name)
        for part in sorted((shard_dir / PARTS_DIR).glob("*.json")):
            record = read_part(shard_dir, int(part.stem)) if part.stem.lstrip("-").isdigit() else None
            if record is None:
                continue
            for view in record["views"]:
                source = shard_dir / IMAGES_DIR / view["file_name"]
                if source.is_file():
                    _place(source, out_dir / IMAGES_DIR / view["file_name"])
            _place(part, out_dir / PARTS_DIR / part.name)
    return write_annotations(out_dir)
