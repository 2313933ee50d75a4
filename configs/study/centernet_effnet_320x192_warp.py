# Indoor study, "+Warp" arm (issue 15): the "+Aug" arm with the plane-warp views of the training
# images in place of the DANR views: the same four poses, the source warped at full resolution as
# a constant-depth plane (tools/augment_dataset.py --mode plane), the 2-D control of 3-D
# rendering. CenterNet + ImageNet EfficientNet-Lite0 at 320x192. Run by scripts/indoor_study.py
# --backbone effnet, which points views_dir at OUT/views_plane/<protocol>/<split>/.
_base_ = './centernet_effnet_320x192_aug.py'

# Only the views folder knob's default differs from the +Aug arm (the dataset reads it here, so
# the dataset's data_root is set again).
views_dir = '{{$DANR_STUDY_VIEWS_DIR:data/indoor_objects_plane/}}'
train_dataloader = dict(dataset=dict(dataset=dict(rendered=dict(data_root=views_dir))))
