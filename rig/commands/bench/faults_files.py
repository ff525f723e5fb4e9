"""File faults of `rig bench faults` (filled in below)."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["FILE_FAULTS"]

FILE_FAULTS: dict[str, Callable[..., list]] = {}
