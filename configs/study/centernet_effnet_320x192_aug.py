# Indoor study, "+Aug" arm: the N.A. arm plus the DANR-rendered views of the training images
# (offline augmentation; augmented_train_dataset of ./_base_/indoor_320x192_iters.py), CenterNet
# + ImageNet EfficientNet-Lite0 at 320x192. Run by scripts/indoor_study.py --backbone effnet.
_base_ = './centernet_effnet_320x192_na.py'

# _delete_: the training set replaces the N.A. arm's instead of merging into it.
train_dataloader = dict(dataset=dict(dataset=dict(_base_.augmented_train_dataset, _delete_=True)))
