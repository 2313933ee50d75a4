# DANR renderer on RealEstate10K at 256 x 256: the paper's setting (realestate10k_512_native.py,
# read its notes) at half the resolution, for one or two GPUs or a quicker run. Scaled with the
# image: splat radius r = 2 px (the paper's r = 4 at 512 px covers the same share of the image)
# and K = 32 points per pixel (about pi r^2 = 13 points reach a pixel; 32 keeps them all).
# Everything else as at 512: batch 2 per GPU (8 in total on 4 GPUs), 500 iterations an epoch,
# 275 epochs, the native (pure-torch) splatting backend.
_base_ = './_renderer_runtime.py'

data_root = '{{$DANR_REALESTATE10K:data/realestate10k}}'
image_size = 256
batch_size = 2  # per GPU; the paper's total of 8 on 4 GPUs
max_frame_gap = 30
iters_per_epoch = 500

model = dict(
    type='DANRRendererModel',
    renderer=dict(
        feature_channels=64, encoder_widths=(32, 64), decoder_widths=(64, 128, 128),
        depth_base_channels=32, depth_levels=4, depth_max_channels=256,
        min_depth=1.0, max_depth=10.0, splat_radius=2.0, points_per_pixel=32,
        falloff='linear', splat_backend='native', render_scale=1),
    discriminator=dict(base_channels=64, n_layers=3, num_scales=2),
    loss=dict(lambda_gan=1.0, lambda_feat=10.0, lambda_l1=1.0, lambda_content=10.0, gan_mode='lsgan'))

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='RealEstate10KPairs', root=data_root + '/train', image_size=image_size,
                 max_frame_gap=max_frame_gap, random_crop=True, seed=0))
# A fixed draw of 1,000 test-split pairs, centre crops.
val_dataloader = dict(
    batch_size=batch_size,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='RealEstate10KPairs', root=data_root + '/test', image_size=image_size,
                 max_frame_gap=max_frame_gap, num_samples=1000, random_crop=False, seed=1))
test_dataloader = val_dataloader

train_cfg = dict(type='IterBasedTrainLoop', max_iters=275 * iters_per_epoch, val_interval=5 * iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
