# Small CenterNet for the synthetic scenes of tools/make_synthetic_dataset.py (COCO json at
# DIR/detection/annotations.json, images in DIR/detection/images/): ResNet-18, 128x128 input
# (the generator's default image size), a few hundred iterations on CPU. Used by the tests and the demo; the Indoor configs are the
# paper's setting. Online augmentation as in the paper: affine + keypoint mixup.
#
# Evaluation reads the training file too unless told otherwise: for a held-out number split the
# set by scene first (tools/split_dataset.py DIR/detection/annotations.json --out
# DIR/detection/splits --ratios 8/2 --group-key scene --order-key frame --holdout 0.1), then
#   --cfg-options train_dataloader.dataset.dataset.ann_file=splits/fit_8of2.json \
#                 val_dataloader.dataset.ann_file=splits/holdout_8of2.json \
#                 test_dataloader.dataset.ann_file=splits/val_8of2.json
# Point at another folder with train_dataloader.dataset.dataset.data_root=DIR/detection/ (and the
# same for val_dataloader.dataset / test_dataloader.dataset).
_base_ = '../_base_/default_runtime.py'

dataset_type = 'CocoDataset'
data_root = 'data/synthetic/detection/'
# The generator's classes, danr_renderer.synthetic.scene.CLASS_NAMES (checked by a test).
metainfo = dict(classes=('cabinet', 'table', 'monitor', 'picture', 'sign', 'clock', 'bin'))
backend_args = None
input_size = 128
pad_mean = [123.675, 116.28, 103.53]  # RGB; see configs/_base_/datasets/indoor_objects.py

model = dict(
    type='CenterNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='ResNet',
        depth=18,
        out_indices=(3, ),
        norm_cfg=dict(type='BN', requires_grad=True),
        norm_eval=False,
        init_cfg=None),
    neck=dict(
        type='CTResNetNeck',
        in_channels=512,
        num_deconv_filters=(128, 64, 64),
        num_deconv_kernels=(4, 4, 4),
        use_dcn=False),
    bbox_head=dict(
        type='WeightedCenterNetHead',
        num_classes=len(metainfo['classes']),
        in_channels=64,
        feat_channels=64,
        loss_center_heatmap=dict(type='WeightedGaussianFocalLoss', loss_weight=1.0),
        loss_wh=dict(type='L1Loss', loss_weight=0.1),
        loss_offset=dict(type='L1Loss', loss_weight=1.0)),
    train_cfg=None,
    test_cfg=dict(topk=100, local_maximum_kernel=3, max_per_img=100))

fit_to_input = dict(type='Resize', scale=(input_size, input_size), keep_ratio=True)
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.5, 1.5),
         saturation_range=(0.5, 1.5), hue_delta=18),
    fit_to_input,
    dict(type='RandomCenterCropPad', crop_size=(input_size, input_size),
         ratios=(0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3), border=input_size // 4,
         mean=pad_mean, std=[1, 1, 1], to_rgb=True, test_pad_mode=None),
    fit_to_input,
    dict(type='RandomFlip', prob=0.5),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    fit_to_input,
    dict(type='RandomCenterCropPad', ratios=None, border=None, mean=pad_mean, std=[1, 1, 1],
         to_rgb=True, test_mode=True, test_pad_mode=['size_divisor', input_size]),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'border',
                    'instances')),
]

original_train_dataset = dict(
    type=dataset_type,
    data_root=data_root,
    metainfo=metainfo,
    ann_file='annotations.json',
    data_prefix=dict(img='images/'),
    filter_cfg=dict(filter_empty_gt=True, min_size=2),
    backend_args=backend_args)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='MultiImageMixDataset',
        dataset=dict(original_train_dataset, pipeline=train_pipeline),
        pipeline=[
            dict(type='KeypointMixUp', alpha=1.5, prob=0.2),
            dict(type='PackDetInputsWithWeights'),
        ]))
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        metainfo=metainfo,
        ann_file='annotations.json',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline=test_pipeline,
        backend_args=backend_args))
test_dataloader = val_dataloader
val_evaluator = dict(type='CocoMetric', ann_file=None, metric='bbox', backend_args=backend_args)
test_evaluator = val_evaluator

# Iteration-based version of the paper's schedule: Adam, lr halved at 3/4 and 11/12 of training.
# A larger lr than the paper's 2.5e-4 (batch 64) suits this small model and short run.
max_iters = 300
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=100)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[max_iters * 3 // 4, max_iters * 11 // 12], gamma=0.5)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
