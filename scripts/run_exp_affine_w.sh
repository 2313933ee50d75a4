#!/usr/bin/env bash
# Ablation (3), affine transform: w/ affine, N.A. and +Aug (paper table 4, row 1).
# Usage: [GPUS=4] bash scripts/run_exp_affine_w.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/affine/affine_w_na.py
run_arm configs/indoor/affine/affine_w_aug.py
