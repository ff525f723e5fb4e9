"""Fixtures for the song tests: one Project (config.yaml + device files) per session."""

from __future__ import annotations

import pytest

from rig.project import Project

from .util import CONFIG


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.load(CONFIG)
