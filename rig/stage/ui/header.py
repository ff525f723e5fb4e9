"""The live UI's header: what a performer reads from two metres away.

Left, the bar and beat in big digits (textual's `Digits`); right, five short lines:

1. the state, in capitals, with what to do about it: PLAYING · COUNT-IN (the big
   digits count the beats, the header flashes on each) · STOPPED — press p to
   play (stopped mid-cue: c continues where it stopped) · WAITING FOR LAUNCH —
   press p to start X · SET ENDED · ENGINE RESTARTING — the music resumes at the
   next bar · ENGINE DEAD · CONNECTING; then the fill control when it is used:
   FILL until bar N (or held) while it plays, "fill from bar N" while it waits;
2. the cue (n/m and its name), the section, the tempo;
3. elapsed and remaining time of the cue and of the set (`−` marks remaining);
4. what comes next: a queued launch or jump and its bar, the next cue of the set
   "in N bars" and how it follows on, or "waits for p";
5. the quantize, and the two health counters with what they mean when they are not
   zero: `late` (messages that left after their time) and `xruns` (JACK cycles the
   machine missed: sound and MIDI of those cycles may be lost);

and a sync line when another clock leads (red when it does not hold). Every line
is at most ~62 columns, so it fits beside the digits at 80x24.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.markup import escape as esc
from rich.text import Text

from rig.control.protocol import Status
from rig.stage.ui.tables import fit

__all__ = ["counter", "header_lines", "state_line", "clock_time", "fill_word"]

# A header state → (its word, the hint after it); "{play}" is the play key, "{cue}" the cue.
STATES: dict[str, tuple[str, str]] = {
    "playing": ("PLAYING", ""),
    "count-in": ("COUNT-IN", "beat {beat}: {cue} starts on the next downbeat"),
    "stopped": ("STOPPED", "press {play} to play {cue}"),
    "waiting": ("WAITING FOR LAUNCH", "press {play} to start {cue}"),
    "ended": ("SET ENDED", "press {play} to play {cue} again"),
    "restarting": ("ENGINE RESTARTING", "the music resumes at the next bar"),
    "dead": ("ENGINE DEAD", "nothing plays: start rig live again"),
    "connecting": ("CONNECTING", "waiting for the engine…"),
}
# The text beside the big counter at 80 columns (a 3-digit bar leaves ~66): a long cue or
# section name is cut with … so the tempo and "c continues at" stay on their line (trial 25:
# at 80x24 "120.0 BPM" was cut to "120.0 B" and the STOPPED line wrapped into the next).
HEADER_COLUMNS = 62
_MIN_NAME = 8


def _named(make: Callable[[str], str], name: str) -> str:
    """`make(name)`, the (escaped) name cut with … so the line's text fits HEADER_COLUMNS."""
    fixed = len(Text.from_markup(make("")).plain)
    return make(esc(fit(name, max(_MIN_NAME, HEADER_COLUMNS - fixed))))


def counter(s: Status | None) -> str:
    """The big counter: bar.beat ("--.-" before the engine answers); counting in,
    the beat of the count alone."""
    if s is None:
        return "--.-"
    return str(s.beat) if s.state == "count-in" else f"{s.bar}.{s.beat}"


def clock_time(seconds: float) -> str:
    """m:ss (h:mm:ss from an hour on)."""
    whole = max(0, round(seconds))
    h, rest = divmod(whole, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02}:{sec:02}" if h else f"{m}:{sec:02}"


def state_line(state: str, s: Status | None, play_key: str, continue_key: str = "") -> str:
    """Line 1: the state word, bold, and its hint. Stopped inside a cue, the hint says
    both ways on: the play key starts the cue from bar 1, the continue key where it
    stopped (a performer who stopped mid-cue rarely wants the top)."""
    word, template = STATES.get(state, (state.upper(), ""))
    cue = s.cue_name if s is not None else ""
    if state == "waiting" and s is not None and s.next_name:
        cue = s.next_name
    beat = s.beat if s is not None else 0
    more = ""
    if state == "stopped" and continue_key and s is not None and (s.bar, s.beat) > (1, 1):
        more = f" from bar 1 · {esc(continue_key)} continues at {s.bar}.{s.beat}"

    def line(name: str) -> str:
        hint = template.format(play=esc(play_key), cue=f"[b]{name}[/b]", beat=beat) + more
        return f"[b reverse] {word} [/b reverse]" + (f" {hint}" if hint else "")

    return _named(line, cue)


def fill_word(s: Status) -> str:
    """The fill control, after the state word: on (until which bar, or held) or queued
    (from which bar); `f` showed nothing while a fill waited or played (issue 12)."""
    if s.fill == "on":
        until = f"until bar {s.fill_bar}" if s.fill_bar else "held"
        return f"  [b reverse yellow] FILL [/b reverse yellow] {until}"
    if s.fill == "queued":
        return f"  [b yellow]fill[/b yellow] from bar {s.fill_bar}"
    return ""


def _next_line(s: Status) -> str:
    if s.queued_cue >= 0:  # a queued launch, jump or reload
        what = {"cue": "launch", "section": "jump to", "reload": "new version of"}.get(
            s.queued_kind, s.queued_kind
        )
        bars = max(0, s.queued_bar - s.bar)
        return _named(
            lambda n: f"⏭ {what} [b]{n}[/b] at bar {s.queued_bar} (in {bars})", s.queued_name
        )
    if s.state == "waiting" or not s.next_name:
        return "next: —  (last cue of the set)" if not s.next_name else ""
    if s.next_bars < 0:
        return _named(lambda n: f"next: [b]{n}[/b] — waits for the launch key", s.next_name)
    if s.state != "playing":
        return _named(lambda n: f"next: [b]{n}[/b] after this cue ({s.next_how})", s.next_name)
    count = "bar" if s.next_bars == 1 else "bars"
    return _named(
        lambda n: f"next: [b]{n}[/b] in [b]{s.next_bars}[/b] {count} ({s.next_how})", s.next_name
    )


def _health_line(s: Status, quantize: str) -> str:
    line = f"quantize [b]{quantize}[/b]  late {s.late}  xruns {s.xruns}"
    # One short line: beside the big counter at a 3-digit bar, 80 columns leave ~60.
    if s.late and s.xruns:
        meaning = "late, xruns: the machine stalls, sound/MIDI may drop"
    elif s.late:
        meaning = "late: sent after their time"
    elif s.xruns:
        meaning = "xrun: JACK missed a cycle, sound/MIDI may drop"
    else:
        return line
    return f"{line}\n[yellow]{meaning}[/yellow]"


def header_lines(
    s: Status,
    *,
    state: str,
    quantize: str,
    play_key: str,
    set_name: str = "",
    continue_key: str = "",
) -> str:
    """The header's text (rich markup) beside the big counter."""
    section = f"  section [b]{esc(fit(s.section, 16))}[/b]" if s.section else ""
    where = _named(
        lambda n: f"cue {s.cue + 1}/{s.cues} [b]{n}[/b]{section}  [b]{s.bpm:.1f}[/b] BPM",
        s.cue_name,
    )
    times = (
        f"cue {clock_time(s.cue_elapsed_s)} −{clock_time(s.cue_remaining_s)}"
        f"   set{' ' + esc(fit(set_name, 20)) if set_name else ''}"
        f" {clock_time(s.set_elapsed_s)} −{clock_time(s.set_remaining_s)}"
    )
    lines = [
        state_line(state, s, play_key, continue_key) + fill_word(s),
        where,
        times,
        _next_line(s),
        _health_line(s, quantize),
    ]
    sync = s.sync()
    if sync.source != "internal":  # does sync hold? at a glance
        text = esc(sync.line())
        lines.append(f"[b red]{text}[/b red]" if sync.lost or sync.error else text)
    return "\n".join(lines)
