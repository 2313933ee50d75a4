#!/usr/bin/env bash
# Ablation (4), scarcity: train/val 5/5, N.A. and +Aug (paper table 5, row 1).
# Usage: [GPUS=4] bash scripts/run_exp_scarcity_55.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/scarcity/scarcity_55_na.py
run_arm configs/indoor/scarcity/scarcity_55_aug.py
