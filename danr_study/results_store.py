"""OUT/results.json and the study's other JSON files: read with clear errors, written
atomically, and results updated under a lock so that concurrent workers keep each other's."""
from __future__ import annotations

import json
from pathlib import Path

from danr_renderer.atomic_io import atomic_write_json

from .errors import StudyError
from .locks import file_lock


def read_json(path: Path, what: str) -> dict:
    """The JSON document at path; StudyError naming `what` when it cannot be read."""
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise StudyError(f'{path}: cannot read the {what} ({error})') from None


def read_results(results_path: Path) -> dict:
    """results.json's content, {} before the first result."""
    return read_json(results_path, 'results') if results_path.is_file() else {}


def write_json(obj, path: Path) -> None:
    """json.dumps(obj) (default settings) to path atomically, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(path, obj)


def update_results(results_path: Path, keys: tuple[str, ...], value) -> dict:
    """Set results[keys[0]]...[keys[-1]] = value in results.json under a lock, keeping what
    other workers wrote meanwhile; returns the merged results."""
    with file_lock(results_path.with_name(results_path.name + '.lock'), wait=True):
        merged = read_results(results_path)
        node = merged
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
        write_json(merged, results_path)
    return merged
