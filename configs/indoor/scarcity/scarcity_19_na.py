# Scarcity ablation (paper table 5), train:val = 1:9, N.A.: affine + keypoint mixup, no
# DANR views.
# Trains on fit_1of9, picks checkpoints on holdout_1of9, reports on val_1of9
# (files of tools/split_dataset.py).
_base_ = '../centernet_resnest50_indoor_na.py'

train_dataloader = dict(dataset=dict(dataset=dict(ann_file='splits/fit_1of9.json')))
val_dataloader = dict(dataset=dict(ann_file='splits/holdout_1of9.json'))
test_dataloader = dict(dataset=dict(ann_file='splits/val_1of9.json'))
