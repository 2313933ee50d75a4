# Indoor study control, "+Aug" arm: the N.A. arm plus the DANR-rendered views of the training
# images (augmented_train_dataset of ./_base_/indoor_320x192_iters.py), CenterNet + ResNet-18
# from scratch at 320x192. Run by scripts/indoor_study.py --backbone resnet18.
_base_ = './centernet_r18_320x192_na.py'

# _delete_: the training set replaces the N.A. arm's instead of merging into it.
train_dataloader = dict(dataset=dict(dataset=dict(_base_.augmented_train_dataset, _delete_=True)))
