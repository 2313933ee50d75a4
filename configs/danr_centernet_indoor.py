# DANR "+Aug" on the Indoor set: online augmentation (affine + keypoint mixup, as in
# indoor/centernet_resnest50_indoor_na.py) plus offline augmentation, i.e. the novel views the
# DANR renderer produced (rendered_train_dataset of the dataset base, default
# data/indoor_objects_danr/annotations.json). DANRAugmentedDataset keeps only the views of images
# in the training split, so no view of a held-out or test image reaches training; views='all'
# uses the four views of every image (the paper's Indoor setting; 'one' draws one per epoch and
# then needs custom_hooks=[dict(type='DANRViewEpochHook')]). Another rendered set:
#   --cfg-options train_dataloader.dataset.dataset.rendered.data_root=/path/to/rendered/
_base_ = './indoor/centernet_resnest50_indoor_na.py'

# augmented_train_dataset: original_train_dataset + rendered_train_dataset of the dataset base.
train_dataloader = dict(dataset=dict(dataset=dict(_base_.augmented_train_dataset, _delete_=True)))
