"""Reading COCO detection annotations defensively, and writing JSON atomically.

Boxes follow the continuous pixel frame of docs/conventions.md, the same as COCO's: bbox [x, y, w, h] covers
[x, x + w] x [y, y + h] with pixel (i, j) covering [j, j+1) x [i, i+1).

A problem with one item (image entry, annotation) is reported as one line naming the item and
the item is skipped or repaired; only a file that cannot be used at all raises CocoFormatError.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..atomic_io import atomic_write_json

__all__ = [
    "CocoFormatError",
    "InputProblem",
    "SourceBox",
    "SourceImage",
    "CocoDetectionSet",
    "read_coco_detection",
    "read_coco_document",
    "fit_boxes_to_image",
    "write_json_atomic",
]


class CocoFormatError(Exception):
    """The annotation file as a whole is unusable (missing, malformed JSON, no category list)."""


@dataclass(frozen=True)
class InputProblem:
    """One line about one bad input item; image_id is the source image it concerns, if any."""

    image_id: int | None
    message: str


@dataclass(frozen=True)
class SourceBox:
    """One annotation of a source image.

    xyxy: (x1, y1, x2, y2) in source pixels (from COCO [x, y, w, h]); category_id and iscrowd
    as in the input; annotation_id is the input's id (None when it had none).
    """

    annotation_id: int | None
    category_id: int
    xyxy: tuple[float, float, float, float]
    iscrowd: int = 0


@dataclass
class SourceImage:
    """An image entry: id, file_name relative to the image folder, the size the JSON claims
    (None when absent or invalid; the decoded file is authoritative) and its valid boxes."""

    id: int
    file_name: str
    width: int | None
    height: int | None
    boxes: list[SourceBox] = field(default_factory=list)


@dataclass
class CocoDetectionSet:
    """A validated COCO detection file: images sorted by id, categories and info as given."""

    images: list[SourceImage]
    categories: list[dict]
    info: dict
    licenses: list
    problems: list[InputProblem]


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_positive_int(value) -> bool:
    return _is_int(value) and value > 0


def _load_json(path: Path):
    if not path.is_file():
        raise CocoFormatError(f"{path}: annotation file not found")
    try:
        with open(path, "rb") as handle:
            return json.loads(handle.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CocoFormatError(f"{path}: malformed JSON ({error})") from None


def _read_categories(path: Path, document: dict) -> list[dict]:
    categories = document.get("categories")
    if not isinstance(categories, list):
        raise CocoFormatError(f"{path}: no 'categories' list")
    seen: set[int] = set()
    for index, category in enumerate(categories):
        if not isinstance(category, dict) or not _is_int(category.get("id")):
            raise CocoFormatError(f"{path}: categories[{index}] has no integer 'id'")
        if category["id"] in seen:
            raise CocoFormatError(f"{path}: category id {category['id']} appears twice")
        seen.add(category["id"])
    return categories


def _read_images(entries, problems: list[InputProblem]) -> dict[int, SourceImage]:
    images: dict[int, SourceImage] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not _is_int(entry.get("id")):
            problems.append(InputProblem(None, f"images[{index}]: no integer 'id'; entry skipped"))
            continue
        image_id = entry["id"]
        file_name = entry.get("file_name")
        if not isinstance(file_name, str) or not file_name.strip():
            problems.append(
                InputProblem(image_id, f"image id {image_id}: no 'file_name'; entry skipped")
            )
            continue
        if image_id in images:
            problems.append(
                InputProblem(
                    image_id,
                    f"image id {image_id} ({file_name}): duplicate image id (already used by "
                    f"{images[image_id].file_name}); entry skipped",
                )
            )
            continue
        width, height = entry.get("width"), entry.get("height")
        if (width is not None or height is not None) and not (
            _is_positive_int(width) and _is_positive_int(height)
        ):
            problems.append(
                InputProblem(
                    image_id,
                    f"image id {image_id} ({file_name}): invalid width/height "
                    f"{width!r}/{height!r}; the decoded image size is used",
                )
            )
            width = height = None
        images[image_id] = SourceImage(image_id, file_name, width, height)
    return images


def _parse_box(annotation: dict) -> tuple[float, float, float, float] | None:
    bbox = annotation.get("bbox")
    if not isinstance(bbox, (list, tuple)) or len(bbox) != 4:
        return None
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bbox):
        return None
    if not all(math.isfinite(v) for v in bbox):
        return None
    return tuple(float(v) for v in bbox)


def _read_annotations(
    entries, images: dict[int, SourceImage], category_ids: set[int], problems: list[InputProblem]
) -> None:
    seen_ids: dict[int, int] = {}
    for index, annotation in enumerate(entries):
        if not isinstance(annotation, dict):
            problems.append(InputProblem(None, f"annotations[{index}]: not an object; skipped"))
            continue
        annotation_id = annotation.get("id")
        name = (
            f"annotation id {annotation_id}"
            if _is_int(annotation_id)
            else f"annotations[{index}] (no integer id)"
        )
        image_id = annotation.get("image_id")
        if not _is_int(image_id) or image_id not in images:
            problems.append(InputProblem(None, f"{name}: unknown image_id {image_id!r}; skipped"))
            continue
        where = f"{name} (image id {image_id}, {images[image_id].file_name})"
        if _is_int(annotation_id):
            if annotation_id in seen_ids:
                problems.append(
                    InputProblem(
                        image_id,
                        f"{where}: duplicate annotation id (also on image id "
                        f"{seen_ids[annotation_id]}); box kept, output ids are new",
                    )
                )
            else:
                seen_ids[annotation_id] = image_id
        else:
            annotation_id = None
        category_id = annotation.get("category_id")
        if not _is_int(category_id) or category_id not in category_ids:
            problems.append(
                InputProblem(image_id, f"{where}: unknown category_id {category_id!r}; dropped")
            )
            continue
        bbox = _parse_box(annotation)
        if bbox is None:
            problems.append(
                InputProblem(
                    image_id,
                    f"{where}: bbox {annotation.get('bbox')!r} is not 4 finite numbers; dropped",
                )
            )
            continue
        x, y, w, h = bbox
        if w <= 0 or h <= 0:
            problems.append(
                InputProblem(
                    image_id, f"{where}: bbox {list(bbox)} has zero or negative size; dropped"
                )
            )
            continue
        iscrowd = annotation.get("iscrowd", 0)
        images[image_id].boxes.append(
            SourceBox(annotation_id, category_id, (x, y, x + w, y + h), int(bool(iscrowd)))
        )


def _load_document(path: Path) -> dict:
    """The file's JSON object, with an 'images' list; CocoFormatError otherwise."""
    document = _load_json(path)
    if not isinstance(document, dict):
        raise CocoFormatError(f"{path}: top level is not a JSON object")
    if not isinstance(document.get("images"), list):
        raise CocoFormatError(f"{path}: no 'images' list")
    return document


def read_coco_document(path: str | os.PathLike) -> dict:
    """Read a COCO file as its raw dictionary, every field kept, checked strictly.

    For code that selects whole entries (e.g. danr_renderer.data.splits) rather than reading
    boxes: nothing is skipped or repaired, so a file that fails a check raises.

    Raises:
        CocoFormatError: missing file, malformed JSON, top level not an object, no 'images' or
            'annotations' list, an image without 'id' or with an id another image has, an
            annotation whose image_id is not a listed image.
    """
    path = Path(path)
    document = _load_document(path)
    if not isinstance(document.get("annotations"), list):
        raise CocoFormatError(f"{path}: no 'annotations' list")
    seen = set()
    for index, image in enumerate(document["images"]):
        if not isinstance(image, dict) or "id" not in image:
            raise CocoFormatError(f"{path}: images[{index}] has no 'id'")
        if image["id"] in seen:
            raise CocoFormatError(f"{path}: duplicate image id {image['id']!r}")
        seen.add(image["id"])
    for index, annotation in enumerate(document["annotations"]):
        image_id = annotation.get("image_id") if isinstance(annotation, dict) else None
        if image_id not in seen:
            raise CocoFormatError(
                f"{path}: annotations[{index}] refers to no listed image (image_id={image_id!r})"
            )
    return document


def read_coco_detection(path: str | os.PathLike) -> CocoDetectionSet:
    """Read and validate a COCO detection file.

    Per-item problems (entries without id or file_name, duplicate image ids — the first entry
    wins —, duplicate annotation ids, annotations of unknown images or categories, bboxes that
    are not 4 finite numbers or have w <= 0 or h <= 0) are listed in `problems` and the item
    is skipped, except duplicate annotation ids, whose boxes are kept.

    Raises:
        CocoFormatError: missing file, malformed JSON, top level not an object, no 'images'
            list, no valid 'categories' list.
    """
    path = Path(path)
    document = _load_document(path)
    categories = _read_categories(path, document)
    problems: list[InputProblem] = []
    images = _read_images(document["images"], problems)
    annotations = document.get("annotations", [])
    if not isinstance(annotations, list):
        raise CocoFormatError(f"{path}: 'annotations' is not a list")
    _read_annotations(annotations, images, {c["id"] for c in categories}, problems)
    info = document.get("info") if isinstance(document.get("info"), dict) else {}
    licenses = document.get("licenses") if isinstance(document.get("licenses"), list) else []
    return CocoDetectionSet(
        images=[images[key] for key in sorted(images)],
        categories=categories,
        info=info,
        licenses=licenses,
        problems=problems,
    )


def fit_boxes_to_image(
    image: SourceImage, height: int, width: int
) -> tuple[list[SourceBox], list[InputProblem]]:
    """Clip the image's boxes to its decoded size [0, width] x [0, height].

    Boxes partly outside are clipped (one problem line each); boxes with nothing inside are
    dropped (one line each). Returns the boxes to use and the problem lines.
    """
    kept: list[SourceBox] = []
    problems: list[InputProblem] = []
    for box in image.boxes:
        x1, y1, x2, y2 = box.xyxy
        clipped = (min(max(x1, 0.0), width), min(max(y1, 0.0), height),
                   min(max(x2, 0.0), width), min(max(y2, 0.0), height))
        where = (
            f"annotation id {box.annotation_id} (image id {image.id}, {image.file_name})"
        )
        xywh = [round(x1, 2), round(y1, 2), round(x2 - x1, 2), round(y2 - y1, 2)]
        if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
            problems.append(
                InputProblem(
                    image.id,
                    f"{where}: bbox {xywh} lies wholly outside the {width}x{height} image; dropped",
                )
            )
            continue
        if clipped != box.xyxy:
            problems.append(
                InputProblem(
                    image.id,
                    f"{where}: bbox {xywh} extends outside the {width}x{height} image; clipped",
                )
            )
        kept.append(SourceBox(box.annotation_id, box.category_id, clipped, box.iscrowd))
    return kept, problems


def write_json_atomic(path: str | os.PathLike, document) -> None:
    """Write a JSON document to path atomically in the augment outputs' compact format."""
    atomic_write_json(path, document, indent=None, separators=(",", ":"), sort_keys=False)
