# Render-resolution ablation (paper table 3), "512pixelSS", +Aug: views rendered at 256x256,
# then upsampled to 512 at the image level (super-sampling of pixels).
# Produce the set with tools/augment_dataset.py at that setting into the folder below.
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(rendered=dict(data_root='data/indoor_objects_danr_512pixelSS/'))))
