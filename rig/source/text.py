"""Text from files made safe to print on a terminal.

A cue, track or section name is whatever the song file says; printed raw, an
escape sequence in it could clear, recolour or retitle the performer's terminal
in the middle of a show. `printable` shows control characters as escapes
(``\\x1b``, ``\\n``), and the bidirectional overrides that reorder what a line
seems to say as ``\\u202e``; every other character, emoji and CJK included, is
kept as written.
"""

from __future__ import annotations

import re

__all__ = ["printable"]

# C0 controls, DEL, C1 controls, and the bidi embedding/override/isolate marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(m: re.Match[str]) -> str:
    char = m.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character escaped; unchanged when there is none."""
    return _UNSAFE.sub(_escape, text)
