# CenterNet (Zhou et al. 2019) with a ResNeSt-50 backbone, the paper's detector: the ResNet-50
# CenterNet of centernet_resnet50.py with ResNeSt's split-attention blocks (ResNeSt takes every
# ResNet argument). No weights are downloaded (random init); for a local ImageNet checkpoint
# (mmcls/timm-style ResNeSt-50 state_dict) set, as the comment in centernet_resnet50.py shows,
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#                 model.backbone.init_cfg.checkpoint=/path/to/resnest50.pth
_base_ = './centernet_resnet50.py'

model = dict(
    backbone=dict(type='ResNeSt', stem_channels=64, radix=2, reduction_factor=4,
                  avg_down_stride=True))
