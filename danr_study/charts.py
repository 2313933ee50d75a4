"""Pictures of a run list (docs/results.json, the format of report.run_list): the holdout
curves of every comparable group and the metrics of every arm as bars, each seed a dot."""
from __future__ import annotations

import json
from pathlib import Path

from .paired import comparison_group, comparison_group_order, describe_recipe
from .plan import ARMS, arm_order


def _pyplot():
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    return plt


def _arm_style(arm: str) -> tuple[str, str]:
    """(colour, label) of an arm in every chart: its ARMS order's colour and table label; black
    and the raw name for an arm the plan does not know."""
    return (f'C{arm_order(arm)}', ARMS[arm].label) if arm in ARMS else ('k', arm)


def _save(plt, figure, png_path: Path) -> None:
    figure.tight_layout()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png_path, dpi=120)
    plt.close(figure)


def plot_holdout_curves(runs: list[dict], png_path: Path) -> int:
    """One panel per comparable group whose runs carry a holdout_curve: holdout AP against
    iteration, a line per arm and seed (the arm's colour, a marker per seed). Returns the number
    of panels (0: nothing drawn, no file written)."""
    plt = _pyplot()
    groups: dict[tuple, list[dict]] = {}
    for run in runs:
        if run.get('holdout_curve'):
            groups.setdefault(comparison_group(run), []).append(run)
    if not groups:
        return 0
    keys = sorted(groups, key=comparison_group_order)
    figure, axes = plt.subplots(1, len(keys), figsize=(4.2 * len(keys), 3.4), squeeze=False)
    for axis, key in zip(axes[0], keys):
        for run in sorted(groups[key], key=lambda r: (arm_order(r['arm']), r['seed'])):
            steps, values = zip(*run['holdout_curve'])
            colour, label = _arm_style(run['arm'])
            axis.plot(steps, values, color=colour, marker='os^dv'[run['seed'] % 5], markersize=3,
                      label=f'{label} seed {run["seed"]}')
        backbone, protocol, split, iterations, recipe = key
        axis.set_title(f'{protocol} {split}, {iterations} it\n{describe_recipe(json.loads(recipe))}',
                       fontsize=8)
        axis.set_xlabel('iteration')
        axis.set_ylabel('holdout AP (%)')
        axis.legend(fontsize=7)
    _save(plt, figure, png_path)
    return len(keys)


def plot_arm_bars(runs: list[dict], png_path: Path, metrics=('AP', 'AP50', 'AP75'),
                  min_arms: int = 2) -> list[tuple]:
    """A panel per metric, a cluster of bars per comparable group with at least `min_arms`
    arms: each arm's mean over its seeds as a bar (labelled), each seed as a dot. Runs whose
    metric is None are left out of that metric's panel. Returns the bars drawn as (group, arm,
    metric, mean, values in seed order); nothing is written when there is none."""
    groups: dict[tuple, dict[str, list[dict]]] = {}
    for run in runs:
        groups.setdefault(comparison_group(run), {}).setdefault(run['arm'], []).append(run)
    keys = sorted((key for key, arms in groups.items() if len(arms) >= min_arms),
                  key=comparison_group_order)
    arms = sorted({arm for key in keys for arm in groups[key]}, key=arm_order)
    bars = []
    for metric in metrics:
        for key in keys:
            for arm in arms:
                seeds = sorted(groups[key].get(arm, []), key=lambda r: r['seed'])
                values = tuple(float(r[metric]) for r in seeds if r.get(metric) is not None)
                if values:
                    bars.append((key, arm, metric, sum(values) / len(values), values))
    if not bars:
        return bars
    labels = [f'{key[1]} {key[2]}\n{key[3]} it' for key in keys]
    if len(set(labels)) < len(labels):  # same protocol, split and length: tell the recipes apart
        labels = [f'{label}\n{describe_recipe(json.loads(key[4]))}' for label, key in zip(labels, keys)]
    plt = _pyplot()
    panel_width = max(3.4, 1.4 * len(keys) + 1.2)
    figure, axes = plt.subplots(1, len(metrics), squeeze=False,
                                figsize=(panel_width * len(metrics), 3.8))
    width = 0.8 / len(arms)
    for axis, metric in zip(axes[0], metrics):
        top = 1.0
        for key, arm, bar_metric, mean, values in bars:
            if bar_metric != metric:
                continue
            index = arms.index(arm)
            x = keys.index(key) + (index - (len(arms) - 1) / 2) * width
            colour, label = _arm_style(arm)
            axis.bar(x, mean, width, color=colour, label=label)
            axis.plot([x] * len(values), values, 'k.', markersize=4)
            axis.annotate(f'{mean:.1f}', (x, max(mean, *values)), xytext=(0, 3), textcoords='offset points',
                          ha='center', va='bottom', fontsize=7)
            top = max(top, *values)
        handles, names = axis.get_legend_handles_labels()
        unique = dict(zip(names, handles))
        axis.legend(unique.values(), unique.keys(), fontsize=7)
        axis.set_xticks(range(len(keys)))
        axis.set_xticklabels(labels, fontsize=7)
        axis.set_ylim(0, top * 1.15)
        axis.set_ylabel(f'{metric} (%)')
        axis.set_title(f'{metric} on the reported split', fontsize=9)
    figure.suptitle('bar: mean over seeds (its value above), dot: one seed', fontsize=8)
    _save(plt, figure, png_path)
    return bars
