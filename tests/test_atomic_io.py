"""danr_renderer/atomic_io.py: content, failure safety, temporary names and file mode."""
import json
import os
import stat
import subprocess
import sys

import pytest

from danr_renderer import atomic_io
from danr_renderer.atomic_io import atomic_replace, atomic_write_bytes, atomic_write_json, atomic_write_text


def test_bytes_create_then_replace_a_file_and_leave_nothing_else(tmp_path):
    target = tmp_path / "data.bin"
    atomic_write_bytes(target, b"\x00first\xff")
    assert target.read_bytes() == b"\x00first\xff"
    atomic_write_bytes(str(target), b"second")
    assert target.read_bytes() == b"second"
    assert os.listdir(tmp_path) == ["data.bin"]


def test_text_is_utf8_with_newlines_kept_as_given(tmp_path):
    target = tmp_path / "rows.txt"
    atomic_write_text(target, "caf\u00e9 1\r\n2\n")
    assert target.read_bytes() == b"caf\xc3\xa9 1\r\n2\n"


@pytest.mark.parametrize("json_kwargs", [{}, {"indent": 1}, {"separators": (",", ":")},
                                         {"sort_keys": True, "ensure_ascii": False}])
def test_json_bytes_equal_json_dumps_with_the_same_settings(tmp_path, json_kwargs):
    document = {"b": [1, 2.5, None], "a": {"name": "sof\u00e1"}}
    target = tmp_path / "doc.json"
    atomic_write_json(target, document, **json_kwargs)
    assert target.read_bytes() == json.dumps(document, **json_kwargs).encode("utf-8")


def _assert_only_the_old_file(folder, target, old_content):
    assert target.read_bytes() == old_content
    assert os.listdir(folder) == [target.name]


def test_a_failing_replace_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "keep.txt"
    target.write_bytes(b"old")

    def refuse(src, dst):
        raise OSError("replace refused")

    monkeypatch.setattr(atomic_io.os, "replace", refuse)
    with pytest.raises(OSError, match="replace refused"):
        atomic_write_bytes(target, b"new")
    _assert_only_the_old_file(tmp_path, target, b"old")


def test_a_failing_fsync_keeps_the_old_file_and_removes_the_temporary(tmp_path, monkeypatch):
    target = tmp_path / "keep.txt"
    target.write_bytes(b"old")

    def broken_fsync(descriptor):
        raise OSError("disk gone")

    monkeypatch.setattr(atomic_io.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk gone"):
        atomic_write_text(target, "new")
    _assert_only_the_old_file(tmp_path, target, b"old")


def test_an_unserialisable_json_object_leaves_the_old_file(tmp_path):
    target = tmp_path / "keep.json"
    target.write_bytes(b'{"old": 1}')
    with pytest.raises(TypeError):
        atomic_write_json(target, {"new": object()})
    _assert_only_the_old_file(tmp_path, target, b'{"old": 1}')


def test_an_interrupted_make_file_is_cleaned_up(tmp_path):
    target = tmp_path / "keep.txt"
    target.write_bytes(b"old")

    def half_write(tmp):
        tmp.write_bytes(b"ne")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_replace(target, half_write)
    _assert_only_the_old_file(tmp_path, target, b"old")


def test_temporary_names_sit_next_to_the_target_and_never_repeat(tmp_path):
    seen = []
    for _ in range(20):
        atomic_replace(tmp_path / "out.json", lambda tmp: (seen.append(tmp), tmp.write_bytes(b"x")))
    assert len(set(seen)) == 20
    for tmp in seen:
        assert tmp.parent == tmp_path
        assert tmp.name.startswith(f".out.json.{os.getpid()}.") and tmp.name.endswith(".tmp")


def test_a_missing_folder_is_an_error_and_is_not_created(tmp_path):
    with pytest.raises(FileNotFoundError):
        atomic_write_bytes(tmp_path / "missing" / "file.bin", b"x")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_mode_is_what_plain_open_gives_under_the_umask(tmp_path, umask):
    previous = os.umask(umask)
    try:
        with open(tmp_path / "plain.bin", "wb") as handle:
            handle.write(b"x")
        atomic_write_bytes(tmp_path / "atomic.bin", b"x")
    finally:
        os.umask(previous)
    plain_mode = stat.S_IMODE((tmp_path / "plain.bin").stat().st_mode)
    assert plain_mode == 0o666 & ~umask
    assert stat.S_IMODE((tmp_path / "atomic.bin").stat().st_mode) == plain_mode


def test_the_module_imports_only_the_standard_library():
    code = ("import sys, danr_renderer.atomic_io; "
            "print(sorted(m for m in ('cv2', 'numpy', 'torch') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
