# Depth that follows shape (beyond the paper): the demo renderer fine-tuned with the exact depth of
# synthetic rooms dressed in a user's photographs, under appearance randomisation.
#
# The paper learns depth only through the views, and a renderer that has seen few scenes then
# reads depth off colour. Here every training frame also carries its exact depth
# (make_synthetic_dataset --write-depth) and a log-depth term (weight 1) pulls the depth net to
# it, while photo textures and one brightness/contrast/saturation jitter per pair (+-30%, equal for
# source and target) break the link between colour and depth. The view-synthesis terms stay as in
# synthetic_128_demo.py.
#
# Data (only a training split's images, never a validation one):
#   python tools/make_synthetic_dataset.py --out data/depth_synthetic --num-scenes 24 \
#       --views-per-scene 30 --size 128 --seed 2 --write-depth \
#       --photo-textures path/to/train.json --photo-img-dir path/to/images
#   DANR_SYNTHETIC_VIDEO=data/depth_synthetic/video python tools/train.py \
#       configs/renderer/depth_supervised_128.py --work-dir work_dirs/depth_supervised
# Posed footage (tools/pose_video.py writes depth/ beside cameras/ and frames/) trains the same
# way; its scale comes from a rule, not a measurement, so there use
# model.depth_supervision.scale_invariant=True.
_base_ = './photo_finetune_128.py'

model = dict(depth_supervision=dict(weight=1.0, scale_invariant=False))
train_dataloader = dict(dataset=dict(depth_folder='depth', photometric_jitter=0.3))
train_cfg = dict(max_iters=600)
