# The real-photo renderer for Indoor, depth first, step 2 of 2: the renderer of step 1
# (indoor_depth_lite0_128.py: stage 1's encoder and decoder, LiteDepthNet trained on the SfM
# depths alone) fine-tuned on the real posed Indoor pairs with the view-synthesis loss while the
# depth net stays frozen (weights and BatchNorm statistics), so the view and adversarial terms
# cannot pull the depth off shape again.
#   DANR_INDOOR_POSED=OUT/posed_fit python tools/train.py configs/renderer/indoor_video_lite0_frozen_128.py \
#       --work-dir OUT/stage2_frozen --cfg-options model.generator_init=OUT/stage2_depth/renderer_final.pth
_base_ = './indoor_video_lite0_128.py'

model = dict(generator_init_parts=None, depth_init=None, frozen_parts=('depth_net',),
             depth_supervision=dict(weight=0.0))
train_cfg = dict(max_iters=600)
