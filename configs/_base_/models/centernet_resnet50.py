# CenterNet (Zhou et al. 2019) with a ResNet-50 backbone: the detector every CenterNet config
# builds on (centernet_resnest50.py, the paper's, swaps in ResNeSt-50; centernet_resnet18.py a
# ResNet-18) and the ResNet-50 arm of the backbone ablation (paper table 6).
# No weights are downloaded: the backbone starts from random init. To start from a local
# ImageNet checkpoint (an mmcls/timm-style state_dict of the backbone), set for example
#   model = dict(backbone=dict(init_cfg=dict(type='Pretrained',
#                                            checkpoint='/path/to/resnet50.pth')))
# or on the command line:
#   --cfg-options model.backbone.init_cfg.type=Pretrained \
#                 model.backbone.init_cfg.checkpoint=/path/to/resnet50.pth
num_classes = 7
model = dict(
    type='CenterNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=50,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        style='pytorch',
        init_cfg=None),
    neck=dict(
        type='CTResNetNeck',
        in_channels=2048,
        num_deconv_filters=(256, 128, 64),
        num_deconv_kernels=(4, 4, 4),
        use_dcn=False),
    bbox_head=dict(
        # CenterNetHead that scales each object's heatmap peak by its mixup weight
        # (gt_instances.weights, 1 without mixup): the paper's keypoint-based mixup, sec. 3.4.
        type='WeightedCenterNetHead',
        num_classes=num_classes,
        in_channels=64,
        feat_channels=64,
        loss_center_heatmap=dict(type='WeightedGaussianFocalLoss', loss_weight=1.0),
        loss_wh=dict(type='L1Loss', loss_weight=0.1),
        loss_offset=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=None,
    test_cfg=dict(topk=100, local_maximum_kernel=3, max_per_img=100))
