"""Paired comparisons across sessions: from the committed run list (docs/results.json, the
format of report.run_list) the difference between two arms seed by seed, and its spread.

Runs are comparable when they share backbone, protocol, split, iterations and recipe; within
such a group, arm A's seed k is paired with arm B's seed k (the same data order and
initialisation of the heads), and a seed without its partner is left out. The spread of a set
of values is half its range, as in the study's tables."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from .errors import StudyError
from .plan import ARMS, half_range, protocol_order

# The comparisons the issue asks for, then the diagnostic arms', in report order: (arm, against).
DEFAULT_COMPARISONS = (('aug', 'na'), ('aug', 'warp'), ('warp', 'na'), ('aug_centres', 'na'),
                       ('aug_centres', 'aug'), ('na_noisy', 'na'))
RUN_FIELDS = ('backbone', 'protocol', 'split', 'arm', 'seed', 'iterations', 'recipe')


@dataclass(frozen=True)
class PairedDifference:
    """metric(arm) - metric(against) over the seeds both arms ran, in one comparable group."""

    group: tuple  # (backbone, protocol, split, iterations, recipe as sorted JSON)
    arm: str
    against: str
    seeds: tuple[int, ...]
    differences: tuple[float, ...]  # percent points, in seed order
    arm_values: tuple[float, ...]
    against_values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.differences) / len(self.differences)

    @property
    def spread(self) -> float | None:
        """Half the range of the differences; None with one seed (unknown)."""
        return half_range(self.differences)


def read_run_list(path: Path) -> list[dict]:
    """The run records of a run list file; StudyError naming the file and the record at fault."""
    try:
        runs = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise StudyError(f'{path}: cannot read the run list ({error})') from None
    if not isinstance(runs, list):
        raise StudyError(f'{path}: a run list is a JSON list of runs, got {type(runs).__name__}')
    for index, run in enumerate(runs):
        missing = [field for field in RUN_FIELDS if not isinstance(run, dict) or field not in run]
        if missing:
            raise StudyError(f'{path}: run {index} lacks {", ".join(missing)}')
    return runs


def comparison_group(run: dict) -> tuple:
    """The key under which runs are comparable (everything but arm and seed)."""
    return (run['backbone'], run['protocol'], run['split'], run['iterations'],
            json.dumps(run['recipe'], sort_keys=True))


def comparison_group_order(group: tuple) -> tuple:
    """Report order of comparison groups: backbone, protocol (PROTOCOLS order), the rest."""
    return (group[0], protocol_order(group[1]), group[2:])


def paired_differences(runs: list[dict], arm: str, against: str,
                       metric: str = 'AP') -> list[PairedDifference]:
    """For every comparable group holding both arms on at least one common seed, the
    seed-paired differences of `metric` (runs whose metric is None are left out)."""
    by_group: dict[tuple, dict[str, dict[int, dict]]] = {}
    for run in runs:
        if run.get(metric) is None:
            continue
        group = comparison_group(run)
        seeds = by_group.setdefault(group, {}).setdefault(run['arm'], {})
        earlier = seeds.get(run['seed'])
        if earlier is not None:
            views = '' if earlier.get('renderer') == run.get('renderer') else \
                f' (views from {earlier.get("renderer")} and from {run.get("renderer")}: keep the current renderer\'s)'
            raise StudyError(f'two runs of {run["arm"]} seed {run["seed"]} in group {group}{views}')
        seeds[run['seed']] = run
    pairs = []
    for group, arms in by_group.items():
        common = sorted(set(arms.get(arm, {})) & set(arms.get(against, {})))
        if not common:
            continue
        arm_values = tuple(float(arms[arm][seed][metric]) for seed in common)
        against_values = tuple(float(arms[against][seed][metric]) for seed in common)
        pairs.append(PairedDifference(group, arm, against, tuple(common),
                                      tuple(a - b for a, b in zip(arm_values, against_values)),
                                      arm_values, against_values))
    return sorted(pairs, key=lambda p: comparison_group_order(p.group))


def describe_recipe(recipe: dict) -> str:
    """'lr x0.1 at 0.4; warm-up 100' (and the backbone's lr factor when it is not 1)."""
    steps = ' '.join(f'{step:g}' for step in recipe.get('lr_steps', []))
    text = f'lr x{recipe.get("lr_gamma", 1):g} at {steps}; warm-up {recipe.get("warmup_iters", 0)}'
    mult = recipe.get('backbone_lr_mult', 1.0)
    return text if mult == 1.0 else f'{text}; backbone lr x{mult:g}'


def _fmt_spread(value: float | None) -> str:
    return '–' if value is None else f'{value:.1f}'


def format_paired_table(runs: list[dict], comparisons=DEFAULT_COMPARISONS,
                        metric: str = 'AP') -> str:
    """Markdown: one row per comparable group and comparison: seeds, the per-seed differences,
    their mean and spread, and each arm's own spread over the same seeds. 'beyond spread' says
    whether |mean| exceeds the largest of the three spreads (blank with one seed)."""
    lines = [f'| backbone | protocol | split | iterations | recipe | comparison | seeds '
             f'| Δ{metric} per seed | mean Δ | spread of Δ | spread of arm / of other '
             '| beyond spread |',
             '|' + '---|' * 12]
    for arm, against in comparisons:
        for pair in paired_differences(runs, arm, against, metric):
            backbone, protocol, split, iterations, recipe = pair.group
            spreads = [pair.spread, half_range(pair.arm_values), half_range(pair.against_values)]
            beyond = '' if pair.spread is None else \
                ('yes' if abs(pair.mean) > max(spreads) else 'no')
            cells = [backbone, protocol, split, str(iterations), describe_recipe(json.loads(recipe)),
                     f'{ARMS[arm].label} − {ARMS[against].label}',
                     ' '.join(str(seed) for seed in pair.seeds),
                     ' '.join(f'{d:+.1f}' for d in pair.differences), f'{pair.mean:+.1f}',
                     _fmt_spread(pair.spread),
                     f'{_fmt_spread(spreads[1])} / {_fmt_spread(spreads[2])}', beyond]
            lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
