"""Train from an mmengine config (detector or renderer), MMDetection-style command line.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

Multi-GPU: tools/dist_train.sh CONFIG GPUS [same options].
"""
import argparse
import logging
import os
import os.path as osp
import sys

# mmengine 0.10.7 training checkpoints pickle more than tensors (e.g. its HistoryBuffer), which
# torch >= 2.6 refuses under its weights_only=True default. --resume only reads checkpoints this
# tool wrote for the user's own run, so allow full unpickling unless the user decided otherwise.
os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')
# Run from a source checkout without installing: make the repo's packages (mmdet_plugin, ...)
# importable for the config's custom_imports.
sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.logging import print_log  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model from an mmengine config')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='folder for logs and checkpoints '
                        '(default: the config\'s work_dir, else ./work_dirs/<config name>)')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint; without a path, from the latest '
                        'checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by total batch size / auto_scale_lr.base_batch_size')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, key=value (e.g. '
                        'train_cfg.max_epochs=12 model.backbone.depth=18)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (or --local_rank); torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def enable_amp(cfg):
    """Switch OptimWrapper to AmpOptimWrapper (dynamic loss scale): the config's optim_wrapper,
    or each wrapper inside it when it holds one per network (e.g. generator/discriminator)."""
    optim_wrapper = cfg.optim_wrapper
    wrappers = ([optim_wrapper] if 'type' in optim_wrapper else
                [w for w in optim_wrapper.values() if isinstance(w, dict) and 'type' in w])
    if not wrappers:
        raise ValueError('--amp: the config\'s optim_wrapper names no wrapper type')
    for wrapper in wrappers:
        if wrapper.type == 'AmpOptimWrapper':
            print_log('AMP is already enabled in the config.', logger='current',
                      level=logging.WARNING)
        elif wrapper.type == 'OptimWrapper':
            wrapper.type = 'AmpOptimWrapper'
            wrapper.loss_scale = 'dynamic'
        else:
            raise ValueError(f'--amp needs OptimWrapper optimizer wrappers, got {wrapper.type}')


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
    if args.amp:
        enable_amp(cfg)
    if args.auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError(f'--auto-scale-lr: {args.config} has no auto_scale_lr.base_batch_size')
        cfg.auto_scale_lr.enable = True
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = build_cfg(args)
    runner = RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
    runner.train()


if __name__ == '__main__':
    main()
