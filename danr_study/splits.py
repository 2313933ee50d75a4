"""The study's split files: per protocol and train:val ratio a fit / holdout / val file under
OUT/splits/<protocol>/ (danr_renderer.data.splits), never in the data folder."""
from __future__ import annotations

from pathlib import Path

from danr_renderer.data.coco_io import CocoFormatError, read_coco_document
from danr_renderer.data.splits import plan_splits, subset_coco, write_splits

from .errors import StudyError
from .results_store import read_json, write_json

SPLIT_SEED = 0
HOLDOUT_FRACTION = 0.1
# protocol -> (group key, order key): "sequence" keeps every video sequence on one side (the
# holdout is the last frames of each training sequence); "image" assigns frames at random.
PROTOCOL_GROUPING = {'sequence': ('sequence', 'frame'), 'image': (None, 'id')}
SPLIT_PARTS = ('fit', 'holdout', 'val')
SMOKE_IMAGES = {'fit': 12, 'holdout': 4, 'val': 8}


def spread_subset(images: list[dict], count: int, annotated_ids: set) -> list[dict]:
    """`count` annotated images spread evenly over `images` sorted by id (all if fewer)."""
    candidates = sorted((image for image in images if image['id'] in annotated_ids),
                        key=lambda image: image['id'])
    if len(candidates) <= count:
        return candidates
    step = len(candidates) / count
    return [candidates[int(i * step)] for i in range(count)]


def make_splits(ann_file: Path, splits_dir: Path, protocol: str, tags: list[str],
                smoke: bool) -> dict:
    """Write the split files of one protocol; returns {tag: {'fit'|'holdout'|'val': Path}}.

    Smoke: the full splits go to splits_dir/full/ and spread subsets of each part
    (SMOKE_IMAGES) to splits_dir/, so the smoke runs keep the protocol's sides."""
    full_dir = splits_dir / 'full' if smoke else splits_dir
    group_key, order_key = PROTOCOL_GROUPING[protocol]
    ratios = [tuple(int(n) for n in tag.split('of')) for tag in tags]
    try:
        coco = read_coco_document(ann_file)
        splits = plan_splits(coco['images'], ratios, SPLIT_SEED, group_key, HOLDOUT_FRACTION,
                             order_key)
    except (CocoFormatError, ValueError) as error:
        raise StudyError(f'splitting {ann_file} ({protocol} protocol): {error}') from None
    write_splits(coco, splits, full_dir)
    files = {}
    for split in splits:
        files[split.tag] = {part: splits_dir / f'{part}_{split.tag}.json' for part in SPLIT_PARTS}
        if smoke:
            annotated = {ann['image_id'] for ann in coco['annotations']}
            for part in SPLIT_PARTS:
                subset = spread_subset(split.parts[part], SMOKE_IMAGES[part], annotated)
                write_json(subset_coco(coco, subset), files[split.tag][part])
    return files


def describe_split(files: dict) -> dict:
    """Image counts (and sequences, when the images carry them) of each part of a split."""
    summary = {}
    for part, path in files.items():
        images = read_json(path, 'split file')['images']
        summary[part] = len(images)
        sequences = sorted({image['sequence'] for image in images if 'sequence' in image})
        if sequences:
            summary[f'{part}_sequences'] = sequences
    return summary
