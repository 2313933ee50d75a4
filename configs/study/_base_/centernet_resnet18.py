# CenterNet with a ResNet-18 backbone from random init: the study's control without ImageNet
# weights (same neck widths as the EfficientNet-Lite0 variant; ImageNet mean/std input
# normalisation of the base model).
_base_ = '../../_base_/models/centernet_resnest50.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ResNet',
        depth=18,
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(in_channels=512, num_deconv_filters=(128, 64, 64), use_dcn=False))
