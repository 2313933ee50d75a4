"""Suite-wide settings."""
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
