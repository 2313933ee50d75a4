# Backbone ablation (paper table 6), ResNet-50, N.A.: CenterNet with a ResNet-50 backbone, else
# as the ResNeSt-50 arm (the bases of centernet_resnest50_indoor_na.py, another model base).
# Random init; for a local ImageNet checkpoint set
# model.backbone.init_cfg=dict(type='Pretrained', checkpoint='/path/to/resnet50.pth').
_base_ = [
    '../../_base_/models/centernet_resnet50.py', '../../_base_/datasets/indoor_objects.py',
    '../../_base_/schedules/adam_120e.py', '../../_base_/default_runtime.py'
]
