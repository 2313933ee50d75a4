"""DANRAugmentedDataset, DANRRenderedCocoDataset and DANRViewEpochHook (mmdet_plugin)."""
import pytest

pytest.importorskip("mmdet")

import json  # noqa: E402
from collections import Counter  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from mmdet.registry import DATASETS, HOOKS  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402

import mmdet_plugin  # noqa: E402,F401  (registers the plugin)

CLASSES = ('chair', 'clock')
CATEGORIES = [{'id': 1, 'name': 'chair'}, {'id': 2, 'name': 'clock'}]
# Rendered views per source image; image 3 is not in the original split.
VIEWS = {1: 2, 2: 3, 3: 2}


@pytest.fixture(autouse=True)
def mmdet_scope():
    init_default_scope('mmdet')


def image_entry(image_id, file_name, **extra):
    return dict(id=image_id, file_name=file_name, width=16, height=12, **extra)


def box(ann_id, image_id, category_id=1):
    return dict(id=ann_id, image_id=image_id, category_id=category_id, bbox=[2, 2, 6, 5],
                area=30, iscrowd=0)


def write_json(path, images, annotations):
    path.write_text(json.dumps(dict(images=images, annotations=annotations,
                                    categories=CATEGORIES)))
    return str(path)


@pytest.fixture
def coco_files(tmp_path):
    """Split json with images 1 and 2; rendered json with VIEWS views of images 1, 2, 3."""
    for name in ['orig_1.png', 'orig_2.png'] + [f'view_{s}_{v}.png' for s, n in VIEWS.items()
                                                 for v in range(n)]:
        cv2.imwrite(str(tmp_path / name), np.full((12, 16, 3), 50, np.uint8))
    split = write_json(tmp_path / 'split.json',
                       [image_entry(1, 'orig_1.png'), image_entry(2, 'orig_2.png')],
                       [box(1, 1), box(2, 2, 2)])
    images, annotations = [], []
    for source, count in VIEWS.items():
        for view in range(count):
            image_id = 100 + 10 * source + view
            provenance = dict(source_image_id=source, source_file_name=f'orig_{source}.png',
                              view_index=view, rotvec=[0.1, 0.15, 0.0],
                              translation=[0.0, 0.0, 0.3])
            images.append(image_entry(image_id, f'view_{source}_{view}.png', danr=provenance))
            annotations.append(box(image_id, image_id))
    rendered = write_json(tmp_path / 'rendered.json', images, annotations)
    return tmp_path, split, rendered


def augmented(coco_files, **kwargs):
    root, split, rendered = coco_files
    cfg = dict(type='DANRAugmentedDataset',
               original=dict(type='CocoDataset', ann_file=split, metainfo=dict(classes=CLASSES),
                             data_prefix=dict(img=str(root) + '/')),
               rendered=dict(ann_file=rendered, data_prefix=dict(img=str(root) + '/')),
               **kwargs)
    return DATASETS.build(cfg)


def sources(dataset):
    return [dataset.get_data_info(i)['danr']['source_image_id']
            for i in range(2, len(dataset))]


def test_all_views_of_split_images_only(coco_files):
    dataset = augmented(coco_files, views='all')
    assert len(dataset) == 2 + VIEWS[1] + VIEWS[2]
    assert [dataset.get_data_info(i)['img_id'] for i in range(2)] == [1, 2]
    assert Counter(sources(dataset)) == {1: VIEWS[1], 2: VIEWS[2]}
    assert dataset.metainfo['classes'] == CLASSES
    assert dataset.get_data_info(3)['sample_idx'] == 3


def test_one_view_per_source_redrawn_per_epoch(coco_files):
    dataset = augmented(coco_files, views='one', seed=11)
    assert len(dataset) == 2 + 2
    drawn = []
    for epoch in range(12):
        dataset.set_epoch(epoch)
        assert sorted(sources(dataset)) == [1, 2]
        drawn.append(tuple(dataset.get_data_info(i)['img_id'] for i in (2, 3)))
    assert len(set(drawn)) > 1
    # The draw depends only on (seed, epoch, source): a second instance repeats it.
    again = augmented(coco_files, views='one', seed=11)
    again.set_epoch(5)
    assert tuple(again.get_data_info(i)['img_id'] for i in (2, 3)) == drawn[5]


def first_item(batch):
    return batch[0]


def test_persistent_workers_see_the_new_epoch(coco_files):
    dataset = augmented(coco_files, views='one', seed=3)
    loader = DataLoader(dataset, batch_size=1, num_workers=1, persistent_workers=True,
                        collate_fn=first_item)
    for epoch in (0, 4):
        dataset.set_epoch(epoch)
        in_workers = sorted(item['img_id'] for item in loader if item['sample_idx'] >= 2)
        assert in_workers == sorted(dataset.get_data_info(i)['img_id'] for i in (2, 3))


def test_hook_reaches_the_dataset_through_wrappers(coco_files):
    mixed = DATASETS.build(dict(type='MultiImageMixDataset',
                                dataset=augmented(coco_files, views='one'), pipeline=[]))
    runner = SimpleNamespace(train_dataloader=SimpleNamespace(dataset=mixed), epoch=7)
    HOOKS.build(dict(type='DANRViewEpochHook')).before_train_epoch(runner)
    assert mixed.dataset.epoch == 7


def test_inside_multi_image_mix_dataset_with_pipeline(coco_files):
    load = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True)]
    root, split, rendered = coco_files
    mixed = DATASETS.build(dict(
        type='MultiImageMixDataset',
        dataset=dict(type='DANRAugmentedDataset', lazy_init=True,
                     original=dict(type='CocoDataset', ann_file=split, pipeline=load,
                                   metainfo=dict(classes=CLASSES),
                                   data_prefix=dict(img=str(root) + '/')),
                     rendered=dict(type='CocoDataset', ann_file=rendered, pipeline=load,
                                   data_prefix=dict(img=str(root) + '/'))),
        pipeline=[dict(type='KeypointMixUp', prob=1.0), dict(type='PackDetInputsWithWeights')]))
    assert len(mixed) == 7
    np.random.seed(0)
    packed = mixed[4]
    assert packed['inputs'].shape == (3, 12, 16)
    weights = packed['data_samples'].gt_instances.weights
    assert len(weights) == 2 and float(weights.sum()) == pytest.approx(1.0)
    assert packed['data_samples'].img_path.endswith('.png')


def test_views_carry_the_box_size_weight_and_originals_do_not(coco_files):
    dataset = augmented(coco_files, views='all', view_box_size_weight=0.0)
    assert all('box_size_weight' not in dataset.get_data_info(i) for i in range(2))
    assert [dataset.get_data_info(i)['box_size_weight'] for i in range(2, len(dataset))] == \
        [0.0] * (len(dataset) - 2)
    assert all('box_size_weight' not in augmented(coco_files).get_data_info(i) for i in range(len(dataset)))
    with pytest.raises(ValueError, match='view_box_size_weight must be in'):
        augmented(coco_files, view_box_size_weight=1.5)


def test_a_views_size_weight_reaches_the_packed_boxes(coco_files):
    load = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True)]
    root, split, rendered = coco_files
    dataset = DATASETS.build(dict(
        type='DANRAugmentedDataset', view_box_size_weight=0.0,
        original=dict(type='CocoDataset', ann_file=split, pipeline=load, metainfo=dict(classes=CLASSES),
                      data_prefix=dict(img=str(root) + '/')),
        rendered=dict(ann_file=rendered, pipeline=load, data_prefix=dict(img=str(root) + '/')),
        pipeline=[dict(type='PackDetInputsWithWeights')]))
    assert dataset[0]['data_samples'].gt_instances.get('size_weights') is None
    assert dataset[2]['data_samples'].gt_instances.size_weights.tolist() == [0.0]


def test_rendered_entries_without_provenance_are_rejected(coco_files, tmp_path):
    root, split, _ = coco_files
    bare = write_json(tmp_path / 'bare.json', [image_entry(5, 'orig_1.png')], [box(1, 5)])
    with pytest.raises(ValueError, match='danr'):
        augmented((root, split, bare))


def test_class_lists_must_agree(coco_files):
    root, split, rendered = coco_files
    with pytest.raises(ValueError, match='classes'):
        DATASETS.build(dict(type='DANRAugmentedDataset',
                            original=dict(ann_file=split, metainfo=dict(classes=CLASSES)),
                            rendered=dict(ann_file=rendered, metainfo=dict(classes=('chair',)))))
