# "N.A." of the paper (sec. 4.5): CenterNet + ResNeSt-50 on the Indoor set with online augmentation
# only -- CenterNet's affine (random-scale crop/pad) and the keypoint-based mixup, both set in the
# dataset base -- and no DANR-rendered images. Every Indoor ablation inherits this file or
# danr_centernet_indoor.py (the ResNet-50 arms inherit the same bases with another model base).
_base_ = [
    '../_base_/models/centernet_resnest50.py', '../_base_/datasets/indoor_objects.py',
    '../_base_/schedules/adam_120e.py', '../_base_/default_runtime.py'
]
