# DANR renderer on the synthetic video set, 128 x 128, sized for a CPU (2 threads).
#
# Data: python tools/make_synthetic_dataset.py --out data/synthetic (writes data/synthetic/video);
# another root: DANR_SYNTHETIC_VIDEO=/path/to/video, or --cfg-options train_dataloader.dataset.root=...
# Frames (256 px by default) are resized to 128 and randomly cropped (a no-op for square frames);
# pairs are at most 30 frames apart (the paper's range; a whole 30-frame synthetic clip).
#
# Choices, and why (paper values in brackets):
# * widths: feature_channels 32 [64], encoder (32, 64), decoder (32, 64, 64), hourglass base 16 /
#   at most 64 channels [256], discriminator base 32 [64], content VGG at a quarter width: a
#   CPU iteration stays around a few seconds, and 128 px scenes need less capacity.
# * splatting: r = 2 px, K = 16 [r = 4, K = 128 at 512 px]. The points of neighbouring source
#   pixels land about one pixel apart, so r = 2 overlaps them and closes the gaps that forward
#   motion opens, while r = 4 would smear a 128 px image as much as r = 16 would a 512 px one.
#   About pi r^2 = 12.6 points reach a pixel, so K = 16 composites all of them.
# * depth range (0.3, 12) m: the synthetic rooms are 5-8 m; cameras stay >= 1.3 m from walls.
# * lr 2e-4 / 4e-4 (generator / discriminator): twice the long-schedule rate, for a short run.
# * no validation loop while training: the held-out measure is tools/eval_renderer.py, on freshly
#   generated scenes that no training set contains.
_base_ = './_renderer_runtime.py'

data_root = '{{$DANR_SYNTHETIC_VIDEO:data/synthetic/video}}'
image_size = 128
batch_size = 2

model = dict(
    renderer=dict(
        feature_channels=32, encoder_widths=(32, 64), decoder_widths=(32, 64, 64),
        depth_base_channels=16, depth_max_channels=64,
        min_depth=0.3, max_depth=12.0, splat_radius=2.0, points_per_pixel=16,
        splat_backend='auto'),
    discriminator=dict(base_channels=32),
    loss=dict(content_widths=(16, 32, 64, 128, 128)))

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='RealEstate10KPairs', root=data_root, image_size=image_size, max_frame_gap=30,
                 random_crop=True, seed=0))

train_cfg = dict(type='IterBasedTrainLoop', max_iters=3000)
val_dataloader = None
val_cfg = None
val_evaluator = None
test_dataloader = None
test_cfg = None
test_evaluator = None

optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=2e-4)),
    discriminator=dict(optimizer=dict(lr=4e-4)))
default_hooks = dict(logger=dict(interval=10))
