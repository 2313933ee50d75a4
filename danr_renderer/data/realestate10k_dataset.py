"""(source, target) frame pairs from RealEstate10K-format posed video, for renderer training.

Layout of a root (the public RealEstate10K release after frame extraction, and our synthetic
video set written by tools/make_synthetic_dataset.py to DIR/video):

    root/cameras/<clip>.txt             one row per frame (see realestate10k_cameras)
    root/frames/<clip>/<timestamp>.png  (or .jpg / .jpeg) one image per camera row

Sample i takes source frame i mod (number of frames) and, from a generator seeded by
(seed, i), a target frame of the same clip at most `max_frame_gap` rows away (never the
source itself) and, for training, a random crop window. So the dataset is deterministic under
its seed, and a length of several times the number of frames gives every source several
partners. The paper draws its 500 iterations an epoch at random: an infinite shuffling sampler
over this dataset does the same.

Both frames are resized by the smallest uniform factor that covers the output (rounded to whole
pixels; the intrinsics use the exact per-axis factors) and cropped with the same window, because
the renderer projects source and target with one intrinsic matrix: the source frame's.

Depth supervision (`depth_folder`): the source frame's known depths
(`root/<depth_folder>/<clip>/<timestamp>.npz`, format in `depth_points`) are carried through the
same resize and crop into `src_depth`. Appearance randomisation (`photometric_jitter` j): one
brightness, contrast and saturation factor in [1 - j, 1 + j] each, drawn per sample, applied to
source and target alike, so the pair stays consistent while colours stop predicting depth.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..geometry import scale_intrinsics
from .depth_points import rasterize_depth_points, read_depth_points
from .image_io import image_tensor
from .realestate10k_cameras import CameraFrame, frame_intrinsics, frame_pair_pose, read_camera_file

__all__ = ["RealEstate10KPairs", "resize_and_crop_geometry"]

_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")


@dataclass(frozen=True)
class _Clip:
    name: str
    frames: list[CameraFrame]
    image_paths: list[Path]


def resize_and_crop_geometry(
    in_size: tuple[int, int], out_size: tuple[int, int], rng: np.random.Generator | None
) -> tuple[tuple[int, int], tuple[int, int]]:
    """Resize then crop that maps an image of `in_size` (H, W) to `out_size` (H, W).

    The image is scaled by s = max(out_h / in_h, out_w / in_w) (the smallest uniform scale
    that covers the output), then an out_size window is cut: centred when `rng` is None,
    uniformly random otherwise.
    Returns:
        resized (H, W) and the crop's top-left corner (y0, x0) in the resized image.
    """
    (in_h, in_w), (out_h, out_w) = in_size, out_size
    scale = max(out_h / in_h, out_w / in_w)
    resized = (max(out_h, round(in_h * scale)), max(out_w, round(in_w * scale)))
    spare_h, spare_w = resized[0] - out_h, resized[1] - out_w
    if rng is None:
        corner = (spare_h // 2, spare_w // 2)
    else:
        corner = (int(rng.integers(0, spare_h + 1)), int(rng.integers(0, spare_w + 1)))
    return resized, corner


class RealEstate10KPairs(Dataset):
    """Pairs of posed frames at most `max_frame_gap` rows apart within one clip.

    Args:
        root: folder holding cameras/ and frames/.
        image_size: output size, an int (square) or (H, W).
        max_frame_gap: largest |row(target) - row(source)|; the paper uses 30.
        num_samples: dataset length; None means one sample per frame.
        random_crop: random crop windows (training) instead of centred ones.
        seed: seeds the per-sample choice of partner and crop window.
        clips: optional subset of clip names (camera-file stems); default all.
        depth_folder: folder under root with each frame's known depths (module doc); None: no
            `src_depth` in the items.
        photometric_jitter: j >= 0 of the appearance randomisation (module doc); 0: none.
    Each item is a dict:
        src_image, tgt_image: (3, H, W) float32 RGB in [0, 1];
        K: (3, 3) pixel intrinsics of the cropped images (continuous pixel frame);
        R: (3, 3), T: (3,) eq. 2 pose taking source-camera points to the target camera;
        clip (str), src_timestamp, tgt_timestamp (int): where the pair came from;
        with depth_folder, src_depth: (1, H, W) float32 known z-depth of the source, 0 where unknown.
    Clips with fewer than two frames cannot form a pair and are left out.
    Raises FileNotFoundError naming the file for missing folders and frames.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        image_size: int | tuple[int, int] = 256,
        max_frame_gap: int = 30,
        num_samples: int | None = None,
        random_crop: bool = False,
        seed: int = 0,
        clips: list[str] | None = None,
        depth_folder: str | None = None,
        photometric_jitter: float = 0.0,
    ):
        self.root = Path(root)
        if isinstance(image_size, int):
            image_size = (image_size, image_size)
        self.image_size = (int(image_size[0]), int(image_size[1]))
        if max_frame_gap < 1:
            raise ValueError(f"max_frame_gap must be >= 1, got {max_frame_gap}")
        self.max_frame_gap = int(max_frame_gap)
        self.random_crop = bool(random_crop)
        self.seed = int(seed)
        if not 0.0 <= photometric_jitter < 1.0:
            raise ValueError(f"photometric_jitter must be in [0, 1), got {photometric_jitter}")
        self.photometric_jitter = float(photometric_jitter)
        self.depth_folder = depth_folder
        self.clips = self._index_clips(clips)
        # (clip index, row) of every frame, in clip order then row order.
        self._frame_index = [
            (clip_id, row) for clip_id, clip in enumerate(self.clips) for row in range(len(clip.frames))
        ]
        self.num_samples = len(self._frame_index) if num_samples is None else int(num_samples)
        if self.num_samples < 1:
            raise ValueError(f"num_samples must be >= 1, got {num_samples}")

    def _index_clips(self, names: list[str] | None) -> list[_Clip]:
        camera_dir, frames_dir = self.root / "cameras", self.root / "frames"
        if not camera_dir.is_dir():
            raise FileNotFoundError(f"{camera_dir}: no cameras/ folder in the dataset root")
        if names is None:
            names = sorted(path.stem for path in camera_dir.glob("*.txt"))
        clips = []
        for name in names:
            frames = read_camera_file(camera_dir / f"{name}.txt")
            if len(frames) < 2:
                continue
            paths = self._frame_paths(frames_dir / name, frames)
            clips.append(_Clip(name, frames, paths))
        if not clips:
            raise ValueError(f"{self.root}: no clip with at least two frames")
        return clips

    @staticmethod
    def _frame_paths(clip_dir: Path, frames: list[CameraFrame]) -> list[Path]:
        if not clip_dir.is_dir():
            raise FileNotFoundError(f"{clip_dir}: frame folder of this clip is missing")
        by_stem = {
            path.stem: path for path in clip_dir.iterdir() if path.suffix.lower() in _IMAGE_SUFFIXES
        }
        paths = []
        for frame in frames:
            path = by_stem.get(str(frame.timestamp))
            if path is None:
                raise FileNotFoundError(
                    f"{clip_dir / str(frame.timestamp)}.png (or .jpg): frame listed in the camera "
                    "file is missing"
                )
            paths.append(path)
        return paths

    def __len__(self) -> int:
        return self.num_samples

    def pair_rows(self, index: int) -> tuple[int, int, int, np.random.Generator]:
        """(clip index, source row, target row, the sample's generator) of sample `index`."""
        if not 0 <= index < self.num_samples:
            raise IndexError(f"sample {index} out of range [0, {self.num_samples})")
        rng = np.random.default_rng([self.seed, index])
        clip_id, src_row = self._frame_index[index % len(self._frame_index)]
        count = len(self.clips[clip_id].frames)
        low, high = max(0, src_row - self.max_frame_gap), min(count - 1, src_row + self.max_frame_gap)
        # Draw among the rows of [low, high] other than the source row.
        tgt_row = int(rng.integers(low, high))
        if tgt_row >= src_row:
            tgt_row += 1
        return clip_id, src_row, tgt_row, rng

    def __getitem__(self, index: int) -> dict:
        clip_id, src_row, tgt_row, rng = self.pair_rows(index)
        clip = self.clips[clip_id]
        src_bgr = _read_image(clip.image_paths[src_row])
        tgt_bgr = _read_image(clip.image_paths[tgt_row])
        if src_bgr.shape != tgt_bgr.shape:
            raise ValueError(
                f"{clip.image_paths[src_row]} and {clip.image_paths[tgt_row]}: frames of one clip "
                f"differ in size ({src_bgr.shape[:2]} vs {tgt_bgr.shape[:2]})"
            )
        in_size = src_bgr.shape[:2]
        resized, (y0, x0) = resize_and_crop_geometry(
            in_size, self.image_size, rng if self.random_crop else None
        )
        out_h, out_w = self.image_size

        def prepare(bgr: np.ndarray) -> torch.Tensor:
            interpolation = cv2.INTER_AREA if resized[0] < in_size[0] else cv2.INTER_LINEAR
            image = cv2.resize(bgr, (resized[1], resized[0]), interpolation=interpolation)
            image = image[y0 : y0 + out_h, x0 : x0 + out_w, ::-1]
            return image_tensor(image).float() / 255.0

        K = frame_intrinsics(clip.frames[src_row], in_size[0], in_size[1])
        K = scale_intrinsics(K, resized[1] / in_size[1], resized[0] / in_size[0])
        K[0, 2] -= x0
        K[1, 2] -= y0
        R, T = frame_pair_pose(clip.frames[src_row], clip.frames[tgt_row])
        src_image, tgt_image = prepare(src_bgr), prepare(tgt_bgr)
        if self.photometric_jitter > 0:
            factors = rng.uniform(1 - self.photometric_jitter, 1 + self.photometric_jitter, size=3)
            src_image, tgt_image = (_jitter(image, *factors) for image in (src_image, tgt_image))
        item = dict(
            src_image=src_image,
            tgt_image=tgt_image,
            K=K,
            R=R,
            T=T,
            clip=clip.name,
            src_timestamp=clip.frames[src_row].timestamp,
            tgt_timestamp=clip.frames[tgt_row].timestamp,
        )
        if self.depth_folder is not None:
            path = self.root / self.depth_folder / clip.name / f"{clip.frames[src_row].timestamp}.npz"
            if not path.is_file():
                raise FileNotFoundError(f"{path}: depth file of this frame is missing")
            uv, z = read_depth_points(path)
            depth = rasterize_depth_points(uv, z, (resized[1] / in_size[1], resized[0] / in_size[0]),
                                           (x0, y0), self.image_size)
            item["src_depth"] = torch.from_numpy(depth)[None]
        return item


def _jitter(image: torch.Tensor, brightness: float, contrast: float, saturation: float) -> torch.Tensor:
    """(3, H, W) RGB in [0, 1] with its saturation, contrast (about its mean grey) and
    brightness scaled by the factors, clipped to [0, 1]."""
    grey = (0.299 * image[0] + 0.587 * image[1] + 0.114 * image[2])[None]
    image = grey + saturation * (image - grey)
    image = grey.mean() + contrast * (image - grey.mean())
    return (brightness * image).clamp(0.0, 1.0)


def _read_image(path: Path) -> np.ndarray:
    """(H, W, 3) uint8 BGR; FileNotFoundError / ValueError naming the file."""
    if not path.is_file():
        raise FileNotFoundError(f"{path}: frame image is missing")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise ValueError(f"{path}: not a readable image")
    return image
