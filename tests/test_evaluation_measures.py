"""danr_renderer.evaluation.measures against hand-computed cases."""
import numpy as np
import pytest
import torch

from danr_renderer.evaluation.measures import box_iou, depth_accuracy, greedy_box_matches


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
    ious = greedy_box_matches(predicted, [1, 1, 2, 3], truth, [1, 3, 3])
    torch.testing.assert_close(ious, torch.tensor([0.8, 0.0, 0.5], dtype=torch.float64))
    assert greedy_box_matches(predicted[:0], [], truth, [1, 3, 3]).tolist() == [0.0, 0.0, 0.0]


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
