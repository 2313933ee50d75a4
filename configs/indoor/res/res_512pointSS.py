# Render-resolution ablation (paper table 3), "512pointSS", +Aug: the 256-trained renderer
# splats its 256^2 points onto a 512x512 palette (super-sampling of points).
# Produce the set with tools/augment_dataset.py at that setting into the folder below.
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(rendered=dict(data_root='data/indoor_objects_danr_512pointSS/'))))
