# Indoor study control, "N.A." arm: CenterNet + ResNet-18 from scratch at 320x192.
# Run by scripts/indoor_study.py --backbone resnet18.
_base_ = ['./_base_/centernet_resnet18.py', './_base_/indoor_320x192_iters.py']
