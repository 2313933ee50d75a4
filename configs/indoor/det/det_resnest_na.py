# Backbone ablation (paper table 6), ResNeSt-50, N.A.: the default CenterNet setting.
_base_ = '../centernet_resnest50_indoor_na.py'
