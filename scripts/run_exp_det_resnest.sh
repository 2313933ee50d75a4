#!/usr/bin/env bash
# Ablation (5), backbone: CenterNet ResNeSt-50, N.A. and +Aug (paper table 6, row 2).
# Usage: [GPUS=4] bash scripts/run_exp_det_resnest.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/det/det_resnest_na.py
run_arm configs/indoor/det/det_resnest_aug.py
