# Render-resolution ablation (paper table 3), "512native", +Aug: views rendered at 512x512
# by a renderer trained at 512 (the paper's choice after table 3).
# Produce the set with tools/augment_dataset.py at that setting into the folder below.
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(rendered=dict(data_root='data/indoor_objects_danr_512native/'))))
