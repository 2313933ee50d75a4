# Backbone ablation (paper table 6), ResNeSt-50, +Aug: the default CenterNet + DANR setting.
_base_ = '../../danr_centernet_indoor.py'
