# Fine-tune a trained renderer (default: the shipped demo) towards a user's photographs:
# synthetic scenes (exact geometry and poses) whose surfaces are tiled with patches of the
# user's training images.
#
# Data (only a training split's images, never a validation one):
#   python tools/make_synthetic_dataset.py --out data/photo_synthetic --num-scenes 24 \
#       --views-per-scene 30 --size 128 --seed 1 \
#       --photo-textures path/to/train.json --photo-img-dir path/to/images
#   DANR_SYNTHETIC_VIDEO=data/photo_synthetic/video python tools/train.py \
#       configs/renderer/photo_finetune_128.py --work-dir work_dirs/photo_finetune
# The generator takes the architecture and weights of model.generator_init, the discriminator
# starts from scratch; work_dir/renderer_final.pth is the adapted renderer that
# tools/augment_dataset.py --checkpoint takes. The study runs it per split through
# configs/study/renderer_photo_finetune.py.
_base_ = './synthetic_128_demo.py'

model = dict(renderer=None, generator_init='checkpoints/danr_synthetic_demo.pth')
train_cfg = dict(max_iters=400)
default_hooks = dict(checkpoint=dict(interval=100, max_keep_ckpts=1))
