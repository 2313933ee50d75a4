# Data, schedule and runtime of the Indoor study (scripts/indoor_study.py, package danr_study):
# the Indoor set of ../../_base_/datasets/indoor_objects.py at 320x192 input instead of 512x512,
# online keypoint mixup in every arm, batch 8, Adam, an iteration-based schedule sized for one
# CPU run of about half an hour (see docs/results.md).
#
# Input: each 640x360 frame is resized to fit 320x192 (-> 320x180). Training takes CenterNet's
# random-scale crop/pad ("affine") of a (320 r) x (192 r) window, r in 0.6..1.3, resized back to
# 320x192; testing pads the 320x180 frame to 320x192 (size divisor 32, the stride of the
# backbone's last level).
_base_ = ['../../_base_/datasets/indoor_objects.py', '../../_base_/default_runtime.py']

# The study's knobs. These top-level names are all the study sets, each through the environment
# variable named beside it (mmengine substitutes the variable when it is set, else the default);
# everything else below is derived from them. By hand, e.g.:
#   DANR_STUDY_DATA_ROOT=/data/indoor_objects/ DANR_STUDY_ITERS=600 \
#       python tools/train.py configs/study/centernet_effnet_320x192_na.py
# Each run's record (OUT/runs/<run>/train_done.json) holds its full command, variables included.
#   data_root     DANR_STUDY_DATA_ROOT      Indoor set folder (images/ inside)
#   fit_file      DANR_STUDY_FIT_FILE       training split (absolute, or relative to data_root)
#   holdout_file  DANR_STUDY_HOLDOUT_FILE   checkpoint-choice split (val_dataloader)
#   val_file      DANR_STUDY_VAL_FILE       reported split (test_dataloader)
#   views_dir     DANR_STUDY_VIEWS_DIR      rendered views of the fit images (+Aug: DANR views,
#                                           +Warp: plane warps)
#   max_iters     DANR_STUDY_ITERS          training iterations (validation, checkpoints and lr
#                                           milestones follow)
#   input_size    DANR_STUDY_INPUT_WIDTH, DANR_STUDY_INPUT_HEIGHT   (width, height) of every loader
#   batch_size    DANR_STUDY_BATCH_SIZE     training batch
#   data_workers  DANR_STUDY_DATA_WORKERS   training data workers (0: in the main process)
#   seed          DANR_STUDY_SEED           training seed
#   backbone_lr_mult  DANR_STUDY_BACKBONE_LR_MULT  the pretrained backbone's lr / the heads' lr
#   warmup_iters  DANR_STUDY_WARMUP_ITERS   linear lr warm-up from 0.1% (0: none)
#   lr_steps      DANR_STUDY_LR_STEPS       lr milestones as fractions of max_iters, e.g. 0.5,0.67
#   lr_gamma      DANR_STUDY_LR_GAMMA       the lr's factor at each milestone
#   validations   DANR_STUDY_VALIDATIONS    holdout validations (and checkpoints) per run
data_root = '{{$DANR_STUDY_DATA_ROOT:data/indoor_objects/}}'
fit_file = '{{$DANR_STUDY_FIT_FILE:splits/fit_5of5.json}}'
holdout_file = '{{$DANR_STUDY_HOLDOUT_FILE:splits/holdout_5of5.json}}'
val_file = '{{$DANR_STUDY_VAL_FILE:splits/val_5of5.json}}'
views_dir = '{{$DANR_STUDY_VIEWS_DIR:data/indoor_objects_danr/}}'
max_iters = {{'$DANR_STUDY_ITERS:1200'}}
input_size = ({{'$DANR_STUDY_INPUT_WIDTH:320'}}, {{'$DANR_STUDY_INPUT_HEIGHT:192'}})
batch_size = {{'$DANR_STUDY_BATCH_SIZE:8'}}
data_workers = {{'$DANR_STUDY_DATA_WORKERS:1'}}
seed = {{'$DANR_STUDY_SEED:0'}}
backbone_lr_mult = {{'$DANR_STUDY_BACKBONE_LR_MULT:1.0'}}
warmup_iters = {{'$DANR_STUDY_WARMUP_ITERS:0'}}
lr_steps = [float(step) for step in '{{$DANR_STUDY_LR_STEPS:0.75,0.9166667}}'.split(',')]
lr_gamma = {{'$DANR_STUDY_LR_GAMMA:0.5'}}
validations = {{'$DANR_STUDY_VALIDATIONS:6'}}

backend_args = None
# ImageNet mean in RGB order: the padding colour (see the dataset base).
pad_mean = [123.675, 116.28, 103.53]
fit_to_input = dict(type='Resize', scale=input_size, keep_ratio=True)
# The base's per-image training pipeline at this input size.
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
# The "N.A. noisy boxes" arms (centernet_*_na_noisy.py) put this after LoadAnnotations: on four
# of five samples (+Aug's share of views) each box is disturbed as the boxes carried into real
# views err. The split sequence 1/9 renderer's carried boxes on its held-out real pairs have a
# median width ratio of 1.021 and height ratio 1.026 and 48.6% reach IoU 0.75 with the true box
# (benchmarks/RESULTS.md, "Size of the carried boxes"); log size ratios N(0.021 | 0.026, 0.17)
# and centre offsets N(0, 0.05) give the same medians and 48.7% at IoU 0.75.
carried_box_noise = dict(type='DisturbBoxes', prob=0.8, log_size_mean=(0.021, 0.026),
                         log_size_std=0.17, centre_std=0.05)
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

# The base's datasets pointed at the knobs (_base_.x: the dataset base's value).
original_train_dataset = dict(_base_.original_train_dataset, data_root=data_root,
                              ann_file=fit_file)
rendered_train_dataset = dict(_base_.rendered_train_dataset, data_root=views_dir)
# The +Aug arms' training set (centernet_*_aug.py put it in train_dataloader): the originals
# plus their DANR views; DANRAugmentedDataset keeps only the views whose source is in the
# training split, so no view of a holdout or reported image is trained on.
augmented_train_dataset = dict(
    type='DANRAugmentedDataset',
    original=original_train_dataset,
    rendered=rendered_train_dataset,
    pipeline=train_pipeline,
    views='all')

# Keypoint mixup (paper sec. 3.4) in every arm: "N.A." is online augmentation only.
# One data worker by default: the 2-core machine's other core runs the model.
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=data_workers,
    persistent_workers=data_workers > 0,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        dataset=dict(original_train_dataset, pipeline=train_pipeline),
        pipeline=[
            dict(type='KeypointMixUp', alpha=1.5, prob=0.2),
            dict(type='PackDetInputsWithWeights'),
        ]))
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root=data_root, ann_file=holdout_file,
                                   pipeline=test_pipeline))
test_dataloader = dict(num_workers=0, persistent_workers=False,
                       dataset=dict(data_root=data_root, ann_file=val_file,
                                    pipeline=test_pipeline))

# Adam; by default the lr is halved at 3/4 and 11/12 of training (the paper's 90/110 of 120
# epochs; lr_steps are fractions of max_iters, lr_gamma the factor at each); the same lr as
# configs/synthetic/centernet_tiny_synthetic.py, pretrained backbone included. Six holdout
# validations (checkpoint candidates) per run by default.
val_interval = max(1, max_iters // validations)
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=val_interval)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# For a converged detector (issue 15) the recipe knobs slow the pretrained backbone
# (backbone_lr_mult < 1) and warm the lr up; the defaults are the first study's recipe.
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=backbone_lr_mult)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=warmup_iters)
] * (warmup_iters > 0) + [
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[round(max_iters * step) for step in lr_steps], gamma=lr_gamma)
]
# The checkpoint scoring best on the holdout split (val_dataloader) is kept as
# best_coco_bbox_mAP_iter_<n>.pth; the reported split (test_dataloader) never chooses.
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=val_interval,
                    max_keep_ckpts=1, save_best='coco/bbox_mAP', rule='greater'))
log_processor = dict(by_epoch=False)
randomness = dict(seed=seed)
