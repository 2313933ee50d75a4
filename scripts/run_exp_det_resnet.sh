#!/usr/bin/env bash
# Ablation (5), backbone: CenterNet ResNet-50, N.A. and +Aug (paper table 6, row 1).
# Usage: [GPUS=4] bash scripts/run_exp_det_resnet.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/det/det_resnet_na.py
run_arm configs/indoor/det/det_resnet_aug.py
