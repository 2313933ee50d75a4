"""DANR renderer: a plain PyTorch library (imports neither mmdet nor mmcv)."""
