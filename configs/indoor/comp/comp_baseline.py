# Compatibility ablation (paper table 2), "Baseline": affine only -- no keypoint mixup and
# no DANR views.
_base_ = '../centernet_resnest50_indoor_na.py'

train_dataloader = dict(dataset=dict(pipeline=[dict(type='PackDetInputsWithWeights')]))
