"""Posing real footage with COLMAP (pycolmap) into the RealEstate10K layout, with sparse depth.

`sources` reads frame folders, videos and COCO sequence sets; `colmap_sfm` runs pycolmap;
`models` judges and converts SfM models; `scale` holds the one scale rule of every data source
(SYNTHETIC_MEDIAN_DEPTH); `export` writes cameras/, frames/ and sparse_depth/; `pipeline`
(pose_clips) ties them together with resuming and per-clip summaries. tools/pose_video.py is
the command line. pycolmap (pinned in requirements.txt) is only imported when posing runs.
"""
from .pipeline import ClipSummary, ModelSummary, pose_clips, source_clip
from .scale import SYNTHETIC_MEDIAN_DEPTH, scale_to_synthetic
from .settings import PosingSettings
from .sources import FootageClip, clip_from_frame_folder, clip_from_video, clips_from_coco

__all__ = [
    "ClipSummary",
    "ModelSummary",
    "pose_clips",
    "source_clip",
    "SYNTHETIC_MEDIAN_DEPTH",
    "scale_to_synthetic",
    "PosingSettings",
    "FootageClip",
    "clip_from_frame_folder",
    "clip_from_video",
    "clips_from_coco",
]
