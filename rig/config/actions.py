"""The live actions, once: every surface's list is derived from `LIVE_ACTIONS`.

A performer's action reaches the engine from four surfaces — a key in `rig live`, a
MIDI controller's note or CC, an OSC message, and the `?` list and README that say
what each does. They used to be five lists that drifted apart. Here each action is
one row: its name (config.yaml's `keys:` and `controller:` use it), its default
key, its short footer label, the OSC address it sends, whether a controller may map
it (and the argument that needs), and one line of what it does. From the table:

- `rig.config.controls.KEY_ACTIONS` (the keys, config.yaml's `keys:`),
  `CONTROLLER_ACTIONS` (the controller's actions and their arguments);
- `rig.stage.ui.keys.ACTION_LABELS`, `FOOTER_ACTIONS` and the `?` list;
- README's table of live actions (`markdown_table()`; tests/test_docs.py checks
  README holds exactly that table).

The OSC addresses' argument types stay the wire contract in
`rig.control.protocol.ADDRESSES` (it also has the plumbing — status, set list,
reload, voices, sync — that is no performer's action); tests check every address
named here is there. Adding an action is one row here (and its handler).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["LiveAction", "LIVE_ACTIONS", "markdown_table", "shown_key"]


@dataclass(frozen=True)
class LiveAction:
    """One live action and where it can be triggered from."""

    name: str
    says: str  # what it does, one line (the `?` list, README)
    key: str | None = None  # default key in `rig live` (textual key name), None: no key
    label: str = ""  # the footer's word for it (short)
    footer: bool = False  # shown in the footer (80 columns hold about nine)
    osc: str | None = None  # the OSC address it sends
    controller: bool = False  # a MIDI controller may map it
    needs: str | None = None  # the controller mapping's argument (cue, section, track, bpm)


_A = LiveAction
LIVE_ACTIONS: tuple[LiveAction, ...] = (
    _A("play", "play the chosen cue from bar 1", "p", "play", True, "/rig/play", True),
    _A("stop", "note-offs for what sounds, then Stop", "s", "stop", True, "/rig/stop", True),
    _A("continue", "resume where stopped", "c", "continue", False, "/rig/continue", True),
    _A("next", "launch the next cue of the set", "n", "next", True, "/rig/next", True),
    _A("launch", "launch the chosen cue", "enter", "launch", True, "/rig/launch", True, "cue"),
    _A("cue_up", "choose the cue above", "up", "cue ↑"),
    _A("cue_down", "choose the cue below", "down", "cue ↓"),
    _A(
        "cancel",
        "cancel the queued launch, jump or reload",
        "x",
        "cancel",
        True,
        "/rig/cancel",
        True,
    ),  # fmt: skip
    _A(
        "section", "jump to the chosen section", "j", "jump", False, "/rig/section", True, "section"
    ),  # fmt: skip
    _A("section_prev", "choose the section to the left", "left_square_bracket", "section ←"),
    _A("section_next", "choose the section to the right", "right_square_bracket", "section →"),
    _A("track_prev", "choose the track to the left", "left", "track ←"),
    _A("track_next", "choose the track to the right", "right", "track →"),
    _A("mute", "mute / unmute the chosen track", "m", "mute", True, "/rig/mute", True, "track"),
    _A("unmute", "unmute a track", None, "", False, "/rig/unmute", True, "track"),
    _A("toggle_mute", "mute a track, or unmute it", None, "", False, "/rig/mute", True, "track"),
    _A("solo", "solo / unsolo the chosen track", "o", "solo", False, "/rig/solo", True, "track"),
    _A("unsolo", "unsolo a track", None, "", False, "/rig/unsolo", True, "track"),
    _A("toggle_solo", "solo a track, or unsolo it", None, "", False, "/rig/solo", True, "track"),
    _A("quantize", "cycle the quantize: now, beat, bar, section, cue", "g", "quantize"),
    _A("nudge_up", "tempo +1 BPM", "plus", "tempo +", False, "/rig/nudge"),
    _A("nudge_down", "tempo −1 BPM", "minus", "tempo −", False, "/rig/nudge"),
    _A("nudge", "tempo up or down by `bpm`", None, "", False, "/rig/nudge", True, "bpm"),
    _A("tap", "tap tempo", "t", "tap", False, "/rig/tap", True),
    _A(
        "fill",
        "fill ({fill} on): the key one bar; a pad while held, or `bars:` bars",
        "f",
        "fill",
        False,
        "/rig/fill",
        True,
        "bars",
    ),  # fmt: skip
    _A(
        "panic",
        "explicit note-offs for everything, now",
        "exclamation_mark",
        "panic",
        True,
        "/rig/panic",
        True,
    ),  # fmt: skip
    _A("keep", "keep the live tweaks in the set file (shows them, asks first)", "w", "keep"),
    _A("keys", "list every key", "question_mark", "keys", True),
    _A("log", "every message in full (a long one is cut on the message row)", "l", "log"),
    _A("quit", "quit (asks while playing, or to write back live tweaks)", "q", "quit", True,
       "/rig/quit"),  # fmt: skip
)
del _A

# Key names as a performer reads them (README; the UI uses textual's own names).
_SHOWN = {
    "enter": "Enter",
    "up": "↑",
    "down": "↓",
    "left": "←",
    "right": "→",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "plus": "+",
    "minus": "-",
    "exclamation_mark": "!",
    "question_mark": "?",
    "space": "Space",
}


def shown_key(key: str) -> str:
    """A textual key name as README shows it: left_square_bracket → [."""
    return _SHOWN.get(key, key)


def markdown_table() -> str:
    """README's table of live actions (tests/test_docs.py: README holds exactly this)."""
    lines = [
        "| action | key | controller | OSC | what it does |",
        "|---|---|---|---|---|",
    ]
    for a in LIVE_ACTIONS:
        key = f"`{shown_key(a.key)}`" if a.key else ""
        controller = ("yes, `" + a.needs + ":`" if a.needs else "yes") if a.controller else ""
        osc = f"`{a.osc}`" if a.osc else ""
        lines.append(f"| `{a.name}` | {key} | {controller} | {osc} | {a.says} |")
    lines.append("| choose track | `1`–`9` | | | the track in that slot of the set |")
    return "\n".join(lines)
