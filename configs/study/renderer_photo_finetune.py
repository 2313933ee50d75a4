# The Indoor study's per-split renderer adaptation (danr_study.renderer_prep): the fine-tuning of
# ../renderer/photo_finetune_128.py with the knobs the study sets, each a top-level name set
# through the environment variable beside it (mmengine substitutes it when set, else the
# default):
#   generator_init  DANR_STUDY_RENDERER_INIT   renderer checkpoint to fine-tune
#   image_size      DANR_STUDY_RENDERER_SIZE   side of the photo-textured synthetic frames
#   max_iters       DANR_STUDY_ADAPT_ITERS     fine-tuning iterations
# and the synthetic video folder through the renderer configs' own DANR_SYNTHETIC_VIDEO.
_base_ = '../renderer/photo_finetune_128.py'

generator_init = '{{$DANR_STUDY_RENDERER_INIT:checkpoints/danr_synthetic_demo.pth}}'
image_size = {{'$DANR_STUDY_RENDERER_SIZE:128'}}
max_iters = {{'$DANR_STUDY_ADAPT_ITERS:400'}}

model = dict(generator_init=generator_init)
train_dataloader = dict(dataset=dict(image_size=image_size))
train_cfg = dict(max_iters=max_iters)
