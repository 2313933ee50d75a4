# Shared runtime of the renderer-training configs (configs/renderer/*.py inherit it).
#
# The model is danr_mmengine.DANRRendererModel: generator (NovelViewRenderer),
# two-scale discriminator, eq. 5 losses. Training alternates one generator and one discriminator
# Adam step per iteration, so optim_wrapper holds one wrapper per network.
# All schedules are iteration based: the paper "randomly chooses samples for 500 iterations per
# epoch", which is what an infinite shuffling sampler over the pair dataset does; an "epoch"
# below is 500 iterations (checkpoint and validation interval).
default_scope = 'mmengine'
custom_imports = dict(imports=['danr_mmengine'], allow_failed_imports=False)

# The model every renderer config trains; each sets the widths, depth range and splatting.
# Losses of eq. 5 with the paper's weights, LSGAN, two-scale discriminator of 3 layers.
model = dict(
    type='DANRRendererModel',
    renderer=dict(depth_levels=4, falloff='linear', render_scale=1),
    discriminator=dict(n_layers=3, num_scales=2),
    loss=dict(lambda_gan=1.0, lambda_feat=10.0, lambda_l1=1.0, lambda_content=10.0, gan_mode='lsgan'))

# Adam, as in the paper. Learning rates are not given there: 1e-4 for the renderer and 4e-4 for
# the discriminator (the two-time-scale rule of SPADE/SynSin, whose discriminator and losses the
# paper follows), betas (0, 0.9) as in those GAN setups: no first-moment momentum chasing a
# moving adversarial target.
optim_wrapper = dict(
    constructor='RendererOptimWrapperConstructor',
    generator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=1e-4, betas=(0.0, 0.9))),
    discriminator=dict(type='OptimWrapper', optimizer=dict(type='Adam', lr=4e-4, betas=(0.0, 0.9))))

# Multi-GPU (tools/dist_train.sh): each network gets its own DDP wrapper, as two optimisers
# need; every parameter is used in every step, so no unused-parameter search. The hourglass's
# BatchNorm becomes SyncBN when distributed (batch 2 per GPU in the paper's 4 x 2 setting).
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', broadcast_buffers=False,
                         find_unused_parameters=False)
sync_bn = 'torch'

iters_per_epoch = 500
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=20),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=iters_per_epoch, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))
# work_dir/renderer_final.pth: the code-free inference checkpoint (NovelViewRenderer format).
custom_hooks = [dict(type='ExportRendererHook', filename='renderer_final.pth')]
log_processor = dict(type='LogProcessor', window_size=20, by_epoch=False)
env_cfg = dict(cudnn_benchmark=False, mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
               dist_cfg=dict(backend='nccl'))
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

val_evaluator = dict(type='RendererMetric')
test_evaluator = val_evaluator
