#!/usr/bin/env bash
# Ablation (4), scarcity: train/val 3/7, N.A. and +Aug (paper table 5, row 2).
# Usage: [GPUS=4] bash scripts/run_exp_scarcity_37.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/scarcity/scarcity_37_na.py
run_arm configs/indoor/scarcity/scarcity_37_aug.py
