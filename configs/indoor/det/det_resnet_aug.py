# Backbone ablation (paper table 6), ResNet-50, +Aug: CenterNet with a ResNet-50 backbone, else
# as the ResNeSt-50 arm. Random init; for a local ImageNet checkpoint set
# model.backbone.init_cfg=dict(type='Pretrained', checkpoint='/path/to/resnet50.pth').
_base_ = './det_resnet_na.py'

train_dataloader = dict(dataset=dict(dataset=dict(_base_.augmented_train_dataset, _delete_=True)))
