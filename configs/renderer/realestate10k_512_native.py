# DANR renderer on RealEstate10K at the paper's setting (§4.3, appendix D), for GPUs.
#
# Data layout (one folder per split, each as RealEstate10KPairs reads it):
#   data/realestate10k/train/cameras/<clip>.txt   the release's camera files (URL header is skipped)
#   data/realestate10k/train/frames/<clip>/<timestamp>.png|jpg   frames extracted from the videos
#   data/realestate10k/test/...                   the same for the test split (validation here)
# Every frame listed in a camera file must exist (drop the rows of frames you could not extract).
# Another root: DANR_REALESTATE10K=/path, or --cfg-options train_dataloader.dataset.root=... .
#
# Paper setting: 512 x 512 random crops (frames resized to cover 512 first, intrinsics follow),
# pairs at most 30 frames apart, batch 8 on 4 GPUs (here 2 per GPU: tools/dist_train.sh CONFIG 4;
# with another GPU count pass --auto-scale-lr), Adam, 500 randomly drawn iterations an epoch for
# 275 epochs (137,500 iterations), feature channels 64, two stacked level-4 hourglasses with at most
# 256 channels, splatting K = 128 points per pixel of radius r = 4 px, two-scale discriminator.
# "torch": the pure-torch splatting backend (no PyTorch3D needed, runs on the GPU); with PyTorch3D
# installed, model.renderer.splat_backend='auto' uses its CUDA kernels instead, same semantics.
# Not in the paper, our choices: learning rates (see _renderer_runtime.py); the depth range is the
# renderer's default (1, 10): RealEstate10K poses carry an arbitrary per-clip SLAM scale, so the
# depth is learned in those units; widen it if the predicted depth sits at a bound. Content loss
# with a random VGG19 unless you have local ImageNet weights:
#   --cfg-options model.loss.content_weights_path=/path/vgg19.pth
_base_ = './_renderer_runtime.py'

data_root = '{{$DANR_REALESTATE10K:data/realestate10k}}'
image_size = 512
batch_size = 2  # per GPU; the paper's total of 8 on 4 GPUs
max_frame_gap = 30
iters_per_epoch = 500

model = dict(
    renderer=dict(
        feature_channels=64, encoder_widths=(32, 64), decoder_widths=(64, 128, 128),
        depth_base_channels=32, depth_max_channels=256,
        min_depth=1.0, max_depth=10.0, splat_radius=4.0, points_per_pixel=128,
        splat_backend='torch'),
    discriminator=dict(base_channels=64))

train_dataloader = dict(
    batch_size=batch_size,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(type='RealEstate10KPairs', root=data_root + '/train', image_size=image_size,
                 max_frame_gap=max_frame_gap, random_crop=True, seed=0))
# A fixed draw of 1,000 test-split pairs, centre crops, in the training loader's batches.
val_dataloader = dict(
    train_dataloader,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(train_dataloader['dataset'], root=data_root + '/test', num_samples=1000,
                 random_crop=False, seed=1))
test_dataloader = val_dataloader

train_cfg = dict(type='IterBasedTrainLoop', max_iters=275 * iters_per_epoch, val_interval=5 * iters_per_epoch)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
auto_scale_lr = dict(enable=False, base_batch_size=8)
