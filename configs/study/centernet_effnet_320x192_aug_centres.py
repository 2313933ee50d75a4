# Indoor study, "+Aug centres" arm: the "+Aug" arm with the carried boxes of the views kept out
# of the box-size and offset losses (DANRAugmentedDataset view_box_size_weight=0; their centres
# still train the heatmap). It tests whether the views' approximate boxes are what costs AP75.
# Run by scripts/indoor_study.py --backbone effnet --arms aug_centres.
_base_ = './centernet_effnet_320x192_aug.py'

train_dataloader = dict(dataset=dict(dataset=dict(view_box_size_weight=0.0)))
