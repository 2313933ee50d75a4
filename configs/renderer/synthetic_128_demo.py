# The shipped demo checkpoint (checkpoints/danr_synthetic_demo.pth): synthetic_128 plus splat_rgb.
#
# Trained on this project's CPU machine (2 cores) for a few thousand iterations at most, so the
# renderer carries each point's own colour beside its features (splat_rgb=True, not in the paper):
# the decoder can copy visible colours from the first iterations on and spends its short training
# on in-painting holes and on the depth that places the points. Paper-faithful training on GPUs:
# configs/renderer/realestate10k_256_native.py or realestate10k_512_native.py.
#
# Data: python tools/make_synthetic_dataset.py --out data/synthetic --num-scenes 24 \
#           --views-per-scene 30 --size 128 --seed 0
_base_ = './synthetic_128.py'

model = dict(renderer=dict(splat_rgb=True))
train_cfg = dict(max_iters=2000)
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=2))
