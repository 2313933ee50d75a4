# Small CenterNet for the synthetic scenes of tools/make_synthetic_dataset.py (COCO json at
# DIR/detection/annotations.json, images in DIR/detection/images/): ResNet-18, 128x128 input
# (the generator's default image size), a few hundred iterations on CPU. Used by the tests and
# the demo; the Indoor configs are the paper's setting. Online augmentation as in the paper: affine + keypoint mixup.
#
# Evaluation reads the training file too unless told otherwise: for a held-out number split the
# set by scene first (tools/split_dataset.py DIR/detection/annotations.json --out
# DIR/detection/splits --ratios 8/2 --group-key scene --order-key frame --holdout 0.1), then
#   --cfg-options train_dataloader.dataset.dataset.ann_file=splits/fit_8of2.json \
#                 val_dataloader.dataset.ann_file=splits/holdout_8of2.json \
#                 test_dataloader.dataset.ann_file=splits/val_8of2.json
# Point at another folder with train_dataloader.dataset.dataset.data_root=DIR/detection/ (and the
# same for val_dataloader.dataset / test_dataloader.dataset).
# The Indoor configs' bases (CenterNet, data pipelines and loaders, runtime) at this set's classes,
# folders and input size, with a ResNet-18 and an iteration-based schedule.
_base_ = [
    '../_base_/models/centernet_resnet18.py', '../_base_/datasets/indoor_objects.py',
    '../_base_/default_runtime.py'
]

data_root = 'data/synthetic/detection/'
# The generator's classes, danr_renderer.synthetic.scene.CLASS_NAMES (checked by a test).
metainfo = dict(classes=('cabinet', 'table', 'monitor', 'picture', 'sign', 'clock', 'bin'))
num_classes = len(metainfo['classes'])
input_size = 128

model = dict(bbox_head=dict(num_classes=num_classes))

# The dataset base's pipelines, rebuilt at 128 (its pieces are sized for 512); the affine crop
# keeps a border of a quarter of the input.
fit_to_input = dict(type='Resize', scale=(input_size, input_size), keep_ratio=True)
train_pipeline = _base_.load_pipeline + [
    _base_.colour_jitter, fit_to_input,
    dict(_base_.train_pipeline[4], crop_size=(input_size, input_size), border=input_size // 4),
    fit_to_input, _base_.random_flip]
train_pipeline_no_affine = _base_.load_pipeline + [
    _base_.colour_jitter, fit_to_input,
    dict(_base_.train_pipeline_no_affine[4], size=(input_size, input_size)), _base_.random_flip]
test_pipeline = [
    _base_.test_pipeline[0], fit_to_input,
    dict(_base_.test_pipeline[2], test_pad_mode=['size_divisor', input_size]),
    *_base_.test_pipeline[3:]]

# Every split is the one annotations.json unless told otherwise (see above); boxes >= 2 px.
original_train_dataset = dict(_base_.original_train_dataset, data_root=data_root,
                              metainfo=metainfo, ann_file='annotations.json',
                              filter_cfg=dict(filter_empty_gt=True, min_size=2))
# The DANR views of the training images (tools/augment_dataset.py output), for ..._danr.py.
rendered_train_dataset = dict(original_train_dataset, type='DANRRenderedCocoDataset',
                              data_root='data/synthetic/danr/')
augmented_train_dataset = dict(_base_.augmented_train_dataset, original=original_train_dataset,
                               rendered=rendered_train_dataset, pipeline=train_pipeline)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(dataset=dict(original_train_dataset, pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(data_root=data_root, metainfo=metainfo,
                                   ann_file='annotations.json', pipeline=test_pipeline))
test_dataloader = val_dataloader

# Iteration-based version of the paper's schedule: Adam, lr halved at 3/4 and 11/12 of training.
# A larger lr than the paper's 2.5e-4 (batch 64) suits this small model and short run.
max_iters = 300
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=100)
optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-3, weight_decay=0))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_iters, by_epoch=False,
         milestones=[max_iters * 3 // 4, max_iters * 11 // 12], gamma=0.5)
]
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=2))
log_processor = dict(by_epoch=False)
