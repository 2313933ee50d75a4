"""Evaluate a checkpoint on a config's test_dataloader / test_evaluator, MMDetection-style.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out results.pkl]
                         [--show-dir DIR] [--cfg-options KEY=VALUE ...] [--launcher ...]

Multi-GPU: tools/dist_test.sh CONFIG CHECKPOINT GPUS [same options].
"""
import argparse
import os
import os.path as osp
import sys

# Checkpoints written by mmengine 0.10.7 pickle more than tensors; torch >= 2.6 refuses them
# under weights_only=True. Only load checkpoints you trained yourself (or otherwise trust).
os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, ConfigDict, DictAction  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


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
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out must name a .pkl file, got {args.out}')
    return args


def build_cfg(args):
    """The config file merged with the command-line choices."""
    cfg = Config.fromfile(args.config)
    cfg.launcher = args.launcher
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.show_dir is not None:
        visualization = cfg.get('default_hooks', {}).get('visualization')
        if visualization is None:
            raise ValueError(f'--show-dir: {args.config} has no default_hooks.visualization')
        visualization.draw = True
        visualization.test_out_dir = args.show_dir
    if args.out is not None:
        dump = ConfigDict(type='DumpResults', out_file_path=args.out)
        evaluators = cfg.test_evaluator
        cfg.test_evaluator = (list(evaluators) if isinstance(evaluators, (list, tuple))
                              else [evaluators]) + [dump]
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = build_cfg(args)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.test()


if __name__ == '__main__':
    main()
