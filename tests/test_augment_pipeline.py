"""The offline augmentation end to end: a tiny random renderer on a small synthetic set.

Checks the output's structure (counts, ids, provenance, boxes inside their images, loadable by
pycocotools), identity views (boxes must come back unchanged through the canvas round trip),
resume after a crash or lost files, shards + merge, and each kind of bad input.
"""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from pycocotools.coco import COCO

from danr_renderer.augment import AugmentError, AugmentSettings, run_augmentation
from danr_renderer.augment import runner as runner_module
from danr_renderer.geometry import default_intrinsics
from danr_renderer.renderer import NovelViewRenderer
from danr_renderer.synthetic import (
    CLASS_NAMES,
    camera_trajectory,
    generate_scene,
    render_view,
    scene_seed,
    trajectory_seed,
)

REPO = Path(__file__).resolve().parents[1]
HEIGHT, WIDTH, RENDER_SIZE = 40, 56, 24


CLI = "tools/augment_dataset.py"


def _tiny_checkpoint(path: Path) -> Path:
    torch.manual_seed(0)
    renderer = NovelViewRenderer(
        feature_channels=8, encoder_widths=(8,), decoder_widths=(8,), depth_base_channels=4,
        depth_levels=1, depth_max_channels=8, splat_radius=1.5, points_per_pixel=4,
    )
    renderer.save_checkpoint(path)
    return path


def _synthetic_set(root: Path, scenes: int = 2, views: int = 2) -> tuple[Path, Path]:
    """COCO set of `scenes` x `views` ray-cast synthetic frames with ids 1, 8, 15, ... (7 k + 1)."""
    img_dir = root / "images"
    img_dir.mkdir(parents=True)
    categories = [{"id": i + 1, "name": name} for i, name in enumerate(CLASS_NAMES)]
    images, annotations = [], []
    K = default_intrinsics(HEIGHT, WIDTH)
    for k in range(scenes):
        scene = generate_scene(scene_seed(0, k))
        for pose in camera_trajectory(scene, views, trajectory_seed(0, k)):
            view = render_view(scene, pose, K, HEIGHT, WIDTH)
            image_id = 7 * len(images) + 1
            name = f"frame_{image_id}.png"
            rgb = (view.rgb.numpy() * 255 + 0.5).astype(np.uint8)
            cv2.imwrite(str(img_dir / name), rgb[:, :, ::-1])
            images.append({"id": image_id, "file_name": name, "width": WIDTH, "height": HEIGHT})
            for box in view.boxes:
                x1, y1, x2, y2 = box.xyxy
                annotations.append({
                    "id": 1000 + len(annotations), "image_id": image_id, "iscrowd": 0,
                    "category_id": CLASS_NAMES.index(box.class_name) + 1,
                    "bbox": [x1, y1, x2 - x1, y2 - y1], "area": (x2 - x1) * (y2 - y1),
                })
    ann_file = root / "annotations.json"
    ann_file.write_text(json.dumps(
        {"images": images, "annotations": annotations, "categories": categories}
    ))
    return ann_file, img_dir


def _settings(data, out_dir, **changes) -> AugmentSettings:
    values = dict(ann_file=data["ann_file"], img_dir=data["img_dir"], out_dir=out_dir,
                  checkpoint=data["checkpoint"], render_size=RENDER_SIZE, seed=5)
    values.update(changes)
    return AugmentSettings(**values)


def _product(out_dir: Path) -> dict[str, bytes]:
    """What a user consumes: annotations.json and the view images, byte for byte."""
    files = {"annotations.json": (out_dir / "annotations.json").read_bytes()}
    for path in sorted((out_dir / "images").iterdir()):
        files[path.name] = path.read_bytes()
    return files


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("augment")
    ann_file, img_dir = _synthetic_set(root / "source")
    checkpoint = _tiny_checkpoint(root / "tiny.pth")
    found = {"ann_file": ann_file, "img_dir": img_dir, "checkpoint": checkpoint, "root": root}
    found["baseline"] = root / "baseline"
    found["summary"] = run_augmentation(_settings(found, found["baseline"]), progress=False)
    return found


def test_output_structure(data):
    out = data["baseline"]
    source = json.loads(data["ann_file"].read_text())
    output = json.loads((out / "annotations.json").read_text())
    sources = {image["id"]: image for image in source["images"]}

    assert output["categories"] == source["categories"]
    assert len(output["images"]) == 4 * len(sources)
    assert [image["id"] for image in output["images"]] == list(range(1, len(output["images"]) + 1))
    assert [a["id"] for a in output["annotations"]] == list(range(1, len(output["annotations"]) + 1))
    paper = [[-0.1, -0.15, 0.0], [0.1, -0.15, 0.0], [-0.1, 0.15, 0.0], [0.1, 0.15, 0.0]]
    for image in output["images"]:
        danr = image["danr"]
        origin = sources[danr["source_image_id"]]
        assert danr["source_file_name"] == origin["file_name"]
        assert image["file_name"] == f"frame_{origin['id']}_v{danr['view_index']}.jpg"
        assert danr["rotvec"] == paper[danr["view_index"]]
        assert danr["translation"] == [0.0, 0.0, 0.3]
        pixels = cv2.imread(str(out / "images" / image["file_name"]))
        assert pixels.shape == (HEIGHT, WIDTH, 3) == (image["height"], image["width"], 3)
    # Sorted by source id, then view index.
    order = [(i["danr"]["source_image_id"], i["danr"]["view_index"]) for i in output["images"]]
    assert order == sorted(order)

    by_image = {image["id"]: image for image in output["images"]}
    source_boxes = {a["id"]: a for a in source["annotations"]}
    for annotation in output["annotations"]:
        image = by_image[annotation["image_id"]]
        x, y, w, h = annotation["bbox"]
        assert w > 0 and h > 0 and x >= 0 and y >= 0
        assert x + w <= image["width"] + 1e-6 and y + h <= image["height"] + 1e-6
        origin = source_boxes[annotation["danr"]["source_annotation_id"]]
        assert origin["image_id"] == image["danr"]["source_image_id"]
        assert annotation["category_id"] == origin["category_id"]
        assert 0.5 <= annotation["danr"]["visible"] <= 1.0

    summary = data["summary"]
    dropped = sum(summary.boxes_dropped.values())
    assert summary.views == len(output["images"])
    assert summary.boxes_kept == len(output["annotations"])
    assert summary.boxes_kept + dropped == 4 * len(source["annotations"])
    assert summary.sources_ok == len(sources) and summary.sources_failed == 0
    counts = output["info"]["danr"]["counts"]
    assert counts["boxes_kept"] == summary.boxes_kept
    assert counts["boxes_dropped"] == summary.boxes_dropped
    assert output["info"]["danr"]["source_img_dir"] == str(data["img_dir"].resolve())

    coco = COCO(str(out / "annotations.json"))
    assert len(coco.getImgIds()) == len(output["images"])
    assert len(coco.getAnnIds()) == len(output["annotations"])


def test_identity_view_returns_the_source_boxes(data, tmp_path):
    views = tmp_path / "identity.json"
    views.write_text(json.dumps([{"rotvec": [0, 0, 0], "translation": [0, 0, 0]}]))
    out = tmp_path / "out"
    run_augmentation(_settings(data, out, views=str(views)), progress=False)
    source = json.loads(data["ann_file"].read_text())
    output = json.loads((out / "annotations.json").read_text())
    carried = {a["danr"]["source_annotation_id"]: a["bbox"] for a in output["annotations"]}
    assert set(carried) == {a["id"] for a in source["annotations"]}
    for annotation in source["annotations"]:
        # Canvas 24 x 24 and back to 56 x 40: exact up to the 0.01 px rounding of the output.
        np.testing.assert_allclose(carried[annotation["id"]], annotation["bbox"], atol=0.011)


def test_resume_after_crash_and_lost_files_matches_an_uninterrupted_run(data, tmp_path,
                                                                         monkeypatch):
    out = tmp_path / "out"
    real = runner_module.render_image_views
    calls = []

    def crash_on_third(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    monkeypatch.setattr(runner_module, "render_image_views", crash_on_third)
    with pytest.raises(RuntimeError, match="simulated crash"):
        run_augmentation(_settings(data, out), progress=False)
    monkeypatch.setattr(runner_module, "render_image_views", real)
    assert len(list((out / "parts").glob("*.json"))) == 2
    assert not (out / "annotations.json").exists()

    with pytest.raises(AugmentError, match="already holds an augmentation run"):
        run_augmentation(_settings(data, out), progress=False)
    summary = run_augmentation(_settings(data, out, resume=True), progress=False)
    assert (summary.skipped_done, summary.rendered_now) == (2, 2)
    assert _product(out) == _product(data["baseline"])

    # Lose a view image of one source and the record of another, and leave a stale temporary.
    (out / "images" / "frame_22_v2.jpg").unlink()
    (out / "parts" / "8.json").unlink()
    (out / "annotations.json").unlink()
    (out / "images" / ".frame_1_v0.jpg.123.tmp").write_bytes(b"partial")
    summary = run_augmentation(_settings(data, out, resume=True), progress=False)
    assert (summary.skipped_done, summary.rendered_now) == (2, 2)
    assert _product(out) == _product(data["baseline"])

    with pytest.raises(AugmentError, match="seed differ"):
        run_augmentation(_settings(data, out, resume=True, seed=6), progress=False)


def test_shards_and_merge_equal_one_run(data, tmp_path, run_tool):
    common = ["--ann-file", str(data["ann_file"]), "--img-dir", str(data["img_dir"]),
              "--checkpoint", str(data["checkpoint"]), "--render-size", str(RENDER_SIZE),
              "--seed", "5", "--no-progress"]
    for index in range(2):
        out = tmp_path / f"shard{index}"
        run_tool(CLI, *common, "--out-dir", out, "--shard", f"{index}/2")
        assert not (out / "annotations.json").exists()
    for index, expected in enumerate([{8, 22}, {1, 15}]):  # id % 2 == index
        parts = (tmp_path / f"shard{index}" / "parts").glob("*.json")
        assert {json.loads(p.read_text())["source_image_id"] for p in parts} == expected
    incomplete = run_tool(CLI, "merge", "--out-dir", tmp_path / "shard0", check=False)
    assert incomplete.returncode == 1
    assert "shard runs missing: of 2: 1" in incomplete.stderr

    merged = tmp_path / "merged"
    run_tool(CLI, "merge", "--out-dir", merged, tmp_path / "shard0", tmp_path / "shard1")
    assert _product(merged) == _product(data["baseline"])
    # A folder that already holds every shard (shards sharing one --out-dir) merges in place.
    (merged / "annotations.json").unlink()
    run_tool(CLI, "merge", "--out-dir", merged)
    assert _product(merged) == _product(data["baseline"])


# ----------------------------------------------------------------------------------- bad input
def _bad_input_set(root: Path, data) -> Path:
    """Every kind of bad input next to a good image; returns the annotation file."""
    img_dir = root / "images"
    img_dir.mkdir(parents=True)
    good = cv2.imread(str(data["img_dir"] / "frame_1.png"))
    cv2.imwrite(str(img_dir / "good.png"), good)
    cv2.imwrite(str(img_dir / "gray.png"), cv2.cvtColor(good, cv2.COLOR_BGR2GRAY))
    cv2.imwrite(str(img_dir / "rgba.png"), cv2.cvtColor(good, cv2.COLOR_BGR2BGRA))
    cv2.imwrite(str(img_dir / "deep.png"), good.astype(np.uint16) * 257)
    cv2.imwrite(str(img_dir / "negative.png"), good[:30, :30])
    (img_dir / "corrupt.jpg").write_bytes(b"\xff\xd8 truncated")
    images = [
        {"id": 1, "file_name": "good.png"},
        {"id": 2, "file_name": "gray.png"},
        {"id": 3, "file_name": "rgba.png"},
        {"id": 4, "file_name": "deep.png"},
        {"id": 5, "file_name": "missing.png"},
        {"id": 6, "file_name": "corrupt.jpg"},
        {"id": 7, "file_name": "negative.png"},
        {"id": 1, "file_name": "duplicate.png"},
    ]
    box = [10.0, 8.0, 20.0, 16.0]
    annotations = [{"id": i, "image_id": i, "category_id": 1, "bbox": box} for i in range(1, 7)]
    annotations += [
        {"id": 11, "image_id": 1, "category_id": 1, "bbox": [40.0, 30.0, 30.0, 20.0]},  # partly
        {"id": 12, "image_id": 1, "category_id": 1, "bbox": [60.0, 5.0, 10.0, 10.0]},   # outside
        {"id": 13, "image_id": 1, "category_id": 1, "bbox": [5.0, 5.0, 0.0, 10.0]},     # zero
        {"id": 14, "image_id": 1, "category_id": 1, "bbox": [5.0, 5.0, 10.0, -3.0]},    # negative
    ]
    ann_file = root / "annotations.json"
    ann_file.write_text(json.dumps({"images": images, "annotations": annotations,
                                    "categories": [{"id": 1, "name": "thing"}]}))
    return ann_file


def _folder_state(folder: Path) -> dict:
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


def test_bad_inputs_are_reported_and_readable_images_rendered(data, tmp_path, run_tool):
    ann_file = _bad_input_set(tmp_path / "source", data)
    img_dir = tmp_path / "source" / "images"
    before = _folder_state(img_dir)
    out = tmp_path / "out"
    captured = run_tool(CLI, "--ann-file", ann_file, "--img-dir", img_dir, "--out-dir", out,
                        "--checkpoint", data["checkpoint"], "--render-size", RENDER_SIZE,
                        "--views", "random1", "--no-progress")
    assert _folder_state(img_dir) == before
    lines = captured.stderr.strip().splitlines()
    expected = [
        "image id 1 (duplicate.png): duplicate image id",
        "annotation id 13 (image id 1, good.png): bbox [5.0, 5.0, 0.0, 10.0] has zero or negative",
        "annotation id 14 (image id 1, good.png): bbox [5.0, 5.0, 10.0, -3.0] has zero or negative",
        "annotation id 11 (image id 1, good.png): bbox [40.0, 30.0, 30.0, 20.0] extends outside",
        "annotation id 12 (image id 1, good.png): bbox [60.0, 5.0, 10.0, 10.0] lies wholly outside",
        "image id 2 (gray.png): grayscale expanded to RGB",
        "image id 3 (rgba.png): alpha channel dropped",
        "image id 4 (deep.png): 16-bit image scaled to [0, 1]",
        "image id 5 (missing.png): file not found; skipped",
        "image id 6 (corrupt.jpg): not a decodable image; skipped",
    ]
    assert len(lines) == len(expected), captured.stderr
    for line, start in zip(lines, expected):
        assert line.startswith(start), (line, start)
    assert "source images: 7 (7 rendered now, 0 already done), 2 failed" in captured.stdout
    assert f"input problems reported: {len(expected)}" in captured.stdout

    output = json.loads((out / "annotations.json").read_text())
    sources = [image["danr"]["source_image_id"] for image in output["images"]]
    assert sources == [1, 2, 3, 4, 7]  # random1: one view each; 7 has no boxes (a negative)
    names = {image["danr"]["source_image_id"]: image for image in output["images"]}
    assert (names[7]["width"], names[7]["height"]) == (30, 30)
    assert not [a for a in output["annotations"] if a["image_id"] == names[7]["id"]]
    carried = {a["danr"]["source_annotation_id"] for a in output["annotations"]}
    assert carried <= {1, 2, 3, 4, 11} and not carried & {5, 6, 12, 13, 14}


def test_unusable_inputs_exit_non_zero(data, tmp_path, run_tool):
    common = ["--img-dir", str(data["img_dir"]), "--checkpoint", str(data["checkpoint"]),
              "--render-size", str(RENDER_SIZE), "--no-progress"]
    broken = tmp_path / "broken.json"
    broken.write_text('{"images": [}')
    failed = run_tool(CLI, "--ann-file", broken, "--out-dir", tmp_path / "a", *common, check=False)
    assert failed.returncode == 1 and "broken.json: malformed JSON" in failed.stderr

    unreadable = tmp_path / "unreadable.json"
    unreadable.write_text(json.dumps({
        "images": [{"id": 1, "file_name": "nope.png"}, {"id": 2, "file_name": "gone.png"}],
        "categories": [{"id": 1, "name": "thing"}],
    }))
    failed = run_tool(CLI, "--ann-file", unreadable, "--out-dir", tmp_path / "b", *common, check=False)
    assert failed.returncode == 1
    err = failed.stderr
    assert "image id 1 (nope.png): file not found" in err
    assert "no readable image among the 2 source images" in err

    missing = ["--ann-file", str(data["ann_file"]), "--img-dir", str(data["img_dir"]),
               "--out-dir", str(tmp_path / "c"), "--checkpoint", str(tmp_path / "none.pth")]
    failed = run_tool(CLI, *missing, check=False)
    assert failed.returncode == 1 and "none.pth not found" in failed.stderr


@pytest.mark.parametrize("where", ["inside", "parent"])
def test_output_may_not_touch_the_input(data, tmp_path, run_tool, where):
    # "parent": OUT/images would be the image folder itself and OUT/annotations.json the input.
    out = data["img_dir"] / "augmented" if where == "inside" else data["img_dir"].parent
    before = _folder_state(data["img_dir"])
    refused = run_tool(CLI, "--ann-file", data["ann_file"], "--img-dir", data["img_dir"],
                       "--out-dir", out, "--checkpoint", data["checkpoint"], check=False)
    assert refused.returncode == 1
    assert "which is never written to" in refused.stderr
    assert _folder_state(data["img_dir"]) == before


def test_preview_grid(data, tmp_path, run_tool):
    preview = tmp_path / "preview.png"
    tile = 80
    run_tool("tools/browse_augmented.py", data["baseline"], "--num", 2, "--out", preview,
             "--tile-height", tile)
    grid = cv2.imread(str(preview))[:, :, ::-1]
    caption, gap, tile_width = 16, 4, round(WIDTH * tile / HEIGHT)
    assert grid.shape == (2 * (caption + tile) + gap, 5 * tile_width + 4 * gap, 3)
    # The first tile is source image 1 (found through the folder recorded in the output),
    # resized; only its box outlines and labels differ.
    source = cv2.imread(str(data["img_dir"] / "frame_1.png"))[:, :, ::-1]
    expected = cv2.resize(source, (tile_width, tile), interpolation=cv2.INTER_AREA)
    body = grid[caption : caption + tile, :tile_width].astype(int)
    differs = np.abs(body - expected).max(axis=2) > 3
    assert 0.01 < differs.mean() < 0.25
