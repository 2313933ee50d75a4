"""Shared by the benchmarks: one section per benchmark in benchmarks/RESULTS.md, and the machine line."""
from __future__ import annotations

import os
import platform
from pathlib import Path

import torch

from danr_renderer.atomic_io import atomic_write_text


def machine_description() -> str:
    """CPU count and model, torch and Python versions, as one line."""
    cpu_model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{len(os.sched_getaffinity(0))} CPUs (nproc), {cpu_model}; "
            f"torch {torch.__version__}, Python {platform.python_version()}")


def write_section(path: Path, heading: str, body: str) -> None:
    """Replace (or append) the section `heading` ('## ...') of a markdown file, atomically.

    Other sections are kept as they are, so each benchmark owns exactly its own section.
    """
    lines = path.read_text().splitlines() if path.exists() else ["# Benchmark results"]
    section = [heading, "", *body.rstrip().splitlines(), ""]
    if heading in lines:
        start = lines.index(heading)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
        lines[start:end] = section
    else:
        lines += ["", *section]
    atomic_write_text(path, "\n".join(lines).rstrip("\n") + "\n")


def publish(out: Path | None, heading: str, body: str, command: str | None = None) -> None:
    """Print a benchmark's section (ending with the command that made it, when given) and, when
    `out` is given, write it into that file."""
    if command is not None:
        body = "\n".join([body.rstrip(), "", "Command:", "", command])
    print(body)
    if out is not None:
        write_section(out, heading, body)
        print(f"wrote the {heading!r} section of {out}")
