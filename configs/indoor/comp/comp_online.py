# Compatibility ablation (paper table 2), "+ Online": affine + keypoint mixup (the N.A. setting).
_base_ = '../centernet_resnest50_indoor_na.py'
