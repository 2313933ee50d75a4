#!/usr/bin/env bash
# The real-photo renderer for Indoor, stage 1 (depth that follows shape; issue 12, item 3):
# the demo renderer fine-tuned on synthetic rooms dressed in Indoor frames, with exact depth
# supervision and appearance jitter (configs/renderer/depth_supervised_128.py).
#
#   scripts/train_indoor_renderer.sh [INDOOR_DIR] [OUT]      (defaults ../shared/data/indoor_objects,
#                                                             work_dirs/indoor_renderer)
# Held out: the last 20% of the frames of every sequence (OUT/frames_heldout.json); textures come
# only from the other frames (OUT/frames_fit.json). Every step resumes: a finished step is
# skipped, an interrupted training continues from its last checkpoint. Logs in OUT/*.log.
set -euo pipefail
INDOOR=${1:-../shared/data/indoor_objects}
OUT=${2:-work_dirs/indoor_renderer}
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

if [ ! -f "$OUT/stage1/renderer_final.pth" ]; then
    resume=()
    if ls "$OUT"/stage1/iter_*.pth > /dev/null 2>&1; then resume=(--resume); fi
    DANR_SYNTHETIC_VIDEO="$OUT/synthetic/video" "$PYTHON" tools/train.py \
        configs/renderer/depth_supervised_128.py --work-dir "$OUT/stage1" "${resume[@]}" \
        > "$OUT/stage1.log" 2>&1
fi
echo "stage 1 renderer: $OUT/stage1/renderer_final.pth"
