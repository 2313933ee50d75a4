"""Put a renderer's depth in the scale rule's units, fitted on the SfM points of its training frames.

    python tools/calibrate_depth_scale.py --checkpoint CKPT --posed ROOT [--ann-file FIT.json] --out NEW.pth

ROOT is posed footage (tools/pose_video.py's layout) of frames the renderer trained on; with
--ann-file only the frames that are images of that COCO file are used (e.g. a split's fit
frames out of a posing of the whole set). Writes NEW.pth: the same weights with the depth
multiplied by the fitted factor (danr_renderer.depth_scale), and the fit's summary under the
checkpoint's "extra". The input checkpoint is never written to.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from danr_renderer.depth_scale import fit_depth_scale, with_depth_scale
from danr_renderer.evaluation.posed import load_posed_frames, posed_frame_boxes
from danr_renderer.renderer import NovelViewRenderer


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", type=Path, required=True, help="renderer checkpoint to calibrate")
    parser.add_argument("--posed", type=Path, required=True,
                        help="posed footage (cameras/, frames/, sparse_depth/) of frames the renderer trained on")
    parser.add_argument("--ann-file", type=Path, default=None,
                        help="COCO file whose images are the frames to use (default: every posed frame)")
    parser.add_argument("--group-key", default="sequence", help="its image key naming the clip")
    parser.add_argument("--order-key", default="frame", help="its image key giving the timestamp")
    parser.add_argument("--size", type=int, default=128, help="canvas side the renderer sees (default 128)")
    parser.add_argument("--out", type=Path, required=True, help="calibrated checkpoint to write")
    args = parser.parse_args(argv)
    if not args.checkpoint.is_file():
        parser.error(f"--checkpoint {args.checkpoint} does not exist")
    if args.out.resolve() == args.checkpoint.resolve():
        parser.error(f"--out {args.out} is the input checkpoint: write the calibrated one to a new file")
    if args.size < 16:
        parser.error("need --size >= 16")
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    frames = load_posed_frames(args.posed)
    if args.ann_file is not None:
        boxes = posed_frame_boxes(frames, args.ann_file, args.group_key, args.order_key)
        frames = [frame for frame in frames if boxes[(frame.clip, frame.timestamp)] is not None]
        if not frames:
            sys.exit(f"calibrate_depth_scale: no posed frame of {args.posed} is an image of {args.ann_file}")
    renderer = NovelViewRenderer.load_checkpoint(args.checkpoint).eval()
    fit = fit_depth_scale(renderer, frames, args.size,
                          progress=lambda items: tqdm(items, desc="frames", unit="frame"))
    extra = torch.load(args.checkpoint, map_location="cpu", weights_only=True).get("extra") or {}
    summary = dict(fit.summary(), checkpoint=str(args.checkpoint), posed=str(args.posed),
                   ann_file=None if args.ann_file is None else str(args.ann_file), size=args.size)
    with_depth_scale(renderer, fit.factor).save_checkpoint(args.out, extra=dict(extra, depth_scale=summary))
    print(json.dumps(summary, indent=1))
    print(f"{args.out}: depth x {fit.factor:.3f} (from {fit.num_frames} frames, {fit.num_points} SfM points)")
    return summary


if __name__ == "__main__":
    main()
