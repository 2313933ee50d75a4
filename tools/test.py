"""Evaluate a checkpoint on a config's test_dataloader / test_evaluator, MMDetection-style.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
                         [--show-dir DIR] [--cfg-options KEY=VALUE ...] [--launcher ...]

Multi-GPU: tools/dist_test.sh CONFIG CHECKPOINT GPUS [same options].
"""
import argparse
import os

# Checkpoints written by mmengine 0.10.7 pickle more than tensors; torch >= 2.6 refuses them
# under weights_only=True. Only load checkpoints you trained yourself (or otherwise trust).
os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')

from mmengine.config import DictAction  # noqa: E402

from danr_mmengine.launch import LAUNCHERS, build_runner, build_test_cfg  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and evaluate) a checkpoint')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='folder for the evaluation log and metrics '
                        '(default: the config\'s work_dir, else ./work_dirs/<config name>)')
    parser.add_argument('--out', help='also dump the raw predictions to this .pkl file')
    parser.add_argument('--show-dir', help='save visualised predictions under '
                        'WORK_DIR/<timestamp>/SHOW_DIR (needs a visualization hook)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value')
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out must name a .pkl file, got {args.out}')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = build_test_cfg(args.config, args.checkpoint, work_dir=args.work_dir, out=args.out,
                      show_dir=args.show_dir, cfg_options=args.cfg_options, launcher=args.launcher)
    build_runner(cfg).test()


if __name__ == '__main__':
    main()
