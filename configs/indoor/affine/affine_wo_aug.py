# Affine ablation (paper table 4), w/o affine, +Aug: no random-scale crop on originals or views,
# keypoint mixup kept, DANR views added.
_base_ = '../../danr_centernet_indoor.py'

train_dataloader = dict(
    dataset=dict(dataset=dict(pipeline={{_base_.train_pipeline_no_affine}})))
