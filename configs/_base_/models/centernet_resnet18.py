# CenterNet with a ResNet-18 backbone from random init (the synthetic-scene configs): the ResNet-50
# CenterNet of centernet_resnet50.py at depth 18, whose last stage has 512 channels, with a
# lighter neck.
_base_ = './centernet_resnet50.py'

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=512, num_deconv_filters=(128, 64, 64)))
