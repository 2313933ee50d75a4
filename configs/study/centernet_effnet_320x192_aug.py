# Indoor study, "+Aug" arm: the N.A. arm plus the DANR-rendered views of the training images
# (offline augmentation), CenterNet + ImageNet EfficientNet-Lite0 at 320x192.
# DANRAugmentedDataset keeps only the views whose source is in the training split, so no view
# of a holdout or reported image is trained on. Run by scripts/indoor_study.py --backbone effnet.
_base_ = './centernet_effnet_320x192_na.py'

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='DANRAugmentedDataset',
            original={{_base_.original_train_dataset}},
            rendered={{_base_.rendered_train_dataset}},
            pipeline={{_base_.train_pipeline}},
            views='all')))
