# Data, schedule and runtime of the Indoor study (scripts/indoor_study.py): the Indoor set of
# ../../_base_/datasets/indoor_objects.py at 320x192 input instead of 512x512, online keypoint
# mixup in every arm, batch 8, Adam, an iteration-based schedule sized for one CPU run of
# about half an hour (see docs/results.md).
#
# Input: each 640x360 frame is resized to fit 320x192 (-> 320x180). Training takes CenterNet's
# random-scale crop/pad ("affine") of a (320 r) x (192 r) window, r in 0.6..1.3, resized back to
# 320x192; testing pads the 320x180 frame to 320x192 (size divisor 32, the stride of the
# backbone's last level). scripts/indoor_study.py points the splits, the rendered views, the
# seed and the number of iterations elsewhere with --cfg-options.
_base_ = ['../../_base_/datasets/indoor_objects.py', '../../_base_/default_runtime.py']

input_size = (320, 192)  # (width, height)
backend_args = None
# ImageNet mean in RGB order: the padding colour (see the dataset base).
pad_mean = [123.675, 116.28, 103.53]
fit_to_input = dict(type='Resize', scale=input_size, keep_ratio=True)
# The base's per-image training pipeline at this input size (mmengine's {{_base_.x}} cannot
# take part in expressions, so the list is spelled out).
train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PhotoMetricDistortion', brightness_delta=32, contrast_range=(0.5, 1.5),
         saturation_range=(0.5, 1.5), hue_delta=18),
    fit_to_input,
    dict(type='RandomCenterCropPad', crop_size=input_size,
         ratios=(0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3), mean=pad_mean, std=[1, 1, 1],
         to_rgb=True, test_pad_mode=None),
    fit_to_input,
    dict(type='RandomFlip', prob=0.5),
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    fit_to_input,
    dict(type='RandomCenterCropPad', ratios=None, border=None, mean=pad_mean, std=[1, 1, 1],
         to_rgb=True, test_mode=True, test_pad_mode=['size_divisor', 32]),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'border',
                    'instances')),
]

# Keypoint mixup (paper sec. 3.4) in every arm: "N.A." is online augmentation only.
# One data worker: the 2-core machine's other core runs the model.
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        dataset=dict(pipeline=train_pipeline),
        pipeline=[
            dict(type='KeypointMixUp', alpha=1.5, prob=0.2),
            dict(type='PackDetInputsWithWeights'),
        ]))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(pipeline=test_pipeline))

# Adam, lr halved at 3/4 and 11/12 of training (the paper's 90/110 of 120 epochs); the same
# lr as configs/synthetic/centernet_tiny_synthetic.py, pretrained backbone included.
# scripts/indoor_study.py rescales max_iters, val_interval, the checkpoint interval and the
# milestones together.
max_iters = 1200
val_interval = 200
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[max_iters * 3 // 4, max_iters * 11 // 12], gamma=0.5)
]
# The checkpoint scoring best on the holdout split (val_dataloader) is kept as
# best_coco_bbox_mAP_iter_<n>.pth; the reported split (test_dataloader) never chooses.
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=val_interval,
                    max_keep_ckpts=1, save_best='coco/bbox_mAP', rule='greater'))
log_processor = dict(by_epoch=False)
