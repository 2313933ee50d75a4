"""Pose footage with COLMAP (pycolmap) into the RealEstate10K layout, with per-frame sparse depth.

    python tools/pose_video.py --frames DIR [DIR ...] --out OUT
    python tools/pose_video.py --video FILE --every 5 --out OUT
    python tools/pose_video.py --ann-file annotations.json --img-dir images \
        --group-key sequence --order-key frame --out OUT

Writes OUT/cameras/<clip>_<a, b, ...>.txt, OUT/frames/<clip>_a/<timestamp>.png and
OUT/sparse_depth/<clip>_a/<timestamp>.npz (formats: danr_renderer.posing.export), one clip per
model, every clip scaled by the one scale rule (danr_renderer.posing.scale). A killed run resumes
when started again with the same arguments. Summary per clip: OUT/posing_summary.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from danr_renderer.posing import (
    PosingSettings,
    clip_from_frame_folder,
    clip_from_video,
    clips_from_coco,
    pose_clips,
)


def _camera(text: str) -> tuple[float, float, float, float]:
    try:
        values = tuple(float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--camera expects fx,fy,cx,cy in pixels, got {text!r}") from None
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"--camera expects 4 numbers fx,fy,cx,cy, got {text!r}")
    return values


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--frames", type=Path, nargs="+", metavar="DIR",
                        help="folder(s) of frames in order, one clip each (named after the folder)")
    source.add_argument("--video", type=Path, metavar="FILE", help="video file read with OpenCV")
    source.add_argument("--ann-file", type=Path, help="COCO file whose images form clips")
    parser.add_argument("--every", type=int, default=1, help="--video: keep every N-th frame")
    parser.add_argument("--img-dir", type=Path, default=None,
                        help="--ann-file: image folder (default: 'images' beside the file)")
    parser.add_argument("--group-key", default="sequence", help="--ann-file: image key grouping clips")
    parser.add_argument("--order-key", default="frame", help="--ann-file: image key ordering a clip")
    parser.add_argument("--clips", nargs="+", default=None, help="pose only these clip names")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--camera", type=_camera, default=None, metavar="FX,FY,CX,CY",
                        help="known pinhole camera in pixels of the input frames, kept fixed "
                        "(default: one SIMPLE_RADIAL camera per clip, estimated)")
    defaults = PosingSettings()
    parser.add_argument("--threads", type=int, default=defaults.threads,
                        help="threads of every pycolmap stage")
    parser.add_argument("--window", type=int, default=defaults.window,
                        help="match each frame with the next N frames only (guards against false merges)")
    parser.add_argument("--min-frames", type=int, default=defaults.min_frames,
                        help="drop models with fewer registered frames")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--colmap-log", action="store_true", help="show COLMAP's INFO log lines")
    parser.add_argument("--keep-work", action="store_true",
                        help="keep staged frames and COLMAP databases under OUT/.posing")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import pycolmap
    except ImportError:
        print("pose_video: pycolmap is not installed (pip install pycolmap==4.2.1)", file=sys.stderr)
        return 2
    if not args.colmap_log:
        pycolmap.logging.minloglevel = 1  # warnings and errors only
    try:
        settings = PosingSettings(threads=args.threads, window=args.window,
                                  min_frames=args.min_frames, camera=args.camera, seed=args.seed)
        if args.frames is not None:
            clips = [clip_from_frame_folder(folder) for folder in args.frames]
        elif args.video is not None:
            clips = [clip_from_video(args.video, args.every)]
        else:
            clips, skipped = clips_from_coco(args.ann_file, args.img_dir, args.group_key, args.order_key)
            for line in skipped:
                print(line)
    except (OSError, ValueError) as error:
        print(f"pose_video: {error}", file=sys.stderr)
        return 2
    if args.clips is not None:
        unknown = sorted(set(args.clips) - {clip.name for clip in clips})
        if unknown:
            print(f"pose_video: no clip named {', '.join(unknown)}", file=sys.stderr)
            return 2
        clips = [clip for clip in clips if clip.name in args.clips]
    summaries = pose_clips(clips, args.out, settings, keep_work=args.keep_work)

    print(f"\nSummary ({args.out}):")
    for summary in summaries:
        for line in summary.lines():
            print(line)
        for problem in summary.problems:
            print(f"  note: {problem}")
        if summary.unregistered and summary.failure is None:
            print(f"  {len(summary.unregistered)} frame(s) not registered, e.g. {summary.unregistered[0]}")
    posed = [s for s in summaries if s.failure is None]
    print(f"{len(posed)} of {len(summaries)} clip(s) posed into "
          f"{sum(len(s.models) for s in posed)} clip(s), "
          f"{sum(s.frames_registered for s in posed)} of {sum(s.frames_total for s in summaries)} frames.")
    return 0 if posed else 1


if __name__ == "__main__":
    sys.exit(main())
