# Indoor study, "N.A." arm (online augmentation only: affine + keypoint mixup), CenterNet +
# ImageNet EfficientNet-Lite0 at 320x192. Run by scripts/indoor_study.py --backbone effnet.
_base_ = ['./_base_/centernet_effnet_lite0.py', './_base_/indoor_320x192_iters.py']
