# Detector ablation (paper table 7), two-stage, N.A. The paper ran Hit-Detector's official code;
# this project stands in mmdet's Faster R-CNN R-50 FPN, trained with the same data, input size
# and schedule as the CenterNet arms. Keypoint mixup is left out of both two-stage arms: its
# per-box weights only act through WeightedCenterNetHead's heatmaps, which Faster R-CNN lacks.
# Random init (no downloads); BatchNorm trains as in the CenterNet arms. For a local ImageNet
# checkpoint set model.backbone.init_cfg=dict(type='Pretrained', checkpoint='/path/to/r50.pth').
_base_ = [
    'mmdet::_base_/models/faster-rcnn_r50_fpn.py', '../../_base_/datasets/indoor_objects.py',
    '../../_base_/schedules/adam_120e.py', '../../_base_/default_runtime.py'
]

model = dict(
    backbone=dict(frozen_stages=-1, norm_eval=False, init_cfg=None),
    roi_head=dict(bbox_head=dict(num_classes=7)))
# No keypoint mixup (see above): the outer training pipeline only packs.
train_dataloader = dict(dataset=dict(pipeline=[dict(type='PackDetInputsWithWeights')]))

# Faster R-CNN keeps no 'border' meta: test on the resized frame, padded bottom-right by the
# data preprocessor, instead of CenterNet's centred pad.
two_stage_test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args={{_base_.backend_args}}),
    {{_base_.fit_to_input}},
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'instances')),
]
val_dataloader = dict(dataset=dict(pipeline=two_stage_test_pipeline))
test_dataloader = dict(dataset=dict(pipeline=two_stage_test_pipeline))
