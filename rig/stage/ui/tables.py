"""The rows of the live UI's two tables, fitted to the width they get.

At 80x24 the cue pane is 32 columns: "Young and Restless" and the "then" column
("bar", "wait": how the next cue follows) did not both fit, and the table cut the
last column to "ba" (issue 12). The cue names give way instead, with an ellipsis;
the mark (▶ playing, ⏭ queued) shares the number's column. In the tracks table the
chosen track carries a ▸, so a digit key shows what it chose on any terminal, with
or without colours.
"""

from __future__ import annotations

from rich.markup import escape as esc

from rig.control.protocol import Status

__all__ = ["cue_rows", "fit", "CUE_COLUMNS", "TRACK_COLUMNS", "PICKED"]

CUE_COLUMNS = ("#", "cue", "then")
TRACK_COLUMNS = ("#", "track", "device", "plays on", "m/s", "queued")
PICKED = "▸"  # the chosen track's mark
_CELL_PAD = 2  # a DataTable cell: one column of padding each side
_SCROLLBAR = 1  # the vertical scrollbar (#cues in app.py's CSS), when cues outnumber rows


def fit(text: str, width: int) -> str:
    """`text` cut to `width` columns with an ellipsis (whole when it fits, or width < 2)."""
    if width < 2 or len(text) <= width:
        return text
    return text[: width - 1].rstrip() + "…"


def cue_rows(
    names: list[str], hows: list[str], s: Status, width: int
) -> list[tuple[str, str, str]]:
    """(mark and number, name, then) per cue; the names cut to leave the "then" column
    whole in a pane `width` columns wide (0: not laid out yet, nothing cut)."""
    number_w = 1 + len(str(len(names)))
    then_w = max([len(CUE_COLUMNS[2]), *(len(h) for h in hows)])
    name_w = width - (number_w + _CELL_PAD) - (then_w + _CELL_PAD) - _CELL_PAD - _SCROLLBAR
    rows = []
    for i, name in enumerate(names):
        queued = i == s.queued_cue and s.queued_kind == "cue"
        mark = "▶" if i == s.cue else "⏭" if queued else " "
        shown = fit(name, name_w) if width > 0 else name
        rows.append((f"{mark}{i + 1}", esc(shown), hows[i] if i < len(hows) else ""))
    return rows
