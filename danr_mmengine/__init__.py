"""DANR's renderer training on MMEngine alone (no mmdet, no mmcv ops): importing it registers
the components of `renderer_training` in MMEngine's root registries.

Renderer configs pick them up with
``default_scope = 'mmengine'`` and ``custom_imports = dict(imports=['danr_mmengine'])``
(configs/renderer/_renderer_runtime.py); `tools/train.py CONFIG` then trains the renderer.
"""
from .renderer_training import (
    DANRRendererModel,
    ExportRendererHook,
    RendererDataPreprocessor,
    RendererMetric,
    RendererOptimWrapperConstructor,
    export_renderer,
)

__all__ = [
    "DANRRendererModel", "ExportRendererHook", "RendererDataPreprocessor", "RendererMetric",
    "RendererOptimWrapperConstructor", "export_renderer",
]
