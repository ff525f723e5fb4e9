"""Live tweaks kept for the next show: a set file's `live:` block.

`rig live` can keep what the performer changed during a show — the chosen cue, the
quantize, the mutes and solos, a tempo set by hand — in the set file, as YAML the
performer can read and edit; never silently: the UI shows the block and writes
only on a confirming key (`w`, then `y`). The next `rig live` of the set starts
with them:

    live:                 # kept from rig live (w): the next show starts with these
      cue: 3              # the chosen cue (from 1)
      quantize: bar       # the UI's quantize
      mute: [bass]        # muted tracks (set-wide names)
      solo: []
      tempo: {3: 121.5}   # cue number: BPM set by hand (tap, nudge)

The block is always the last top-level key of the file; writing replaces an old
one there (and everything before it stays byte for byte: comments and layout
too), atomically (`rig.song.setlist.write_kept`), and the result is read back
as a set before it replaces the file — a block that would not load is never
written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from rig.song.quantize import QUANTIZE
from rig.source import Node, Problems, suggest
from rig.source.fields import MapReader, as_int, as_list, as_map, as_number, as_str

__all__ = ["Kept", "read_kept", "kept_yaml", "KEY"]

KEY = "live"
_KEYS = ("cue", "quantize", "mute", "solo", "tempo")


@dataclass(frozen=True)
class Kept:
    """What a show kept: indexes are 0-based here (the file counts cues from 1)."""

    cue: int | None = None
    quantize: str | None = None
    mute: tuple[str, ...] = ()
    solo: tuple[str, ...] = ()
    tempo: Mapping[int, float] = field(default_factory=dict)


def read_kept(node: Node, problems: Problems, cues: int) -> Kept:
    """Check a set's `live:` block (`cues`: how many the set has)."""
    r = MapReader(node, problems, KEY, _KEYS)
    cue = quantize = None
    if (n := r.get("cue")) is not None and (i := as_int(n, problems, "live: cue", 1, cues)):
        cue = i - 1
    if (n := r.get("quantize")) is not None and (q := as_str(n, problems, "live: quantize")):
        if q in QUANTIZE:
            quantize = q
        else:
            problems.add(n.pos, f"live: quantize: unknown '{q}'{suggest(q, QUANTIZE)}")
    names: dict[str, tuple[str, ...]] = {}
    for key in ("mute", "solo"):
        if (n := r.get(key)) is not None:
            items = as_list(n, problems, f"live: {key}") or []
            names[key] = tuple(t for i in items if (t := as_str(i, problems, f"live: {key}")))
    tempo: dict[int, float] = {}
    if (n := r.get("tempo")) is not None:
        for k, v in (as_map(n, problems, "live: tempo") or {}).items():
            number = int(k) if str(k).isdigit() else 0
            if not 1 <= number <= cues:
                problems.add(v.pos, f"live: tempo: no cue {k} (the set has {cues})")
                continue
            if (bpm := as_number(v, problems, f"live: tempo: {k}", 1, 999)) is not None:
                tempo[number - 1] = float(bpm)
    r.finish()
    return Kept(cue, quantize, names.get("mute", ()), names.get("solo", ()), tempo)


def _names(names: Iterable[str]) -> str:
    return "[" + ", ".join(_scalar(n) for n in names) + "]"


def _scalar(text: str) -> str:
    """A YAML scalar for a name: plain when that reads back the same, else quoted."""
    plain = text.replace("_", "").replace("-", "").replace(" ", "").isalnum()
    if plain and text.strip() == text and not text[0].isdigit():
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kept_yaml(kept: Kept) -> str:
    """The `live:` block for `kept`, as the file gets it (cue numbers from 1)."""
    lines = [f"{KEY}:  # kept from rig live (w): the next show of this set starts with these"]
    if kept.cue is not None:
        lines.append(f"  cue: {kept.cue + 1}")
    if kept.quantize is not None:
        lines.append(f"  quantize: {kept.quantize}")
    lines.append(f"  mute: {_names(kept.mute)}")
    lines.append(f"  solo: {_names(kept.solo)}")
    if kept.tempo:
        pairs = ", ".join(f"{i + 1}: {bpm:g}" for i, bpm in sorted(kept.tempo.items()))
        lines.append(f"  tempo: {{{pairs}}}")
    return "\n".join(lines) + "\n"
