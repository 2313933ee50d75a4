#!/usr/bin/env bash
# The real-photo renderer for Indoor (issue 12, items 3 and 4), in two stages:
# 1. the demo renderer fine-tuned on synthetic rooms dressed in Indoor frames, with exact depth
#    supervision and appearance jitter (configs/renderer/depth_supervised_128.py);
# 2. that renderer fine-tuned on real posed Indoor pairs, view loss plus a scale-invariant depth
#    term at the SfM points (configs/renderer/indoor_video_128.py);
# 2'. the same fine-tuning with the depth net replaced by the ImageNet-initialised LiteDepthNet
#    (configs/renderer/indoor_video_lite0_128.py; encoder and decoder from stage 1);
# 2''. depth first: LiteDepthNet trained alone on the SfM depths (indoor_depth_lite0_128.py,
#    stage2_depth), then the view fine-tuning with that depth net frozen
#    (indoor_video_lite0_frozen_128.py, stage2_frozen);
# then the last stage of STAGES with its depth's scale fitted to the scale rule on the training
# frames (tools/calibrate_depth_scale.py: <stage>/renderer_final_calibrated.pth), and every
# renderer scored on the held-out posed frames (tools/eval_renderer.py --posed), that calibrated
# candidate against the last stage as trained, the others, stage 1 and the demo checkpoint, each
# also with its depth scaled to the SfM points' median (--sfm-scale, the plane warp's scale).
#
#   [STAGES="stage2 stage2_lite0 stage2_depth stage2_frozen"] scripts/train_indoor_renderer.sh \
#       [INDOOR_DIR] [OUT] [POSED]
#       defaults ../shared/data/indoor_objects, work_dirs/indoor_renderer, work_dirs/indoor_posed
# STAGES (default all four, in that order) chooses which second stages train and are scored;
# stage2_frozen needs stage2_depth before it.
# POSED is INDOOR_DIR's frames posed by tools/pose_video.py (made here when missing), or any
# posing that contains them (e.g. the whole Indoor set posed once, for a split's fit set).
# Held out: the last 20% of the frames of every sequence of INDOOR_DIR (OUT/frames_heldout.json);
# textures and training pairs come only from the other frames (OUT/frames_fit.json,
# OUT/posed_fit: the posed frames that are in frames_fit.json, nothing else of POSED). Every step
# resumes: a finished step is skipped, an interrupted training continues from its last
# checkpoint. Logs in OUT/*.log.
set -euo pipefail
INDOOR=${1:-../shared/data/indoor_objects}
OUT=${2:-work_dirs/indoor_renderer}
POSED=${3:-work_dirs/indoor_posed}
PYTHON=${PYTHON:-python}
mkdir -p "$OUT"

if [ ! -f "$OUT/frames_heldout.json" ]; then
    "$PYTHON" -c "
import sys
from danr_renderer.atomic_io import atomic_write_json
from danr_renderer.data.coco_io import read_coco_document
from danr_renderer.data.splits import holdout_images, subset_coco
coco = read_coco_document(sys.argv[1])
fit, heldout = holdout_images(coco['images'], 0.2, seed=0, group_key='sequence', order_key='frame')
atomic_write_json(sys.argv[2] + '/frames_fit.json', subset_coco(coco, fit))
atomic_write_json(sys.argv[2] + '/frames_heldout.json', subset_coco(coco, heldout))
print(f'{len(fit)} frames to texture with, {len(heldout)} held out')
" "$INDOOR/annotations.json" "$OUT"
fi

if [ ! -f "$OUT/synthetic/detection/annotations.json" ]; then
    "$PYTHON" tools/make_synthetic_dataset.py --out "$OUT/synthetic" --num-scenes 24 --views-per-scene 30 \
        --size 128 --seed 2 --write-depth --photo-textures "$OUT/frames_fit.json" \
        --photo-img-dir "$INDOOR/images" > "$OUT/synthetic.log" 2>&1
fi

# train_stage NAME CONFIG VAR=VALUE [tools/train.py options]: trains CONFIG into OUT/NAME (log
# OUT/NAME.log) with VAR set in its environment; skipped when finished, resumed when interrupted.
train_stage() {
    local name=$1 config=$2 data=$3
    shift 3
    if [ -f "$OUT/$name/renderer_final.pth" ]; then return; fi
    local resume=()
    if ls "$OUT/$name"/iter_*.pth > /dev/null 2>&1; then resume=(--resume); fi
    env "$data" "$PYTHON" tools/train.py "$config" --work-dir "$OUT/$name" "$@" "${resume[@]}" \
        > "$OUT/$name.log" 2>&1
}

train_stage stage1 configs/renderer/depth_supervised_128.py "DANR_SYNTHETIC_VIDEO=$OUT/synthetic/video"
echo "stage 1 renderer: $OUT/stage1/renderer_final.pth"

if [ ! -d "$POSED/cameras" ]; then
    "$PYTHON" tools/pose_video.py --ann-file "$INDOOR/annotations.json" --img-dir "$INDOOR/images" \
        --group-key sequence --order-key frame --out "$POSED" > "$OUT/pose.log" 2>&1
fi
if [ ! -d "$OUT/posed_fit/cameras" ]; then
    "$PYTHON" -c "
import sys
from danr_renderer.data.coco_io import read_coco_document
from danr_renderer.data.posed_subset import subset_posed_footage
from danr_renderer.posing import source_clip
fit = {(f'sequence{i[\"sequence\"]}', int(i['frame'])) for i in read_coco_document(sys.argv[1])['images']}
kept = subset_posed_footage(sys.argv[2], sys.argv[3],
                            lambda clip, stamp: (source_clip(clip), stamp) in fit)
print(f'{sum(kept.values())} posed frames in {len(kept)} clips to train on')
" "$OUT/frames_fit.json" "$POSED" "$OUT/posed_fit"
fi

STAGES=${STAGES:-"stage2 stage2_lite0 stage2_depth stage2_frozen"}
scored=()
for stage in $STAGES; do
    case $stage in
        stage2) config=indoor_video_128 init=stage1 ;;
        stage2_lite0) config=indoor_video_lite0_128 init=stage1 ;;
        stage2_depth) config=indoor_depth_lite0_128 init=stage1 ;;
        stage2_frozen) config=indoor_video_lite0_frozen_128 init=stage2_depth ;;
        *) echo "unknown stage $stage in STAGES (stage2 stage2_lite0 stage2_depth stage2_frozen)" >&2; exit 2 ;;
    esac
    train_stage "$stage" "configs/renderer/$config.py" "DANR_INDOOR_POSED=$OUT/posed_fit" \
        --cfg-options "model.generator_init=$OUT/$init/renderer_final.pth"
    scored=("$OUT/$stage/renderer_final.pth" "${scored[@]}")
done
# The scale-invariant depth term leaves the depth's scale where stage 1 left it: fit it to the
# scale rule on the training frames' SfM points (tools/calibrate_depth_scale.py). The held-out
# scores compare the calibrated candidate with the uncalibrated one and the rest.
uncalibrated=${scored[0]}
candidate=${uncalibrated%.pth}_calibrated.pth
if [ ! -f "$candidate" ]; then
    "$PYTHON" tools/calibrate_depth_scale.py --checkpoint "$uncalibrated" --posed "$OUT/posed_fit" \
        --out "$candidate" > "$OUT/calibrate.log" 2>&1
fi
others=("$uncalibrated" "${scored[@]:1}" "$OUT/stage1/renderer_final.pth" checkpoints/danr_synthetic_demo.pth)

if [ ! -f "$OUT/eval_posed_heldout.json" ]; then
    "$PYTHON" tools/eval_renderer.py --posed "$POSED" --ann-file "$OUT/frames_heldout.json" \
        --checkpoint "$candidate" --compare "${others[@]}" \
        --max-frame-gap 3 --num-pairs 120 --sfm-scale --out "$OUT/eval_posed_heldout.json" > "$OUT/eval_posed.log" 2>&1
fi
# The views tools/augment_dataset.py writes (full-resolution composite) against the plane warp at
# the frames' own size: 40 pairs (VGG distances at 640x360 cost about 15 s a pair on one core).
if [ ! -f "$OUT/eval_posed_heldout_full.json" ]; then
    "$PYTHON" tools/eval_renderer.py --posed "$POSED" --ann-file "$OUT/frames_heldout.json" \
        --checkpoint "$candidate" --compare "${others[@]}" \
        --max-frame-gap 3 --num-pairs 40 --full-resolution --sfm-scale --out "$OUT/eval_posed_heldout_full.json" \
        > "$OUT/eval_posed_full.log" 2>&1
fi
echo "renderers: ${scored[*]}; held-out scores: $OUT/eval_posed_heldout.json, full resolution: $OUT/eval_posed_heldout_full.json"
