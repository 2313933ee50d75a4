"""Measures shared by the evaluation protocols: box overlap and matching, and scale-free depth
accuracy against sparse known depths (e.g. SfM points).

Boxes are xyxy in continuous pixels (docs/conventions.md); depths are z-depths.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

__all__ = ["BOX_ERRORS", "BoxMatches", "box_errors", "box_iou", "depth_accuracy", "greedy_box_pairs",
           "localisation_summary", "match_boxes"]


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of xyxy boxes a[..., :] and b[..., :], broadcast: (M, 4), (M, 4) -> (M,) for matched
    pairs; a[:, None], b[None] -> (M, N) for all pairs."""
    width = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    height = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    intersection = width * height
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return intersection / (area_a + area_b - intersection)


def greedy_box_pairs(predicted: torch.Tensor, predicted_labels, truth: torch.Tensor,
                     truth_labels) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Match predicted to true boxes of the same label greedily, highest IoU first, each box
    used once, overlapping pairs only.

    predicted (P, 4), truth (T, 4) xyxy; labels: sequences of P and T class ids. Returns
    (predicted index (K,), true index (K,), IoU (K,) float64) in match order."""
    matched_p, matched_t, matched_iou = [], [], []
    if len(predicted) and len(truth):
        overlaps = box_iou(predicted.double()[:, None], truth.double()[None])
        same = torch.as_tensor(list(predicted_labels))[:, None] == torch.as_tensor(list(truth_labels))[None]
        candidates = [(float(overlaps[p, t]), p, t) for p, t in same.nonzero().tolist() if overlaps[p, t] > 0]
        used_p, used_t = set(), set()
        for overlap, p, t in sorted(candidates, reverse=True):
            if p not in used_p and t not in used_t:
                used_p.add(p)
                used_t.add(t)
                matched_p.append(p)
                matched_t.append(t)
                matched_iou.append(overlap)
    return (torch.tensor(matched_p, dtype=torch.long), torch.tensor(matched_t, dtype=torch.long),
            torch.tensor(matched_iou, dtype=torch.float64))


def box_errors(predicted: torch.Tensor, truth: torch.Tensor) -> dict[str, torch.Tensor]:
    """How matched boxes (K, 4) xyxy differ from their true boxes (K, 4): log_width_ratio and
    log_height_ratio, log(predicted / true) (> 0: too large), and centre_dx, centre_dy, the
    centre's offset in units of the true box's width and height; each (K,) float64 (the keys
    of BOX_ERRORS)."""
    predicted, truth = predicted.double(), truth.double()
    size_p, size_t = predicted[:, 2:] - predicted[:, :2], truth[:, 2:] - truth[:, :2]
    offset = ((predicted[:, :2] + predicted[:, 2:]) - (truth[:, :2] + truth[:, 2:])) / 2 / size_t
    log_ratio = torch.log(size_p / size_t)
    return {"log_width_ratio": log_ratio[:, 0], "log_height_ratio": log_ratio[:, 1],
            "centre_dx": offset[:, 0], "centre_dy": offset[:, 1]}


BOX_ERRORS = ("log_width_ratio", "log_height_ratio", "centre_dx", "centre_dy")


@dataclass(frozen=True)
class BoxMatches:
    """Predicted boxes matched to true ones (match_boxes), of one image or several
    (BoxMatches.concatenate)."""

    truth_iou: torch.Tensor  # (T,) float64: each true box's IoU with its match, 0 when unmatched
    matched_iou: torch.Tensor  # (K,) float64: each match's IoU
    errors: dict[str, torch.Tensor]  # box_errors of the K matches

    @staticmethod
    def concatenate(parts: list[BoxMatches]) -> BoxMatches:
        """The matches of several images as one set (empty with no part)."""
        def cat(tensors):
            return torch.cat(tensors) if tensors else torch.zeros(0, dtype=torch.float64)
        return BoxMatches(cat([part.truth_iou for part in parts]), cat([part.matched_iou for part in parts]),
                          {key: cat([part.errors[key] for part in parts]) for key in BOX_ERRORS})


def match_boxes(predicted: torch.Tensor, predicted_labels, truth: torch.Tensor, truth_labels) -> BoxMatches:
    """greedy_box_pairs of predicted (P, 4) and true (T, 4) xyxy boxes, with each true box's IoU
    (0 for one left unmatched) and the box_errors of the matches."""
    matched_p, matched_t, matched_iou = greedy_box_pairs(predicted, predicted_labels, truth, truth_labels)
    truth_iou = torch.zeros(len(truth), dtype=torch.float64)
    truth_iou[matched_t] = matched_iou
    return BoxMatches(truth_iou, matched_iou, box_errors(predicted[matched_p].reshape(-1, 4),
                                                         truth[matched_t].reshape(-1, 4)))


def localisation_summary(matches: BoxMatches, min_iou: float = 0.5) -> dict:
    """How the matches at IoU >= min_iou (COCO's true positives at AP50) fit: num_truth (true
    boxes), recall (their share of the true boxes), mean_iou and share_iou_0_75 among them, and
    their median width_ratio, height_ratio (predicted / true) and centre_offset (the centre's
    distance in units of the true box's size); None where no match reaches min_iou."""
    num_truth = len(matches.truth_iou)
    kept = matches.matched_iou >= min_iou
    summary = {"num_truth": num_truth, "recall": float(kept.sum()) / num_truth if num_truth else None}
    if not kept.any():
        return summary | dict.fromkeys(("mean_iou", "share_iou_0_75", "width_ratio", "height_ratio",
                                        "centre_offset"))
    errors = {key: values[kept] for key, values in matches.errors.items()}
    ious = matches.matched_iou[kept]
    return summary | {
        "mean_iou": float(ious.mean()), "share_iou_0_75": float((ious >= 0.75).double().mean()),
        "width_ratio": float(errors["log_width_ratio"].median().exp()),
        "height_ratio": float(errors["log_height_ratio"].median().exp()),
        "centre_offset": float(torch.hypot(errors["centre_dx"], errors["centre_dy"]).median())}


def depth_accuracy(predicted: np.ndarray, known: np.ndarray, rng: np.random.Generator,
                   num_pairs: int = 4000, min_gap: float = 0.05) -> dict[str, float]:
    """Scale-free accuracy of predicted depths (N,) at points whose depth is known (N,) > 0.

    The prediction is first scaled so its median equals the known median (per image: monocular
    depth and SfM each fix their own scale). Returns abs_rel (mean |d - d*| / d*), delta_1_25
    (share with max(d / d*, d* / d) < 1.25), ordered_pairs (share of `num_pairs` random point
    pairs, drawn from `rng`, whose known depths differ by more than `min_gap` relatively and
    whose predicted depths are in the same order, a predicted tie counting as wrong; scale-free
    even without the median scaling)
    and num_points.
    """
    predicted = np.asarray(predicted, np.float64)
    known = np.asarray(known, np.float64)
    if predicted.shape != known.shape or predicted.ndim != 1 or len(known) < 2:
        raise ValueError(f"depth_accuracy: need two (N,) arrays with N >= 2, got {predicted.shape} and {known.shape}")
    scaled = predicted * (np.median(known) / np.median(predicted))
    ratio = np.maximum(scaled / known, known / scaled)
    first, second = rng.integers(0, len(known), size=(2, num_pairs))
    gap = np.abs(known[first] - known[second]) / np.maximum(known[first], known[second])
    apart = gap > min_gap
    # Predicted depths equal to rounding (e.g. a constant map, resampled) are a tie: no order.
    predicted_gap = predicted[first] - predicted[second]
    tied = np.abs(predicted_gap) <= 1e-5 * np.maximum(np.abs(predicted[first]), np.abs(predicted[second]))
    agree = ~tied & (np.sign(predicted_gap) == np.sign(known[first] - known[second]))
    return {
        "abs_rel": float(np.mean(np.abs(scaled - known) / known)),
        "delta_1_25": float(np.mean(ratio < 1.25)),
        "ordered_pairs": float(np.mean(agree[apart])) if apart.any() else float("nan"),
        "num_points": int(len(known)),
    }
