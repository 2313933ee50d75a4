"""Seeded train/val splits of a COCO detection set at the paper's scarcity levels.

For every ratio a/b (train:val, e.g. 5/5, 3/7, 1/9) this writes OUT/train_<a>of<b>.json and
OUT/val_<a>of<b>.json; with --holdout F it also splits the training side once more into
OUT/fit_<a>of<b>.json (what the detector trains on) and OUT/holdout_<a>of<b>.json (where
checkpoints are chosen). --group-key keeps images sharing that field's value (e.g. a video
sequence) on one side; --order-key orders the frames of a group for the holdout tail. The rules
are documented in danr_renderer.data.splits. The input file is never modified.

    python tools/split_dataset.py --ann-file data/indoor_objects/annotations.json \
        --out data/indoor_objects/splits --group-key sequence --order-key frame --holdout 0.1

The annotation file may also be given positionally (python tools/split_dataset.py ANN_FILE ...).
"""
import argparse
import sys

from danr_renderer.data.coco_io import CocoFormatError
from danr_renderer.data.splits import DEFAULT_RATIOS, parse_ratio, split_dataset


def ratio_argument(text):
    """argparse type: '3/7' -> (3, 7)."""
    try:
        return parse_ratio(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('ann_file', nargs='?', help='COCO annotation json to split (left '
                        'untouched); the same as --ann-file')
    parser.add_argument('--ann-file', dest='ann_file_option', metavar='ANN_FILE',
                        help='COCO annotation json to split (left untouched)')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--ratios', nargs='+', type=ratio_argument, default=list(DEFAULT_RATIOS),
                        help='train/val ratios, e.g. 5/5 1/9 (default: 5/5 3/7 1/9)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--group-key', default=None,
                        help='image field whose value groups images that stay together')
    parser.add_argument('--holdout', type=float, default=0.0,
                        help='fraction of each training side held out for checkpoint choice')
    parser.add_argument('--order-key', default='id',
                        help='image field ordering frames within a group (for --holdout)')
    args = parser.parse_args(argv)
    if (args.ann_file is None) == (args.ann_file_option is None):
        parser.error('give the annotation file once: --ann-file ANN_FILE (or positionally)')
    args.ann_file = args.ann_file or args.ann_file_option
    if not 0.0 <= args.holdout < 1.0:
        parser.error(f'--holdout must be in [0, 1), got {args.holdout}')
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        coco, splits = split_dataset(args.ann_file, args.out, args.ratios, args.seed,
                                     args.group_key, args.holdout, args.order_key)
    except CocoFormatError as error:
        sys.exit(f'split_dataset: {error}')
    except (OSError, ValueError) as error:
        sys.exit(f'split_dataset: {args.ann_file}: {error}')
    total = len(coco['images'])
    for split in splits:
        parts = {part: len(images) for part, images in split.parts.items()}
        line = (f'{split.tag}: train {parts["train"]} / val {parts["val"]} images (train '
                f'fraction {parts["train"] / total:.3f}, asked {split.train_fraction:.3f})')
        if 'fit' in parts:
            line += f'; fit {parts["fit"]} / holdout {parts["holdout"]}'
        print(line)


if __name__ == '__main__':
    main()
