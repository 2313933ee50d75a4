# Scarcity ablation (paper table 5), train:val = 5:5, +Aug: affine + keypoint mixup + the DANR
# views of the fit_5of5 images only (an image and its views stay on one side of the split).
# Trains on fit_5of5, picks checkpoints on holdout_5of5, reports on val_5of5
# (files of tools/split_dataset.py).
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(original=dict(ann_file='splits/fit_5of5.json'))))
val_dataloader = dict(dataset=dict(ann_file='splits/holdout_5of5.json'))
test_dataloader = dict(dataset=dict(ann_file='splits/val_5of5.json'))
