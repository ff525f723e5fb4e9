"""Fixtures for the score tests: one Project, and each cue compiled once per session."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from rig.project import Project
from rig.song.arrangement import Arrangement

from .score import CONFIG, SONGS


@pytest.fixture(scope="session")
def project() -> Project:
    return Project.load(CONFIG)


@pytest.fixture(scope="session")
def cue(project: Project) -> Callable[[str], Arrangement]:
    """`cue("inferno")` → the compiled arrangement of songs/inferno.yaml (cached)."""
    cache: dict[str, Arrangement] = {}

    def get(stem: str) -> Arrangement:
        if stem not in cache:
            cache[stem] = project.arrangement(SONGS / f"{stem}.yaml")
        return cache[stem]

    return get
