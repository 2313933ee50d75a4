# Detector ablation (paper table 7), two-stage, +Aug: the N.A. arm plus the DANR views of the
# training images (as in danr_centernet_indoor.py).
_base_ = './faster_rcnn_r50_fpn_indoor_na.py'

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='DANRAugmentedDataset',
            original={{_base_.original_train_dataset}},
            rendered={{_base_.rendered_train_dataset}},
            pipeline={{_base_.train_pipeline}},
            views='all')))
