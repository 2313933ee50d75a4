# Affine ablation (paper table 4), w/ affine, N.A.: affine + keypoint mixup, no DANR views.
_base_ = '../centernet_resnest50_indoor_na.py'
