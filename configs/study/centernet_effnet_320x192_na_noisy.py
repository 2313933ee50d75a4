# Indoor study, "N.A. noisy boxes" arm: the "N.A." arm with its boxes disturbed as carried boxes
# err (carried_box_noise of the study base). It keeps N.A.'s images, sampling and losses and
# tests whether box noise of that size alone costs the AP75 the view arms lose.
# Run by scripts/indoor_study.py --backbone effnet --arms na_noisy.
_base_ = './centernet_effnet_320x192_na.py'

train_pipeline = _base_.train_pipeline[:2] + [_base_.carried_box_noise] + _base_.train_pipeline[2:]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
