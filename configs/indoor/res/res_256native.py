# Render-resolution ablation (paper table 3), "256native", +Aug: views rendered at 256x256
# by a renderer trained at 256 (the setting of the other ablations in the paper's table 2).
# Produce the set with tools/augment_dataset.py at that setting into the folder below.
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(rendered=dict(data_root='data/indoor_objects_danr_256native/'))))
