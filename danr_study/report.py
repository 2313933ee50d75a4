"""The study's report: the mean and per-run tables (markdown), OUT/results.md, the bar chart
OUT/results.png and the run list OUT/runs.json, all from the merged results.json."""
from __future__ import annotations

import json
from pathlib import Path

from danr_renderer.atomic_io import atomic_write_text

from .charts import plot_arm_bars
from .errors import StudyError
from .plan import (
    ARMS,
    BACKBONES,
    METRICS,
    RECIPE_DEFAULTS,
    VIEW_KINDS,
    arm_order,
    half_range,
    is_finished,
    protocol_order,
)

REFERENCE_ARM = 'na'  # the arm the ΔAP column compares against


def fmt(value: float) -> str:
    """A metric in percent, 'n/a' for -1 (no object of that size)."""
    return 'n/a' if value < 0 else f'{value:.1f}'


def fmt_mean(values: list[float]) -> str:
    """Mean over seeds, with +- half the range when there are several."""
    if any(v < 0 for v in values):
        return 'n/a'
    mean = sum(values) / len(values)
    spread = half_range(values)
    return f'{mean:.1f}' if spread is None else f'{mean:.1f} ±{spread:.1f}'


def group_runs(results: dict) -> dict:
    """{(backbone, protocol, split, arm): [records sorted by seed]} of the finished runs."""
    groups = {}
    for record in results.get('runs', {}).values():
        if is_finished(record):
            key = (record['backbone'], record['protocol'], record['split'], record['arm'])
            groups.setdefault(key, []).append(record)
    return {key: sorted(records, key=lambda r: r['seed']) for key, records in
            sorted(groups.items(), key=lambda item: group_order(item[0]))}


def group_order(key: tuple) -> tuple:
    """Table order: backbone, protocol, train fraction, arm (ARMS order)."""
    backbone, protocol, split, arm = key
    a, b = (int(n) for n in split.split('of'))
    return (backbone, protocol_order(protocol), a / (a + b), arm_order(arm))


def split_label(split: str) -> str:
    """'1of9' -> '1/9'."""
    return split.replace('of', '/')


def format_tables(results: dict) -> str:
    """Markdown: the mean table (with AP gain of +Aug over N.A.) and the per-run table."""
    groups = group_runs(results)
    lines = ['| backbone | protocol | train/val | arm | seeds | '
             + ' | '.join(METRICS) + ' | ΔAP vs N.A. | train min/run |',
             '|' + '---|' * (len(METRICS) + 7)]
    for (backbone, protocol, split, arm), records in groups.items():
        ap_mean = sum(r['metrics']['AP'] for r in records) / len(records)
        reference = groups.get((backbone, protocol, split, REFERENCE_ARM))
        gain = ''
        if arm != REFERENCE_ARM and reference:
            reference_mean = sum(r['metrics']['AP'] for r in reference) / len(reference)
            gain = f'{ap_mean - reference_mean:+.1f}'
        minutes = sum(r['train_wall_s'] for r in records) / len(records) / 60
        cells = [backbone, protocol, split_label(split), ARMS[arm].label if arm in ARMS else arm,
                 ' '.join(str(r['seed']) for r in records)]
        cells += [fmt_mean([r['metrics'][name] for r in records]) for name in METRICS]
        cells += [gain, f'{minutes:.1f}']
        lines.append('| ' + ' | '.join(cells) + ' |')
    lines += ['', '| run | ' + ' | '.join(METRICS) + ' | best holdout iter (AP) | '
              'train s | test s |', '|' + '---|' * (len(METRICS) + 4)]
    for records in groups.values():
        for r in records:
            holdout = dict((step, ap) for step, ap in r.get('holdout_curve', []))
            best = f'{r["best_iter"]} ({fmt(holdout[r["best_iter"]])})' \
                if r['best_iter'] in holdout else str(r['best_iter'])
            cells = [r['key']] + [fmt(r['metrics'][name]) for name in METRICS]
            cells += [best, f'{r["train_wall_s"]:.0f}', f'{r["test_wall_s"]:.0f}']
            lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'


def run_recipe(settings: dict) -> dict:
    """A run's schedule knobs from its settings (plan.RECIPE_DEFAULTS' keys; a record from
    before a knob existed ran with its default), lr_steps as a list."""
    recipe = {knob: settings.get(knob, default) for knob, default in RECIPE_DEFAULTS.items()}
    return dict(recipe, lr_steps=list(recipe['lr_steps']))


def run_renderer(settings: dict) -> dict | None:
    """The renderer a run's views came from (plan.run_settings' 'renderer'), as a run record
    keeps it: checkpoint file name, the first 12 hex digits of its sha256, adaptation
    iterations; None for an arm without views (N.A.)."""
    renderer = settings.get('renderer')
    if renderer is None:
        return None
    return dict(checkpoint=Path(renderer['base']).name, sha256=renderer['base_sha256'][:12],
                adapt_iters=renderer['adapt_iters'])


def run_list(results: dict) -> list[dict]:
    """The finished runs of results.json, in table order then by seed, as plain records (the
    format of docs/results.json): backbone, protocol ('sequence' or 'image'), split ('1/9'),
    arm (a key of plan.ARMS: 'na', 'aug', 'warp', 'aug_centres', 'na_noisy'), seed,
    iterations, the metrics AP, AP50, AP75, AP_S, AP_M, AP_L in percent on the reported split
    (None where it has no object of that size),
    best_holdout_iter, the iteration of the checkpoint chosen on the holdout split, recipe,
    the schedule's knobs (plan.RECIPE_DEFAULTS; a record from before a knob existed ran with
    its default), holdout_curve, [iteration, holdout AP in percent] of every validation, and
    renderer, where the views came from (run_renderer)."""
    return [dict(backbone=r['backbone'], protocol=r['protocol'], split=split_label(r['split']),
                 arm=r['arm'], seed=r['seed'], iterations=r['settings']['iters'],
                 **{name: None if r['metrics'][name] < 0 else r['metrics'][name]
                    for name in METRICS},
                 best_holdout_iter=r['best_iter'], recipe=run_recipe(r['settings']),
                 holdout_curve=r.get('holdout_curve', []), renderer=run_renderer(r['settings']))
            for records in group_runs(results).values() for r in records]


def format_records(records: list[dict]) -> str:
    """A run list as a JSON list, one run per line (so that a diff of the committed
    docs/results.json shows runs)."""
    return '[\n' + ',\n'.join(json.dumps(record) for record in records) + '\n]\n'


def format_run_list(results: dict) -> str:
    """OUT/runs.json: run_list of results.json as format_records."""
    return format_records(run_list(results))


def run_identity(record: dict) -> tuple:
    """What makes two records of a run list the same run: everything it was run with
    (backbone, protocol, split, arm, seed, iterations, recipe, renderer)."""
    return (record['backbone'], record['protocol'], record['split'], record['arm'], record['seed'],
            record['iterations'], json.dumps(record['recipe'], sort_keys=True),
            json.dumps(record.get('renderer'), sort_keys=True))


def merge_run_lists(published: list[dict], finished: list[dict]) -> tuple[list[dict], int]:
    """published followed by the records of finished that it lacks (run_identity), in
    finished's order, and how many those are. A run in both with other numbers raises
    StudyError naming it: a published result is never replaced silently."""
    merged = list(published)
    known = {run_identity(record): record for record in published}
    for record in finished:
        identity = run_identity(record)
        if identity not in known:
            merged.append(record)
            known[identity] = record
        elif known[identity] != record:
            raise StudyError(f'{record["protocol"]} {record["split"]} {record["arm"]} seed '
                             f'{record["seed"]} ({record["iterations"]} iterations) is already in '
                             'the run list with other numbers')
    return merged, len(merged) - len(published)


def describe_backbone(name: str) -> str:
    """'effnet' -> 'EfficientNet-Lite0 (ImageNet weights)' (the name itself if unknown)."""
    return BACKBONES[name][1] if name in BACKBONES else name


def format_report(results: dict) -> str:
    """OUT/results.md: settings, splits, views, tables."""
    study = results['study']
    width, height = study['settings']['input_size']
    backbones = ' / '.join(f'{name}: {describe_backbone(name)}' for name in
                           sorted({run['backbone'] for run in results.get('runs', {}).values()}))
    arms = {run['arm'] for run in results.get('runs', {}).values()}
    lines = [
        '# Indoor study: ' + ' vs '.join(arm.label for name, arm in ARMS.items() if name in arms)
        + (' (SMOKE run: a pipeline check, not a measurement)'
           if study['settings']['smoke'] else ''), '',
        'Commands (each with the wall time of its last session):', '',
        *[f'- `{command}` ({session["session_wall_s"]:.0f} s)' for command, session in
          results.get('sessions', {study['command']: study}).items()], '',
        f'CenterNet, {backbones or describe_backbone(study["backbone"])}, input '
        f'{width}x{height}, batch {study["settings"]["batch_size"]}, '
        f'{study["settings"]["iters"]} iterations; checkpoint chosen on the holdout '
        'file, metrics on the reported val split (COCO AP in %, "n/a": no object of that size '
        'there). Mean over seeds, ± half the range. Split seed '
        f'{study["settings"]["split_seed"]}, holdout {study["settings"]["holdout_fraction"]:.0%}'
        ' of the training side.', '',
        format_tables(results), '## Splits (images)', '',
        '| protocol/split | fit | holdout | val | fit sequences | val sequences |',
        '|---|---|---|---|---|---|']
    for key, split in results.get('splits', {}).items():
        lines.append(f'| {key} | {split["fit"]} | {split["holdout"]} | {split["val"]} | '
                     f'{split.get("fit_sequences", "")} | {split.get("val_sequences", "")} |')
    if results.get('renderers'):
        lines += ['', '## Renderers (fine-tuned per split on synthetic scenes textured with '
                  'patches of its fit images)', '',
                  '| protocol/split | base | iterations | synthetic views | wall s | sha256 |',
                  '|---|---|---|---|---|---|']
        for key, adapted in results['renderers'].items():
            base = Path(adapted.get('base') or (study.get('renderer') or {}).get('base', '?')).name
            synthetic = adapted['synthetic']
            lines.append(f'| {key} | {base} | {adapted["iters"]} | {synthetic["scenes"]} scenes '
                         f'x {synthetic["views"]} at {synthetic["size"]} px | '
                         f'{adapted["wall_s"]} | {adapted["sha256"][:12]} |')
    rendered = [(kind, key, views) for kind, view_kind in VIEW_KINDS.items()
                for key, views in results.get(view_kind.folder, {}).items()]
    if rendered:
        lines += ['', '## Rendered views (of the fit images only; danr: the DANR views of '
                  '+Aug, plane: the plane warps of +Warp)', '',
                  '| kind | protocol/split | sources | views | boxes kept | boxes dropped | '
                  'wall s |', '|---|---|---|---|---|---|---|']
        for kind, key, views in rendered:
            dropped = ', '.join(f'{k} {v}' for k, v in views['boxes_dropped'].items()) or '0'
            lines.append(f'| {kind} | {key} | {views["sources"]} | {views["views"]} | '
                         f'{views["boxes_kept"]} | {dropped} | {views["wall_s"]} |')
    runs = [run for run in results.get('runs', {}).values() if is_finished(run)]
    run_hours = sum(run['train_wall_s'] + run['test_wall_s'] for run in runs) / 3600
    render_minutes = sum(views['wall_s'] for _, _, views in rendered) / 60
    lines += ['', f'Wall time: {run_hours:.2f} h training + testing ({len(runs)} runs), '
              f'{render_minutes:.1f} min rendering (last session '
              f'{study.get("session_wall_s", 0):.0f} s end to end).', '']
    return '\n'.join(lines)


def write_outputs(results: dict, out: Path) -> None:
    """results.md, results.png and runs.json (results.json is kept up to date by
    results_store.update_results)."""
    atomic_write_text(out / 'results.md', format_report(results))
    atomic_write_text(out / 'runs.json', format_run_list(results))
    plot_arm_bars(run_list(results), out / 'results.png', metrics=('AP', 'AP50'), min_arms=1)

