"""Offline dataset augmentation (paper §3.1, §4.4): render novel views of every image of a
COCO detection set and carry its boxes into them."""
from .assemble import AssemblyError, assemble_annotations, merge_shard_dirs, write_annotations
from .runner import AugmentError, AugmentSettings, AugmentSummary, run_augmentation
from .views import PAPER_VIEWS, View, ViewPlan, ViewSpecError, parse_view_plan

__all__ = [
    "AssemblyError",
    "assemble_annotations",
    "merge_shard_dirs",
    "write_annotations",
    "AugmentError",
    "AugmentSettings",
    "AugmentSummary",
    "run_augmentation",
    "PAPER_VIEWS",
    "View",
    "ViewPlan",
    "ViewSpecError",
    "parse_view_plan",
]
