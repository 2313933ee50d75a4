"""danr_renderer.training_log and tools/plot_training_log.py on hand-written MMEngine scalars files."""
import json

import cv2
import pytest

from danr_renderer.training_log import TrainingLogError, plot_training_curves, read_scalars


def _write(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def test_reads_training_and_validation_records_and_writes_a_png(run_tool, tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    _write(first, [{"loss": 2.0, "loss_l1": 0.3, "iter": 10}, {"psnr": 20.0, "step": 10},
                   {"loss": 1.5, "loss_l1": 0.2, "iter": 20}])
    _write(second, [{"loss": 1.0, "loss_l1": 0.1, "iter": 10}])
    assert [r.get("iter", r.get("step")) for r in read_scalars(first)] == [10, 10, 20]
    out = tmp_path / "curves.png"
    run_tool("tools/plot_training_log.py", first, second, "--keys", "loss", "loss_l1", "psnr", "--out", out)
    image = cv2.imread(str(out))
    assert image is not None and image.shape[0] > 300


def test_a_file_of_validation_records_only_is_refused(tmp_path):
    path = tmp_path / "val.json"
    _write(path, [{"coco/bbox_mAP": 0.1, "step": 100}])
    with pytest.raises(TrainingLogError, match=r"val\.json: no training records"):
        plot_training_curves([path], ["coco/bbox_mAP"], tmp_path / "x.png")


def test_bad_records_name_the_file_and_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"loss": 1.0, "iter": 1}\nnot json\n')
    with pytest.raises(TrainingLogError, match=r"broken\.json:2"):
        read_scalars(path)
