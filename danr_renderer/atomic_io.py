"""Atomic file writes: a file made at a temporary name in the destination folder, then os.replace.

A reader (or a resumed run) sees either the previous file or the complete new one, never a
partial write. The temporary file is named `.<name>.<pid>.<random hex>.tmp`, so concurrent
writers of the same path never share one, and cleaners can find leftovers with `.*.tmp`.
The new file gets the mode a plain open() would give (0o666 minus the umask). No folder is
created: the destination folder must exist.
"""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any, Callable

__all__ = ["atomic_replace", "atomic_write_bytes", "atomic_write_text", "atomic_write_json"]


def atomic_replace(path: str | os.PathLike, make_file: Callable[[Path], None]) -> None:
    """Call make_file(tmp) to create a file at a fresh temporary path next to path, then
    os.replace it onto path. On any error the old file is untouched and tmp is removed."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        make_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | os.PathLike, payload: bytes) -> None:
    """Replace path's content with payload (flushed and fsync'ed) atomically."""

    def write_synced(tmp: Path) -> None:
        # O_EXCL: never write through a file (or link) that already sits at the fresh name.
        descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())

    atomic_replace(path, write_synced)


def atomic_write_text(path: str | os.PathLike, text: str, encoding: str = "utf-8") -> None:
    """atomic_write_bytes of text encoded with `encoding` (newlines written as given)."""
    atomic_write_bytes(path, text.encode(encoding))


def atomic_write_json(path: str | os.PathLike, obj: Any, **json_kwargs: Any) -> None:
    """atomic_write_text of json.dumps(obj, **json_kwargs); no trailing newline is added.

    Serialisation happens before anything is written, so an unserialisable obj leaves no trace.
    """
    atomic_write_text(path, json.dumps(obj, **json_kwargs))
