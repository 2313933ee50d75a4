"""Train from an mmengine config (detector or renderer), MMDetection-style command line.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--auto-scale-lr]
                          [--cfg-options KEY=VALUE ...] [--launcher none|pytorch|slurm|mpi]

Multi-GPU: tools/dist_train.sh CONFIG GPUS [same options].
"""
import argparse
import os

# mmengine 0.10.7 training checkpoints pickle more than tensors (e.g. its HistoryBuffer), which
# torch >= 2.6 refuses under its weights_only=True default. --resume only reads checkpoints this
# tool wrote for the user's own run, so allow full unpickling unless the user decided otherwise.
os.environ.setdefault('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', '1')

from mmengine.config import DictAction  # noqa: E402

from danr_mmengine.launch import LAUNCHERS, build_runner, build_train_cfg  # noqa: E402


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
    parser.add_argument('--launcher', choices=LAUNCHERS, default='none', help='job launcher')
    # torch.distributed.launch passes --local-rank (or --local_rank); torchrun sets LOCAL_RANK.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = build_train_cfg(args.config, work_dir=args.work_dir, resume=args.resume, amp=args.amp,
                       auto_scale_lr=args.auto_scale_lr, cfg_options=args.cfg_options,
                       launcher=args.launcher)
    build_runner(cfg).train()


if __name__ == '__main__':
    main()
