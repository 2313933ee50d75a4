"""danr_renderer.data.posed_subset: part of one posing run, poses unchanged, input untouched."""
from danr_renderer.data.posed_subset import subset_posed_footage
from danr_renderer.data.realestate10k_cameras import read_camera_file
from danr_renderer.data.realestate10k_dataset import RealEstate10KPairs
from danr_renderer.synthetic.dataset_writer import SyntheticDatasetSpec, write_synthetic_dataset


def test_subset_keeps_the_chosen_rows_and_links_their_files(tmp_path):
    write_synthetic_dataset(tmp_path / "s", SyntheticDatasetSpec(num_scenes=2, views_per_scene=4, size=24, seed=1,
                                                                 write_depth=True))
    root = tmp_path / "s" / "video"
    before = sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in root.rglob("*"))
    # scene0000 keeps frames 0-2, scene0001 only frame 0 (too few: dropped).
    kept = subset_posed_footage(root, tmp_path / "fit",
                                lambda clip, stamp: stamp <= (66666 if clip == "scene0000" else 0))
    assert kept == {"scene0000": 3}
    rows = read_camera_file(tmp_path / "fit" / "cameras" / "scene0000.txt")
    originals = read_camera_file(root / "cameras" / "scene0000.txt")
    assert [r.timestamp for r in rows] == [0, 33333, 66666]
    for row, original in zip(rows, originals):
        assert (row.world_to_camera == original.world_to_camera).all()
    assert sorted(p.name for p in (tmp_path / "fit" / "frames" / "scene0000").iterdir()) == \
        ["0.png", "33333.png", "66666.png"]
    assert (tmp_path / "fit" / "depth" / "scene0000" / "33333.npz").is_file()
    assert not (tmp_path / "fit" / "cameras" / "scene0001.txt").exists()
    assert len(RealEstate10KPairs(tmp_path / "fit", image_size=24, depth_folder="depth")) == 3
    assert sorted((p.relative_to(root), p.stat().st_mtime_ns) for p in root.rglob("*")) == before
