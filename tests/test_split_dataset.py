"""danr_renderer.data.splits (and its CLI, tools/split_dataset.py): ratios, seeding,
whole-group rule, holdout, files and errors."""
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from danr_renderer.data import splits
from danr_renderer.data.coco_io import CocoFormatError

REPO = Path(__file__).resolve().parents[1]


def make_coco(group_sizes, boxes_per_image=2):
    """COCO dict with len(group_sizes) sequences; frame numbers count from 1 in each."""
    images, annotations = [], []
    for sequence, size in enumerate(group_sizes, start=1):
        for frame in range(1, size + 1):
            image_id = len(images) + 1
            images.append(dict(id=image_id, file_name=f's{sequence}_{frame}.jpg', width=64,
                               height=48, sequence=sequence, frame=frame))
            for k in range(boxes_per_image):
                annotations.append(dict(id=len(annotations) + 1, image_id=image_id,
                                        category_id=1 + k % 2, bbox=[1.0, 2.0, 10.0, 8.0],
                                        area=80.0, iscrowd=0))
    return dict(info={'description': 'test'}, images=images, annotations=annotations,
                categories=[dict(id=1, name='a'), dict(id=2, name='b')])


def write_coco(tmp_path, coco, name='ann.json'):
    path = tmp_path / name
    path.write_text(json.dumps(coco))
    return path


def read(path):
    return json.loads(Path(path).read_text())


def image_ids(coco):
    return {image['id'] for image in coco['images']}


def test_per_image_split_sizes_partition_and_annotations(tmp_path):
    coco = make_coco([50])
    ann = write_coco(tmp_path, coco)
    out = tmp_path / 'splits'
    splits.split_dataset(ann, out, ratios=[(5, 5), (3, 7), (1, 9)])
    all_ids = image_ids(coco)
    for tag, n_train in (('5of5', 25), ('3of7', 15), ('1of9', 5)):
        train, val = read(out / f'train_{tag}.json'), read(out / f'val_{tag}.json')
        assert len(train['images']) == n_train
        assert image_ids(train) | image_ids(val) == all_ids
        assert not image_ids(train) & image_ids(val)
        for part in (train, val):
            assert {a['image_id'] for a in part['annotations']} == image_ids(part)
            assert len(part['annotations']) == 2 * len(part['images'])
            assert part['categories'] == coco['categories']
            assert part['info'] == coco['info']
    # One seeded permutation for all ratios: the training sides are nested.
    train_ids = [image_ids(read(out / f'train_{tag}.json')) for tag in ('1of9', '3of7', '5of5')]
    assert train_ids[0] < train_ids[1] < train_ids[2]
    assert not list(out.glob('.tmp_*'))


def test_seed_reproduces_and_changes_the_split(tmp_path):
    ann = write_coco(tmp_path, make_coco([40]))
    runs = {}
    for name, seed in (('a', 3), ('b', 3), ('c', 4)):
        splits.split_dataset(ann, tmp_path / name, ratios=[(3, 7)], seed=seed)
        runs[name] = (tmp_path / name / 'train_3of7.json').read_bytes()
    assert runs['a'] == runs['b']
    assert runs['a'] != runs['c']


def test_input_file_is_left_untouched(tmp_path):
    ann = write_coco(tmp_path, make_coco([5, 7, 9]))
    before = ann.read_bytes()
    splits.split_dataset(ann, tmp_path, group_key='sequence', holdout=0.2, order_key='frame')
    assert ann.read_bytes() == before


def test_groups_are_never_split_and_ratio_is_met_within_half_a_group(tmp_path):
    sizes = [12, 3, 7, 20, 5, 9, 14, 2, 6, 11]
    coco = make_coco(sizes)
    total = sum(sizes)
    for seed in range(5):
        for a, b in ((5, 5), (3, 7), (1, 9)):
            train, val = splits.split_images(coco['images'], a / (a + b), seed,
                                             group_key='sequence')
            train_groups = Counter(image['sequence'] for image in train)
            val_groups = Counter(image['sequence'] for image in val)
            assert not set(train_groups) & set(val_groups)
            assert all(train_groups[g] == sizes[g - 1] for g in train_groups)
            assert len(train) + len(val) == total
            assert abs(len(train) - total * a / (a + b)) <= max(sizes) / 2


def test_group_rule_finds_the_exact_subset_a_single_greedy_pass_can_miss():
    # Sizes 6, 3, 1 and target 0.3 * 10 = 3: only sequence 2 alone hits it. A greedy pass that
    # meets sequence 3 first ends at {3, 2} = 4 images; the best of the seeded orders is exact.
    coco = make_coco([6, 3, 1])
    greedy_from_third = splits.greedy_group_split(
        splits.group_images(coco['images'], 'sequence'), [2, 1, 0], 3.0)[0]
    assert sorted({image['sequence'] for image in greedy_from_third}) == [2, 3]
    train, _ = splits.split_images(coco['images'], 0.3, seed=0, group_key='sequence')
    assert {image['sequence'] for image in train} == {2}


def test_holdout_is_the_tail_of_each_training_group(tmp_path):
    sizes = [10, 20, 30, 40]
    ann = write_coco(tmp_path, make_coco(sizes))
    out = tmp_path / 'splits'
    splits.split_dataset(ann, out, ratios=[(5, 5)], group_key='sequence', holdout=0.2,
                         order_key='frame')
    train, fit, holdout = (read(out / f'{part}_5of5.json') for part in ('train', 'fit', 'holdout'))
    assert image_ids(fit) | image_ids(holdout) == image_ids(train)
    assert not image_ids(fit) & image_ids(holdout)
    for sequence in {image['sequence'] for image in train['images']}:
        size = sizes[sequence - 1]
        fit_frames = [i['frame'] for i in fit['images'] if i['sequence'] == sequence]
        held_frames = sorted(i['frame'] for i in holdout['images'] if i['sequence'] == sequence)
        assert held_frames == list(range(size - round(0.2 * size) + 1, size + 1))
        assert max(fit_frames) == size - round(0.2 * size)


def test_per_image_holdout_fraction():
    coco = make_coco([100])
    fit, holdout = splits.holdout_images(coco['images'], 0.1, seed=1)
    assert len(holdout) == 10 and len(fit) == 90
    assert not image_ids(dict(images=fit)) & image_ids(dict(images=holdout))


@pytest.mark.parametrize('content, message', [
    ('{"images": [', 'malformed JSON'),
    ('[1, 2]', 'top level is not a JSON object'),
    ('{"images": []}', "no 'annotations' list"),
    ('{"images": [{"id": 1}, {"id": 1}], "annotations": []}', 'duplicate image id 1'),
    ('{"images": [{"id": 1}], "annotations": [{"id": 1, "image_id": 9}]}',
     'annotations[0] refers to no listed image'),
])
def test_bad_annotation_files_name_the_file_and_problem(tmp_path, content, message):
    ann = tmp_path / 'broken.json'
    ann.write_text(content)
    with pytest.raises(CocoFormatError) as excinfo:
        splits.split_dataset(ann, tmp_path / 'out')
    assert str(ann) in str(excinfo.value) and message in str(excinfo.value)
    assert not (tmp_path / 'out').exists()


def test_missing_group_field_and_single_group_are_reported(tmp_path):
    coco = make_coco([4, 4])
    del coco['images'][5]['sequence']
    ann = write_coco(tmp_path, coco)
    with pytest.raises(ValueError) as excinfo:
        splits.split_dataset(ann, tmp_path / 'o', group_key='sequence')
    assert 'image id 6 has no field "sequence"' in str(excinfo.value)

    one_group = write_coco(tmp_path, make_coco([8]), 'one.json')
    with pytest.raises(ValueError) as excinfo:
        splits.split_dataset(one_group, tmp_path / 'o', group_key='sequence')
    assert 'cannot split by group' in str(excinfo.value)
    assert not (tmp_path / 'o').exists()


def test_bad_ratio_is_rejected():
    with pytest.raises(ValueError):
        splits.parse_ratio('5:5')
    assert splits.parse_ratio('3/7') == (3, 7) and splits.ratio_tag(3, 7) == '3of7'


def run_tool(*argv):
    return subprocess.run([sys.executable, str(REPO / 'tools' / 'split_dataset.py'), *argv],
                          capture_output=True, text=True, timeout=120)


def test_tool_takes_the_file_as_option_or_positionally_and_reports_errors(tmp_path):
    ann = write_coco(tmp_path, make_coco([10, 10]))
    options = ['--ratios', '3/7', '--group-key', 'sequence', '--holdout', '0.2',
               '--order-key', 'frame']
    by_option = run_tool('--ann-file', str(ann), '--out', str(tmp_path / 'a'), *options)
    assert by_option.returncode == 0, by_option.stderr
    assert by_option.stdout.startswith('3of7: train 10 / val 10 images')
    assert 'fit 8 / holdout 2' in by_option.stdout
    positional = run_tool(str(ann), '--out', str(tmp_path / 'b'), *options)
    assert positional.returncode == 0, positional.stderr
    for part in ('train', 'val', 'fit', 'holdout'):
        name = f'{part}_3of7.json'
        assert (tmp_path / 'a' / name).read_bytes() == (tmp_path / 'b' / name).read_bytes()
    assert run_tool('--out', str(tmp_path / 'c')).returncode == 2  # no annotation file
    assert run_tool(str(ann), '--out', str(tmp_path), '--ratios', '5:5').returncode == 2
    broken = tmp_path / 'broken.json'
    broken.write_text('[1, 2]')
    failed = run_tool('--ann-file', str(broken), '--out', str(tmp_path / 'd'))
    assert failed.returncode == 1 and str(broken) in failed.stderr
    assert 'top level is not a JSON object' in failed.stderr


def test_when_no_mix_is_closer_the_small_side_gets_the_nearest_group():
    # Target 0.1 * 21 = 2.1 images: adding any of the groups (5, 7, 9) moves away from it, so
    # every greedy pass leaves train empty; train then gets the group nearest 2.1 (size 5).
    coco = make_coco([7, 5, 9])
    train, val = splits.split_images(coco['images'], 0.1, seed=0, group_key='sequence')
    assert {image['sequence'] for image in train} == {2}
    assert {image['sequence'] for image in val} == {1, 3}
    # Mirror case: target 0.9 * 21 = 18.9 takes every group, so val gets the one nearest 2.1.
    train, val = splits.split_images(coco['images'], 0.9, seed=0, group_key='sequence')
    assert {image['sequence'] for image in val} == {2}
