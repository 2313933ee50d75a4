"""Suite-wide settings and fixtures."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def single_torch_thread():
    """The suite's tensors are small: one thread is as fast as two, and immune to the OpenMP
    spin-waits that make two threads crawl when the 2-core machine is shared (see the
    'Synthetic scenes' section of benchmarks/RESULTS.md)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def run_tool():
    """run_tool("tools/x.py", *args, check=True) runs a command-line tool of the repository as a
    user would (a fresh interpreter, from the repository root); returns the CompletedProcess
    with text stdout/stderr. With check=True a failure shows the tool's stderr."""

    def run(script: str, *args, check: bool = True, env: dict | None = None):
        completed = subprocess.run([sys.executable, str(REPO / script), *map(str, args)], cwd=REPO,
                                   capture_output=True, text=True, env=env)
        if check and completed.returncode != 0:
            raise AssertionError(f"{script} exited {completed.returncode}:\n{completed.stderr[-4000:]}")
        return completed

    return run
