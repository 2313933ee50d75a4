"""Seeded train/val splits of a COCO detection set at the paper's scarcity levels.

For every ratio a/b (train:val, e.g. 5/5, 3/7, 1/9) this writes OUT/train_<a>of<b>.json and
OUT/val_<a>of<b>.json; with --holdout F it also splits the training side once more into
OUT/fit_<a>of<b>.json (what the detector trains on) and OUT/holdout_<a>of<b>.json (where
checkpoints are chosen), so the reported split val_<a>of<b>.json is never used to pick a model.

Two assignment rules:
- per image (default, the paper's rule): a seeded permutation of the images; the first
  round(N * a / (a + b)) go to train. The same seed gives nested training sides across ratios.
- whole groups (--group-key sequence): images sharing the key's value are assigned together,
  so near-duplicate frames of one video never sit on both sides. Groups are visited in a seeded
  order and each joins train when that brings the train image count closer to its target,
  otherwise val; of 64 seeded orders the one closest to the target is kept (if all leave a
  side empty, that side gets the one group nearest its share). The train count is then within
  half the size of the largest group of the target (barring that fallback), so with few large
  groups (the Indoor set has 6 sequences, one holding half its frames) the realised ratio is
  approximate; the tool prints it.
The holdout, with a group key, is the last fraction of every training group ordered by
--order-key (one contiguous tail per group, so it shares at most one boundary frame pair with
the fit side); without a group key it is a seeded random fraction of the training images.

The input file is never modified; outputs are written atomically (temp file + rename).

    python tools/split_dataset.py data/indoor_objects/annotations.json \
        --out data/indoor_objects/splits --group-key sequence --order-key frame --holdout 0.1
"""
import argparse
import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from danr_renderer.atomic_io import atomic_write_json  # noqa: E402

# Seeded group orders tried by the whole-group rule; the one meeting the ratio best is kept.
GROUP_ORDERS_TRIED = 64


def parse_ratio(text):
    """'3/7' -> (3, 7); both parts positive integers."""
    parts = text.split('/')
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(
            f'ratio {text!r} is not of the form a/b with positive integers a, b')
    return int(parts[0]), int(parts[1])


def load_coco(path):
    """Read a COCO detection json and check the fields this tool relies on.

    Errors (ValueError) describe the problem; the caller names the file.
    """
    with open(path) as f:
        try:
            coco = json.load(f)
        except json.JSONDecodeError as err:
            raise ValueError(f'not valid JSON ({err})') from err
    if not isinstance(coco, dict):
        raise ValueError('top level must be a JSON object')
    for key in ('images', 'annotations'):
        if not isinstance(coco.get(key), list):
            raise ValueError(f'missing list "{key}"')
    seen = set()
    for index, image in enumerate(coco['images']):
        if not isinstance(image, dict) or 'id' not in image:
            raise ValueError(f'images[{index}] has no "id"')
        if image['id'] in seen:
            raise ValueError(f'duplicate image id {image["id"]!r}')
        seen.add(image['id'])
    for index, ann in enumerate(coco['annotations']):
        if not isinstance(ann, dict) or ann.get('image_id') not in seen:
            raise ValueError(
                f'annotations[{index}] refers to no listed image '
                f'(image_id={ann.get("image_id") if isinstance(ann, dict) else None!r})')
    return coco


def group_images(images, group_key):
    """Map each value of image[group_key] to the list of its images, keys in a fixed order."""
    groups = defaultdict(list)
    for image in images:
        if group_key not in image:
            raise ValueError(f'image id {image["id"]!r} has no field "{group_key}"')
        groups[image[group_key]].append(image)
    ordered = sorted(groups, key=lambda value: (type(value).__name__, value))
    return [groups[value] for value in ordered]


def split_images(images, train_fraction, seed, group_key=None):
    """Split image dicts into (train, val) lists, each non-empty.

    Per image: exactly round(N * train_fraction) train images (clamped to 1..N-1).
    By group: whole groups; the best of GROUP_ORDERS_TRIED seeded greedy passes, whose train
    count is within half the largest group of the target. If every pass leaves a side empty,
    that side gets the single group whose size is nearest its share.
    """
    if len(images) < 2:
        raise ValueError('need at least 2 images to split')
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


def greedy_group_split(groups, order, target):
    """Visit groups in `order`; each joins train when that moves the train count nearer
    `target`, else val. Returns (train, val) image lists."""
    train, val = [], []
    for index in order:
        group = groups[index]
        gets_closer = abs(len(train) + len(group) - target) < abs(len(train) - target)
        (train if gets_closer else val).extend(group)
    return train, val


def holdout_images(train, fraction, seed, group_key=None, order_key='id'):
    """Split training images into (fit, holdout) with about `fraction` of them held out."""
    if group_key is None:
        n_holdout = int(round(len(train) * fraction))
        order = np.random.default_rng(seed).permutation(len(train))
        fit = [train[i] for i in order[n_holdout:]]
        holdout = [train[i] for i in order[:n_holdout]]
    else:
        fit, holdout = [], []
        for group in group_images(train, group_key):
            missing = [image['id'] for image in group if order_key not in image]
            if missing:
                raise ValueError(f'image id {missing[0]!r} has no field "{order_key}"')
            ordered = sorted(group, key=lambda image: image[order_key])
            n_tail = int(round(len(group) * fraction))
            fit.extend(ordered[:len(ordered) - n_tail])
            holdout.extend(ordered[len(ordered) - n_tail:])
    if not fit or not holdout:
        raise ValueError(
            f'holdout fraction {fraction} of {len(train)} training images leaves one side empty')
    return fit, holdout


def subset_coco(coco, images):
    """A copy of the COCO dict restricted to `images` and their annotations."""
    ids = {image['id'] for image in images}
    subset = {key: value for key, value in coco.items() if key not in ('images', 'annotations')}
    subset['images'] = [image for image in coco['images'] if image['id'] in ids]
    subset['annotations'] = [ann for ann in coco['annotations'] if ann['image_id'] in ids]
    return subset


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', help='COCO annotation json to split (left untouched)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--ratios', nargs='+', type=parse_ratio,
                        default=[(5, 5), (3, 7), (1, 9)], help='train/val ratios, e.g. 5/5 1/9')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--group-key', default=None,
                        help='image field whose value groups images that stay together')
    parser.add_argument('--holdout', type=float, default=0.0,
                        help='fraction of each training side held out for checkpoint choice')
    parser.add_argument('--order-key', default='id',
                        help='image field ordering frames within a group (for --holdout)')
    args = parser.parse_args(argv)
    if not 0.0 <= args.holdout < 1.0:
        parser.error(f'--holdout must be in [0, 1), got {args.holdout}')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        coco = load_coco(args.ann_file)
        outputs = {}
        for a, b in args.ratios:
            tag = f'{a}of{b}'
            train, val = split_images(coco['images'], a / (a + b), args.seed, args.group_key)
            outputs[f'train_{tag}.json'] = train
            outputs[f'val_{tag}.json'] = val
            summary = (f'{tag}: train {len(train)} / val {len(val)} images (train fraction '
                       f'{len(train) / len(coco["images"]):.3f}, asked {a / (a + b):.3f})')
            if args.holdout > 0:
                fit, holdout = holdout_images(train, args.holdout, args.seed + 1,
                                              args.group_key, args.order_key)
                outputs[f'fit_{tag}.json'] = fit
                outputs[f'holdout_{tag}.json'] = holdout
                summary += f'; fit {len(fit)} / holdout {len(holdout)}'
            print(summary)
    except (OSError, ValueError) as err:
        sys.exit(f'split_dataset: {args.ann_file}: {err}')
    os.makedirs(args.out, exist_ok=True)
    for name, images in outputs.items():
        atomic_write_json(os.path.join(args.out, name), subset_coco(coco, images))


if __name__ == '__main__':
    main()
