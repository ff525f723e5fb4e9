"""Find a port by the name pattern config.yaml gives, never by index.

A replugged interface that comes back as port 3 instead of port 1 is still found.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rig.source.limits import regex_problem

__all__ = ["match_port", "port_regex"]


def match_port(pattern: str, names: Sequence[str]) -> str | None:
    """The port name in `names` that `pattern` picks, or None.

    Case-insensitive substring (``"virus"`` finds ``"a2j:Virus TI [20] (playback)"``);
    a pattern written ``/.../`` is a case-insensitive regular expression (re.search).
    An exact (case-insensitive) name wins over a substring match; otherwise the first
    match in `names` order. Raises ValueError for a bad regular expression (load_config
    reports those with their position, so a loaded config never has one).
    """
    regex = port_regex(pattern)
    if regex is not None:
        return next((name for name in names if regex.search(name)), None)
    wanted = pattern.casefold()
    for name in names:
        if name.casefold() == wanted:
            return name
    return next((name for name in names if wanted in name.casefold()), None)


def port_regex(pattern: str) -> re.Pattern[str] | None:
    """The regular expression a ``/.../`` pattern stands for; None for a plain name."""
    if len(pattern) >= 2 and pattern.startswith("/") and pattern.endswith("/"):
        # Port patterns come from a file: one that could backtrack for hours (ReDoS) is
        # refused when the config is read, before any port name meets it.
        if (problem := regex_problem(pattern[1:-1])) is not None:
            raise ValueError(f"regular expression {pattern} {problem}")
        try:
            return re.compile(pattern[1:-1], re.IGNORECASE)
        except re.error as exc:
            raise ValueError(f"bad regular expression {pattern}: {exc}") from None
    return None
