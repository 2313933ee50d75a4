"""Measures shared by the evaluation protocols: box overlap and matching, and scale-free depth
accuracy against sparse known depths (e.g. SfM points).

Boxes are xyxy in continuous pixels (docs/conventions.md); depths are z-depths.
"""
from __future__ import annotations

import numpy as np
import torch

__all__ = ["box_iou", "depth_accuracy", "greedy_box_matches"]


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of xyxy boxes a[..., :] and b[..., :], broadcast: (M, 4), (M, 4) -> (M,) for matched
    pairs; a[:, None], b[None] -> (M, N) for all pairs."""
    width = (torch.minimum(a[..., 2], b[..., 2]) - torch.maximum(a[..., 0], b[..., 0])).clamp(min=0)
    height = (torch.minimum(a[..., 3], b[..., 3]) - torch.maximum(a[..., 1], b[..., 1])).clamp(min=0)
    intersection = width * height
    area_a = (a[..., 2] - a[..., 0]) * (a[..., 3] - a[..., 1])
    area_b = (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])
    return intersection / (area_a + area_b - intersection)


def greedy_box_matches(predicted: torch.Tensor, predicted_labels, truth: torch.Tensor,
                       truth_labels) -> torch.Tensor:
    """Per true box (T,), the IoU of the predicted box of the same label matched to it greedily
    (highest IoU first, each box used once); 0 for a true box left unmatched.

    predicted (P, 4), truth (T, 4) xyxy; labels: sequences of P and T class ids."""
    ious = torch.zeros(len(truth), dtype=torch.float64)
    if len(predicted) == 0 or len(truth) == 0:
        return ious
    overlaps = box_iou(predicted.double()[:, None], truth.double()[None])
    same = torch.as_tensor(list(predicted_labels))[:, None] == torch.as_tensor(list(truth_labels))[None]
    candidates = [(float(overlaps[p, t]), p, t) for p, t in same.nonzero().tolist() if overlaps[p, t] > 0]
    used = set()
    for overlap, p, t in sorted(candidates, reverse=True):
        if p not in used and ious[t] == 0:
            ious[t] = overlap
            used.add(p)
    return ious


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
