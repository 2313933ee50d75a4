"""Running pycolmap on one clip's staged frames: SIFT, windowed sequential matching, cuts, mapping.

The frames of a clip sit in one folder named so that name order is temporal order
(`000000.png`, `000001.png`, ...). All frames share one camera: SIMPLE_RADIAL (f, cx, cy, k)
estimated from COLMAP's prior (focal 1.2 * max(W, H), principal point at the centre), or
PINHOLE (fx, fy, cx, cy) fixed when PosingSettings.camera is given. Every thread option of
every stage is set from PosingSettings.threads (pycolmap's default -1 means every core).

Only frames at most `window` apart are matched (no quadratic overlap, no loop detection), so a
model can only grow along time and two places that look alike (identical exit signs) are never
linked directly. A boundary between consecutive frames is a cut when no verified pair of
frames across it has min_pair_inliers inliers; the mapper runs on each part between cuts on
its own. pycolmap is imported on first use, so the rest of the package works without it.
"""
from __future__ import annotations

import os
from pathlib import Path

from .settings import PosingSettings

__all__ = ["extract_and_match", "find_cuts", "map_segment", "linked_pairs"]

# TwoViewGeometry configurations that carry no usable relative geometry.
_UNUSABLE_CONFIGS = ("UNDEFINED", "DEGENERATE")


def _pycolmap():
    import pycolmap  # noqa: PLC0415 - optional dependency, imported where needed

    return pycolmap


def extract_and_match(
    image_dir: Path, names: list[str], database: Path, settings: PosingSettings
) -> None:
    """SIFT features of `names` (files in image_dir) and verified matches of frames at most
    settings.window apart, into the COLMAP database (created when missing; features and
    matches already in it are kept, so an interrupted run resumes)."""
    pycolmap = _pycolmap()
    pycolmap.set_random_seed(settings.seed)
    reader = pycolmap.ImageReaderOptions()
    if settings.camera is None:
        reader.camera_model = "SIMPLE_RADIAL"
    else:
        reader.camera_model = "PINHOLE"
        reader.camera_params = ",".join(f"{value:.9g}" for value in settings.camera)
    extraction = pycolmap.FeatureExtractionOptions()
    extraction.num_threads = settings.threads
    extraction.use_gpu = False
    extraction.sift.max_num_features = settings.max_features
    extraction.sift.peak_threshold = settings.peak_threshold
    pycolmap.extract_features(
        database, image_dir, image_names=names, camera_mode=pycolmap.CameraMode.SINGLE,
        reader_options=reader, extraction_options=extraction, device=pycolmap.Device.cpu,
    )
    matching = pycolmap.FeatureMatchingOptions()
    matching.num_threads = settings.threads
    matching.use_gpu = False
    pairing = pycolmap.SequentialPairingOptions()
    pairing.overlap = settings.window
    pairing.quadratic_overlap = False
    pairing.loop_detection = False
    pairing.num_threads = settings.threads
    verification = pycolmap.TwoViewGeometryOptions()
    verification.min_num_inliers = settings.min_pair_inliers
    verification.ransac.max_error = settings.max_error_px
    verification.ransac.num_threads = 1  # pairs are verified in parallel already
    verification.ransac.random_seed = settings.seed
    pycolmap.match_sequential(
        database, matching_options=matching, pairing_options=pairing,
        verification_options=verification, device=pycolmap.Device.cpu,
    )


def linked_pairs(database: Path, min_inliers: int) -> dict[tuple[str, str], int]:
    """{(name_a, name_b): inliers} of verified pairs with at least min_inliers inlier matches
    (name_a < name_b)."""
    pycolmap = _pycolmap()
    db = pycolmap.Database.open(database)
    try:
        names = {image.image_id: image.name for image in db.read_all_images()}
        pair_ids, geometries = db.read_two_view_geometries()
    finally:
        db.close()
    links = {}
    for pair_id, geometry in zip(pair_ids, geometries):
        inliers = len(geometry.inlier_matches)
        config = pycolmap.TwoViewGeometryConfiguration(int(geometry.config)).name
        if inliers < min_inliers or config in _UNUSABLE_CONFIGS:
            continue
        a, b = sorted(names[i] for i in pycolmap.pair_id_to_image_pair(pair_id))
        links[(a, b)] = inliers
    return links


def find_cuts(names: list[str], links: dict[tuple[str, str], int]) -> list[int]:
    """Positions p (1 <= p < len(names)) where the clip is cut between names[p-1] and names[p]:
    no linked pair has one frame before p and the other at p or after."""
    position = {name: i for i, name in enumerate(names)}
    crossing = [0] * (len(names) + 1)
    for a, b in links:
        if a in position and b in position:
            low, high = sorted((position[a], position[b]))
            crossing[low + 1] += 1  # the pair spans boundaries low+1 .. high
            crossing[high + 1] -= 1
    cuts, running = [], 0
    for p in range(1, len(names)):
        running += crossing[p]
        if running == 0:
            cuts.append(p)
    return cuts


def map_segment(
    database: Path, image_dir: Path, names: list[str], out_dir: Path, settings: PosingSettings
) -> list:
    """Incremental mapping of the frames `names` only; returns every model pycolmap built
    (pycolmap.Reconstruction, possibly none). out_dir receives COLMAP's own model files."""
    pycolmap = _pycolmap()
    pycolmap.set_random_seed(settings.seed)
    options = pycolmap.IncrementalPipelineOptions()
    options.image_names = list(names)
    options.num_threads = settings.threads
    options.random_seed = settings.seed
    options.multiple_models = True
    options.min_model_size = 2  # degenerate models are judged (and reported) by the caller
    options.min_num_matches = settings.min_pair_inliers
    options.extract_colors = False
    options.mapper.num_threads = settings.threads
    options.mapper.random_seed = settings.seed
    options.triangulation.random_seed = settings.seed
    options.mapper.init_min_tri_angle = settings.init_min_tri_angle
    options.mapper.init_min_num_inliers = settings.init_min_num_inliers
    options.mapper.abs_pose_min_num_inliers = settings.abs_pose_min_num_inliers
    options.mapper.init_max_error = settings.max_error_px
    options.mapper.filter_max_reproj_error = settings.max_error_px
    options.mapper.abs_pose_max_error = 3 * settings.max_error_px
    options.triangulation.merge_max_reproj_error = settings.max_error_px
    options.triangulation.complete_max_reproj_error = settings.max_error_px
    fixed = settings.camera is not None
    options.ba_refine_focal_length = not fixed
    options.ba_refine_extra_params = not fixed
    options.ba_refine_principal_point = False
    options.mapper.abs_pose_refine_focal_length = not fixed
    options.mapper.abs_pose_refine_extra_params = not fixed
    os.makedirs(out_dir, exist_ok=True)
    models = pycolmap.incremental_mapping(database, image_dir, out_dir, options)
    return [models[key] for key in sorted(models)]
