# centernet_tiny_synthetic.py plus offline augmentation: the DANR-rendered views of the synthetic
# training images (tools/augment_dataset.py output, default data/synthetic/danr/annotations.json
# with images/ beside it; its images carry the "danr" provenance DANRAugmentedDataset reads).
_base_ = './centernet_tiny_synthetic.py'

train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='DANRAugmentedDataset',
            original={{_base_.original_train_dataset}},
            rendered=dict(
                type='DANRRenderedCocoDataset',
                data_root='data/synthetic/danr/',
                metainfo={{_base_.metainfo}},
                ann_file='annotations.json',
                data_prefix=dict(img='images/'),
                filter_cfg=dict(filter_empty_gt=True, min_size=2),
                backend_args={{_base_.backend_args}}),
            pipeline={{_base_.train_pipeline}},
            views='all')))
