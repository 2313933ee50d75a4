# Backbone ablation (paper table 6), ResNet-50, +Aug: CenterNet with a ResNet-50 backbone, else
# as the ResNeSt-50 arm. Random init; for a local ImageNet checkpoint set
# model.backbone.init_cfg=dict(type='Pretrained', checkpoint='/path/to/resnet50.pth').
_base_ = '../../danr_centernet_indoor.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None))
