# The shipped demo checkpoint (checkpoints/danr_synthetic_demo.pth): synthetic_128 plus splat_rgb
# and the "over" composite.
#
# Trained on this project's CPU machine (2 cores) for a couple of thousand iterations at most, so
# the renderer carries each point's own colour beside its features (splat_rgb=True) and shows
# those colours wherever points cover a pixel, the decoder painting only the rest
# (composite='over'). Neither is in the paper: they let a briefly trained renderer be sharp where
# its depth is right and spend training on depth and in-painting. Paper-faithful training on GPUs:
# configs/renderer/realestate10k_256_native.py or realestate10k_512_native.py.
#
# Data: python tools/make_synthetic_dataset.py --out data/synthetic --num-scenes 24 \
#           --views-per-scene 30 --size 128 --seed 0
# How the shipped file was made: benchmarks/RESULTS.md, "Renderer evaluation".
_base_ = './synthetic_128.py'

model = dict(renderer=dict(splat_rgb=True, composite='over'))
train_cfg = dict(max_iters=2000)
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=2))
