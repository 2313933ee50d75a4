#!/usr/bin/env bash
# Ablation (1), compatibility: + Online + Offline (table 2, row 4).
# Usage: [GPUS=4] bash scripts/run_exp_comp_both.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/comp/comp_both.py
