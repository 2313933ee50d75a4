# Indoor object-detection set (Adhikari et al. 2018, CC BY 4.0): 7 classes, 640x360 frames.
#
# Splits come from tools/split_dataset.py run once on the full annotations:
#   python tools/split_dataset.py data/indoor_objects/annotations.json \
#       --out data/indoor_objects/splits --group-key sequence --order-key frame --holdout 0.1
# which writes, per train:val ratio a/b, train_<a>of<b>.json / val_<a>of<b>.json and the
# partition of the training side into fit_<a>of<b>.json / holdout_<a>of<b>.json.
#   train_dataloader -> fit_5of5      (what the detector learns from)
#   val_dataloader   -> holdout_5of5  (checkpoint choice: CheckpointHook save_best)
#   test_dataloader  -> val_5of5      (the reported split, the paper's "validation set";
#                                      never seen while training or choosing checkpoints)
# Point data_root elsewhere with --cfg-options, e.g.
#   train_dataloader.dataset.dataset.data_root=/data/indoor_objects/ \
#   val_dataloader.dataset.data_root=/data/indoor_objects/ test_dataloader.dataset.data_root=...
#
# Input: 512x512. Frames are first resized to fit 512 (640x360 -> 512x288); training then takes
# CenterNet's random-scale crop/pad ("affine") of a 512*ratio square, resized back to 512; testing
# centre-pads the resized frame to 512x512 (RandomCenterCropPad in test mode records the border
# that CenterNetHead removes from its boxes).
dataset_type = 'CocoDataset'
data_root = 'data/indoor_objects/'
metainfo = dict(classes=('chair', 'clock', 'exit', 'fireextinguisher', 'printer', 'screen',
                         'trashbin'))
backend_args = None
input_size = 512
# ImageNet mean in RGB order (RandomCenterCropPad with to_rgb=True reverses it for the BGR
# image): padded pixels normalise to zero.
pad_mean = [123.675, 116.28, 103.53]

load_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    dict(type='LoadAnnotations', with_bbox=True),
]
colour_jitter = dict(type='PhotoMetricDistortion', brightness_delta=32,
                     contrast_range=(0.5, 1.5), saturation_range=(0.5, 1.5), hue_delta=18)
fit_to_input = dict(type='Resize', scale=(input_size, input_size), keep_ratio=True)
random_flip = dict(type='RandomFlip', prob=0.5)
# Per-image part of training: everything before online mixup and packing. The crop square is
# 512*ratio, so the second resize brings it back to 512x512.
train_pipeline = load_pipeline + [
    colour_jitter,
    fit_to_input,
    dict(type='RandomCenterCropPad', crop_size=(input_size, input_size),
         ratios=(0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3), mean=pad_mean, std=[1, 1, 1],
         to_rgb=True, test_pad_mode=None),
    fit_to_input,
    random_flip,
]
# The "w/o affine" ablation: no random-scale crop; each frame is resized to fit 512 and padded
# to 512x512 with the mean pixel (BGR order here); colour jitter and flips stay.
train_pipeline_no_affine = load_pipeline + [
    colour_jitter,
    fit_to_input,
    dict(type='Pad', size=(input_size, input_size), pad_val=dict(img=tuple(pad_mean[::-1]))),
    random_flip,
]
test_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True, backend_args=backend_args),
    fit_to_input,
    dict(type='RandomCenterCropPad', ratios=None, border=None, mean=pad_mean, std=[1, 1, 1],
         to_rgb=True, test_mode=True, test_pad_mode=['size_divisor', input_size]),
    dict(type='LoadAnnotations', with_bbox=True),
    # 'instances' (the raw annotations) is the ground truth CocoMetric(ann_file=None) reads.
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor', 'border',
                    'instances')),
]

# What every split's dataset shares (a name starting with '__' stays out of the config).
__coco_split = dict(type=dataset_type, data_root=data_root, metainfo=metainfo,
                    data_prefix=dict(img='images/'), backend_args=backend_args)
# The training split, without a pipeline (DANRAugmentedDataset wants its sub-datasets bare).
original_train_dataset = dict(__coco_split, ann_file='splits/fit_5of5.json',
                              filter_cfg=dict(filter_empty_gt=True, min_size=4))
# DANR's rendered views of the Indoor images (tools/augment_dataset.py output: a COCO json whose
# images carry "danr" provenance, and the images beside it). Configs with offline augmentation
# put it beside original_train_dataset in a DANRAugmentedDataset, which keeps only the views of
# images in the training split.
rendered_train_dataset = dict(original_train_dataset, type='DANRRenderedCocoDataset',
                              data_root='data/indoor_objects_danr/', ann_file='annotations.json')
# The +Aug arms' training set: the originals plus their views, one per-image pipeline for both.
# Configs put it in place of the originals, with _delete_ (it is not a CocoDataset):
#   train_dataloader = dict(dataset=dict(dataset=dict(_base_.augmented_train_dataset, _delete_=True)))
augmented_train_dataset = dict(type='DANRAugmentedDataset', original=original_train_dataset,
                               rendered=rendered_train_dataset, pipeline=train_pipeline, views='all')

# Training data sit in a MultiImageMixDataset so that online mixup (a transform with
# get_indexes) acts on pairs of per-image results; the outer pipeline mixes and packs.
# gt_weights (the mixup weights) travel to gt_instances.weights.
# Keypoint mixup (paper sec. 3.4): both images went through the per-image pipeline (load + affine),
# lambda ~ Beta(1.5, 1.5) and each box's heatmap peak is scaled by its image's weight. The
# authors mixed one batch in five; prob=0.2 mixes the same share of images. Arms without online
# mixup (comp_baseline, comp_offline, the two-stage arms) keep only the packing step.
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
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
    dataset=dict(__coco_split, ann_file='splits/holdout_5of5.json', test_mode=True,
                 pipeline=test_pipeline))
# The reported split; checkpoints are chosen on the holdout above, never on this one.
test_dataloader = dict(
    val_dataloader, dataset=dict(val_dataloader['dataset'], ann_file='splits/val_5of5.json'))
# ann_file=None: the metric builds its ground truth from the dataloader's own dataset, so it
# follows any data_root / ann_file override (box areas are w*h, as in the Indoor json).
val_evaluator = dict(type='CocoMetric', ann_file=None, metric='bbox', format_only=False,
                     backend_args=backend_args)
test_evaluator = val_evaluator
