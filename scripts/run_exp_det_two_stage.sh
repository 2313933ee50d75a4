#!/usr/bin/env bash
# Detector ablation (paper table 7, not in the authors' README): two-stage, N.A. and +Aug. Faster R-CNN R-50 FPN stands in for Hit-Detector.
# Usage: [GPUS=4] bash scripts/run_exp_det_two_stage.sh   (see scripts/run_exp_common.sh)
source "$(dirname "$0")/run_exp_common.sh"

ensure_indoor_splits
run_arm configs/indoor/two_stage/faster_rcnn_r50_fpn_indoor_na.py
run_arm configs/indoor/two_stage/faster_rcnn_r50_fpn_indoor_aug.py
