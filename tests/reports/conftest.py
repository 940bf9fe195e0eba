"""Fixtures of the report tests: the hand-computed history of history.py."""

import pytest

from .history import build_history, make_history


@pytest.fixture
def make(project, member):
    """make(title, created, [(time, status name), …], **issue fields) → Issue."""
    return lambda *args, **fields: make_history(project, member, *args, **fields)


@pytest.fixture
def history(project, member):
    return build_history(project, member)
