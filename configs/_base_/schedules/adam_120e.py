# The paper's detector schedule (sec. 4.4): Adam, lr 2.5e-4 halved at epochs 90 and 110, 120 epochs.
# The paper does not state the batch size; 4 GPUs x 16 images is assumed here, and
# --auto-scale-lr rescales the lr linearly from that base for other totals.
max_epochs = 120
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)

optim_wrapper = dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=2.5e-4, weight_decay=0))
param_scheduler = [
    dict(type='MultiStepLR', begin=0, end=max_epochs, by_epoch=True, milestones=[90, 110],
         gamma=0.5)
]
auto_scale_lr = dict(enable=False, base_batch_size=64)
