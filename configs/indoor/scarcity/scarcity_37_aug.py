# Scarcity ablation (paper table 5), train:val = 3:7, +Aug: affine + keypoint mixup + the DANR
# views of the fit_3of7 images only (an image and its views stay on one side of the split).
# Trains on fit_3of7, picks checkpoints on holdout_3of7, reports on val_3of7
# (files of tools/split_dataset.py).
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(original=dict(ann_file='splits/fit_3of7.json'))))
val_dataloader = dict(dataset=dict(ann_file='splits/holdout_3of7.json'))
test_dataloader = dict(dataset=dict(ann_file='splits/val_3of7.json'))
