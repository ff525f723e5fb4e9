"""`rig live`'s terminal UI (textual): the set, the cue, the tracks, and the keys.

The UI is a controller like any other: it talks OSC to the engine process through
an `EngineLink`, which never blocks, and redraws from the engine's status ten
times a second. It keeps no musical state of its own — the selected cue, section
and track and the quantize setting are only where the next key press points — so
a UI that is killed and started again (`rig live --attach`) shows the same show.

Keys come from `rig.config.KEY_ACTIONS`, overridden by config.yaml's `keys:`;
the footer lists them. Track selection is also on the digit keys 1-9: a track's
number is its slot in the whole set (`SetInfo.tracks`), so a key means the same
instrument in every cue.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

from rich.markup import escape as esc
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Digits, Footer, Static

from rig.control.link import EngineLink
from rig.control.protocol import Status
from rig.song.quantize import QUANTIZE
from rig.stage.session import Session
from rig.stage.ui.header import counter, header_lines, state_line
from rig.stage.ui.keep import offer_keep
from rig.stage.ui.keys import ACTION_LABELS, FOOTER_ACTIONS, key_map
from rig.stage.ui.messages import ERROR_SHOW_S, MessageLog, message_text
from rig.stage.ui.quit import ask_quit
from rig.stage.ui.screens import KeysScreen, LogScreen, QuitScreen, _shown_key
from rig.stage.ui.tables import CUE_COLUMNS, PICKED, TRACK_COLUMNS, cue_rows

__all__ = [
    "LiveApp",
    "ShowTable",
    "QuitScreen",
    "KeysScreen",
    "key_map",
    "ACTION_LABELS",
    "FOOTER_ACTIONS",
    "ERROR_SHOW_S",
]

NUDGE_BPM = 1.0
# A track's status word (rig.control.protocol) as the tracks table shows it.
_HEARD_ON = {"hw": "hardware", "stand-in": "stand-in", "voice": "software", "none": "—"}


class ShowTable(DataTable):
    """A display-only table: it never takes the focus, so the performer's keys (up,
    down, enter) reach the app's bindings. A focused DataTable kept them for its own
    cursor: the highlight moved to the chosen cue while the app still pointed at
    cue 1, and enter (the table's "select") never launched (issue 12, items 1-2)."""

    can_focus = False


class LiveApp(App[str]):
    """The live UI. `link` reaches the engine; `reloader` (optional) watches files."""

    TITLE = "rig live"
    ENABLE_COMMAND_PALETTE = False  # every key is the performer's
    AUTO_FOCUS = None  # no widget takes the keys: see ShowTable
    CSS = """
    #header { height: auto; max-height: 7; background: $boost; }
    #counter { width: auto; padding: 0 1; text-style: bold; }
    #header.count-in { background: $warning-darken-2; }
    #header.count-in.beat { background: $error; }
    #top { height: auto; padding: 0 1; }
    #message { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }
    #message.error { color: $error; text-style: bold; }
    #sections { height: 1; padding: 0 1; }
    #cue-pane { width: 2fr; }
    #cues { scrollbar-size-vertical: 1; }
    #track-pane { width: 3fr; }
    QuitScreen { align: center middle; }
    #quit-question { width: 78; height: auto; border: thick $warning; padding: 0 1; }
    KeysScreen { align: center middle; }
    KeepScreen { align: center middle; }
    #keep-question { width: 78; height: auto; border: thick $warning; padding: 0 1; }
    #keys-list { width: 76; height: auto; border: thick $accent; padding: 0 1; }
    LogScreen { align: center middle; }
    #log-lines { width: 100%; height: 100%; border: thick $accent; padding: 0 1; }
    """

    def __init__(
        self,
        link: EngineLink,
        *,
        keys: Mapping[str, str] | None = None,
        set_name: str = "",
        poll_s: float = 0.1,
        reloader: object | None = None,
        on_exit: Callable[[str], None] | None = None,
        session: Callable[[], Session | None] | None = None,
        now: Callable[[], float] = time.monotonic,
        set_path: Path | None = None,
        quantize: str = "bar",
    ):
        super().__init__()
        self.link = link
        self.keys = key_map(keys)
        self.set_name = set_name
        self.poll_s = poll_s
        self.reloader = reloader
        self.quantize = quantize
        self.set_path = set_path  # a set file: `w` keeps the live tweaks there
        self.selected_cue = 0
        self._cue_followed = False  # selected_cue starts at the engine's cue (_update_cues)
        self.selected_section = 0
        self._sections_of: tuple[int, tuple[str, ...]] | None = None
        self.selected_track = 0  # a set slot (SetInfo.tracks), not a row of this cue
        self.message = ""  # the UI's own message (reload results); errors override
        self.message_is_error = False
        self.reload_sent = ""  # the file of the message's hot reload: the status follows it
        self.toggle_sent: tuple[str, ...] = ()  # the message's mute/solo: (op, track, field)
        self._shown: dict[str, object] = {}
        self._ticks = 0
        self._on_exit = on_exit
        # The live host's session file (rig.stage.session), read once a second: it
        # says when the host restarts a dead engine, and where the new one listens.
        self._read_session = session
        self.said = MessageLog(now)  # every line the message row showed (the `l` view)
        self.session: Session | None = None
        self.restart_note = ""  # what the host last said about a restart

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        with Horizontal(id="header"):
            yield Digits("--.-", id="counter")
            yield Static("connecting to the engine…", id="top")
        with Horizontal():
            with Vertical(id="cue-pane"):
                yield ShowTable(id="cues", cursor_type="row", zebra_stripes=True)
            with Vertical(id="track-pane"):
                yield ShowTable(id="tracks", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sections")
        yield Static("", id="message", markup=False)  # file names, engine errors: as they are
        yield Footer()

    def on_mount(self) -> None:
        cues = self.query_one("#cues", DataTable)
        cues.add_columns(*CUE_COLUMNS)
        tracks = self.query_one("#tracks", DataTable)
        # One narrow column for mute and solo (M, S, MS): at 80 columns the queued
        # changes must stay readable (issue 12, item 8).
        tracks.add_columns(*TRACK_COLUMNS)
        for action, key in self.keys.items():
            self.bind(key, f"ui_{action}", description=ACTION_LABELS[action],
                      show=action in FOOTER_ACTIONS)  # fmt: skip
        for digit in range(1, 10):
            self.bind(str(digit), f"ui_track({digit - 1})", show=False)
        self.link.send("/rig/setlist")
        self.link.request()
        self.set_interval(self.poll_s, self.tick)
        if self.reloader is not None:
            self.run_worker(self._watch, thread=True, name="rig-reload-watch", exit_on_error=False)

    # -- the engine's state ----------------------------------------------------------------
    @property
    def status(self) -> Status | None:
        return self.link.status

    def tick(self) -> None:
        self.link.poll()
        self._ticks += 1
        if self._read_session is not None and self._ticks % max(1, round(1 / self.poll_s)) == 1:
            self._follow_session()
        if self.link.setlist is None or self._ticks % 20 == 0:
            self.link.send("/rig/setlist")
        self.refresh_view()
        self.link.request()

    def refresh_view(self) -> None:
        if len(self.screen_stack) > 1:
            # Another screen (the key list) is on top: the show's widgets are not the
            # active screen's, and querying them there fails; they refresh on return.
            return
        try:
            self._refresh_widgets()
        except NoMatches:
            pass  # a tick while the screen is being built or torn down: nothing to show on

    def _refresh_widgets(self) -> None:
        status = self.status
        top = self.query_one("#top", Static)
        message = self.query_one("#message", Static)
        self.query_one("#counter", Digits).update(counter(status))
        header = self.query_one("#header")
        counting = status is not None and status.state == "count-in"
        header.set_class(counting, "count-in")  # the flash: every other beat
        header.set_class(counting and status is not None and status.beat % 2 == 1, "beat")
        if status is None:
            top.update(state_line(self._header_state(None), None, ""))
        else:
            top.update(self._top_text(status))
            self._update_cues(status)
            self._update_tracks(status)
            self._update_sections(status)
        text, error = message_text(self, status)
        self.said.add(text, error)
        message.update(text)
        message.set_class(error, "error")

    def _header_state(self, s: Status | None) -> str:
        """The header's state: the engine's, or what the host and the link say of it."""
        session = self.session
        host_alive = session is not None and session.alive()
        if host_alive and session is not None and session.engine_state == "restarting":
            return "restarting"
        if self.link.engine_dead():
            return "restarting" if host_alive else "dead"
        return "connecting" if s is None else s.state

    def _top_text(self, s: Status) -> str:
        set_name = self.link.setlist.name if self.link.setlist and self.link.setlist.name else ""
        return header_lines(
            s,
            state=self._header_state(s),
            quantize=self.quantize,
            play_key=_shown_key(self.keys["play"]),
            set_name=set_name,
            continue_key=_shown_key(self.keys["continue"]),
        )

    def _follow_session(self) -> None:
        """Read the host's session: a restarted engine has a new port and pid."""
        assert self._read_session is not None
        session = self._read_session()
        if session is None:
            return
        if session.engine_pid and session.engine_pid != self.link.engine_pid:
            self.link.follow(session.port, session.engine_pid)
        if session.note and (self.session is None or session.note != self.session.note):
            self.restart_note = session.note
        self.session = session

    def _update_cues(self, s: Status) -> None:
        info = self.link.setlist
        names = list(info.cues) if info else [s.cue_name]
        hows = list(info.transitions) if info else [""]
        if not self._cue_followed:  # first look: the engine's cue (a kept one, an attach)
            self.selected_cue, self._cue_followed = s.cue, True
        self.selected_cue = min(self.selected_cue, max(0, len(names) - 1))
        width = self.query_one("#cue-pane").size.width
        self._fill("#cues", cue_rows(names, hows, s, width), self.selected_cue)

    def _track_rows(self, s: Status) -> list[tuple[int, str, str, str]]:
        """(slot, track, device, state) of the cue's tracks, in set-slot order: a
        track's number is its slot in the set, the same in every cue (issue 12, 9)."""
        roster = list(self.link.setlist.tracks) if self.link.setlist else []
        rows = []
        for name, device, state in s.track_list():
            if name not in roster:  # a status newer than the set list: number it after
                roster.append(name)
            rows.append((roster.index(name), name, device, state))
        return sorted(rows)

    def _update_tracks(self, s: Status) -> None:
        muted = set(filter(None, s.muted.split(",")))
        soloed = set(filter(None, s.soloed.split(",")))
        pending: dict[str, list[str]] = {}
        for op, track, bar in s.pending_list():
            pending.setdefault(track, []).append(f"{op}@{bar}")
        tracks = self._track_rows(s)
        slots = [slot for slot, *_ in tracks]
        cursor = slots.index(self.selected_track) if self.selected_track in slots else 0
        rows = []
        for slot, name, device, state in tracks:
            rows.append(
                (
                    f"{PICKED if slot == self.selected_track else ' '}{slot + 1}",
                    esc(name),
                    esc(device),
                    _HEARD_ON.get(state, state),
                    ("M" if name in muted else "") + ("S" if name in soloed else ""),
                    " ".join(pending.get(name, [])),
                )
            )
        self._fill("#tracks", rows, cursor)

    def _update_sections(self, s: Status) -> None:
        info = self.link.setlist
        sections = info.sections[s.cue] if info and s.cue < len(info.sections) else ()
        if sections and self._sections_of != (s.cue, sections):
            # A new cue (or the first look at one): the chooser starts at the section
            # that plays, not at section 1 (issue 12, item 10).
            self._sections_of = (s.cue, sections)
            if s.section in sections:
                self.selected_section = sections.index(s.section)
        self.selected_section = min(self.selected_section, max(0, len(sections) - 1))
        parts = []
        for i, name in enumerate(sections):
            text = f"[b]{esc(name)}[/b]" if name == s.section else esc(name)
            parts.append(f"[reverse]{text}[/reverse]" if i == self.selected_section else text)
        self.query_one("#sections", Static).update("sections: " + "  ".join(parts))

    def _fill(self, selector: str, rows: list[tuple], cursor: int) -> None:
        """Redraw a table only when its rows changed (no flicker, little work)."""
        key = (tuple(rows), cursor)
        if self._shown.get(selector) == key:
            return
        self._shown[selector] = key
        table = self.query_one(selector, DataTable)
        table.clear()
        for row in rows:
            table.add_row(*row)
        if rows:
            table.move_cursor(row=cursor)

    # -- actions (key bindings) -------------------------------------------------------------
    def _send(self, address: str, *args: object) -> None:
        self.message = ""
        self.restart_note = ""  # seen: the performer acts again
        self.link.errors.clear()
        self.link.send(address, *args)

    def action_ui_play(self) -> None:
        self._send("/rig/play")

    def action_ui_stop(self) -> None:
        self._send("/rig/stop")

    def action_ui_continue(self) -> None:
        self._send("/rig/continue")

    def action_ui_next(self) -> None:
        self._send("/rig/next", self.quantize)

    def action_ui_launch(self) -> None:
        self._send("/rig/launch", self.selected_cue, self.quantize)

    def action_ui_cue_up(self) -> None:
        self.selected_cue = max(0, self.selected_cue - 1)
        self.refresh_view()

    def action_ui_cue_down(self) -> None:
        count = len(self.link.setlist.cues) if self.link.setlist else 1
        self.selected_cue = min(count - 1, self.selected_cue + 1)
        self.refresh_view()

    def action_ui_cancel(self) -> None:
        self._send("/rig/cancel")

    def action_ui_section(self) -> None:
        self._send("/rig/section", self.selected_section, self.quantize)

    def action_ui_section_prev(self) -> None:
        self.selected_section = max(0, self.selected_section - 1)
        self.refresh_view()

    def action_ui_section_next(self) -> None:
        self.selected_section += 1
        self.refresh_view()

    def action_ui_track(self, slot: int) -> None:
        """Digit keys: the track in that set slot (the same instrument in every cue)."""
        self.selected_track = slot
        self._say_track()

    def _say_track(self) -> None:
        """What a track key chose, on the message row (and ▸ in the table): the number
        alone said nothing, and muted the wrong instrument (issue 12)."""
        rows = self._track_rows(self.status) if self.status else []
        row = next((r for r in rows if r[0] == self.selected_track), None)
        if row is None:
            self._absent()
            return
        _, name, device, state = row
        mute, solo = _shown_key(self.keys["mute"]), _shown_key(self.keys["solo"])
        heard = _HEARD_ON.get(state, state)
        self._say(f"track {self.selected_track + 1}: {name} ({device}, {heard}) · "
                  f"{mute} mutes · {solo} solos")  # fmt: skip

    def _step_track(self, step: int) -> None:
        slots = [slot for slot, *_ in self._track_rows(self.status)] if self.status else []
        if not slots:
            return
        here = slots.index(self.selected_track) if self.selected_track in slots else 0
        self.selected_track = slots[max(0, min(len(slots) - 1, here + step))]
        self._say_track()

    def action_ui_track_prev(self) -> None:
        self._step_track(-1)

    def action_ui_track_next(self) -> None:
        self._step_track(1)

    def _track(self) -> str | None:
        """The selected track's name: the one in the selected set slot, if this cue has it."""
        rows = self._track_rows(self.status) if self.status else []
        return next((name for slot, name, *_ in rows if slot == self.selected_track), None)

    def _absent(self) -> None:
        """Mute/solo with a slot this cue does not have: say so, touch nothing."""
        self._say(f"track {self.selected_track + 1} does not play in this cue")

    def action_ui_mute(self) -> None:
        self._toggle("mute", "muted")

    def action_ui_solo(self) -> None:
        self._toggle("solo", "soloed")

    def _toggle(self, verb: str, field: str) -> None:
        """Mute or solo the chosen track, or take it back; the message row says which
        and when (an engine error answering it shows over it: rig.stage.ui.messages)."""
        track = self._track()
        if track is None:
            self._absent()
        elif self.status is not None:
            op = f"un{verb}" if track in getattr(self.status, field).split(",") else verb
            self._send(f"/rig/{op}", track, self.quantize)
            when = "now" if self.quantize == "now" else f"at the next {self.quantize}"
            self._say(f"{op} {track} {when}")
            self.toggle_sent = (op, track, field)  # the message follows it (messages.py)

    def action_ui_quantize(self) -> None:
        self.quantize = QUANTIZE[(QUANTIZE.index(self.quantize) + 1) % len(QUANTIZE)]
        self.refresh_view()

    def action_ui_nudge_up(self) -> None:
        self._send("/rig/nudge", NUDGE_BPM)

    def action_ui_nudge_down(self) -> None:
        self._send("/rig/nudge", -NUDGE_BPM)

    def action_ui_tap(self) -> None:
        self._send("/rig/tap")

    def action_ui_fill(self) -> None:
        """The live fill control for one bar, from the next boundary."""
        self._send("/rig/fill", 1, self.quantize)

    def action_ui_panic(self) -> None:
        self._send("/rig/panic")
        self.message = "panic: note-offs sent for everything that sounded"
        self.message_is_error = False

    def action_ui_keep(self) -> None:
        """Show the live tweaks as the set file's `live:` block; write it on `y`."""
        offer_keep(self)

    def _say(self, text: str, error: bool = False) -> None:
        """The UI's own message. It replaces an engine restart's note: that note is
        news until something newer happens, and it must not hide a reload's
        `file:line:col` error or the answer to a key."""
        self.message = text
        self.message_is_error = error
        self.reload_sent = ""
        self.toggle_sent = ()
        self.restart_note = ""
        self.link.errors.clear()  # seen, or older than this: an error from now on is news
        self.refresh_view()

    def action_ui_keys(self) -> None:
        self.push_screen(KeysScreen(self.keys))

    def action_ui_log(self) -> None:
        """Every line the message row showed, in full (a long one is cut there)."""
        self.push_screen(LogScreen(list(self.said.lines)))

    def action_ui_quit(self) -> None:
        """Quit; asks first while playing or with live tweaks the set file lacks."""
        ask_quit(self)

    # -- hot reload -------------------------------------------------------------------------
    def _watch(self) -> None:
        """Worker thread: the reloader watches files and reports each outcome here."""
        reloader = self.reloader
        assert reloader is not None
        # The file the round sent, read in this thread right after the round: the status
        # then says when the engine took it (rig.stage.ui.messages.reload_text).
        reloader.watch(  # type: ignore[attr-defined]
            lambda text, error: self.call_from_thread(
                self.show_reload, text, error, getattr(reloader, "sent", "")
            )
        )

    def on_unmount(self) -> None:
        if self.reloader is not None:
            self.reloader.stop()  # type: ignore[attr-defined]

    def show_reload(self, text: str, error: bool, sent: str = "") -> None:
        if not error:
            self.link.send("/rig/setlist")
        self._say(text, error)
        self.reload_sent = sent
