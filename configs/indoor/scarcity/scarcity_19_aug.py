# Scarcity ablation (paper table 5), train:val = 1:9, +Aug: affine + keypoint mixup + the DANR
# views of the fit_1of9 images only (an image and its views stay on one side of the split).
# Trains on fit_1of9, picks checkpoints on holdout_1of9, reports on val_1of9
# (files of tools/split_dataset.py).
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(original=dict(ann_file='splits/fit_1of9.json'))))
val_dataloader = dict(dataset=dict(ann_file='splits/holdout_1of9.json'))
test_dataloader = dict(dataset=dict(ann_file='splits/val_1of9.json'))
