_base_ = 'mmdet::_base_/default_runtime.py'

custom_imports = dict(imports=['mmdet_plugin'], allow_failed_imports=False)

# The evaluation loops of every detector config (the training loop is the schedule's).
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# Checkpoints are chosen on the val_dataloader (a held-out part of the training split), never
# on the reported test split; the best one is kept next to the latest two.
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', interval=5, max_keep_ckpts=2,
                    save_best='coco/bbox_mAP', rule='greater'))
# The authors trained on 4 GPUs with synchronized BatchNorm; mmengine applies this conversion
# only when the run is distributed (tools/dist_train.sh).
sync_bn = 'torch'
