"""config.yaml's `count_in:` — one bar (or more) before `p` starts a cue.

    count_in:
      bars: 1          # bars of count-in before the downbeat; 0 (the default): none
      click: rytm      # a device that plays the click: its hardware, or its stand-in
                       # voice when the hardware is not there; omit: the flash only
      channel: 10      # the click's MIDI channel (1-16)
      note: 37         # the click's note; the first beat of each bar is accented

While it counts, the live header shows COUNT-IN with the beats counting down in
its big digits, on a flashing background: a visual count even with no click. The
count-in plays before `p` (play from the top, and a launch while stopped), not
before a continue or a launch while playing (those land on the running grid), nor
when the live host resumes the show on an engine it restarted (`/rig/resume`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.source import Node, Problems
from rig.source.fields import MapReader, as_int, as_str

__all__ = ["CountIn", "count_in_config"]

_KEYS = ("bars", "click", "channel", "note")


@dataclass(frozen=True)
class CountIn:
    bars: int = 0  # 0: no count-in
    click: str = ""  # device id of the click ("": flash only)
    channel: int = 9  # 0-based (config.yaml writes 1-16)
    note: int = 37


def count_in_config(node: Node, problems: Problems) -> CountIn:
    """Validate `count_in:`; every problem goes to `problems` with its file:line:col."""
    r = MapReader(node, problems, "count_in", _KEYS)
    bars, click, channel, note = 1, "", 9, 37
    if (sub := r.get("bars")) is not None:
        bars = as_int(sub, problems, "count_in: bars", 0, 8) or 0
    if (sub := r.get("click")) is not None:
        click = as_str(sub, problems, "count_in: click") or ""
    if (sub := r.get("channel")) is not None:
        channel = (as_int(sub, problems, "count_in: channel", 1, 16) or 10) - 1
    if (sub := r.get("note")) is not None:
        note = as_int(sub, problems, "count_in: note", 0, 127) or note
    r.finish()
    return CountIn(bars, click, channel, note)
