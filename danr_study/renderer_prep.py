"""The arms' views, per split: the renderer adapted to the split's fit images (synthetic scenes
textured with patches of them, danr_renderer.synthetic, then --renderer fine-tuned on them with
configs/study/renderer_photo_finetune.py) and, rendered with it by danr_renderer.augment, the
fit images' views of each kind an arm trains on (plan.VIEW_KINDS: the DANR views of +Aug, the
plane-warp views of +Warp). No holdout or reported image is read."""
from __future__ import annotations

import time
from pathlib import Path

from danr_renderer.augment import AugmentError, AugmentSettings, run_augmentation
from danr_renderer.augment.records import file_sha256
from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset

from .errors import StudyError
from .locks import file_lock
from .plan import STUDY_CONFIGS, VIEW_KINDS, StudyOptions
from .results_store import read_results, update_results
from .runs import run_subprocess, tool_command

# The photo-textured synthetic data a split's renderer is fine-tuned on (full, smoke).
ADAPT_DATA = {False: dict(scenes=24, views=30, size=128), True: dict(scenes=2, views=4, size=64)}
ADAPT_DATA_SEED = 1  # not the demo renderer's training seed (0): other rooms
ADAPT_CONFIG = STUDY_CONFIGS / 'renderer_photo_finetune.py'


def views_dir(out: Path, protocol: str, split: str, kind: str = 'danr') -> Path:
    """Where a split's views of `kind` (a key of plan.VIEW_KINDS) go."""
    return out / VIEW_KINDS[kind].folder / protocol / split


def adapt_renderer(fit_file: Path, img_dir: Path, base: Path, iters: int, work_dir: Path,
                   smoke: bool, threads: int) -> dict:
    """Fine-tune `base` on synthetic scenes textured with patches of the fit images (resumable);
    returns a summary whose 'checkpoint' is the adapted renderer."""
    data = ADAPT_DATA[smoke]
    data_dir, train_dir = work_dir / 'data', work_dir / 'train'
    started = time.perf_counter()
    if not (data_dir / 'detection' / 'annotations.json').is_file():  # written last
        write_synthetic_dataset(data_dir, SyntheticDatasetSpec(
            num_scenes=data['scenes'], views_per_scene=data['views'], size=data['size'],
            seed=ADAPT_DATA_SEED, photo_textures=fit_file, photo_img_dir=img_dir))
    data_wall = time.perf_counter() - started
    checkpoint = train_dir / 'renderer_final.pth'
    if not checkpoint.is_file():
        command = tool_command('train.py', str(ADAPT_CONFIG), '--work-dir', str(train_dir))
        if (train_dir / 'last_checkpoint').is_file():
            command.append('--resume')
        knobs = dict(DANR_STUDY_RENDERER_INIT=str(base.resolve()),
                     DANR_SYNTHETIC_VIDEO=str((data_dir / 'video').resolve()),
                     DANR_STUDY_RENDERER_SIZE=str(data['size']),
                     DANR_STUDY_ADAPT_ITERS=str(iters))
        run_subprocess(command, work_dir / 'train.log', threads, knobs)
    return dict(checkpoint=str(checkpoint), sha256=file_sha256(checkpoint), base=str(base),
                iters=iters, trained_on=str(fit_file), synthetic=data,
                wall_s=round(time.perf_counter() - started, 1), data_wall_s=round(data_wall, 1))


def render_views(fit_file: Path, img_dir: Path, out_dir: Path, renderer: Path,
                 render_size: int, mode: str) -> dict:
    """The paper's four views of the fit images in render mode `mode`, resumable; returns a
    summary."""
    settings = AugmentSettings(ann_file=fit_file, img_dir=img_dir, out_dir=out_dir,
                               checkpoint=renderer, views='paper4', render_size=render_size,
                               mode=mode, resume=True)
    try:
        summary = run_augmentation(settings)
    except AugmentError as error:
        raise StudyError(f'rendering the views of {fit_file}: {error}') from None
    return dict(sources=summary.sources_ok, failed=summary.sources_failed, views=summary.views,
                boxes_kept=summary.boxes_kept, boxes_dropped=summary.boxes_dropped,
                rendered_now=summary.rendered_now, wall_s=round(summary.wall_seconds, 1))


def split_renderer(options: StudyOptions, protocol: str, split: str, fit_file: Path,
                   results_path: Path, recorded: dict) -> Path:
    """The checkpoint a split's views are rendered with: --renderer, or, when
    options.adapt_iters > 0, it adapted to the split's fit images (a finished adaptation is
    reused and its record in `recorded`, the results read under the lock, kept). Call it under
    the split's lock."""
    if not options.adapt_iters:
        return options.renderer
    key = f'{protocol}/{split}'
    print(f'adapting the renderer to the fit images of {key}', flush=True)
    adapted = adapt_renderer(fit_file, options.data_root / 'images', options.renderer,
                             options.adapt_iters, options.out / 'renderers' / protocol / split,
                             options.smoke, options.threads)
    if recorded.get('renderers', {}).get(key, {}).get('sha256') != adapted['sha256']:
        update_results(results_path, ('renderers', key), adapted)
    return Path(adapted['checkpoint'])


def prepare_views(options: StudyOptions, protocol: str, split: str, fit_file: Path,
                  results_path: Path, wait: bool, kind: str = 'danr') -> bool:
    """The split's renderer (split_renderer) and its views of `kind` (a key of plan.VIEW_KINDS)
    of the fit images, under the split's lock; False when another worker holds it and `wait`
    is False."""
    key = f'{protocol}/{split}'
    view_kind = VIEW_KINDS[kind]
    # One lock per split whatever the kind: every kind is rendered with the split's renderer,
    # which is adapted once.
    with file_lock(views_dir(options.out, protocol, split).with_suffix('.lock'), wait) as held:
        if not held:
            return False
        # A split prepared in an earlier session or by another worker keeps its records (and
        # their wall times): reusing a finished renderer or rendering only checks it.
        recorded = read_results(results_path)
        renderer = split_renderer(options, protocol, split, fit_file, results_path, recorded)
        # Resuming a finished rendering only checks it (and refuses views made with another
        # renderer or canvas size).
        print(f'rendering the {kind} views of {key} (fit images)', flush=True)
        views = render_views(fit_file, options.data_root / 'images',
                             views_dir(options.out, protocol, split, kind), renderer,
                             options.render_size, view_kind.mode)
        if views['rendered_now'] or key not in recorded.get(view_kind.folder, {}):
            update_results(results_path, (view_kind.folder, key), views)
    return True
