"""The bounds that keep every input's cost finite: one place for each limit.

A song file is hand-written, but it may also be a stranger's file, a corrupted
copy or a deliberate bomb. Every stage checks the limit that bounds its own work
and reports a positioned error naming the limit, so `rig check` answers in
bounded time and memory for any input:

- reading: `MAX_SOURCE_BYTES` per file (a 20 000-bar song is ~2 MiB);
- the YAML tree: `MAX_DEPTH` levels of nesting, `MAX_NODES` values after alias
  expansion (the "billion laughs" bomb), `MAX_DIGITS` digits in a number (Python
  refuses to convert more than 4 300);
- the compiled song: `MAX_EVENTS` notes and CC values (estimated before they are
  made, so steps at 1/7680 over 9 999 bars are refused without building them);
- config: `MAX_PORT_PATTERN` characters in a port pattern, and no nested
  repetition in a ``/regex/`` pattern (see `regex_problem`).
"""

from __future__ import annotations

import re

try:  # the parser of the `re` module, public name since Python 3.11 (`sre_parse` before)
    from re import _parser as _sre  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _sre  # type: ignore[no-redef]

__all__ = [
    "MAX_SOURCE_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_DIGITS",
    "MAX_EVENTS",
    "MAX_PORT_PATTERN",
    "regex_problem",
]

MAX_SOURCE_BYTES = 16 << 20  # 16 MiB: eight times the largest song we measured (20 000 bars)
MAX_DEPTH = 64  # rig's own files nest 5 deep; 64 is far from Python's recursion limit
MAX_NODES = 2_000_000  # values in one file after aliases are expanded (~600 MiB of nodes)
MAX_DIGITS = 100  # digits in an integer; no rig value needs more than 10
MAX_EVENTS = 5_000_000  # notes + CC values in one compiled song (~1 GiB of events)
MAX_PORT_PATTERN = 200  # characters in a port name pattern (JACK names are <= 320 bytes)

_REPEATS = {_sre.MAX_REPEAT, _sre.MIN_REPEAT, getattr(_sre, "POSSESSIVE_REPEAT", None)}
_REPEATS.discard(None)


def regex_problem(pattern: str) -> str | None:
    """Why `pattern` may take exponential time to match, or None when it is safe.

    Backtracking regular expressions blow up on nested repetition (``(a+)+``),
    repeated alternatives that can match the same text (``(a|a)*``) and
    backreferences; a port pattern needs none of these. Refusing them (star
    height 1, alternatives outside repeats, no backreferences) bounds a match to
    polynomial work on a port name of at most a few hundred characters.
    """
    if len(pattern) > MAX_PORT_PATTERN:
        return f"longer than {MAX_PORT_PATTERN} characters (the limit)"
    try:
        parsed = _sre.parse(pattern, re.IGNORECASE)
    except re.error:
        return None  # not a regular expression at all: re.compile says where
    except (RecursionError, OverflowError, MemoryError):
        return "is too deeply nested to check"
    return _walk(list(parsed), inside_repeat=False)


def _walk(items: list, inside_repeat: bool) -> str | None:
    for op, arg in items:
        if op in (_sre.GROUPREF, getattr(_sre, "GROUPREF_EXISTS", None)):
            return "uses a backreference (not allowed: matching could take exponential time)"
        if op in _REPEATS:
            low, high, body = arg
            unbounded = high is _sre.MAXREPEAT or high > 1
            if inside_repeat and unbounded:
                return "nests one repetition inside another (not allowed: exponential matching)"
            found = _walk(list(body), inside_repeat or unbounded)
            if found:
                return found
        elif op is _sre.BRANCH:
            if inside_repeat:
                return "repeats a choice of alternatives (not allowed: exponential matching)"
            for branch in arg[1]:
                if found := _walk(list(branch), inside_repeat):
                    return found
        elif op is _sre.SUBPATTERN:
            if found := _walk(list(arg[-1]), inside_repeat):
                return found
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            if found := _walk(list(arg[1]), inside_repeat):
                return found
    return None
