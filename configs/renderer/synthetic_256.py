# DANR renderer on the synthetic video set at 256 x 256 with the paper's network widths, for a
# GPU (on a CPU use synthetic_128.py). Same data and held-out evaluation as synthetic_128.py
# (read its notes): python tools/make_synthetic_dataset.py --out data/synthetic --size 256, then
# tools/eval_renderer.py --size 256 --checkpoint work_dirs/synthetic_256/renderer_final.pth.
# Scaled with the image like realestate10k_256_native.py: r = 2 px, K = 32. Batch 8 on one GPU
# (the paper's total batch), 40 epochs of 500 iterations: the synthetic rooms are far less varied
# than RealEstate10K, and the loss flattens long before the paper's 275 epochs.
_base_ = './synthetic_128.py'

image_size = 256
batch_size = 8
iters_per_epoch = 500

model = dict(
    renderer=dict(
        feature_channels=64, encoder_widths=(32, 64), decoder_widths=(64, 128, 128),
        depth_base_channels=32, depth_levels=4, depth_max_channels=256,
        splat_radius=2.0, points_per_pixel=32, splat_backend='auto'),
    discriminator=dict(base_channels=64),
    loss=dict(content_widths=(64, 128, 256, 512, 512)))

train_dataloader = dict(
    batch_size=batch_size, num_workers=4, persistent_workers=True,
    dataset=dict(image_size=image_size))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=40 * iters_per_epoch)
optim_wrapper = dict(
    generator=dict(optimizer=dict(lr=1e-4)),
    discriminator=dict(optimizer=dict(lr=4e-4)))
auto_scale_lr = dict(enable=False, base_batch_size=8)
default_hooks = dict(logger=dict(interval=20))
