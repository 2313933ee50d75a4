"""tools/train.py and tools/test.py: command-line handling, and a real two-iteration run of the
tiny synthetic config (train, resume, test) in subprocesses."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip('mmdet.models', reason='mmdet (with mmcv ops) is not installed')

from mmengine.config import Config  # noqa: E402
from test_configs import write_tiny_coco  # noqa: E402

from danr_mmengine.launch import build_test_cfg, build_train_cfg, enable_amp  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY_CONFIG = REPO / 'configs' / 'synthetic' / 'centernet_tiny_synthetic.py'


def test_work_dir_defaults_to_config_name_and_cli_wins():
    cfg = build_train_cfg(str(TINY_CONFIG))
    assert cfg.work_dir == os.path.join('./work_dirs', 'centernet_tiny_synthetic')
    cfg = build_train_cfg(str(TINY_CONFIG), work_dir='x/y')
    assert cfg.work_dir == 'x/y'


def test_resume_amp_and_cfg_options():
    cfg = build_train_cfg(str(TINY_CONFIG), resume='auto', amp=True,
                       cfg_options={'train_cfg.max_iters': 7, 'model.backbone.depth': 34})
    assert cfg.resume is True and cfg.load_from is None
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper' and cfg.optim_wrapper.loss_scale == 'dynamic'
    assert cfg.train_cfg.max_iters == 7 and cfg.model.backbone.depth == 34
    assert cfg.launcher == 'none'
    cfg = build_train_cfg(str(TINY_CONFIG), resume='a.pth')
    assert cfg.resume is True and cfg.load_from == 'a.pth'
    cfg = build_train_cfg(str(TINY_CONFIG))
    assert not cfg.get('resume', False) and cfg.optim_wrapper.type == 'OptimWrapper'


def test_amp_switches_every_wrapper_of_a_multi_network_config():
    cfg = Config(dict(optim_wrapper=dict(
        constructor='SomeConstructor',
        generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4)),
        discriminator=dict(type='AmpOptimWrapper', optimizer=dict(type='Adam', lr=4e-4)))))
    enable_amp(cfg)
    assert cfg.optim_wrapper.generator.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.generator.loss_scale == 'dynamic'
    assert cfg.optim_wrapper.discriminator.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.constructor == 'SomeConstructor'
    with pytest.raises(ValueError, match='names no wrapper type'):
        enable_amp(Config(dict(optim_wrapper=dict(constructor='X'))))


def test_test_config_loads_checkpoint_and_adds_dump():
    cfg = build_test_cfg(str(TINY_CONFIG), 'w.pth', out='r.pkl')
    assert cfg.load_from == 'w.pth'
    types = [e['type'] for e in cfg.test_evaluator]
    assert types == ['CocoMetric', 'DumpResults']
    assert cfg.test_evaluator[1]['out_file_path'] == 'r.pkl'
    with pytest.raises(ValueError, match='.pkl'):
        build_test_cfg(str(TINY_CONFIG), 'w.pth', out='r.json')


def test_test_tool_refuses_a_non_pickle_out(tmp_path):
    refused = subprocess.run([sys.executable, str(REPO / 'tools' / 'test.py'), str(TINY_CONFIG), 'w.pth',
                              '--out', 'r.json'], cwd=tmp_path, capture_output=True, text=True)
    assert refused.returncode == 2 and '--out must name a .pkl file' in refused.stderr


def small_run_options(data_root, max_iters):
    options = [f'train_cfg.max_iters={max_iters}', 'train_cfg.val_interval=2',
               'train_dataloader.batch_size=2', 'default_hooks.checkpoint.interval=2',
               'default_hooks.logger.interval=1',
               f'train_dataloader.dataset.dataset.data_root={data_root}/']
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        options += [f'{loader}.num_workers=0', f'{loader}.persistent_workers=False']
    for loader in ('val_dataloader', 'test_dataloader'):
        options.append(f'{loader}.dataset.data_root={data_root}/')
    return options


def run_command(args, cwd):
    # One torch thread: on the shared 2-core machine more threads only contend.
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    result = subprocess.run([sys.executable] + args, cwd=cwd, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def logged_train_iters(work_dir):
    """Training iterations logged in each run's vis_data/scalars.json, oldest run first."""
    runs = []
    for scalars in sorted(Path(work_dir).glob('*/vis_data/scalars.json')):
        records = [json.loads(line) for line in scalars.read_text().splitlines()]
        runs.append([r['iter'] for r in records if 'loss' in r])
    return runs


def test_two_iterations_then_resume_then_test(tmp_path):
    classes = Config.fromfile(TINY_CONFIG).metainfo['classes']
    data_root = tmp_path / 'detection'
    write_tiny_coco(data_root, classes, num_images=6)
    work_dir = tmp_path / 'work'

    run_command([str(REPO / 'tools' / 'train.py'), str(TINY_CONFIG), '--work-dir', str(work_dir),
              '--cfg-options'] + small_run_options(data_root, max_iters=2), cwd=tmp_path)
    assert (work_dir / 'iter_2.pth').is_file()
    # Validated at iteration 2 and kept it as the best (the name run_exp_common.sh looks for).
    assert list(work_dir.glob('best_coco_bbox_mAP_iter_2.pth'))
    assert logged_train_iters(work_dir) == [[1, 2]]

    # Resuming reads the mmengine checkpoint (needs TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD under
    # torch >= 2.6) and continues at iteration 3 instead of starting over.
    run_command([str(REPO / 'tools' / 'train.py'), str(TINY_CONFIG), '--work-dir', str(work_dir),
              '--resume', '--cfg-options'] + small_run_options(data_root, max_iters=3),
             cwd=tmp_path)
    assert (work_dir / 'iter_3.pth').is_file()
    assert logged_train_iters(work_dir)[-1] == [3]

    result = run_command([str(REPO / 'tools' / 'test.py'), str(TINY_CONFIG),
                       str(work_dir / 'iter_3.pth'), '--work-dir', str(tmp_path / 'test'),
                       '--out', str(tmp_path / 'predictions.pkl'), '--cfg-options']
                      + small_run_options(data_root, max_iters=3), cwd=tmp_path)
    assert 'coco/bbox_mAP' in result.stdout + result.stderr
    assert (tmp_path / 'predictions.pkl').stat().st_size > 0
