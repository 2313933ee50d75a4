# Affine ablation (paper table 4), w/ affine, +Aug: affine + keypoint mixup + DANR views.
_base_ = '../../danr_centernet_indoor.py'
