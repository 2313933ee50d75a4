"""The on-disk layout of an augmentation run and its resumable per-image records.

    OUT/images/<stem>_v<k>.jpg       the rendered views, at the source image's size
    OUT/parts/<source_image_id>.json one record per finished source image (written atomically
                                     after all its view images), the unit of resume and merge
    OUT/runs/shard-<i>-of-<n>.json   the manifest of one (shard) run: settings fingerprint,
                                     the source image ids it owns, categories and info
    OUT/annotations.json             the assembled COCO file (see assemble.py)

Record of one source image (plain JSON)::

    {"source_image_id", "source_file_name", "fingerprint", "status": "ok" | "failed",
     "error": str (failed only), "width", "height", "problems": [str],
     "views": [{"view_index", "file_name", "rotvec", "translation",
                "boxes": [{"bbox": [x, y, w, h], "category_id", "iscrowd",
                           "source_annotation_id", "visible"}],
                "dropped": {reason: count}}]}
"""
from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path, PurePosixPath, PureWindowsPath

from ..data.coco_io import SourceImage, write_json_atomic

__all__ = [
    "IMAGES_DIR",
    "PARTS_DIR",
    "RUNS_DIR",
    "ANNOTATIONS_NAME",
    "output_stems",
    "view_file_name",
    "fingerprint_digest",
    "file_sha256",
    "part_path",
    "write_part",
    "read_part",
    "part_is_finished",
    "manifest_path",
    "write_manifest",
    "read_manifests",
    "remove_stale_temporaries",
]

IMAGES_DIR = "images"
PARTS_DIR = "parts"
RUNS_DIR = "runs"
ANNOTATIONS_NAME = "annotations.json"


def _stem(file_name: str) -> str:
    # file_name may use either separator; only the last component's stem names the output.
    name = PureWindowsPath(PurePosixPath(file_name).name).name
    return Path(name).stem or "image"


def output_stems(images: list[SourceImage]) -> dict[int, str]:
    """Output file stem per source image id: the source file's stem, plus "_id<id>" for
    every image whose stem (case-insensitively) is shared with another image of the set,
    so that e.g. a/0001.jpg and b/0001.jpg do not overwrite each other.

    Computed from the whole annotation file, so every shard names files the same way.
    """
    stems = {image.id: _stem(image.file_name) for image in images}
    counts = Counter(stem.lower() for stem in stems.values())
    return {
        image_id: stem if counts[stem.lower()] == 1 else f"{stem}_id{image_id}"
        for image_id, stem in stems.items()
    }


def view_file_name(stem: str, view_index: int) -> str:
    return f"{stem}_v{view_index}.jpg"


def fingerprint_digest(fingerprint: dict) -> str:
    """Short stable hash of the settings that determine the output."""
    canonical = json.dumps(fingerprint, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def file_sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def part_path(out_dir: Path, image_id: int) -> Path:
    return Path(out_dir) / PARTS_DIR / f"{image_id}.json"


def write_part(out_dir: Path, record: dict) -> None:
    write_json_atomic(part_path(out_dir, record["source_image_id"]), record)


def read_part(out_dir: Path, image_id: int) -> dict | None:
    """The record of one source image, or None when absent or unreadable (then redone)."""
    path = part_path(out_dir, image_id)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(record, dict) or record.get("source_image_id") != image_id:
        return None
    return record


def part_is_finished(out_dir: Path, record: dict | None, digest: str) -> bool:
    """True when the record belongs to these settings and all its view files exist.

    Records of failed images count as unfinished, so a resumed run retries them (the file may
    have been fixed since).
    """
    if record is None or record.get("fingerprint") != digest or record.get("status") != "ok":
        return False
    images_dir = Path(out_dir) / IMAGES_DIR
    return all((images_dir / view["file_name"]).is_file() for view in record["views"])


def manifest_path(out_dir: Path, shard_index: int, shard_count: int) -> Path:
    return Path(out_dir) / RUNS_DIR / f"shard-{shard_index}-of-{shard_count}.json"


def write_manifest(out_dir: Path, manifest: dict) -> None:
    index, count = manifest["shard"]
    write_json_atomic(manifest_path(out_dir, index, count), manifest)


def read_manifests(out_dir: Path) -> list[dict]:
    """All run manifests in OUT/runs, sorted by (shard count, shard index)."""
    manifests = []
    for path in sorted((Path(out_dir) / RUNS_DIR).glob("shard-*-of-*.json")):
        try:
            manifests.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: unreadable run manifest ({error})") from None
    return sorted(manifests, key=lambda m: (m["shard"][1], m["shard"][0]))


def remove_stale_temporaries(out_dir: Path) -> int:
    """Delete temporary files left by a killed run's atomic writes; returns how many."""
    removed = 0
    for folder in (IMAGES_DIR, PARTS_DIR, RUNS_DIR, "."):
        for path in (Path(out_dir) / folder).glob(".*.tmp"):
            path.unlink(missing_ok=True)
            removed += 1
    return removed
