# The real-photo renderer for Indoor, stage 2: the stage-1 renderer (depth_supervised_128.py:
# exact synthetic depth under Indoor textures) fine-tuned on real posed Indoor pairs with the
# view-synthesis loss plus a scale-invariant log-depth term at the SfM points.
#
# Data: the Indoor frames minus the last 20% of every sequence (scripts/train_indoor_renderer.sh
# writes OUT/frames_fit.json), posed with
#   python tools/pose_video.py --ann-file OUT/frames_fit.json --img-dir INDOOR/images \
#       --group-key sequence --order-key frame --out OUT/posed_fit
# SfM fixes each clip's scale only up to the scale rule of docs/conventions.md, so the depth
# term compares shapes (scale_invariant=True); the poses' translations, scaled by the same rule,
# keep the view loss metric. Pairs are at most 10 rows apart: the frames are not smooth video
# (median 5.5 degrees between neighbours, issue 12), 30 rows would be far beyond the paper's views.
_base_ = './depth_supervised_128.py'

data_root = '{{$DANR_INDOOR_POSED:work_dirs/indoor_renderer/posed_fit}}'
model = dict(generator_init='work_dirs/indoor_renderer/stage1/renderer_final.pth',
             depth_supervision=dict(weight=0.5, scale_invariant=True))
train_dataloader = dict(dataset=dict(root=data_root, max_frame_gap=10, depth_folder='sparse_depth',
                                     photometric_jitter=0.1))
train_cfg = dict(max_iters=250)
default_hooks = dict(checkpoint=dict(interval=50))
