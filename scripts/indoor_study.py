#!/usr/bin/env python
"""The paper's central experiment (tables 5 and 8) on the real Indoor set: N.A. vs +Aug.

    python scripts/indoor_study.py --data-root ../shared/data/indoor_objects --out work_dirs/study
        [--renderer CKPT] [--splits 1/9 3/7] [--protocols sequence image] [--arms na aug]
        [--seeds 0 1] [--iters 1200] [--backbone effnet|resnet18] [--render-size 128]
        [--adapt-iters 400] [--threads 1] [--smoke]

From the raw COCO set to the results table:
1. splits (tools/split_dataset.py, seed 0) into OUT/splits/<protocol>/, never into the data
   folder: per train:val ratio a fit / holdout / val file. "sequence" keeps every video sequence
   on one side (the honest protocol; the holdout is the last 10% of frames of each training
   sequence); "image" assigns frames at random (the paper's rule; near-duplicate neighbouring
   frames then sit on both sides);
2. for +Aug, per split: the renderer adapted to the split's fit images (--adapt-iters > 0:
   synthetic scenes textured with patches of the fit images, tools/make_synthetic_dataset.py
   --photo-textures, then --renderer fine-tuned on them with configs/renderer/
   photo_finetune_128.py, into OUT/renderers/<protocol>/<split>/), then the DANR views of the
   fit images rendered with it into OUT/views/<protocol>/<split>/ by the offline augmentation
   library (resumable). No holdout or reported image is read by the renderer or rendered;
3. per backbone, protocol, split, seed and arm: tools/train.py in a subprocess
   (configs/study/, --cfg-options for the data paths, seed and schedule), the checkpoint chosen
   on the holdout file (save_best), then tools/test.py on the reported val file;
4. OUT/results.json (COCO AP, AP50, AP75, AP_S, AP_M, AP_L in percent, wall times, commands),
   OUT/results.md (tables) and OUT/results.png (bar chart).

Re-running resumes: runs whose results are in results.json are skipped, a run whose training
finished is only tested, an interrupted training resumes from its last checkpoint. Results made
with other settings (iterations, input size, renderer, ...) stop the run with an error: use
another --out.

Several workers may run on one --out at once (e.g. the same command once per GPU or core, or
`--arms na` beside `--arms aug`): each run and each split's renderer/views are claimed with a
file lock, a worker skips what another one holds, and results.json is updated under a lock.

--smoke: 12 fit / 4 holdout / 8 val images per split, 128x96 input, batch 4, 2 iterations,
seed 0, 64-pixel render canvas, 2 adaptation iterations on 2 small scenes (each unless given
explicitly): the whole pipeline in a few
minutes on CPU. CI runs this (tests/test_indoor_study.py); the full study is run by hand.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import importlib.util
import json
import math
import os
import shlex
import subprocess
import sys
import time
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from danr_renderer.atomic_io import atomic_write_json, atomic_write_text  # noqa: E402
from danr_renderer.augment import AugmentError, AugmentSettings, run_augmentation  # noqa: E402
from danr_renderer.augment.records import file_sha256  # noqa: E402

# The metrics reported, in table order: name -> key of mmdet's CocoMetric (values in [0, 1],
# -1 when the split has no object of that size).
METRIC_KEYS = {
    'AP': 'coco/bbox_mAP', 'AP50': 'coco/bbox_mAP_50', 'AP75': 'coco/bbox_mAP_75',
    'AP_S': 'coco/bbox_mAP_s', 'AP_M': 'coco/bbox_mAP_m', 'AP_L': 'coco/bbox_mAP_l',
}
METRICS = tuple(METRIC_KEYS)
ARMS = ('na', 'aug')
ARM_NAMES = {'na': 'N.A.', 'aug': '+Aug'}
BACKBONE_CONFIG = {'effnet': 'effnet', 'resnet18': 'r18'}
BACKBONE_NAMES = {'effnet': 'EfficientNet-Lite0 (ImageNet weights)',
                  'resnet18': 'ResNet-18 (random init)'}
PROTOCOLS = ('sequence', 'image')
PROTOCOL_SPLIT_ARGS = {'sequence': ['--group-key', 'sequence', '--order-key', 'frame'],
                       'image': []}
SPLIT_SEED = 0
HOLDOUT_FRACTION = 0.1
VALIDATIONS_PER_RUN = 6  # holdout evaluations (checkpoint candidates) per training run
FULL = dict(iters=1200, input_size=(320, 192), batch_size=8, render_size=128, seeds=[0, 1],
            adapt_iters=400)
SMOKE = dict(iters=2, input_size=(128, 96), batch_size=4, render_size=64, seeds=[0],
             adapt_iters=2)
# The photo-textured synthetic data a split's renderer is fine-tuned on (full, smoke).
ADAPT_DATA = {False: dict(scenes=24, views=30, size=128), True: dict(scenes=2, views=4, size=64)}
ADAPT_DATA_SEED = 1  # not the demo renderer's training seed (0): other rooms
ADAPT_CONFIG = REPO / 'configs' / 'renderer' / 'photo_finetune_128.py'

SMOKE_IMAGES = {'fit': 12, 'holdout': 4, 'val': 8}
SPLIT_PARTS = ('fit', 'holdout', 'val')
DEFAULT_RENDERER = REPO / 'checkpoints' / 'danr_synthetic_demo.pth'
SUBPROCESS_TIMEOUT_S = 4 * 3600


class StudyError(Exception):
    """The study cannot go on: bad input, a failed subprocess, or conflicting old results."""


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


# ---------------------------------------------------------------------------------------------
# command line


def parse_ratio(text: str) -> str:
    """'1/9' -> '1of9' (the split tool's file tag)."""
    parts = text.split('/')
    if len(parts) != 2 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise argparse.ArgumentTypeError(f'split {text!r} is not of the form a/b, e.g. 1/9')
    return f'{int(parts[0])}of{int(parts[1])}'


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0], epilog=__doc__.split('\n\n', 2)[2],
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', type=Path, required=True,
                        help='Indoor set folder: annotations.json and images/')
    parser.add_argument('--out', type=Path, required=True, help='study folder')
    parser.add_argument('--renderer', type=Path, default=DEFAULT_RENDERER,
                        help='renderer checkpoint for +Aug (default: %(default)s)')
    parser.add_argument('--splits', nargs='+', type=parse_ratio, default=['1of9', '3of7'],
                        metavar='A/B', help='train:val ratios (default: 1/9 3/7)')
    parser.add_argument('--protocols', nargs='+', choices=PROTOCOLS, default=list(PROTOCOLS))
    parser.add_argument('--arms', nargs='+', choices=ARMS, default=list(ARMS))
    parser.add_argument('--seeds', nargs='+', type=int, default=None,
                        help=f'training seeds (default {FULL["seeds"]}; smoke {SMOKE["seeds"]})')
    parser.add_argument('--iters', type=int, default=None,
                        help=f'training iterations (default {FULL["iters"]}; smoke '
                        f'{SMOKE["iters"]})')
    parser.add_argument('--backbone', choices=tuple(BACKBONE_CONFIG), default='effnet')
    parser.add_argument('--render-size', type=int, default=None,
                        help=f'renderer canvas side (default {FULL["render_size"]}; smoke '
                        f'{SMOKE["render_size"]})')
    parser.add_argument('--adapt-iters', type=int, default=None,
                        help='iterations of fine-tuning --renderer per split on synthetic scenes '
                        'textured with the split\'s fit images; 0 uses --renderer as it is '
                        f'(default {FULL["adapt_iters"]}; smoke {SMOKE["adapt_iters"]})')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch/OpenMP threads of the rendering and of each subprocess')
    parser.add_argument('--smoke', action='store_true',
                        help='a few images, tiny input, a few iterations: checks the pipeline')
    args = parser.parse_args(argv)
    defaults = SMOKE if args.smoke else FULL
    for name in ('seeds', 'iters', 'render_size', 'adapt_iters'):
        if getattr(args, name) is None:
            setattr(args, name, defaults[name])
    if args.iters < 1:
        parser.error(f'--iters must be positive, got {args.iters}')
    if args.adapt_iters < 0:
        parser.error(f'--adapt-iters must be >= 0, got {args.adapt_iters}')
    if args.threads < 1:
        parser.error(f'--threads must be positive, got {args.threads}')
    return args


def study_settings(args: argparse.Namespace) -> dict:
    """What every run's result depends on besides its own backbone/protocol/split/arm/seed."""
    defaults = SMOKE if args.smoke else FULL
    return dict(iters=args.iters, input_size=list(defaults['input_size']),
                batch_size=defaults['batch_size'], smoke=args.smoke,
                split_seed=SPLIT_SEED, holdout_fraction=HOLDOUT_FRACTION)


def plan_runs(backbone: str, protocols, splits, arms, seeds) -> list[Run]:
    """Every run of the study, grouped by protocol and split (views are rendered per split)."""
    return [Run(backbone, protocol, split, arm, seed)
            for protocol in protocols for split in splits for seed in seeds for arm in arms]


# ---------------------------------------------------------------------------------------------
# resume


def run_settings(run: Run, settings: dict, renderer: dict | None) -> dict:
    """The settings a run's record must carry to count as done in this study; `renderer`
    (the +Aug arm's base checkpoint hash, canvas and adaptation) only counts for +Aug."""
    return dict(settings, renderer=renderer if run.arm == 'aug' else None)


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


# ---------------------------------------------------------------------------------------------
# files


def read_json(path: Path, what: str) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise StudyError(f'{path}: cannot read the {what} ({error})') from None


def load_split_tool():
    spec = importlib.util.spec_from_file_location('split_dataset',
                                                  REPO / 'tools' / 'split_dataset.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SPLIT_TOOL = load_split_tool()


def write_json_atomic(obj, path: Path) -> None:
    """json.dumps(obj) (default settings) to path atomically, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, obj)


@contextlib.contextmanager
def file_lock(path: Path, wait: bool):
    """Hold an exclusive lock on `path` (created if needed) for the with-block; yields False
    instead when `wait` is False and another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, 'a') as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def update_results(results_path: Path, keys: tuple[str, ...], value) -> dict:
    """Set results[keys[0]]...[keys[-1]] = value in results.json under a lock, keeping what
    other workers wrote meanwhile; returns the merged results."""
    with file_lock(results_path.with_name(results_path.name + '.lock'), wait=True):
        merged = read_json(results_path, 'results') if results_path.is_file() else {}
        node = merged
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
        write_json_atomic(merged, results_path)
    return merged


# ---------------------------------------------------------------------------------------------
# splits, renderers and views


def spread_subset(images: list[dict], count: int, annotated_ids: set) -> list[dict]:
    """`count` annotated images spread evenly over `images` sorted by id (all if fewer)."""
    candidates = sorted((image for image in images if image['id'] in annotated_ids),
                        key=lambda image: image['id'])
    if len(candidates) <= count:
        return candidates
    step = len(candidates) / count
    return [candidates[int(i * step)] for i in range(count)]


def make_splits(ann_file: Path, splits_dir: Path, protocol: str, tags: list[str],
                smoke: bool) -> dict:
    """Write the split files of one protocol; returns {tag: {'fit'|'holdout'|'val': Path}}.

    Smoke: the split tool writes into splits_dir/full/ and spread subsets of each part
    (SMOKE_IMAGES) go to splits_dir/, so the smoke runs keep the protocol's sides."""
    tool_dir = splits_dir / 'full' if smoke else splits_dir
    ratios = [tag.replace('of', '/') for tag in tags]
    argv = [str(ann_file), '--out', str(tool_dir), '--ratios', *ratios, '--seed',
            str(SPLIT_SEED), '--holdout', str(HOLDOUT_FRACTION), *PROTOCOL_SPLIT_ARGS[protocol]]
    try:
        SPLIT_TOOL.main(argv)
    except SystemExit as error:
        raise StudyError(f'tools/split_dataset.py {" ".join(argv)}: {error}') from None
    files = {}
    for tag in tags:
        files[tag] = {part: splits_dir / f'{part}_{tag}.json' for part in SPLIT_PARTS}
        if smoke:
            for part in SPLIT_PARTS:
                coco = read_json(tool_dir / f'{part}_{tag}.json', 'split file')
                annotated = {ann['image_id'] for ann in coco['annotations']}
                subset = spread_subset(coco['images'], SMOKE_IMAGES[part], annotated)
                write_json_atomic(SPLIT_TOOL.subset_coco(coco, subset), files[tag][part])
    return files


def describe_split(files: dict) -> dict:
    """Image counts (and sequences, when the images carry them) of each part of a split."""
    summary = {}
    for part, path in files.items():
        images = read_json(path, 'split file')['images']
        summary[part] = len(images)
        sequences = sorted({image['sequence'] for image in images if 'sequence' in image})
        if sequences:
            summary[f'{part}_sequences'] = sequences
    return summary


def adapt_renderer(fit_file: Path, img_dir: Path, base: Path, iters: int, work_dir: Path,
                   smoke: bool, threads: int) -> dict:
    """Fine-tune `base` on synthetic scenes textured with patches of the fit images (resumable);
    returns a summary whose 'checkpoint' is the adapted renderer."""
    data = ADAPT_DATA[smoke]
    data_dir, train_dir = work_dir / 'data', work_dir / 'train'
    python = sys.executable
    started = time.perf_counter()
    if not (data_dir / 'detection' / 'annotations.json').is_file():  # written last
        run_subprocess([python, str(REPO / 'tools' / 'make_synthetic_dataset.py'),
                        '--out', str(data_dir), '--num-scenes', str(data['scenes']),
                        '--views-per-scene', str(data['views']), '--size', str(data['size']),
                        '--seed', str(ADAPT_DATA_SEED), '--photo-textures', str(fit_file),
                        '--photo-img-dir', str(img_dir)], work_dir / 'data.log', threads)
    data_wall = time.perf_counter() - started
    checkpoint = train_dir / 'renderer_final.pth'
    if not checkpoint.is_file():
        command = [python, str(REPO / 'tools' / 'train.py'), str(ADAPT_CONFIG),
                   '--work-dir', str(train_dir)]
        if (train_dir / 'last_checkpoint').is_file():
            command.append('--resume')
        command += ['--cfg-options', f'model.generator_init={base.resolve()}',
                    f'train_dataloader.dataset.root={(data_dir / "video").resolve()}',
                    f'train_dataloader.dataset.image_size={data["size"]}',
                    f'train_cfg.max_iters={iters}']
        run_subprocess(command, work_dir / 'train.log', threads)
    return dict(checkpoint=str(checkpoint), sha256=file_sha256(checkpoint), base=str(base), iters=iters,
                trained_on=str(fit_file), synthetic=data,
                wall_s=round(time.perf_counter() - started, 1), data_wall_s=round(data_wall, 1))


def render_views(fit_file: Path, img_dir: Path, views_dir: Path, renderer: Path,
                 render_size: int) -> dict:
    """DANR views (the paper's four) of the fit images, resumable; returns a summary."""
    settings = AugmentSettings(ann_file=fit_file, img_dir=img_dir, out_dir=views_dir,
                               checkpoint=renderer, views='paper4', render_size=render_size,
                               resume=True)
    try:
        summary = run_augmentation(settings)
    except AugmentError as error:
        raise StudyError(f'rendering the views of {fit_file}: {error}') from None
    return dict(sources=summary.sources_ok, failed=summary.sources_failed, views=summary.views,
                boxes_kept=summary.boxes_kept, boxes_dropped=summary.boxes_dropped,
                rendered_now=summary.rendered_now, wall_s=round(summary.wall_seconds, 1))


# ---------------------------------------------------------------------------------------------
# training and testing


def study_config(run: Run) -> Path:
    return (REPO / 'configs' / 'study' /
            f'centernet_{BACKBONE_CONFIG[run.backbone]}_320x192_{run.arm}.py')


def schedule_options(iters: int) -> list[str]:
    """Iterations, holdout validation / checkpoint interval and lr milestones, kept together."""
    interval = max(1, iters // VALIDATIONS_PER_RUN)
    return [f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={interval}',
            f'default_hooks.checkpoint.interval={interval}', f'param_scheduler.0.end={iters}',
            f'param_scheduler.0.milestones=[{iters * 3 // 4},{iters * 11 // 12}]']


def data_options(arm: str, data_root: Path, files: dict, views_dir: Path | None) -> list[str]:
    """Point the config's loaders at the split files (absolute paths) and the views."""
    root = f'{data_root.resolve()}/'
    originals = ('train_dataloader.dataset.dataset.original' if arm == 'aug'
                 else 'train_dataloader.dataset.dataset')
    options = [f'{originals}.data_root={root}', f'{originals}.ann_file={files["fit"].resolve()}',
               f'val_dataloader.dataset.data_root={root}',
               f'val_dataloader.dataset.ann_file={files["holdout"].resolve()}',
               f'test_dataloader.dataset.data_root={root}',
               f'test_dataloader.dataset.ann_file={files["val"].resolve()}']
    if arm == 'aug':
        options.append(
            f'train_dataloader.dataset.dataset.rendered.data_root={views_dir.resolve()}/')
    return options


def transform_paths(node, path):
    """(dotted path, dict) of every dict with a 'type' inside `node` (found at `path`)."""
    if isinstance(node, dict):
        if 'type' in node:
            yield path, node
        for key, value in node.items():
            yield from transform_paths(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for index, value in enumerate(node):
            yield from transform_paths(value, f'{path}.{index}')


def input_size_options(cfg_dict: dict, size: tuple) -> list[str]:
    """Options that change the input size of the three loaders' pipelines: Resize scales and
    the training crop of RandomCenterCropPad (its test padding follows the resized image)."""
    width, height = size
    options = []
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        for path, transform in transform_paths(cfg_dict[loader], loader):
            if transform['type'] == 'Resize':
                options.append(f'{path}.scale=({width},{height})')
            elif transform['type'] == 'RandomCenterCropPad' and transform.get('crop_size'):
                options.append(f'{path}.crop_size=({width},{height})')
    return options


def input_options(config: Path, settings: dict) -> list[str]:
    """Input size and batch of the settings (no-ops for the configs' own 320x192, batch 8, but
    the recorded settings then hold whatever the configs say); smoke runs also go without data
    workers, whose start-up would dominate."""
    from mmengine.config import Config
    options = input_size_options(Config.fromfile(config).to_dict(), settings['input_size'])
    options.append(f'train_dataloader.batch_size={settings["batch_size"]}')
    if settings['smoke']:
        options += ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']
    return options


def run_options(run: Run, settings: dict, data_root: Path, files: dict,
                views_dir: Path | None) -> list[str]:
    """Every --cfg-options entry of a run's training and testing."""
    return (data_options(run.arm, data_root, files, views_dir)
            + schedule_options(settings['iters']) + [f'randomness.seed={run.seed}']
            + input_options(study_config(run), settings))


def run_subprocess(command: list[str], log_path: Path, threads: int) -> float:
    """Run a tool with its output in log_path; returns the wall time in seconds."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               PYTHONUNBUFFERED='1')
    log_path.parent.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with open(log_path, 'w') as log:
        log.write(shlex.join(command) + '\n\n')
        log.flush()
        result = subprocess.run(command, cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT, timeout=SUBPROCESS_TIMEOUT_S)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        tail = ''.join(log_path.read_text().splitlines(keepends=True)[-25:])
        raise StudyError(f'{Path(command[1]).name} failed (exit {result.returncode}); '
                         f'log {log_path}, last lines:\n{tail}')
    return wall


def best_checkpoint(work_dir: Path) -> tuple[Path, int]:
    """The checkpoint save_best kept (best holdout mAP) and its iteration."""
    found = sorted(work_dir.glob('best_coco_bbox_mAP_iter_*.pth'),
                   key=lambda p: int(p.stem.rsplit('_', 1)[1]))
    if not found:
        raise StudyError(f'{work_dir}: no best_coco_bbox_mAP_iter_*.pth; did validation run?')
    return found[-1], int(found[-1].stem.rsplit('_', 1)[1])


def holdout_curve(work_dir: Path) -> list[list]:
    """[iteration, holdout AP in percent] of every validation, over all training sessions."""
    curve = {}
    for scalars in sorted(work_dir.glob('*/vis_data/scalars.json')):
        for line in scalars.read_text().splitlines():
            record = json.loads(line)
            if METRIC_KEYS['AP'] in record:
                curve[record['step']] = round(100 * record[METRIC_KEYS['AP']], 1)
    return [[step, value] for step, value in sorted(curve.items())]


def read_test_metrics(test_dir: Path) -> dict:
    """The metrics of the newest tools/test.py session in test_dir, in percent
    (-1 stays -1: no object of that size in the split)."""
    sessions = sorted(path for path in test_dir.glob('*/*.json') if path.stem == path.parent.name)
    for path in reversed(sessions):
        record = read_json(path, 'test metrics')
        if all(key in record for key in METRIC_KEYS.values()):
            return {name: (round(100 * record[key], 1) if record[key] >= 0 else -1.0)
                    for name, key in METRIC_KEYS.items()}
    raise StudyError(f'{test_dir}: no test session wrote the COCO metrics '
                     f'{list(METRIC_KEYS.values())}')


def claim_run_dir(run_dir: Path, settings: dict) -> None:
    """Record the run's settings in its folder; a folder left by a run with other settings
    (which a resumed training or a skipped one would silently reuse) raises StudyError."""
    settings_file = run_dir / 'study_settings.json'
    if settings_file.is_file():
        found = read_json(settings_file, 'run settings')
        if found != settings:
            raise StudyError(f'{run_dir} holds a run made with other settings ({found}); '
                             'use another --out for a different study')
    else:
        write_json_atomic(settings, settings_file)


def train_and_test(run: Run, run_dir: Path, options: list[str], threads: int) -> dict:
    """Train (or resume, or skip a finished training), test the holdout-best checkpoint."""
    python = sys.executable
    config = str(study_config(run))
    done_file = run_dir / 'train_done.json'
    if done_file.is_file():
        train = read_json(done_file, 'training record')
    else:
        command = [python, str(REPO / 'tools' / 'train.py'), config, '--work-dir', str(run_dir)]
        if (run_dir / 'last_checkpoint').is_file():
            command.append('--resume')
        command += ['--cfg-options', *options]
        wall = run_subprocess(command, run_dir / 'train.log', threads)
        train = dict(command=shlex.join(command), wall_s=round(wall, 1),
                     resumed='--resume' in command)
        write_json_atomic(train, done_file)
    checkpoint, best_iter = best_checkpoint(run_dir)
    test_dir = run_dir / 'test'
    command = [python, str(REPO / 'tools' / 'test.py'), config, str(checkpoint), '--work-dir',
               str(test_dir), '--cfg-options', *options]
    test_wall = run_subprocess(command, run_dir / 'test.log', threads)
    return dict(metrics=read_test_metrics(test_dir), best_iter=best_iter,
                holdout_curve=holdout_curve(run_dir), train_wall_s=train['wall_s'],
                train_resumed=train['resumed'], test_wall_s=round(test_wall, 1),
                train_command=train['command'], test_command=shlex.join(command))


# ---------------------------------------------------------------------------------------------
# report


def fmt(value: float) -> str:
    return 'n/a' if value < 0 else f'{value:.1f}'


def fmt_mean(values: list[float]) -> str:
    """Mean over seeds, with +- half the range when there are several."""
    if any(v < 0 for v in values):
        return 'n/a'
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f'{mean:.1f}'
    return f'{mean:.1f} ±{(max(values) - min(values)) / 2:.1f}'


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
    backbone, protocol, split, arm = key
    a, b = (int(n) for n in split.split('of'))
    return (backbone, PROTOCOLS.index(protocol) if protocol in PROTOCOLS else len(PROTOCOLS),
            a / (a + b), ARMS.index(arm) if arm in ARMS else len(ARMS))


def split_label(split: str) -> str:
    return split.replace('of', '/')


def format_tables(results: dict) -> str:
    """Markdown: the mean table (with AP gain of +Aug over N.A.) and the per-run table."""
    groups = group_runs(results)
    lines = ['| backbone | protocol | train/val | arm | seeds | '
             + ' | '.join(METRICS) + ' | ΔAP vs N.A. | train min/run |',
             '|' + '---|' * (len(METRICS) + 7)]
    for (backbone, protocol, split, arm), records in groups.items():
        ap_mean = sum(r['metrics']['AP'] for r in records) / len(records)
        reference = groups.get((backbone, protocol, split, 'na'))
        gain = ''
        if arm != 'na' and reference:
            reference_mean = sum(r['metrics']['AP'] for r in reference) / len(reference)
            gain = f'{ap_mean - reference_mean:+.1f}'
        minutes = sum(r['train_wall_s'] for r in records) / len(records) / 60
        cells = [backbone, protocol, split_label(split), ARM_NAMES.get(arm, arm),
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


def format_report(results: dict) -> str:
    """OUT/results.md: settings, splits, views, tables."""
    study = results['study']
    width, height = study['settings']['input_size']
    backbones = ' / '.join(f'{name}: {BACKBONE_NAMES.get(name, name)}' for name in
                           sorted({run['backbone'] for run in results.get('runs', {}).values()}))
    lines = [
        '# Indoor study: N.A. vs +Aug' + (' (SMOKE run: a pipeline check, not a measurement)'
                                         if study['settings']['smoke'] else ''), '',
        'Commands (each with the wall time of its last session):', '',
        *[f'- `{command}` ({session["session_wall_s"]:.0f} s)' for command, session in
          results.get('sessions', {study['command']: study}).items()], '',
        f'CenterNet, {backbones or BACKBONE_NAMES.get(study["backbone"])}, input '
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
    if results.get('views'):
        lines += ['', '## Rendered views (of the fit images only)', '',
                  '| protocol/split | sources | views | boxes kept | boxes dropped | wall s |',
                  '|---|---|---|---|---|---|']
        for key, views in results['views'].items():
            dropped = ', '.join(f'{k} {v}' for k, v in views['boxes_dropped'].items()) or '0'
            lines.append(f'| {key} | {views["sources"]} | {views["views"]} | '
                         f'{views["boxes_kept"]} | {dropped} | {views["wall_s"]} |')
    runs = [run for run in results.get('runs', {}).values() if is_finished(run)]
    run_hours = sum(run['train_wall_s'] + run['test_wall_s'] for run in runs) / 3600
    render_minutes = sum(views['wall_s'] for views in results.get('views', {}).values()) / 60
    lines += ['', f'Wall time: {run_hours:.2f} h training + testing ({len(runs)} runs), '
              f'{render_minutes:.1f} min rendering (last session '
              f'{study.get("session_wall_s", 0):.0f} s end to end).', '']
    return '\n'.join(lines)


def plot_results(results: dict, png_path: Path) -> None:
    """Grouped bars: AP and AP50 per protocol and split, one bar per arm (mean over seeds,
    each seed a dot)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    groups = group_runs(results)
    clusters = sorted({key[:3] for key in groups}, key=lambda k: group_order(k + ('na',)))
    arms = [arm for arm in ARMS if any(key[3] == arm for key in groups)]
    figure, axes = plt.subplots(1, 2, figsize=(max(6.0, 1.6 * len(clusters) + 3), 3.6))
    width = 0.8 / max(1, len(arms))
    for axis, metric in zip(axes, ('AP', 'AP50')):
        top = 1.0
        for index, arm in enumerate(arms):
            for position, cluster in enumerate(clusters):
                records = groups.get(cluster + (arm, ), [])
                values = [r['metrics'][metric] for r in records]
                if not values:
                    continue
                x = position + (index - (len(arms) - 1) / 2) * width
                mean = sum(values) / len(values)
                axis.bar(x, mean, width, color=f'C{index}',
                         label=ARM_NAMES[arm] if position == 0 else None)
                axis.plot([x] * len(values), values, 'k.', markersize=4)
                axis.annotate(f'{mean:.1f}', (x, mean), ha='center', va='bottom', fontsize=7)
                top = max([top, *values])
        axis.set_xticks(range(len(clusters)))
        axis.set_xticklabels([f'{protocol}\n{split_label(split)}'
                              for _, protocol, split in clusters])
        axis.set_ylim(0, top * 1.15)
        axis.set_ylabel(f'{metric} (%)')
        axis.set_title(f'{metric} on the reported split')
        axis.legend(fontsize=8)
    figure.tight_layout()
    png_path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(png_path, dpi=120)
    plt.close(figure)


def write_outputs(results: dict, out: Path) -> None:
    """results.md and results.png (results.json is kept up to date by update_results)."""
    atomic_write_text(out / 'results.md', format_report(results))
    plot_results(results, out / 'results.png')


# ---------------------------------------------------------------------------------------------
# the study


def check_inputs(args: argparse.Namespace) -> None:
    data_root = args.data_root
    if not (data_root / 'annotations.json').is_file() or not (data_root / 'images').is_dir():
        raise StudyError(f'--data-root {data_root}: needs annotations.json and images/')
    out = args.out.resolve()
    if out == data_root.resolve() or data_root.resolve() in out.parents:
        raise StudyError(f'--out {args.out} is inside the data folder {data_root}, which is '
                         'never written to; choose another --out')
    if 'aug' in args.arms and not args.renderer.is_file():
        raise StudyError(f'--renderer {args.renderer} not found: the +Aug arm needs a renderer '
                         'checkpoint (tools/train.py configs/renderer/..., or drop --arms aug)')


def prepare_views(args: argparse.Namespace, protocol: str, split: str, fit_file: Path,
                  results_path: Path, wait: bool) -> bool:
    """The split's renderer (adapted unless --adapt-iters 0) and its views of the fit images,
    under the split's lock; False when another worker holds it and `wait` is False."""
    key = f'{protocol}/{split}'
    with file_lock(args.out / 'views' / protocol / f'{split}.lock', wait) as held:
        if not held:
            return False
        # A split prepared in an earlier session or by another worker keeps its records (and
        # their wall times): reusing a finished renderer or rendering only checks it.
        recorded = read_json(results_path, 'results') if results_path.is_file() else {}
        renderer = args.renderer
        if args.adapt_iters:
            print(f'adapting the renderer to the fit images of {key}', flush=True)
            adapted = adapt_renderer(fit_file, args.data_root / 'images', args.renderer,
                                     args.adapt_iters, args.out / 'renderers' / protocol / split,
                                     args.smoke, args.threads)
            previous = recorded.get('renderers', {}).get(key, {})
            if previous.get('sha256') != adapted['sha256']:
                update_results(results_path, ('renderers', key), adapted)
            renderer = Path(adapted['checkpoint'])
        # Resuming a finished rendering only checks it (and refuses views made with another
        # renderer or canvas size).
        print(f'rendering the views of {key} (fit images)', flush=True)
        views = render_views(fit_file, args.data_root / 'images',
                             args.out / 'views' / protocol / split, renderer, args.render_size)
        if views['rendered_now'] or key not in recorded.get('views', {}):
            update_results(results_path, ('views', key), views)
    return True


def run_one(run: Run, args: argparse.Namespace, settings: dict, files: dict,
            results_path: Path, label: str) -> bool:
    """Train and test one run under its lock; False when another worker holds it."""
    run_dir = args.out / 'runs' / run.key
    with file_lock(run_dir / 'worker.lock', wait=False) as held:
        if not held:
            print(f'{label} {run.key}: another worker holds it; skipped', flush=True)
            return False
        done = read_json(results_path, 'results').get('runs', {}).get(run.key)
        if is_finished(done):  # finished by another worker since this one started
            return True
        views_dir = args.out / 'views' / run.protocol / run.split if run.arm == 'aug' else None
        print(f'{label} {run.key}: training', flush=True)
        options = run_options(run, settings, args.data_root, files, views_dir)
        claim_run_dir(run_dir, settings)
        outcome = train_and_test(run, run_dir, options, args.threads)
        update_results(results_path, ('runs', run.key),
                       dict(asdict(run), key=run.key, settings=settings, **outcome))
    metrics = outcome['metrics']
    print(f'{label} {run.key}: AP {fmt(metrics["AP"])} AP50 {fmt(metrics["AP50"])} '
          f'(best holdout iter {outcome["best_iter"]}; train {outcome["train_wall_s"]:.0f} s, '
          f'test {outcome["test_wall_s"]:.0f} s)', flush=True)
    return True


def main(argv=None) -> int:
    args = parse_args(argv)
    # mmengine imports pkg_resources, whose deprecation notice would interleave the progress.
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated')
    started = time.perf_counter()
    try:
        check_inputs(args)
        settings = study_settings(args)
        renderer = (dict(base=str(args.renderer), base_sha256=file_sha256(args.renderer),
                         render_size=args.render_size, adapt_iters=args.adapt_iters)
                    if 'aug' in args.arms else None)
        out = args.out
        results_path = out / 'results.json'
        results = read_json(results_path, 'results') if results_path.is_file() else {}
        runs = plan_runs(args.backbone, args.protocols, args.splits, args.arms, args.seeds)
        expected = {run.key: run_settings(run, settings, renderer) for run in runs}
        todo = pending_runs(runs, results, expected)
        print(f'indoor study: {len(runs)} runs, {len(runs) - len(todo)} already done, '
              f'{len(todo)} to do; output {out}', flush=True)

        if todo and 'aug' in args.arms:
            import torch
            torch.set_num_threads(args.threads)
        files = {}
        with file_lock(out / 'splits.lock', wait=True):
            for protocol in args.protocols:
                split_files = make_splits(args.data_root / 'annotations.json',
                                          out / 'splits' / protocol, protocol, args.splits,
                                          args.smoke)
                for tag, parts in split_files.items():
                    files[(protocol, tag)] = parts
                    update_results(results_path, ('splits', f'{protocol}/{tag}'),
                                   describe_split(parts))

        # Two passes: the first skips splits whose views another worker is preparing, the
        # second waits for them. Runs another worker is training are left to it.
        prepared, queue = set(), todo
        for wait in (False, True):
            deferred = []
            for run in queue:
                label = f'[{todo.index(run) + 1}/{len(todo)}]'
                parts = files[(run.protocol, run.split)]
                view_key = (run.protocol, run.split)
                if run.arm == 'aug' and view_key not in prepared:
                    if not prepare_views(args, run.protocol, run.split, parts['fit'],
                                         results_path, wait):
                        deferred.append(run)
                        continue
                    prepared.add(view_key)
                run_one(run, args, expected[run.key], parts, results_path, label)
            queue = deferred
        command = shlex.join(['python', 'scripts/indoor_study.py',
                              *(sys.argv[1:] if argv is None else argv)])
        wall = round(time.perf_counter() - started, 1)
        # Every worker's command stays on record; 'study' holds the newest session.
        update_results(results_path, ('sessions', command), dict(session_wall_s=wall))
        study = dict(command=command, backbone=args.backbone, settings=settings,
                     renderer=renderer, data_root=str(args.data_root.resolve()),
                     session_wall_s=wall)
        results = update_results(results_path, ('study',), study)
        write_outputs(results, out)
    except StudyError as error:
        print(f'indoor_study.py: error: {error}', file=sys.stderr)
        return 1
    print(format_tables(results))
    print(f'done in {time.perf_counter() - started:.0f} s: {out / "results.json"}, '
          f'{out / "results.md"}, {out / "results.png"}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
