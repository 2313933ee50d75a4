"""Every config under configs/ loads, builds its model and its training data on a tiny COCO set,
and implements the ablation arm its name promises (paper sec. 4.4-4.5, authors' README)."""
import copy
import functools
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip('mmdet.models', reason='mmdet (with mmcv ops) is not installed')

from mmdet.registry import DATASETS, MODELS  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import Config  # noqa: E402

from danr_renderer.data.splits import split_dataset  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / 'configs'
INDOOR_CLASSES = ('chair', 'clock', 'exit', 'fireextinguisher', 'printer', 'screen', 'trashbin')
PAPER_VIEWS = ([-0.1, -0.15, 0.0], [0.1, -0.15, 0.0], [-0.1, 0.15, 0.0], [0.1, 0.15, 0.0])
VIEWS_PER_IMAGE = 2  # rendered views per original in the tiny sets

register_all_modules()


def write_tiny_coco(root, classes, num_images=20, size=(96, 64), seed=0):
    """COCO set under root/: annotations.json and images/ of num_images random frames
    (width x height = size), 1-2 filled boxes each, with sequence/frame fields."""
    rng = np.random.default_rng(seed)
    (root / 'images').mkdir(parents=True)
    width, height = size
    images, annotations = [], []
    for index in range(num_images):
        image_id = index + 1
        name = f'frame_{image_id}.jpg'
        pixels = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
        for _ in range(1 + index % 2):
            w, h = int(rng.integers(12, 30)), int(rng.integers(12, 30))
            x, y = int(rng.integers(0, width - w)), int(rng.integers(0, height - h))
            pixels[y:y + h, x:x + w] = rng.integers(0, 255, 3)
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id,
                                    category_id=1 + len(annotations) % len(classes),
                                    bbox=[x, y, w, h], area=w * h, iscrowd=0))
        cv2.imwrite(str(root / 'images' / name), pixels)
        images.append(dict(id=image_id, file_name=name, width=width, height=height,
                           sequence=1 + index // 5, frame=1 + index % 5))
    coco = dict(images=images, annotations=annotations,
                categories=[dict(id=i + 1, name=n) for i, n in enumerate(classes)])
    (root / 'annotations.json').write_text(json.dumps(coco))
    return coco


def write_tiny_rendered(root, original, num_views=VIEWS_PER_IMAGE, size=64):
    """Rendered set under root/ in the augmentation tool's format: per original image
    num_views square views whose image entries carry the 'danr' provenance."""
    (root / 'images').mkdir(parents=True)
    images, annotations = [], []
    for source in original['images']:
        for view in range(num_views):
            image_id = len(images) + 1
            name = f'view_{source["id"]}_{view}.jpg'
            cv2.imwrite(str(root / 'images' / name), np.full((size, size, 3), 40 * view, np.uint8))
            images.append(dict(id=image_id, file_name=name, width=size, height=size,
                               danr=dict(source_image_id=source['id'],
                                         source_file_name=source['file_name'],
                                         view_index=view, rotvec=PAPER_VIEWS[view],
                                         translation=[0.0, 0.0, 0.3])))
            annotations.append(dict(id=len(annotations) + 1, image_id=image_id, category_id=1,
                                    bbox=[8, 8, 20, 16], area=320, iscrowd=0))
    rendered = dict(images=images, annotations=annotations, categories=original['categories'])
    (root / 'annotations.json').write_text(json.dumps(rendered))


@pytest.fixture(scope='module')
def data_roots(tmp_path_factory):
    """The configs' default data roots mapped to tiny sets with the right classes."""
    base = tmp_path_factory.mktemp('tiny_sets')
    synthetic_classes = tuple(Config.fromfile(
        CONFIGS / 'synthetic' / 'centernet_tiny_synthetic.py').metainfo['classes'])
    roots = {}
    for name, classes in (('indoor', INDOOR_CLASSES), ('synthetic', synthetic_classes)):
        coco = write_tiny_coco(base / name, classes)
        write_tiny_rendered(base / f'{name}_danr', coco)
        split_dataset(base / name / 'annotations.json', base / name / 'splits', holdout=0.5)
        roots[name] = base / name
        roots[f'{name}_danr'] = base / f'{name}_danr'
    return roots


def tiny_root_for(data_root, roots):
    """Tiny replacement of one of the configs' default data roots; other roots fail the test."""
    if data_root == 'data/indoor_objects/':
        return roots['indoor']
    if data_root.startswith('data/indoor_objects_danr'):
        return roots['indoor_danr']
    if data_root == 'data/synthetic/detection/':
        return roots['synthetic']
    if data_root == 'data/synthetic/danr/':
        return roots['synthetic_danr']
    raise AssertionError(f'unexpected data_root {data_root!r}')


def redirect_data_roots(node, roots):
    """Replace every data_root inside a config (nested dicts/lists) by its tiny set."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'data_root':
                node[key] = str(tiny_root_for(value, roots)) + '/'
            else:
                redirect_data_roots(value, roots)
    elif isinstance(node, list):
        for item in node:
            redirect_data_roots(item, roots)


def arm(backbone='ResNeSt', online=True, offline=False, affine=True, split='5of5',
        rendered='data/indoor_objects_danr/', indoor=True, detector='CenterNet'):
    return dict(backbone=backbone, online=online, offline=offline, affine=affine, split=split,
                rendered=rendered, indoor=indoor, detector=detector)


# What each config must be, from the paper's tables 2-7 and the authors' README names.
EXPECTED = {
    'danr_centernet_indoor.py': arm(offline=True),
    'indoor/centernet_resnest50_indoor_na.py': arm(),
    'indoor/comp/comp_baseline.py': arm(online=False),
    'indoor/comp/comp_online.py': arm(),
    'indoor/comp/comp_offline.py': arm(online=False, offline=True),
    'indoor/comp/comp_both.py': arm(offline=True),
    **{f'indoor/res/res_{r}.py': arm(offline=True, rendered=f'data/indoor_objects_danr_{r}/')
       for r in ('256native', '512native', '512pointSS', '512pixelSS')},
    'indoor/affine/affine_w_na.py': arm(),
    'indoor/affine/affine_w_aug.py': arm(offline=True),
    'indoor/affine/affine_wo_na.py': arm(affine=False),
    'indoor/affine/affine_wo_aug.py': arm(affine=False, offline=True),
    **{f'indoor/scarcity/scarcity_{n}_{a}.py': arm(split=tag, offline=a == 'aug')
       for n, tag in (('55', '5of5'), ('37', '3of7'), ('19', '1of9')) for a in ('na', 'aug')},
    'indoor/det/det_resnest_na.py': arm(),
    'indoor/det/det_resnest_aug.py': arm(offline=True),
    'indoor/det/det_resnet_na.py': arm(backbone='ResNet'),
    'indoor/det/det_resnet_aug.py': arm(backbone='ResNet', offline=True),
    'indoor/two_stage/faster_rcnn_r50_fpn_indoor_na.py':
        arm(backbone='ResNet', online=False, detector='FasterRCNN'),
    'indoor/two_stage/faster_rcnn_r50_fpn_indoor_aug.py':
        arm(backbone='ResNet', online=False, offline=True, detector='FasterRCNN'),
    'synthetic/centernet_tiny_synthetic.py': arm(backbone='ResNet', indoor=False),
    'synthetic/centernet_tiny_synthetic_danr.py':
        arm(backbone='ResNet', offline=True, indoor=False, rendered='data/synthetic/danr/'),
}


@functools.lru_cache(maxsize=None)
def load_cached(name):
    return Config.fromfile(CONFIGS / name)


def load(name):
    """The parsed config (a private copy: tests edit it); parsing is the slow part."""
    return copy.deepcopy(load_cached(name))


def test_every_detector_config_file_is_covered():
    # configs/renderer/ and configs/study/ are tested with the renderer and the Indoor study.
    found = {str(p.relative_to(CONFIGS)) for p in CONFIGS.rglob('*.py')
             if '_base_' not in p.parts and p.relative_to(CONFIGS).parts[0] not in ('renderer', 'study')}
    assert found == set(EXPECTED)


_model_cache = {}


def build_model(cfg):
    """Build cfg.model (once per distinct model config: the arms share few models)."""
    key = json.dumps(cfg.model.to_dict(), sort_keys=True, default=str)
    if key not in _model_cache:
        _model_cache[key] = MODELS.build(cfg.model)
    return _model_cache[key]


def transform_names(pipeline):
    return [type(t).__name__ for t in pipeline.transforms]


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_config_builds_model_and_training_data(name, data_roots):
    expected = EXPECTED[name]
    cfg = load(name)
    num_classes = 7

    model = build_model(cfg)
    assert type(model).__name__ == expected['detector']
    assert type(model.backbone).__name__ == expected['backbone']
    if expected['detector'] == 'CenterNet':
        assert type(model.bbox_head).__name__ == 'WeightedCenterNetHead'
        assert model.bbox_head.num_classes == num_classes
    else:
        assert model.roi_head.bbox_head.num_classes == num_classes
    assert cfg.model.backbone.init_cfg is None  # nothing to download

    train_cfg = cfg.train_dataloader.dataset
    rendered_root = (train_cfg.dataset.rendered.data_root if expected['offline'] else None)
    assert rendered_root == (expected['rendered'] if expected['offline'] else None)
    redirect_data_roots(cfg.train_dataloader, data_roots)
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    assert type(dataset).__name__ == 'MultiImageMixDataset'

    outer = [type(t).__name__ for t in dataset.pipeline]
    mixup = ['KeypointMixUp'] if expected['online'] else []
    assert outer == mixup + ['PackDetInputsWithWeights']
    if expected['online']:
        assert (dataset.pipeline[0].alpha, dataset.pipeline[0].prob) == (1.5, 0.2)

    inner = dataset.dataset
    split_file = (f'splits/fit_{expected["split"]}.json' if expected['indoor']
                  else 'annotations.json')
    originals = inner.original if expected['offline'] else inner
    assert originals.ann_file.endswith(split_file)
    n_fit = len(json.loads(Path(originals.ann_file).read_text())['images'])
    if expected['offline']:
        assert type(inner).__name__ == 'DANRAugmentedDataset'
        # The fit images plus their views; views of held-out and test images stay out.
        assert len(inner) == n_fit * (1 + VIEWS_PER_IMAGE)
    else:
        assert type(inner).__name__ == 'CocoDataset'
        assert len(inner) == n_fit
    assert ('RandomCenterCropPad' in transform_names(inner.pipeline)) == expected['affine']

    size = 512 if expected['indoor'] else 128
    last = len(dataset) - 1  # a rendered view when offline
    for index in (0, last):
        sample = dataset[index]
        assert tuple(sample['inputs'].shape) == (3, size, size)
        boxes = sample['data_samples'].gt_instances.bboxes.tensor
        assert len(boxes) > 0
        assert float(boxes.min()) >= 0 and float(boxes.max()) <= size


@pytest.mark.parametrize('name', sorted(n for n in EXPECTED if EXPECTED[n]['indoor']))
def test_indoor_schedule_and_evaluation_splits(name):
    cfg = load(name)
    tag = EXPECTED[name]['split']
    # Paper sec. 4.4: Adam, lr 2.5e-4 halved at epochs 90 and 110, 120 epochs, 512 input.
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.lr == 2.5e-4
    assert cfg.train_cfg.max_epochs == 120
    (scheduler, ) = cfg.param_scheduler
    assert scheduler.type == 'MultiStepLR'
    assert (scheduler.milestones, scheduler.gamma) == ([90, 110], 0.5)
    # Checkpoints are chosen on a held-out part of the training split; the reported split
    # (the paper's "validation set") is only the test_dataloader.
    assert cfg.val_dataloader.dataset.ann_file == f'splits/holdout_{tag}.json'
    assert cfg.test_dataloader.dataset.ann_file == f'splits/val_{tag}.json'
    assert cfg.default_hooks.checkpoint.save_best == 'coco/bbox_mAP'
    assert 'mmdet_plugin' in cfg.custom_imports.imports


def without(cfg_dict, path):
    """Copy of a plain nested dict with the entry at the dotted path removed."""
    copy = json.loads(json.dumps(cfg_dict, default=str))
    parent, _, last = path.rpartition('.')
    del lookup(copy, parent)[last]
    return copy


NA = 'indoor/centernet_resnest50_indoor_na.py'
AUG = 'danr_centernet_indoor.py'
TRAIN = 'train_dataloader.dataset'
EVAL_SPLITS = ('val_dataloader.dataset.ann_file', 'test_dataloader.dataset.ann_file')
# (arm, the config it varies, the entries that differ -- and must -- between them)
VARIATIONS = [
    *[(f'indoor/res/res_{r}.py', AUG, (f'{TRAIN}.dataset.rendered.data_root', ))
      for r in ('256native', '512native', '512pointSS', '512pixelSS')],
    *[(f'indoor/scarcity/scarcity_{n}_na.py', NA, (f'{TRAIN}.dataset.ann_file', ) + EVAL_SPLITS)
      for n in ('37', '19')],
    *[(f'indoor/scarcity/scarcity_{n}_aug.py', AUG,
       (f'{TRAIN}.dataset.original.ann_file', ) + EVAL_SPLITS) for n in ('37', '19')],
    # The default split is 5/5 (the paper's main setting): these arms are the defaults.
    *[(f'indoor/{arm}.py', NA, ()) for arm in (
        'scarcity/scarcity_55_na', 'comp/comp_online', 'affine/affine_w_na', 'det/det_resnest_na')],
    *[(f'indoor/{arm}.py', AUG, ()) for arm in (
        'scarcity/scarcity_55_aug', 'comp/comp_both', 'affine/affine_w_aug', 'det/det_resnest_aug')],
    ('indoor/comp/comp_baseline.py', NA, (f'{TRAIN}.pipeline', )),
    ('indoor/comp/comp_offline.py', AUG, (f'{TRAIN}.pipeline', )),
    ('indoor/affine/affine_wo_na.py', NA, (f'{TRAIN}.dataset.pipeline', )),
    ('indoor/affine/affine_wo_aug.py', AUG, (f'{TRAIN}.dataset.pipeline', )),
    ('indoor/det/det_resnet_na.py', NA, ('model.backbone', )),
    ('indoor/det/det_resnet_aug.py', AUG, ('model.backbone', )),
    ('indoor/two_stage/faster_rcnn_r50_fpn_indoor_aug.py',
     'indoor/two_stage/faster_rcnn_r50_fpn_indoor_na.py', (f'{TRAIN}.dataset', )),
    (AUG, NA, (f'{TRAIN}.dataset', )),
]


@pytest.mark.parametrize('name, reference, keys', VARIATIONS)
def test_arm_differs_from_its_reference_only_where_it_should(name, reference, keys):
    arm_cfg, reference_cfg = load(name).to_dict(), load(reference).to_dict()
    for key in keys:
        assert lookup(arm_cfg, key) != lookup(reference_cfg, key), key
        arm_cfg, reference_cfg = without(arm_cfg, key), without(reference_cfg, key)
    assert arm_cfg == reference_cfg


def lookup(cfg_dict, path):
    node = cfg_dict
    for key in path.split('.'):
        node = node[key]
    return node


def test_synthetic_config_classes_match_the_generator():
    synthetic_scene = pytest.importorskip('danr_renderer.synthetic.scene')
    cfg = load('synthetic/centernet_tiny_synthetic.py')
    assert tuple(cfg.metainfo['classes']) == tuple(synthetic_scene.CLASS_NAMES)
    assert cfg.model.bbox_head.num_classes == len(synthetic_scene.CLASS_NAMES)


def test_indoor_classes_match_the_dataset_when_present():
    annotations = REPO.parent / 'shared' / 'data' / 'indoor_objects' / 'annotations.json'
    if not annotations.exists():
        pytest.skip('the Indoor set is not on this machine')
    categories = json.loads(annotations.read_text())['categories']
    names = tuple(c['name'] for c in sorted(categories, key=lambda c: c['id']))
    assert tuple(load('indoor/centernet_resnest50_indoor_na.py').metainfo['classes']) == names

