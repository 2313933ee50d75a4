"""How well a detector's boxes fit the objects it finds: its detections on the reported split
(mmdet's CocoMetric result file, OUT/.../<prefix>.bbox.json) matched to the true boxes, and how
the matched boxes differ from them (danr_renderer.evaluation.measures.localisation_summary).

The same measures score boxes carried into real views (danr_renderer.evaluation.posed), so a
size bias of the carried boxes can be set beside the size bias of detectors trained on them."""
from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import torch

from danr_renderer.data.coco_io import CocoFormatError, read_coco_document
from danr_renderer.evaluation.measures import BoxMatches, localisation_summary, match_boxes

from .errors import StudyError

DEFAULT_SCORE_THRESHOLD = 0.3


def _xyxy(bbox) -> list[float]:
    x, y, w, h = (float(v) for v in bbox)
    return [x, y, x + w, y + h]


def read_detections(path: Path) -> list[dict]:
    """A COCO result file: a list of {image_id, category_id, bbox [x, y, w, h], score}."""
    try:
        detections = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise StudyError(f'{path}: cannot read the detections ({error})') from None
    fields = ('image_id', 'category_id', 'bbox', 'score')
    if not isinstance(detections, list):
        raise StudyError(f'{path}: a COCO result file is a JSON list, got {type(detections).__name__}')
    for index, detection in enumerate(detections):
        if not isinstance(detection, dict) or any(field not in detection for field in fields) \
                or len(detection['bbox']) != 4:
            raise StudyError(f'{path}: detection {index} is not {{image_id, category_id, bbox [x, y, w, h], '
                             f'score}}: {detection!r}')
    return detections


def detection_localisation(ann_file: Path, detections: list[dict],
                           score_threshold: float = DEFAULT_SCORE_THRESHOLD, min_iou: float = 0.5) -> dict:
    """Match, per image, the detections scoring at least score_threshold to the true boxes of
    ann_file (crowd boxes left out) with match_boxes (same class, highest IoU first) and
    summarise the pairs at IoU >= min_iou (localisation_summary), plus num_detections, the
    detections at the threshold on the file's images. Detections of images not in ann_file are
    an error (a result file of another split), and so are detections of a category ann_file
    does not list: mmdet's CocoMetric numbers categories 0, 1, ... when its config names no
    ann_file, and writes the true boxes so numbered as PREFIX.gt.json beside PREFIX.bbox.json."""
    try:
        document = read_coco_document(ann_file)
    except CocoFormatError as error:
        raise StudyError(str(error)) from None
    truth = defaultdict(list)
    for annotation in document['annotations']:
        if not annotation.get('iscrowd', 0):
            truth[annotation['image_id']].append((_xyxy(annotation['bbox']), annotation['category_id']))
    image_ids = {image['id'] for image in document['images']}
    category_ids = {category['id'] for category in document.get('categories', [])}
    predicted = defaultdict(list)
    for detection in detections:
        if detection['image_id'] not in image_ids:
            raise StudyError(f'{ann_file}: has no image {detection["image_id"]} that a detection names: '
                             'the detections are of another split')
        if detection['category_id'] not in category_ids:
            raise StudyError(f'{ann_file}: has no category {detection["category_id"]} that a detection names: '
                             'score against the PREFIX.gt.json that CocoMetric wrote beside them')
        if detection['score'] >= score_threshold:
            predicted[detection['image_id']].append((_xyxy(detection['bbox']), detection['category_id']))
    per_image = []
    for image_id in sorted(image_ids):
        if not truth[image_id]:
            continue
        true_boxes = torch.tensor([box for box, _ in truth[image_id]], dtype=torch.float64)
        boxes = torch.tensor([box for box, _ in predicted[image_id]], dtype=torch.float64).reshape(-1, 4)
        per_image.append(match_boxes(boxes, [label for _, label in predicted[image_id]],
                                     true_boxes, [label for _, label in truth[image_id]]))
    summary = localisation_summary(BoxMatches.concatenate(per_image), min_iou=min_iou)
    return summary | {'num_detections': sum(len(boxes) for boxes in predicted.values())}


def format_localisation_table(rows: dict[str, dict]) -> str:
    """Markdown, a row per named summary of detection_localisation."""
    lines = ['| run | detections | recall at IoU 0.5 | mean IoU of those | share ≥ 0.75 | width ratio '
             '| height ratio | centre offset |', '|' + '---|' * 8]
    for name, row in rows.items():
        cells = [name, str(row['num_detections'])] + [
            '–' if row[key] is None else f'{row[key]:.3f}'
            for key in ('recall', 'mean_iou', 'share_iou_0_75', 'width_ratio', 'height_ratio', 'centre_offset')]
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
