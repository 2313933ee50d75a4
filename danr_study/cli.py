"""The paper's central experiment (tables 5 and 8) on the real Indoor set: N.A. vs +Aug vs +Warp.

    python scripts/indoor_study.py --data-root ../shared/data/indoor_objects --out work_dirs/study
        [--renderer CKPT] [--splits 1/9 3/7] [--protocols sequence image] [--arms na aug warp]
        [--seeds 0 1] [--iters 1200] [--backbone effnet|resnet18] [--render-size 128]
        [--adapt-iters 400] [--threads 1] [--smoke]

From the raw COCO set to the results table:
1. splits (danr_renderer.data.splits, seed 0) into OUT/splits/<protocol>/, never into the data
   folder: per train:val ratio a fit / holdout / val file. "sequence" keeps every video sequence
   on one side (the honest protocol; the holdout is the last 10% of frames of each training
   sequence); "image" assigns frames at random (the paper's rule; near-duplicate neighbouring
   frames then sit on both sides);
2. for +Aug and +Warp, per split: the renderer adapted to the split's fit images
   (--adapt-iters > 0: synthetic scenes textured with patches of the fit images, then
   --renderer fine-tuned on them with configs/study/renderer_photo_finetune.py, into
   OUT/renderers/<protocol>/<split>/), then with it, by the offline augmentation library
   (resumable), the paper's four views of every fit image: for +Aug the DANR views into
   OUT/views/<protocol>/<split>/, for +Warp the same poses as the warp of a constant-depth
   plane (render mode "plane": the source at full resolution moved as the plane at the median
   of the renderer's depth, boxes carried through the same plane, holes filled by the renderer
   as for +Aug) into OUT/views_plane/<protocol>/<split>/: the 2-D control that says whether 3-D
   rendering is worth more than a homography. No holdout or reported image is read by the
   renderer or rendered;
3. per backbone, protocol, split, seed and arm: tools/train.py in a subprocess on
   configs/study/ (the data paths, seed, schedule and input size set through the configs'
   DANR_STUDY_* knobs), the checkpoint chosen on the holdout file (save_best), then
   tools/test.py on the reported val file;
4. OUT/results.json (COCO AP, AP50, AP75, AP_S, AP_M, AP_L in percent, wall times, commands),
   OUT/results.md (tables), OUT/results.png (bar chart) and OUT/runs.json (one record per run:
   backbone, protocol, split, arm, seed, iterations, metrics, best holdout iteration; the
   format of docs/results.json).

Re-running resumes: runs whose results are in results.json are skipped, a run whose training
finished is only tested, an interrupted training resumes from its last checkpoint. Results made
with other settings (iterations, input size, renderer, ...) stop the run with an error: use
another --out.

Several workers may run on one --out at once (e.g. the same command once per GPU or core, or
`--arms na` beside `--arms aug warp`): each run and each split's renderer/views are claimed with a
file lock, a worker skips what another one holds, and results.json is updated under a lock.

--smoke: 12 fit / 4 holdout / 8 val images per split, 128x96 input, batch 4, 2 iterations,
seed 0, 64-pixel render canvas, 2 adaptation iterations on 2 small scenes (each unless given
explicitly): the whole pipeline in a few minutes on CPU. CI runs this
(tests/test_indoor_study.py); the full study is run by hand.
"""
from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from danr_renderer.data.splits import parse_ratio, ratio_tag

from .errors import StudyError
from .plan import (
    ARMS,
    BACKBONES,
    DEFAULT_ARMS,
    DEFAULT_RENDERER,
    DEFAULT_VALIDATIONS,
    FULL,
    PROTOCOLS,
    RECIPE_DEFAULTS,
    SMOKE,
    StudyOptions,
)
from .report import format_tables
from .study import run_study, session_command


def split_argument(text: str) -> str:
    """argparse type: '1/9' -> '1of9' (the split files' tag)."""
    try:
        return ratio_tag(*parse_ratio(text))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'split {text!r} is not of the form a/b, e.g. 1/9') from None


def parse_args(argv=None) -> StudyOptions:
    """The study's options from the command line, smoke or full defaults filled in."""
    parser = argparse.ArgumentParser(
        prog='indoor_study.py', description=__doc__.split('\n')[0],
        epilog=__doc__.split('\n\n', 2)[2], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--data-root', type=Path, required=True,
                        help='Indoor set folder: annotations.json and images/')
    parser.add_argument('--out', type=Path, required=True, help='study folder')
    parser.add_argument('--renderer', type=Path, default=DEFAULT_RENDERER,
                        help='renderer checkpoint for +Aug and +Warp (default: %(default)s)')
    parser.add_argument('--splits', nargs='+', type=split_argument, default=['1of9', '3of7'],
                        metavar='A/B', help='train:val ratios (default: 1/9 3/7)')
    parser.add_argument('--protocols', nargs='+', choices=PROTOCOLS, default=list(PROTOCOLS))
    parser.add_argument('--arms', nargs='+', choices=tuple(ARMS), default=list(DEFAULT_ARMS),
                        help='na: online augmentation only; aug: + the DANR views; warp: + the '
                        'plane-warp views; aug_centres: + the DANR views, their boxes teaching '
                        'centres only (no box-size or offset loss); na_noisy: na with its boxes '
                        'disturbed as carried boxes err (default: %(default)s)')
    parser.add_argument('--seeds', nargs='+', type=int, default=None,
                        help=f'training seeds (default {FULL["seeds"]}; smoke {SMOKE["seeds"]})')
    parser.add_argument('--iters', type=int, default=None,
                        help=f'training iterations (default {FULL["iters"]}; smoke '
                        f'{SMOKE["iters"]})')
    parser.add_argument('--backbone-lr-mult', type=float, default=1.0,
                        help="the pretrained backbone's lr over the heads' (default 1: the first "
                        'study; < 1 for a converged detector)')
    parser.add_argument('--warmup-iters', type=int, default=0,
                        help='linear lr warm-up iterations (default 0)')
    parser.add_argument('--lr-steps', nargs='+', type=float, default=list(RECIPE_DEFAULTS['lr_steps']),
                        help='lr milestones as fractions of --iters (default 0.75 0.9166667: '
                        'the paper\'s 90 and 110 of 120 epochs)')
    parser.add_argument('--lr-gamma', type=float, default=RECIPE_DEFAULTS['lr_gamma'],
                        help="the lr's factor at each milestone (default 0.5)")
    parser.add_argument('--validations', type=int, default=DEFAULT_VALIDATIONS,
                        help='holdout validations (checkpoint candidates) per run (default '
                        f'{DEFAULT_VALIDATIONS})')
    parser.add_argument('--backbone', choices=tuple(BACKBONES), default='effnet')
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
    if not all(0 < step < 1 for step in args.lr_steps) or args.lr_steps != sorted(args.lr_steps):
        parser.error(f'--lr-steps must be increasing fractions in (0, 1), got {args.lr_steps}')
    if not 0 < args.lr_gamma <= 1:
        parser.error(f'--lr-gamma must be in (0, 1], got {args.lr_gamma}')
    if args.validations < 1:
        parser.error(f'--validations must be positive, got {args.validations}')
    return StudyOptions(**vars(args))


def main(argv=None) -> int:
    """Run the study from the command line; prints the tables. Returns the exit status."""
    options = parse_args(argv)
    # mmengine imports pkg_resources, whose deprecation notice would interleave the progress.
    warnings.filterwarnings('ignore', message='pkg_resources is deprecated')
    out = options.out
    try:
        results = run_study(options, session_command(sys.argv[1:] if argv is None else argv))
    except StudyError as error:
        print(f'indoor_study.py: error: {error}', file=sys.stderr)
        return 1
    print(format_tables(results))
    print(f'done in {results["study"]["session_wall_s"]:.0f} s: {out / "results.json"}, '
          f'{out / "results.md"}, {out / "results.png"}, {out / "runs.json"}')
    return 0
