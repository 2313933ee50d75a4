#!/usr/bin/env bash
# Ablation (1), compatibility: + Online, keypoint mixup (table 2, row 2).
# Usage: [GPUS=4] bash scripts/run_exp_comp_online.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/comp/comp_online.py
