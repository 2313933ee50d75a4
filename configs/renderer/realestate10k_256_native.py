# DANR renderer on RealEstate10K at 256 x 256: the paper's setting (realestate10k_512_native.py,
# read its notes) at half the resolution, for one or two GPUs or a quicker run. Scaled with the
# image: splat radius r = 2 px (the paper's r = 4 at 512 px covers the same share of the image)
# and K = 32 points per pixel (about pi r^2 = 13 points reach a pixel; 32 keeps them all).
# Everything else is inherited from the 512 config: batch 2 per GPU (8 in total on 4 GPUs), 500
# iterations an epoch, 275 epochs, the native (pure-torch) splatting backend.
_base_ = './realestate10k_512_native.py'

image_size = 256

model = dict(renderer=dict(splat_radius=2.0, points_per_pixel=32))
train_dataloader = dict(dataset=dict(image_size=image_size))
val_dataloader = dict(dataset=dict(image_size=image_size))
test_dataloader = val_dataloader
