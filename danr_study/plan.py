"""What the study runs: its options, arms, backbones and protocols, the runs, the settings
every result depends on, and which runs are still to do (resume)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from .errors import StudyError
from .splits import HOLDOUT_FRACTION, SPLIT_SEED

REPO = Path(__file__).resolve().parents[1]
STUDY_CONFIGS = REPO / 'configs' / 'study'
DEFAULT_RENDERER = REPO / 'checkpoints' / 'danr_synthetic_demo.pth'

# The metrics reported, in table order: name -> key of mmdet's CocoMetric (values in [0, 1],
# -1 when the split has no object of that size).
METRIC_KEYS = {
    'AP': 'coco/bbox_mAP', 'AP50': 'coco/bbox_mAP_50', 'AP75': 'coco/bbox_mAP_75',
    'AP_S': 'coco/bbox_mAP_s', 'AP_M': 'coco/bbox_mAP_m', 'AP_L': 'coco/bbox_mAP_l',
}
METRICS = tuple(METRIC_KEYS)


def half_range(values) -> float | None:
    """The study's spread of values over seeds: (max - min) / 2 of two or more values; None
    for fewer (no spread measured)."""
    values = list(values)
    return (max(values) - min(values)) / 2 if len(values) > 1 else None


@dataclass(frozen=True)
class Arm:
    """One arm of the comparison: its table label and the views it trains on beside the
    originals (a key of VIEW_KINDS; None: originals only). Its configs are
    configs/study/centernet_<backbone>_320x192_<arm>.py."""

    label: str
    views: str | None


@dataclass(frozen=True)
class ViewKind:
    """Views of a split's fit images made with the split's renderer: the render mode of
    danr_renderer.augment (render_image.RENDER_MODES) and the folder name: the views go to
    OUT/<folder>/<protocol>/<split>/ and their summaries to results.json's <folder> section."""

    mode: str
    folder: str


# 'danr': the DANR views (the full-resolution composite); 'plane': the same poses as the
# homography of a constant-depth plane at the renderer's scale (the 2-D control).
VIEW_KINDS = {'danr': ViewKind('composite', 'views'), 'plane': ViewKind('plane', 'views_plane')}
# Table order. Adding an arm is one entry here, its configs, and (for new views) a view kind.
# aug_centres: the +Aug views with their carried boxes out of the box-size and offset losses
# (DANRAugmentedDataset's view_box_size_weight=0): do the views' approximate boxes cost AP75?
# na_noisy: N.A. with its boxes disturbed as carried boxes err (DisturbBoxes): does box noise
# of that size alone cost it?
ARMS = {'na': Arm('N.A.', None), 'aug': Arm('+Aug', 'danr'), 'warp': Arm('+Warp', 'plane'),
        'aug_centres': Arm('+Aug centres', 'danr'), 'na_noisy': Arm('N.A. noisy boxes', None)}
# The arms issue 15 compares, run when --arms is not given.
DEFAULT_ARMS = ('na', 'aug', 'warp')
# --backbone -> (config name part, description)
BACKBONES = {'effnet': ('effnet', 'EfficientNet-Lite0 (ImageNet weights)'),
             'resnet18': ('r18', 'ResNet-18 (random init)')}
PROTOCOLS = ('sequence', 'image')

# The detector recipe's knobs and their defaults (the first study's schedule: no warm-up, one lr
# for the whole network, halved at 3/4 and 11/12 of training).
RECIPE_DEFAULTS = dict(backbone_lr_mult=1.0, warmup_iters=0, lr_steps=(0.75, 0.9166667), lr_gamma=0.5)
# Holdout validations (checkpoint candidates) per run by default.
DEFAULT_VALIDATIONS = 6
FULL = dict(iters=1200, input_size=(320, 192), batch_size=8, render_size=128, seeds=[0, 1],
            adapt_iters=400)
SMOKE = dict(iters=2, input_size=(128, 96), batch_size=4, render_size=64, seeds=[0],
             adapt_iters=2)


@dataclass(frozen=True)
class StudyOptions:
    """The command line's choices (see danr_study.cli), defaults filled in."""

    data_root: Path
    out: Path
    renderer: Path
    splits: list  # tags, e.g. ['1of9', '3of7']
    protocols: list
    arms: list
    seeds: list
    iters: int
    backbone: str
    render_size: int
    adapt_iters: int
    threads: int
    smoke: bool
    backbone_lr_mult: float = RECIPE_DEFAULTS['backbone_lr_mult']
    warmup_iters: int = RECIPE_DEFAULTS['warmup_iters']
    lr_steps: tuple = RECIPE_DEFAULTS['lr_steps']
    lr_gamma: float = RECIPE_DEFAULTS['lr_gamma']
    validations: int = DEFAULT_VALIDATIONS

    def uses_renderer(self) -> bool:
        """Whether an arm of this study trains on views (every view kind is made with the
        split's renderer)."""
        return any(ARMS[arm].views is not None for arm in self.arms)


@dataclass(frozen=True)
class Run:
    """One training + test of one arm."""

    backbone: str
    protocol: str
    split: str  # e.g. '1of9'
    arm: str
    seed: int

    @property
    def key(self) -> str:
        return f'{self.backbone}/{self.protocol}/{self.split}/{self.arm}/seed{self.seed}'


def protocol_order(protocol: str) -> int:
    """Table position of a protocol (PROTOCOLS order; unknown ones last)."""
    return PROTOCOLS.index(protocol) if protocol in PROTOCOLS else len(PROTOCOLS)


def arm_order(arm: str) -> int:
    """Table position of an arm (ARMS order; unknown ones last)."""
    arms = list(ARMS)
    return arms.index(arm) if arm in arms else len(arms)


def study_config(run: Run) -> Path:
    """The detector config of a run's backbone and arm."""
    return STUDY_CONFIGS / f'centernet_{BACKBONES[run.backbone][0]}_320x192_{run.arm}.py'


def study_settings(options: StudyOptions) -> dict:
    """What every run's result depends on besides its own backbone/protocol/split/arm/seed."""
    defaults = SMOKE if options.smoke else FULL
    return dict(iters=options.iters, input_size=list(defaults['input_size']),
                batch_size=defaults['batch_size'], smoke=options.smoke,
                split_seed=SPLIT_SEED, holdout_fraction=HOLDOUT_FRACTION,
                backbone_lr_mult=options.backbone_lr_mult, warmup_iters=options.warmup_iters,
                lr_steps=list(options.lr_steps), lr_gamma=options.lr_gamma,
                validations=options.validations)


def plan_runs(backbone: str, protocols, splits, arms, seeds) -> list[Run]:
    """Every run of the study, grouped by protocol and split (views are rendered per split)."""
    return [Run(backbone, protocol, split, arm, seed)
            for protocol in protocols for split in splits for seed in seeds for arm in arms]


def run_settings(run: Run, settings: dict, renderer: dict | None) -> dict:
    """The settings a run's record must carry to count as done in this study; `renderer`
    (the views' base checkpoint hash, canvas and adaptation) only counts for arms trained on
    views."""
    return dict(settings, renderer=renderer if ARMS[run.arm].views is not None else None)


def is_finished(record: dict | None) -> bool:
    """A run is finished when its record holds every metric as a finite number."""
    if not record:
        return False
    metrics = record.get('metrics') or {}
    return all(isinstance(metrics.get(name), (int, float)) and math.isfinite(metrics[name])
               for name in METRICS)


def pending_runs(runs: list[Run], results: dict, expected: dict) -> list[Run]:
    """The runs still to do. `expected` maps run key -> run_settings; a finished record made
    with other settings raises StudyError (mixing them would make the table lie)."""
    pending = []
    for run in runs:
        record = results.get('runs', {}).get(run.key)
        if not is_finished(record):
            pending.append(run)
            continue
        if record.get('settings') != expected[run.key]:
            changed = sorted(k for k in set(record.get('settings', {})) | set(expected[run.key])
                             if record.get('settings', {}).get(k) != expected[run.key].get(k))
            raise StudyError(
                f'{run.key}: results.json holds this run made with other settings '
                f'({", ".join(changed)} differ); use another --out for a different study')
    return pending
