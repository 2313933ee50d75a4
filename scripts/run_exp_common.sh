#!/usr/bin/env bash
# Shared steps of the run_exp_*.sh scripts (sourced, not run). Each experiment arm is trained,
# its checkpoint chosen on the held-out part of the training split (save_best), and that
# checkpoint evaluated on the reported split (test_dataloader).
#
# Environment:
#   GPUS        GPUs per node (default 4, the authors' setting; 0 or 1 = single process)
#   PYTHON      interpreter (default: python)
#   WORK_ROOT   where runs go (default work_dirs/exp); each arm in WORK_ROOT/<config name>
#   SPLIT_ARGS  how tools/split_dataset.py splits the Indoor set when the split files are
#               missing (default: whole video sequences, 10% of the training side held out)
# Data: the Indoor set at data/indoor_objects/ (annotations.json, images/), DANR-rendered sets
# at the data_root the configs name (e.g. data/indoor_objects_danr/). Symlinks are fine.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO_ROOT"
GPUS=${GPUS:-4}
PYTHON=${PYTHON:-python}
export PYTHON
WORK_ROOT=${WORK_ROOT:-work_dirs/exp}
INDOOR_ROOT=data/indoor_objects
SPLIT_ARGS=${SPLIT_ARGS:---group-key sequence --order-key frame --holdout 0.1 --seed 0}

ensure_indoor_splits() {
    if [ ! -f "$INDOOR_ROOT/annotations.json" ]; then
        echo "missing $INDOOR_ROOT/annotations.json: put (or symlink) the Indoor set there" >&2
        exit 1
    fi
    local tag missing=0
    for tag in 5of5 3of7 1of9; do
        for part in fit holdout val; do
            [ -f "$INDOOR_ROOT/splits/${part}_${tag}.json" ] || missing=1
        done
    done
    if [ "$missing" = 1 ]; then
        # shellcheck disable=SC2086  # SPLIT_ARGS is a list of options
        "$PYTHON" tools/split_dataset.py "$INDOOR_ROOT/annotations.json" \
            --out "$INDOOR_ROOT/splits" --ratios 5/5 3/7 1/9 $SPLIT_ARGS
    fi
}

# run_arm CONFIG: train CONFIG, then test its best checkpoint on the reported split.
run_arm() {
    local config=$1
    local name
    name=$(basename "$config" .py)
    local work_dir="$WORK_ROOT/$name"
    if [ "$GPUS" -gt 1 ]; then
        bash tools/dist_train.sh "$config" "$GPUS" --work-dir "$work_dir"
    else
        "$PYTHON" tools/train.py "$config" --work-dir "$work_dir"
    fi
    local best
    best=$(ls -t "$work_dir"/best_coco_bbox_mAP_*.pth 2>/dev/null | head -n 1 || true)
    if [ -z "$best" ]; then
        echo "no best_coco_bbox_mAP_*.pth in $work_dir: did validation run?" >&2
        exit 1
    fi
    if [ "$GPUS" -gt 1 ]; then
        bash tools/dist_test.sh "$config" "$best" "$GPUS" --work-dir "$work_dir/test"
    else
        "$PYTHON" tools/test.py "$config" "$best" --work-dir "$work_dir/test"
    fi
}
