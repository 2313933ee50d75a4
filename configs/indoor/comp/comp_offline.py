# Compatibility ablation (paper table 2), "+ Offline": affine + DANR views, no keypoint mixup.
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(dataset=dict(pipeline=[dict(type='PackDetInputsWithWeights')]))
