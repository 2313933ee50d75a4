# Affine ablation (paper table 4), w/o affine, N.A.: no random-scale crop (frames resized to fit
# 512 and padded), keypoint mixup kept, no DANR views.
_base_ = '../centernet_resnest50_indoor_na.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline={{_base_.train_pipeline_no_affine}})))
