# Compatibility ablation (paper table 2), "+ Online + Offline": affine + keypoint
# mixup + DANR views.
_base_ = '../../danr_centernet_indoor.py'
