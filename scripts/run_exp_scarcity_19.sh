#!/usr/bin/env bash
# Ablation (4), scarcity: train/val 1/9, N.A. and +Aug (paper table 5, row 3).
# Usage: [GPUS=4] bash scripts/run_exp_scarcity_19.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/scarcity/scarcity_19_na.py
run_arm configs/indoor/scarcity/scarcity_19_aug.py
