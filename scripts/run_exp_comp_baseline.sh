#!/usr/bin/env bash
# Ablation (1), compatibility: Baseline (affine only; paper table 2, row 1).
# Usage: [GPUS=4] bash scripts/run_exp_comp_baseline.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/comp/comp_baseline.py
