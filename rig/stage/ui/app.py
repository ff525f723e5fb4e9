"""`rig live`'s terminal UI (textual): the set, the cue, the tracks, and the keys.

The UI is a controller like any other: it talks OSC to the engine process through
an `EngineLink`, which never blocks, and redraws from the engine's status ten
times a second. It keeps no musical state of its own — the selected cue, section
and track and the quantize setting are only where the next key press points — so
a UI that is killed and started again (`rig live --attach`) shows the same show.

Keys come from `rig.config.KEY_ACTIONS`, overridden by config.yaml's `keys:`;
the footer lists them. Track selection is also on the digit keys 1-9.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.keys import _character_to_key
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from rig.config import KEY_ACTIONS
from rig.control.link import EngineLink
from rig.control.protocol import Status
from rig.song.quantize import QUANTIZE

__all__ = ["LiveApp", "QuitScreen", "KeysScreen", "key_map", "ACTION_LABELS", "FOOTER_ACTIONS"]

ACTION_LABELS: dict[str, str] = {
    "play": "play",
    "stop": "stop",
    "continue": "continue",
    "next": "next",
    "launch": "launch",
    "cue_up": "cue ↑",
    "cue_down": "cue ↓",
    "cancel": "cancel",
    "section": "jump",
    "section_prev": "section ←",
    "section_next": "section →",
    "track_prev": "track ←",
    "track_next": "track →",
    "mute": "mute",
    "solo": "solo",
    "quantize": "quantize",
    "nudge_up": "tempo +",
    "nudge_down": "tempo −",
    "tap": "tap",
    "panic": "panic",
    "keys": "keys",
    "quit": "quit",
}
# The footer shows these: they fit 80 columns, 22 keys do not; `keys` (?) lists all.
FOOTER_ACTIONS = frozenset(
    ("play", "stop", "next", "launch", "cancel", "mute", "panic", "keys", "quit")
)
NUDGE_BPM = 1.0
# A track's status word (rig.control.protocol) as the tracks table shows it.
_HEARD_ON = {"hw": "hardware", "stand-in": "stand-in", "voice": "software", "none": "—"}


def _key_name(key: str) -> str:
    """A key from config.yaml as textual names it: "[" → left_square_bracket."""
    key = key.strip()
    if key == " ":
        return "space"
    if len(key) == 1 and not key.isalnum():
        return _character_to_key(key)
    return key


def key_map(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """action → textual key: the defaults with config.yaml's overrides."""
    keys = dict(KEY_ACTIONS)
    keys.update(overrides or {})
    return {action: _key_name(key) for action, key in keys.items()}


class QuitScreen(ModalScreen[str]):
    """Asked before quitting while the music plays."""

    BINDINGS = [
        Binding("y", "choose('stop')", "stop the music and quit"),
        Binding("d", "choose('detach')", "quit, music plays on"),
        Binding("n,escape", "choose('cancel')", "cancel"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(
            "The music is playing.\n\n"
            "  y  stop it and quit\n"
            "  d  quit the UI only: the engine plays on (rig live --attach reconnects)\n"
            "  n  cancel",
            id="quit-question",
        )

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)


class KeysScreen(ModalScreen[None]):
    """Every key and what it does (config.yaml `keys:` remaps them); any key closes it."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        width = max(len(_shown_key(k)) for k in self.keys.values())
        lines = [f"  {_shown_key(key):>{width}}  {ACTION_LABELS[action]}"
                 for action, key in self.keys.items()]  # fmt: skip
        lines.append(f"  {'1-9':>{width}}  select track 1-9")
        yield Static("\n".join(["Keys (any key closes)", "", *lines]), id="keys-list")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(None)


def _shown_key(key: str) -> str:
    """A textual key name as a performer reads it: question_mark → ?."""
    from textual.keys import format_key

    return format_key(key)


class LiveApp(App[str]):
    """The live UI. `link` reaches the engine; `reloader` (optional) watches files."""

    TITLE = "rig live"
    ENABLE_COMMAND_PALETTE = False  # every key is the performer's
    CSS = """
    #top { height: 3; padding: 0 1; background: $boost; }
    #message { height: 2; padding: 0 1; }
    #message.error { color: $error; text-style: bold; }
    #sections { height: 1; padding: 0 1; }
    #cues { width: 1fr; }
    #tracks { width: 1fr; }
    QuitScreen { align: center middle; }
    #quit-question { width: 76; height: 9; border: thick $warning; padding: 1 2; }
    KeysScreen { align: center middle; }
    #keys-list { width: 44; height: auto; border: thick $accent; padding: 1 2; }
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
    ):
        super().__init__()
        self.link = link
        self.keys = key_map(keys)
        self.set_name = set_name
        self.poll_s = poll_s
        self.reloader = reloader
        self.quantize = "bar"
        self.selected_cue = 0
        self.selected_section = 0
        self.selected_track = 0
        self.message = ""  # the UI's own message (reload results); errors override
        self.message_is_error = False
        self._shown: dict[str, object] = {}
        self._ticks = 0
        self._on_exit = on_exit

    # -- layout --------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Static("connecting to the engine…", id="top")
        with Horizontal():
            with Vertical():
                yield DataTable(id="cues", cursor_type="row", zebra_stripes=True)
            with Vertical():
                yield DataTable(id="tracks", cursor_type="row", zebra_stripes=True)
        yield Static("", id="sections")
        yield Static("", id="message")
        yield Footer()

    def on_mount(self) -> None:
        cues = self.query_one("#cues", DataTable)
        # Display only: the app's keys (up, down, enter...) must not go to a table.
        for table in self.query(DataTable):
            table.can_focus = False
        cues.add_columns(" ", "#", "cue", "then")
        tracks = self.query_one("#tracks", DataTable)
        tracks.add_columns("#", "track", "device", "port", "mute", "solo", "queued")
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
        if status is None:
            top.update("connecting to the engine…")
        else:
            top.update(self._top_text(status))
            self._update_cues(status)
            self._update_tracks(status)
            self._update_sections(status)
        text, error = self._message_text(status)
        message.update(text)
        message.set_class(error, "error")

    def _top_text(self, s: Status) -> str:
        set_name = self.link.setlist.name if self.link.setlist and self.link.setlist.name else ""
        line1 = (
            f"[b]{s.state.upper()}[/b]  cue {s.cue + 1}/{s.cues} [b]{s.cue_name}[/b]"
            f"  section [b]{s.section or '-'}[/b]  bar [b]{s.bar}:{s.beat}[/b]"
            f"  [b]{s.bpm:.1f}[/b] BPM"
        )
        queued = ""
        if s.queued_cue >= 0:
            what = {"cue": "launch", "section": "jump to", "reload": "new version of"}.get(
                s.queued_kind, s.queued_kind
            )
            queued = f"  ⏭ {what} [b]{s.queued_name}[/b] at bar {s.queued_bar}"
        line2 = (
            f"quantize [b]{self.quantize}[/b]  late {s.late}  xruns {s.xruns}"
            f"  sounding {s.sounding}  reloads {s.reloads}{queued}"
        )
        sync = s.sync()
        line3 = ""
        if sync.source != "internal":  # does sync hold? at a glance
            text = sync.line()
            line3 = f"\n[b red]{text}[/b red]" if sync.lost or sync.error else f"\n{text}"
        return f"{line1}\n{line2}" + line3 + (f"\n{set_name}" if set_name else "")

    def _message_text(self, s: Status | None) -> tuple[str, bool]:
        if self.link.engine_dead():
            return (
                "THE ENGINE PROCESS HAS DIED — nothing is playing. "
                "Restart with rig live (the set is unchanged).",
                True,
            )
        if self.link.last_reply and not self.link.connected:
            return "the engine is not answering…", True
        if self.message:
            return self.message, self.message_is_error
        if self.link.errors:
            return f"engine: {self.link.errors[-1]}", True
        if s is not None and s.last_error:
            return f"engine: {s.last_error}", True
        return "", False

    def _update_cues(self, s: Status) -> None:
        info = self.link.setlist
        names = list(info.cues) if info else [s.cue_name]
        hows = list(info.transitions) if info else [""]
        self.selected_cue = min(self.selected_cue, max(0, len(names) - 1))
        rows = []
        for i, name in enumerate(names):
            mark = (
                "▶" if i == s.cue else ("⏭" if i == s.queued_cue and s.queued_kind == "cue" else "")
            )
            rows.append((mark, str(i + 1), name, hows[i] if i < len(hows) else ""))
        self._fill("#cues", rows, self.selected_cue)

    def _update_tracks(self, s: Status) -> None:
        muted = set(filter(None, s.muted.split(",")))
        soloed = set(filter(None, s.soloed.split(",")))
        pending: dict[str, list[str]] = {}
        for op, track, bar in s.pending_list():
            pending.setdefault(track, []).append(f"{op}@{bar}")
        tracks = s.track_list()
        self.selected_track = min(self.selected_track, max(0, len(tracks) - 1))
        rows = []
        for i, (name, device, state) in enumerate(tracks):
            rows.append(
                (
                    str(i + 1),
                    name,
                    device,
                    _HEARD_ON.get(state, state),
                    "MUTED" if name in muted else "",
                    "SOLO" if name in soloed else "",
                    " ".join(pending.get(name, [])),
                )
            )
        self._fill("#tracks", rows, self.selected_track)

    def _update_sections(self, s: Status) -> None:
        info = self.link.setlist
        sections = info.sections[s.cue] if info and s.cue < len(info.sections) else ()
        self.selected_section = min(self.selected_section, max(0, len(sections) - 1))
        parts = []
        for i, name in enumerate(sections):
            text = f"[b]{name}[/b]" if name == s.section else name
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

    def action_ui_track(self, index: int) -> None:
        self.selected_track = index
        self.refresh_view()

    def action_ui_track_prev(self) -> None:
        self.selected_track = max(0, self.selected_track - 1)
        self.refresh_view()

    def action_ui_track_next(self) -> None:
        self.selected_track += 1
        self.refresh_view()

    def _track(self) -> str | None:
        tracks = self.status.track_list() if self.status else []
        return tracks[self.selected_track][0] if self.selected_track < len(tracks) else None

    def action_ui_mute(self) -> None:
        track = self._track()
        if track is not None and self.status is not None:
            on = track in self.status.muted.split(",")
            self._send("/rig/unmute" if on else "/rig/mute", track, self.quantize)

    def action_ui_solo(self) -> None:
        track = self._track()
        if track is not None and self.status is not None:
            on = track in self.status.soloed.split(",")
            self._send("/rig/unsolo" if on else "/rig/solo", track, self.quantize)

    def action_ui_quantize(self) -> None:
        self.quantize = QUANTIZE[(QUANTIZE.index(self.quantize) + 1) % len(QUANTIZE)]
        self.refresh_view()

    def action_ui_nudge_up(self) -> None:
        self._send("/rig/nudge", NUDGE_BPM)

    def action_ui_nudge_down(self) -> None:
        self._send("/rig/nudge", -NUDGE_BPM)

    def action_ui_tap(self) -> None:
        self._send("/rig/tap")

    def action_ui_panic(self) -> None:
        self._send("/rig/panic")
        self.message = "panic: note-offs sent for everything that sounded"
        self.message_is_error = False

    def action_ui_keys(self) -> None:
        self.push_screen(KeysScreen(self.keys))

    def action_ui_quit(self) -> None:
        playing = self.status is not None and self.status.state == "playing"
        if playing and not self.link.engine_dead():
            self.push_screen(QuitScreen(), self._quit_answer)
        else:
            self._quit_answer("stop")

    def _quit_answer(self, choice: str | None) -> None:
        if choice == "stop":
            self.link.send("/rig/quit")
            self.exit("quit")
        elif choice == "detach":
            self.exit("detach")

    # -- hot reload -------------------------------------------------------------------------
    def _watch(self) -> None:
        """Worker thread: the reloader watches files and reports each outcome here."""
        reloader = self.reloader
        assert reloader is not None
        reloader.watch(lambda text, error: self.call_from_thread(self.show_reload, text, error))  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        if self.reloader is not None:
            self.reloader.stop()  # type: ignore[attr-defined]

    def show_reload(self, text: str, error: bool) -> None:
        self.message = text
        self.message_is_error = error
        if not error:
            self.link.send("/rig/setlist")
        self.refresh_view()
