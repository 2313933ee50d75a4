#!/usr/bin/env bash
# Ablation (2), render resolution: +Aug with the 512pixelSS rendered set (paper table 3).
# Usage: [GPUS=4] bash scripts/run_exp_res_512pixelSS.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/res/res_512pixelSS.py
