"""Shared test settings: deterministic, quiet, two threads (the CI machine has two cores)."""

import os

import pytest
import torch

os.environ.setdefault("TQDM_DISABLE", "1")
torch.set_num_threads(2)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(autouse=True)
def _same_working_directory():
    """A test that leaves the process in another folder breaks every later relative path (the archive,
    ``data/``): fail that test, and put the folder back for the others."""
    before = os.getcwd()
    yield
    after = os.getcwd()
    if after != before:
        os.chdir(before)
        pytest.fail(f"the test left the working directory at {after} (was {before})")
