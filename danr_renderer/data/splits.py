"""Seeded train/val splits of a COCO detection set at the paper's scarcity levels.

For every ratio a/b (train:val, e.g. 5/5, 3/7, 1/9) a split has a train and a val side; with a
holdout fraction the training side is split once more into fit (what the detector trains on)
and holdout (where checkpoints are chosen), so the reported val side never picks a model.
`write_splits` writes them as OUT/<part>_<a>of<b>.json (part: train, val, fit, holdout).

Two assignment rules:
- per image (default, the paper's rule): a seeded permutation of the images; the first
  round(N * a / (a + b)) go to train. The same seed gives nested training sides across ratios.
- whole groups (group_key, e.g. 'sequence'): images sharing the key's value are assigned
  together, so near-duplicate frames of one video never sit on both sides. Groups are visited
  in a seeded order and each joins train when that brings the train image count closer to its
  target, otherwise val; of GROUP_ORDERS_TRIED seeded orders the one closest to the target is
  kept (if all leave a side empty, that side gets the one group nearest its share). The train
  count is then within half the size of the largest group of the target (barring that
  fallback), so with few large groups (the Indoor set has 6 sequences, one holding half its
  frames) the realised ratio is approximate.
The holdout, with a group key, is the last fraction of every training group ordered by
order_key (one contiguous tail per group, so it shares at most one boundary frame pair with
the fit side); without a group key it is a seeded random fraction of the training images.

The input file is never modified; outputs are written atomically (temp file + rename).
"""
from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..atomic_io import atomic_write_json
from .coco_io import read_coco_document

__all__ = [
    "DEFAULT_RATIOS",
    "GROUP_ORDERS_TRIED",
    "RatioSplit",
    "greedy_group_split",
    "group_images",
    "holdout_images",
    "parse_ratio",
    "plan_splits",
    "ratio_tag",
    "split_dataset",
    "split_images",
    "subset_coco",
    "write_splits",
]

# Seeded group orders tried by the whole-group rule; the one meeting the ratio best is kept.
GROUP_ORDERS_TRIED = 64
DEFAULT_RATIOS = ((5, 5), (3, 7), (1, 9))


@dataclass(frozen=True)
class RatioSplit:
    """One train:val ratio's split: `parts` maps 'train', 'val' (and, with a holdout, 'fit'
    and 'holdout') to image dicts; `tag` is the file-name tag, e.g. '3of7'."""

    tag: str
    train_fraction: float
    parts: dict[str, list[dict]]


def parse_ratio(text: str) -> tuple[int, int]:
    """'3/7' -> (3, 7); ValueError unless both parts are positive integers."""
    parts = text.split("/")
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(f"ratio {text!r} is not of the form a/b with positive integers a, b")
    return int(parts[0]), int(parts[1])


def ratio_tag(a: int, b: int) -> str:
    """(1, 9) -> '1of9', the tag of that ratio's files."""
    return f"{a}of{b}"


def group_images(images: list[dict], group_key: str) -> list[list[dict]]:
    """The images grouped by their value of image[group_key], groups in a fixed order."""
    groups = defaultdict(list)
    for image in images:
        if group_key not in image:
            raise ValueError(f'image id {image["id"]!r} has no field "{group_key}"')
        groups[image[group_key]].append(image)
    ordered = sorted(groups, key=lambda value: (type(value).__name__, value))
    return [groups[value] for value in ordered]


def split_images(images: list[dict], train_fraction: float, seed: int,
                 group_key: str | None = None) -> tuple[list[dict], list[dict]]:
    """Split image dicts into (train, val) lists, each non-empty.

    Per image: exactly round(N * train_fraction) train images (clamped to 1..N-1).
    By group: whole groups; the best of GROUP_ORDERS_TRIED seeded greedy passes, whose train
    count is within half the largest group of the target. If every pass leaves a side empty,
    that side gets the single group whose size is nearest its share.
    """
    if len(images) < 2:
        raise ValueError("need at least 2 images to split")
    rng = np.random.default_rng(seed)
    target = len(images) * train_fraction
    if group_key is None:
        order = rng.permutation(len(images))
        n_train = min(max(int(round(target)), 1), len(images) - 1)
        return ([images[i] for i in order[:n_train]],
                [images[i] for i in order[n_train:]])
    groups = group_images(images, group_key)
    if len(groups) < 2:
        raise ValueError(
            f'only {len(groups)} distinct "{group_key}" value(s): cannot split by group')
    best = None
    for _ in range(GROUP_ORDERS_TRIED):
        train, val = greedy_group_split(groups, rng.permutation(len(groups)), target)
        if not train or not val:
            continue
        if best is None or abs(len(train) - target) < abs(len(best[0]) - target):
            best = (train, val)
    if best is None:
        # Every pass put all groups on one side: the target is nearer 0 (or N) than any mix.
        # Give the small side the single group whose size is nearest its target.
        small_side_target = min(target, len(images) - target)
        index = min(range(len(groups)), key=lambda i: abs(len(groups[i]) - small_side_target))
        rest = [image for i, group in enumerate(groups) if i != index for image in group]
        best = (groups[index], rest) if target <= len(images) / 2 else (rest, groups[index])
    return best


def greedy_group_split(groups: list[list[dict]], order, target: float
                       ) -> tuple[list[dict], list[dict]]:
    """Visit groups in `order`; each joins train when that moves the train count nearer
    `target`, else val. Returns (train, val) image lists."""
    train, val = [], []
    for index in order:
        group = groups[index]
        gets_closer = abs(len(train) + len(group) - target) < abs(len(train) - target)
        (train if gets_closer else val).extend(group)
    return train, val


def holdout_images(train: list[dict], fraction: float, seed: int, group_key: str | None = None,
                   order_key: str = "id") -> tuple[list[dict], list[dict]]:
    """Split training images into (fit, holdout) with about `fraction` of them held out."""
    if group_key is None:
        n_holdout = int(round(len(train) * fraction))
        order = np.random.default_rng(seed).permutation(len(train))
        fit = [train[i] for i in order[n_holdout:]]
        holdout = [train[i] for i in order[:n_holdout]]
    else:
        fit, holdout = [], []
        for group in group_images(train, group_key):
            missing = [image["id"] for image in group if order_key not in image]
            if missing:
                raise ValueError(f'image id {missing[0]!r} has no field "{order_key}"')
            ordered = sorted(group, key=lambda image: image[order_key])
            n_tail = int(round(len(group) * fraction))
            fit.extend(ordered[:len(ordered) - n_tail])
            holdout.extend(ordered[len(ordered) - n_tail:])
    if not fit or not holdout:
        raise ValueError(
            f"holdout fraction {fraction} of {len(train)} training images leaves one side empty")
    return fit, holdout


def subset_coco(coco: dict, images: list[dict]) -> dict:
    """A copy of the COCO dict restricted to `images` and their annotations."""
    ids = {image["id"] for image in images}
    subset = {key: value for key, value in coco.items() if key not in ("images", "annotations")}
    subset["images"] = [image for image in coco["images"] if image["id"] in ids]
    subset["annotations"] = [ann for ann in coco["annotations"] if ann["image_id"] in ids]
    return subset


def plan_splits(images: list[dict], ratios, seed: int = 0, group_key: str | None = None,
                holdout: float = 0.0, order_key: str = "id") -> list[RatioSplit]:
    """The split of `images` at every (a, b) of `ratios`: train/val with `seed`, and with
    holdout > 0 fit/holdout of the training side with seed + 1. ValueError on bad input."""
    if not 0.0 <= holdout < 1.0:
        raise ValueError(f"holdout fraction must be in [0, 1), got {holdout}")
    splits = []
    for a, b in ratios:
        train, val = split_images(images, a / (a + b), seed, group_key)
        parts = {"train": train, "val": val}
        if holdout > 0:
            parts["fit"], parts["holdout"] = holdout_images(train, holdout, seed + 1, group_key,
                                                            order_key)
        splits.append(RatioSplit(ratio_tag(a, b), a / (a + b), parts))
    return splits


def write_splits(coco: dict, splits: list[RatioSplit], out_dir: str | os.PathLike) -> list[Path]:
    """Write every part of every split as out_dir/<part>_<tag>.json (atomically, creating
    out_dir); returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for split in splits:
        for part, images in split.parts.items():
            path = out_dir / f"{part}_{split.tag}.json"
            atomic_write_json(path, subset_coco(coco, images))
            written.append(path)
    return written


def split_dataset(ann_file: str | os.PathLike, out_dir: str | os.PathLike,
                  ratios=DEFAULT_RATIOS, seed: int = 0, group_key: str | None = None,
                  holdout: float = 0.0, order_key: str = "id") -> tuple[dict, list[RatioSplit]]:
    """Read ann_file (read_coco_document), plan its splits (plan_splits) and write them
    (write_splits); nothing is written when reading or planning fails.

    Returns (the COCO dict read, the splits). Raises CocoFormatError for an unusable file and
    ValueError for splits that cannot be made (e.g. a missing group field, a single group).
    """
    coco = read_coco_document(ann_file)
    splits = plan_splits(coco["images"], ratios, seed, group_key, holdout, order_key)
    write_splits(coco, splits, out_dir)
    return coco, splits
