"""Detections against true boxes (danr_study.localisation, scripts/box_localisation.py) on a
hand-made COCO file whose matches and ratios are worked out by hand below."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from danr_study.errors import StudyError
from danr_study.localisation import detection_localisation, read_detections

REPO = Path(__file__).resolve().parents[1]


def coco_file(tmp_path: Path) -> Path:
    document = {
        'images': [{'id': 1, 'file_name': 'a.jpg', 'width': 100, 'height': 100},
                   {'id': 2, 'file_name': 'b.jpg', 'width': 100, 'height': 100}],
        'categories': [{'id': 1, 'name': 'chair'}, {'id': 2, 'name': 'clock'}],
        'annotations': [
            {'id': 1, 'image_id': 1, 'category_id': 1, 'bbox': [0, 0, 10, 20], 'area': 200, 'iscrowd': 0},
            {'id': 2, 'image_id': 1, 'category_id': 2, 'bbox': [50, 50, 10, 10], 'area': 100, 'iscrowd': 0},
            {'id': 3, 'image_id': 2, 'category_id': 1, 'bbox': [0, 0, 10, 10], 'area': 100, 'iscrowd': 0},
            {'id': 4, 'image_id': 2, 'category_id': 1, 'bbox': [80, 80, 5, 5], 'area': 25, 'iscrowd': 1},
        ]}
    path = tmp_path / 'val.json'
    path.write_text(json.dumps(document))
    return path


DETECTIONS = [
    # image 1: the chair found twice as wide (IoU 0.5, centre half its width right), the clock
    # found with the wrong class (no match), a low-scoring exact clock (below the threshold).
    {'image_id': 1, 'category_id': 1, 'bbox': [0, 0, 20, 20], 'score': 0.9},
    {'image_id': 1, 'category_id': 1, 'bbox': [50, 50, 10, 10], 'score': 0.8},
    {'image_id': 1, 'category_id': 2, 'bbox': [50, 50, 10, 10], 'score': 0.1},
    # image 2: the chair found exactly; a detection on the crowd box matches nothing.
    {'image_id': 2, 'category_id': 1, 'bbox': [0, 0, 10, 10], 'score': 0.5},
    {'image_id': 2, 'category_id': 1, 'bbox': [80, 80, 5, 5], 'score': 0.5},
]


def test_matches_and_ratios_by_hand(tmp_path):
    summary = detection_localisation(coco_file(tmp_path), DETECTIONS, score_threshold=0.3)
    # Three non-crowd true boxes; two matched at IoU >= 0.5 (0.5 and 1.0).
    assert summary['num_truth'] == 3 and summary['num_detections'] == 4
    assert summary['recall'] == pytest.approx(2 / 3)
    assert summary['mean_iou'] == pytest.approx(0.75) and summary['share_iou_0_75'] == pytest.approx(0.5)
    # Medians of two values are the lower one (torch.median): widths (2, 1) -> 1, offsets (0.5, 0) -> 0.
    assert summary['width_ratio'] == pytest.approx(1.0) and summary['height_ratio'] == pytest.approx(1.0)
    assert summary['centre_offset'] == pytest.approx(0.0)
    # With every detection the low-scoring exact clock joins: recall 3 / 3.
    every = detection_localisation(coco_file(tmp_path), DETECTIONS, score_threshold=0.0)
    assert every['recall'] == pytest.approx(1.0) and every['num_detections'] == 5
    nothing = detection_localisation(coco_file(tmp_path), DETECTIONS, score_threshold=0.95)
    assert nothing['recall'] == 0.0 and nothing['mean_iou'] is None and nothing['num_detections'] == 0


def test_bad_inputs_name_the_file(tmp_path):
    ann = coco_file(tmp_path)
    with pytest.raises(StudyError, match='has no image 7 that a detection names'):
        detection_localisation(ann, [dict(DETECTIONS[0], image_id=7)])
    with pytest.raises(StudyError, match='has no category 0 .* PREFIX.gt.json'):
        detection_localisation(ann, [dict(DETECTIONS[0], category_id=0)])
    broken = tmp_path / 'broken.bbox.json'
    broken.write_text(json.dumps([{'image_id': 1, 'bbox': [0, 0, 1, 1], 'score': 0.5}]))
    with pytest.raises(StudyError, match=f'{broken}: detection 0 is not'):
        read_detections(broken)
    with pytest.raises(StudyError, match='cannot read the detections'):
        read_detections(tmp_path / 'missing.bbox.json')


def test_cli_prints_a_row_per_run(tmp_path):
    ann = coco_file(tmp_path)
    results = tmp_path / 'run.bbox.json'
    results.write_text(json.dumps(DETECTIONS))
    script = [sys.executable, str(REPO / 'scripts' / 'box_localisation.py'), str(ann)]
    done = subprocess.run(script + [f'na={results}'], capture_output=True, text=True, check=True)
    assert '| na | 4 | 0.667 | 0.750 | 0.500 | 1.000 | 1.000 | 0.000 |' in done.stdout
    failed = subprocess.run(script + [f'na={tmp_path / "none.json"}'], capture_output=True, text=True)
    assert failed.returncode == 1 and 'none.json: cannot read the detections' in failed.stderr
