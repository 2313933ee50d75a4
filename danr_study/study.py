"""The whole study: check the inputs, write the splits, prepare each split's views, train and
test every pending run, record the session and write the report. Several workers may share one
--out: each split's views and each run are claimed with a file lock (see locks)."""
from __future__ import annotations

import shlex
import time
from functools import partial
from typing import Callable, NamedTuple

from danr_renderer.augment.records import file_sha256

from .errors import StudyError
from .locks import file_lock
from .plan import ARMS, VIEW_KINDS, Run, StudyOptions, pending_runs, plan_runs, run_settings, study_settings
from .renderer_prep import prepare_views, views_dir
from .report import fmt, write_outputs
from .results_store import read_results, update_results
from .runs import run_one
from .splits import describe_split, make_splits


class ViewMaker(NamedTuple):
    """How an arm's views of a split are made: prepare(options, protocol, split, fit_file,
    results_path, wait) -> False when another worker holds them; folder(out, protocol, split)."""

    prepare: Callable
    folder: Callable


# Every view kind is rendered with the split's renderer (renderer_prep).
VIEW_MAKERS = {kind: ViewMaker(partial(prepare_views, kind=kind), partial(views_dir, kind=kind))
               for kind in VIEW_KINDS}


def check_inputs(options: StudyOptions) -> None:
    """StudyError before anything is written: no data set, --out inside it, no renderer."""
    data_root = options.data_root
    if not (data_root / 'annotations.json').is_file() or not (data_root / 'images').is_dir():
        raise StudyError(f'--data-root {data_root}: needs annotations.json and images/')
    out = options.out.resolve()
    if out == data_root.resolve() or data_root.resolve() in out.parents:
        raise StudyError(f'--out {options.out} is inside the data folder {data_root}, which is '
                         'never written to; choose another --out')
    if options.uses_renderer() and not options.renderer.is_file():
        raise StudyError(f'--renderer {options.renderer} not found: the +Aug and +Warp arms '
                         'need a renderer checkpoint (tools/train.py configs/renderer/..., or '
                         'run --arms na only)')


def renderer_record(options: StudyOptions) -> dict | None:
    """What the views depend on (base checkpoint hash, canvas, adaptation), if any are used."""
    if not options.uses_renderer():
        return None
    return dict(base=str(options.renderer), base_sha256=file_sha256(options.renderer),
                render_size=options.render_size, adapt_iters=options.adapt_iters)


def write_all_splits(options: StudyOptions, results_path) -> dict:
    """Every protocol's split files (under the splits lock); {(protocol, tag): parts}."""
    files = {}
    with file_lock(options.out / 'splits.lock', wait=True):
        for protocol in options.protocols:
            split_files = make_splits(options.data_root / 'annotations.json',
                                      options.out / 'splits' / protocol, protocol,
                                      options.splits, options.smoke)
            for tag, parts in split_files.items():
                files[(protocol, tag)] = parts
                update_results(results_path, ('splits', f'{protocol}/{tag}'),
                               describe_split(parts))
    return files


def report_run(label: str, record: dict) -> None:
    metrics = record['metrics']
    print(f'{label} {record["key"]}: AP {fmt(metrics["AP"])} AP50 {fmt(metrics["AP50"])} '
          f'(best holdout iter {record["best_iter"]}; train {record["train_wall_s"]:.0f} s, '
          f'test {record["test_wall_s"]:.0f} s)', flush=True)


def run_study(options: StudyOptions, command: str) -> dict:
    """Run (or resume) the study; returns the merged results. `command` is recorded."""
    started = time.perf_counter()
    check_inputs(options)
    settings = study_settings(options)
    renderer = renderer_record(options)
    out = options.out
    results_path = out / 'results.json'
    runs = plan_runs(options.backbone, options.protocols, options.splits, options.arms,
                     options.seeds)
    expected = {run.key: run_settings(run, settings, renderer) for run in runs}
    todo = pending_runs(runs, read_results(results_path), expected)
    print(f'indoor study: {len(runs)} runs, {len(runs) - len(todo)} already done, '
          f'{len(todo)} to do; output {out}', flush=True)
    if todo and renderer is not None:
        import torch
        torch.set_num_threads(options.threads)
    files = write_all_splits(options, results_path)

    # Two passes: the first skips splits whose views another worker is preparing, the second
    # waits for them. Runs another worker is training are left to it.
    prepared, queue = set(), todo
    for wait in (False, True):
        deferred = []
        for run in queue:
            if not run_with_views(run, options, settings=expected[run.key], files=files,
                                  prepared=prepared, results_path=results_path, wait=wait,
                                  label=f'[{todo.index(run) + 1}/{len(todo)}]'):
                deferred.append(run)
        queue = deferred
    wall = round(time.perf_counter() - started, 1)
    # Every worker's command stays on record; 'study' holds the newest session.
    update_results(results_path, ('sessions', command), dict(session_wall_s=wall))
    study = dict(command=command, backbone=options.backbone, settings=settings,
                 renderer=renderer, data_root=str(options.data_root.resolve()),
                 session_wall_s=wall)
    results = update_results(results_path, ('study',), study)
    write_outputs(results, out)
    return results


def run_with_views(run: Run, options: StudyOptions, settings: dict, files: dict, prepared: set,
                   results_path, wait: bool, label: str) -> bool:
    """Prepare the run's views (once per split and kind) and train/test it; False when its
    views are held by another worker and `wait` is False."""
    parts = files[(run.protocol, run.split)]
    kind = ARMS[run.arm].views
    folder = None
    if kind is not None:
        maker = VIEW_MAKERS[kind]
        if (kind, run.protocol, run.split) not in prepared:
            if not maker.prepare(options, run.protocol, run.split, parts['fit'], results_path,
                                 wait):
                return False
            prepared.add((kind, run.protocol, run.split))
        folder = maker.folder(options.out, run.protocol, run.split)
    record = run_one(run, options.out, options.data_root, options.threads, settings, parts,
                     folder, results_path, label)
    if record is not None:
        report_run(label, record)
    return True


def session_command(argv: list[str]) -> str:
    """The study's command line as recorded in results.json."""
    return shlex.join(['python', 'scripts/indoor_study.py', *argv])
