"""danr_renderer.evaluation.measures against hand-computed cases."""
import numpy as np
import pytest
import torch

from danr_renderer.evaluation.measures import (
    BoxMatches,
    box_errors,
    box_iou,
    depth_accuracy,
    greedy_box_pairs,
    localisation_summary,
    match_boxes,
)


def test_box_iou_matched_and_all_pairs():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [0.0, 0.0, 2.0, 1.0]])
    torch.testing.assert_close(box_iou(a, b), torch.tensor([1 / 7, 0.5]))
    torch.testing.assert_close(box_iou(a[:, None], b[None]), torch.tensor([[1 / 7, 0.5], [0.0, 0.5]]))


def test_greedy_matching_uses_each_prediction_once_and_respects_labels():
    truth = torch.tensor([[0.0, 0.0, 10.0, 10.0], [20.0, 0.0, 30.0, 10.0], [0.0, 20.0, 10.0, 30.0]])
    predicted = torch.tensor([[0.0, 0.0, 10.0, 8.0],    # IoU 0.8 with truth 0
                              [0.0, 0.0, 10.0, 5.0],    # IoU 0.5 with truth 0, but 0 is taken
                              [20.0, 0.0, 30.0, 10.0],  # exact, but the wrong class for truth 1
                              [0.0, 25.0, 10.0, 30.0]])  # IoU 0.5 with truth 2
    matches = match_boxes(predicted, [1, 1, 2, 3], truth, [1, 3, 3])
    torch.testing.assert_close(matches.truth_iou, torch.tensor([0.8, 0.0, 0.5], dtype=torch.float64))
    # Prediction 0 is 2 px short of truth 0 (height ratio 0.8, centre 1 px = 0.1 up); prediction
    # 3 is truth 2's lower half (height ratio 0.5, centre 2.5 px = 0.25 down).
    torch.testing.assert_close(matches.errors["log_height_ratio"], torch.tensor([0.8, 0.5], dtype=torch.float64).log())
    torch.testing.assert_close(matches.errors["centre_dy"], torch.tensor([-0.1, 0.25], dtype=torch.float64))
    unmatched = match_boxes(predicted[:0], [], truth, [1, 3, 3])
    assert unmatched.truth_iou.tolist() == [0.0, 0.0, 0.0] and len(unmatched.matched_iou) == 0
    # The pairs themselves, highest IoU first: prediction 0 -> truth 0, prediction 3 -> truth 2.
    matched_p, matched_t, matched_iou = greedy_box_pairs(predicted, [1, 1, 2, 3], truth, [1, 3, 3])
    assert matched_p.tolist() == [0, 3] and matched_t.tolist() == [0, 2]
    torch.testing.assert_close(matched_iou, torch.tensor([0.8, 0.5], dtype=torch.float64))
    assert [len(x) for x in greedy_box_pairs(predicted, [1, 1, 2, 3], truth[:0], [])] == [0, 0, 0]


def test_box_errors_and_localisation_summary_by_hand():
    truth = torch.tensor([[0.0, 0.0, 10.0, 20.0], [0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 60.0]])
    # Twice as wide, same height, centre 5 px right (half the true width of 10); then the same
    # box; then half as tall, centre 2.5 px up (a quarter of the true height of 10).
    predicted = torch.tensor([[0.0, 0.0, 20.0, 20.0], [0.0, 0.0, 10.0, 10.0], [50.0, 50.0, 60.0, 55.0]])
    errors = box_errors(predicted, truth)
    torch.testing.assert_close(errors["log_width_ratio"], torch.tensor([np.log(2.0), 0.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(errors["log_height_ratio"], torch.tensor([0.0, 0.0, np.log(0.5)], dtype=torch.float64))
    torch.testing.assert_close(errors["centre_dx"], torch.tensor([0.5, 0.0, 0.0], dtype=torch.float64))
    torch.testing.assert_close(errors["centre_dy"], torch.tensor([0.0, 0.0, -0.25], dtype=torch.float64))
    ious = box_iou(predicted, truth)  # 0.5, 1, 0.5
    # The three matches and a fourth true box left unmatched.
    matches = BoxMatches(torch.cat([ious, torch.zeros(1, dtype=torch.float64)]), ious, errors)
    summary = localisation_summary(matches)
    # All three pairs reach 0.5: recall 3 / 4; one of them reaches 0.75; the medians of
    # (2, 1, 1), (1, 1, 0.5) and the offsets (0.5, 0, 0.25).
    assert summary["recall"] == 0.75 and summary["num_truth"] == 4
    assert summary["mean_iou"] == pytest.approx(2 / 3) and summary["share_iou_0_75"] == pytest.approx(1 / 3)
    assert summary["width_ratio"] == pytest.approx(1.0) and summary["height_ratio"] == pytest.approx(1.0)
    assert summary["centre_offset"] == pytest.approx(0.25)
    strict = localisation_summary(matches, min_iou=0.9)  # only the exact pair
    assert strict["recall"] == 0.25 and strict["width_ratio"] == pytest.approx(1.0)
    assert strict["centre_offset"] == pytest.approx(0.0)
    # Split in two and joined again, the set summarises the same; no part: nothing to summarise.
    m = matches
    halves = [BoxMatches(m.truth_iou[:2], m.matched_iou[:1], {k: v[:1] for k, v in m.errors.items()}),
              BoxMatches(m.truth_iou[2:], m.matched_iou[1:], {k: v[1:] for k, v in m.errors.items()})]
    assert localisation_summary(BoxMatches.concatenate(halves)) == summary
    none = localisation_summary(BoxMatches.concatenate([]))
    assert none["num_truth"] == 0 and none["recall"] is None and none["mean_iou"] is None


def test_depth_accuracy_is_scale_free_and_counts_by_hand():
    rng = np.random.default_rng(0)
    known = np.array([1.0, 2.0, 4.0, 8.0])
    exact = depth_accuracy(3.0 * known, known, rng)
    assert exact["abs_rel"] == pytest.approx(0.0) and exact["delta_1_25"] == 1.0
    assert exact["ordered_pairs"] == 1.0 and exact["num_points"] == 4
    # Reversed order: every pair disagrees; after median scaling (median 3 -> 3) the depths are
    # 8, 4, 2, 1 * (3 / 3): errors 7/1, 2/2, 2/4, 7/8.
    reversed_ = depth_accuracy(known[::-1].copy(), known, np.random.default_rng(1))
    assert reversed_["ordered_pairs"] == 0.0
    assert reversed_["abs_rel"] == pytest.approx(np.mean([7.0, 1.0, 0.5, 7 / 8]))
    assert reversed_["delta_1_25"] == 0.0
    with pytest.raises(ValueError, match="N >= 2"):
        depth_accuracy(np.ones(1), np.ones(1), rng)


def test_a_constant_depth_orders_no_pair_even_with_rounding_noise():
    known = np.linspace(1.0, 5.0, 50)
    noisy_constant = 2.5 + np.random.default_rng(0).normal(0, 1e-7, 50)
    assert depth_accuracy(noisy_constant, known, np.random.default_rng(2))["ordered_pairs"] == 0.0
