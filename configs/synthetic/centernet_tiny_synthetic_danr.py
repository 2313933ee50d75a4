# centernet_tiny_synthetic.py plus offline augmentation: the DANR-rendered views of the synthetic
# training images (tools/augment_dataset.py output, default data/synthetic/danr/annotations.json
# with images/ beside it; its images carry the "danr" provenance DANRAugmentedDataset reads).
_base_ = './centernet_tiny_synthetic.py'

train_dataloader = dict(dataset=dict(dataset=dict(_base_.augmented_train_dataset, _delete_=True)))
