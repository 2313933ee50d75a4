#!/usr/bin/env python
"""Seed-paired differences between the study's arms (+Aug − N.A., +Aug − +Warp, +Warp − N.A.)
from a run list, e.g. the committed docs/results.json (danr_study.paired):

    python scripts/study_pairs.py docs/results.json [--add OUT/results.json ...] [--metric AP]
        [--curves docs/holdout_curves.png] [--chart docs/study_chart.png]

--add first appends to the run list the finished runs of study folders that it lacks.
"""
import argparse
import json
import sys
from pathlib import Path

from danr_renderer.atomic_io import atomic_write_text
from danr_study.charts import plot_arm_bars, plot_holdout_curves
from danr_study.errors import StudyError
from danr_study.paired import format_paired_table, read_run_list
from danr_study.plan import METRICS
from danr_study.report import format_records, merge_run_lists, run_list


def add_study_runs(runs_path: Path, study_results: list[Path]) -> list[dict]:
    """The run list at runs_path with the finished runs of each study results.json that it
    lacks appended; the file is rewritten (atomically) when any were."""
    runs = read_run_list(runs_path)
    for path in study_results:
        try:
            finished = run_list(json.loads(Path(path).read_text()))
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise StudyError(f'{path}: cannot read the study\'s results ({error!r})') from None
        runs, added = merge_run_lists(runs, finished)
        print(f'{path}: {added} run(s) added to {runs_path}')
        if added:
            atomic_write_text(runs_path, format_records(runs))
    return runs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('runs', type=Path, help='run list (docs/results.json or OUT/runs.json)')
    parser.add_argument('--add', type=Path, nargs='+', default=[], metavar='RESULTS_JSON',
                        help='results.json of study folders: their finished runs missing from '
                        'the run list are appended to it first')
    parser.add_argument('--metric', choices=METRICS, default='AP')
    parser.add_argument('--curves', type=Path, default=None,
                        help='also draw the runs\' holdout curves, a panel per comparable group, '
                        'into this PNG')
    parser.add_argument('--chart', type=Path, default=None,
                        help='also draw AP, AP50 and AP75 of every arm (mean bar, a dot per seed) '
                        'for every group holding two arms or more into this PNG')
    args = parser.parse_args(argv)
    try:
        runs = add_study_runs(args.runs, args.add) if args.add else read_run_list(args.runs)
        print(format_paired_table(runs, metric=args.metric), end='')
        if args.curves is not None:
            panels = plot_holdout_curves(runs, args.curves)
            print(f'{args.curves}: {panels} panel(s)' if panels else
                  f'no run of {args.runs} has a holdout curve: {args.curves} not written')
        if args.chart is not None:
            bars = plot_arm_bars(runs, args.chart)
            print(f'{args.chart}: {len(bars)} bar(s)' if bars else
                  f'no group of {args.runs} holds two arms: {args.chart} not written')
    except StudyError as error:
        print(f'study_pairs.py: error: {error}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
