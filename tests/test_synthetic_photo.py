"""Photo-textured synthetic scenes: the "photo" texture's sampling, retexturing a scene (its
geometry and boxes untouched), patches cut from a COCO set, and make_synthetic_dataset's option."""
import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from danr_renderer.data.coco_io import read_coco_detection
from danr_renderer.geometry import default_intrinsics
from danr_renderer.synthetic import camera_trajectory, generate_scene, render_view
from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset
from danr_renderer.synthetic.photo import photo_patches, with_photo_textures
from danr_renderer.synthetic.textures import photo_material, texture_albedo

REPO = Path(__file__).resolve().parents[1]

# A 2 x 3 patch with distinct colours: row r, column c -> (r, c / 2, 0.25 + 0.5 r).
_PATCH = np.array([[[r, c / 2, 0.25 + 0.5 * r] for c in range(3)] for r in range(2)], np.float32)


def _albedo(size, s, t):
    material = photo_material(_PATCH, size)
    return texture_albedo(material, torch.tensor(s, dtype=torch.float64),
                          torch.tensor(t, dtype=torch.float64)).numpy()


def test_photo_texture_corners_are_the_patch_corners():
    size = 0.8
    got = _albedo(size, [0.0, size, 0.0, size], [0.0, 0.0, size, size])
    np.testing.assert_allclose(got, [_PATCH[0, 0], _PATCH[0, 2], _PATCH[1, 0], _PATCH[1, 2]],
                               atol=1e-6)


def test_photo_texture_is_bilinear_between_pixel_centres():
    size = 2.0
    # s = size / 4 lies halfway between columns 0 and 1; t = size / 2 halfway between the rows.
    got = _albedo(size, [size / 4], [size / 2])[0]
    expected = _PATCH[:, :2].reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_photo_texture_tiles_by_mirroring():
    size = 1.0
    s = np.array([0.3, 0.7, 1.3, -0.3, 2.3])
    got = _albedo(size, s, np.zeros_like(s))
    # Mirrored tiling: s and 2 - s, -s and 2 + s show the same texel.
    np.testing.assert_allclose(got[2], got[1], atol=1e-6)
    np.testing.assert_allclose(got[3], got[0], atol=1e-6)
    np.testing.assert_allclose(got[4], got[0], atol=1e-6)
    assert not np.allclose(got[0], got[1])


@pytest.mark.parametrize("image, size, message", [
    (np.zeros((1, 4, 3)), 1.0, "h, w >= 2"), (np.zeros((4, 4)), 1.0, "h, w >= 2"),
    (np.zeros((4, 4, 3)), 0.0, "size must be positive")])
def test_photo_material_rejects_bad_input(image, size, message):
    with pytest.raises(ValueError, match=message):
        photo_material(image, size)


def test_retextured_scene_keeps_geometry_boxes_and_depth():
    scene = generate_scene(5)
    patches = np.random.default_rng(0).random((3, 8, 8, 3)).astype(np.float32)
    photo = with_photo_textures(scene, patches, np.random.default_rng(1), fraction=1.0)
    assert all(m.kind == "photo" for m in photo.materials)
    assert len(photo.materials) == len(scene.materials)
    K = default_intrinsics(48, 48, dtype=torch.float64)
    pose = camera_trajectory(scene, 1, 0)[0]
    before, after = render_view(scene, pose, K, 48, 48), render_view(photo, pose, K, 48, 48)
    assert before.boxes == after.boxes and len(before.boxes) > 0
    assert torch.equal(before.depth, after.depth)
    assert not torch.allclose(before.rgb, after.rgb)
    unchanged = with_photo_textures(scene, patches, np.random.default_rng(1), fraction=0.0)
    assert unchanged.materials == scene.materials
    with pytest.raises(ValueError, match="fraction"):
        with_photo_textures(scene, patches, np.random.default_rng(1), fraction=1.5)


def _coco_with_images(tmp_path, images):
    """A COCO file listing `images` (name -> BGR array, or bytes for a broken file)."""
    img_dir = tmp_path / "images"
    img_dir.mkdir()
    entries = []
    for index, (name, content) in enumerate(images.items(), 1):
        if isinstance(content, bytes):
            (img_dir / name).write_bytes(content)
        else:
            cv2.imwrite(str(img_dir / name), content)
        entries.append({"id": index, "file_name": name, "width": 40, "height": 30})
    ann = tmp_path / "train.json"
    ann.write_text(json.dumps({"images": entries, "annotations": [],
                               "categories": [{"id": 1, "name": "thing"}]}))
    return ann, img_dir


def test_patches_come_from_the_listed_images_and_skip_a_broken_one(tmp_path):
    blue = np.zeros((30, 40, 3), np.uint8)
    blue[:, :, 0] = 200  # BGR: pure blue
    ann, img_dir = _coco_with_images(tmp_path, {"a.png": blue, "broken.jpg": b"not an image"})
    with pytest.warns(UserWarning, match="broken.jpg"):
        patches = photo_patches(read_coco_detection(ann), img_dir, np.random.default_rng(0),
                                patches_per_image=5, patch_size=6)
    assert patches.shape == (5, 6, 6, 3)
    np.testing.assert_allclose(patches, np.broadcast_to([0.0, 0.0, 200 / 255], patches.shape),
                               atol=1e-6)  # RGB order, unit range


def test_patches_from_no_readable_image_is_an_error(tmp_path):
    ann, img_dir = _coco_with_images(tmp_path, {"broken.jpg": b"not an image"})
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="none of the 1 images"):
        photo_patches(read_coco_detection(ann), img_dir, np.random.default_rng(0))


def test_make_dataset_with_photo_textures_changes_pixels_not_boxes(tmp_path):
    rng = np.random.default_rng(3)
    photo = cv2.resize(rng.integers(0, 256, (6, 8, 3), dtype=np.uint8), (40, 30))
    ann, _ = _coco_with_images(tmp_path, {"photo.png": photo})
    common = dict(num_scenes=1, views_per_scene=2, size=32, seed=4)
    plain = write_synthetic_dataset(tmp_path / "plain", SyntheticDatasetSpec(**common))
    dressed = write_synthetic_dataset(tmp_path / "photo",
                                      SyntheticDatasetSpec(**common, photo_textures=ann))
    assert plain["annotations"] == dressed["annotations"] and plain["annotations"]
    assert dressed["info"]["photo_textures"] == str(ann)
    name = plain["images"][0]["file_name"]
    first = cv2.imread(str(tmp_path / "plain" / "detection" / "images" / name))
    second = cv2.imread(str(tmp_path / "photo" / "detection" / "images" / name))
    assert first.shape == second.shape and not np.array_equal(first, second)
