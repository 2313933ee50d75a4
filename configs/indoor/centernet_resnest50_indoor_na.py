# "N.A." of the paper (sec. 4.5): CenterNet + ResNeSt-50 on the Indoor set with online augmentation
# only -- CenterNet's affine (random-scale crop/pad) and the keypoint-based mixup -- and no
# DANR-rendered images. Every Indoor ablation inherits this file or danr_centernet_indoor.py.
_base_ = [
    '../_base_/models/centernet_resnest50.py', '../_base_/datasets/indoor_objects.py',
    '../_base_/schedules/adam_120e.py', '../_base_/default_runtime.py'
]

# Keypoint mixup (sec. 3.4): both images went through the per-image pipeline (load + affine),
# lambda ~ Beta(1.5, 1.5) and each box's heatmap peak is scaled by its image's weight. The
# authors mixed one batch in five; prob=0.2 mixes the same share of images.
train_dataloader = dict(
    dataset=dict(pipeline=[
        dict(type='KeypointMixUp', alpha=1.5, prob=0.2),
        dict(type='PackDetInputsWithWeights'),
    ]))
