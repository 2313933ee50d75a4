#!/usr/bin/env python
"""How well each run's detections fit the objects they find on the reported split: recall at
IoU 0.5, the mean IoU of those matches, their share at IoU >= 0.75, and the median width and
height ratio (detected / true) and centre offset (danr_study.localisation):

    python scripts/box_localisation.py TRUTH.json NAME=RESULTS.bbox.json [NAME=...] [--score-threshold 0.3]

A result file comes from tools/test.py with
`--cfg-options test_evaluator.outfile_prefix=PREFIX` (PREFIX.bbox.json). TRUTH.json is the
reported split's COCO file with the same category ids: where the config's evaluator names no
ann_file (the study's), CocoMetric numbers the categories from 0 and writes that file as
PREFIX.gt.json.
"""
import argparse
import sys
from pathlib import Path

from danr_study.errors import StudyError
from danr_study.localisation import (
    DEFAULT_SCORE_THRESHOLD,
    detection_localisation,
    format_localisation_table,
    read_detections,
)


def named_file(text: str) -> tuple[str, Path]:
    name, sep, path = text.partition('=')
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f'{text!r}: give NAME=RESULTS.bbox.json')
    return name, Path(path)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('ann_file', type=Path, help='the reported split\'s true boxes (see above)')
    parser.add_argument('results', type=named_file, nargs='+', help='NAME=RESULTS.bbox.json')
    parser.add_argument('--score-threshold', type=float, default=DEFAULT_SCORE_THRESHOLD,
                        help='detections scoring below this are left out (default %(default)s)')
    args = parser.parse_args(argv)
    try:
        rows = {name: detection_localisation(args.ann_file, read_detections(path), args.score_threshold)
                for name, path in args.results}
    except StudyError as error:
        print(f'box_localisation.py: error: {error}', file=sys.stderr)
        return 1
    print(f'detections scoring >= {args.score_threshold:g}; matches at IoU >= 0.5\n')
    print(format_localisation_table(rows), end='')
    return 0


if __name__ == '__main__':
    sys.exit(main())
