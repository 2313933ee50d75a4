# Detector ablation (paper table 7), two-stage, +Aug: the N.A. arm plus the DANR views of the
# training images (as in danr_centernet_indoor.py).
_base_ = './faster_rcnn_r50_fpn_indoor_na.py'

train_dataloader = dict(dataset=dict(dataset=dict(_base_.augmented_train_dataset, _delete_=True)))
