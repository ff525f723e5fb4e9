"""The live UI's modal screens: the quit question and the list of keys."""

from __future__ import annotations

from collections.abc import Mapping

from textual import events
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.widgets import Static

from rig.stage.ui.keys import ACTION_LABELS

__all__ = ["QuitScreen", "KeysScreen", "KeepScreen", "LogScreen"]


class QuitScreen(ModalScreen[str]):
    """Asked before quitting while the music plays, or when live tweaks are not in the
    set file yet (`rig.stage.ui.quit`). Answers: "stop" (y), "detach" (d, while
    playing), "write" (w, with tweaks: write them back, then stop), "cancel"."""

    def __init__(self, playing: bool = True, file: str = "", block: str = "") -> None:
        super().__init__()
        self.playing = playing
        self.file = file
        self.block = block  # the `live:` block `w` would write; "": no tweaks to ask about
        self.choices = {"y": "stop"}
        if playing:
            self.choices["d"] = "detach"
        if block:
            self.choices["w"] = "write"

    def compose(self) -> ComposeResult:
        playing = "The music is playing. " if self.playing else ""
        end = "stop the music and quit" if self.playing else "quit"
        if self.block:
            lines = [f"{playing}These live tweaks are not in {self.file}:", "",
                     self.block.rstrip("\n"), "",
                     f"  w  write them into the set file, then {end}",
                     f"  y  discard them{',' if self.playing else ' and'} {end}"]  # fmt: skip
        else:
            lines = [playing.strip() or "Quit rig live?", "", "  y  stop it and quit"]
        if self.playing:
            lines.append("  d  quit the UI only: the engine plays on (rig live --attach "
                         "reconnects)")  # fmt: skip
        lines.append("  any other key: cancel (n is also next cue: it only cancels here)")
        yield Static("\n".join(lines), id="quit-question", markup=False)

    def on_key(self, event: events.Key) -> None:
        """y, d and w answer; any other key cancels and does nothing else: a performer
        who meant n (next cue) or escape gets the show back, unchanged."""
        event.stop()
        self.dismiss(self.choices.get(event.key, "cancel"))


class KeepScreen(ModalScreen[bool]):
    """Shows the `live:` block that would be written into the set file; `y` writes
    it, any other key cancels (never silently: issue 12)."""

    def __init__(self, file: str, block: str) -> None:
        super().__init__()
        self.file = file
        self.block = block

    def compose(self) -> ComposeResult:
        yield Static(
            f"Keep these in {self.file}? The next show starts with them.\n\n"
            f"{self.block}\n  y  write them      any other key: cancel",
            id="keep-question",
            markup=False,
        )

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(event.key == "y")


class KeysScreen(ModalScreen[None]):
    """Every key and what it does (config.yaml `keys:` remaps them); any key closes it."""

    def __init__(self, keys: Mapping[str, str]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        width = max(len(_shown_key(k)) for k in self.keys.values())
        items = [f"{_shown_key(key):>{width}}  {ACTION_LABELS[action]}"
                 for action, key in self.keys.items()]  # fmt: skip
        items.append(f"{'1-9':>{width}}  select track 1-9")
        # Two columns: 23 lines do not fit a 24-line terminal with a border.
        half = (len(items) + 1) // 2
        left, right = items[:half], items[half:]
        column = max(len(i) for i in left) + 4
        lines = [f"{a:<{column}}{b}" for a, b in zip(left, right + [""], strict=False)]
        yield Static("\n".join(["Keys (any key closes)", *lines]), id="keys-list", markup=False)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(None)


class LogScreen(ModalScreen[None]):
    """The message row's lines in full, newest last: a reload error with its
    `file:line:col` is cut to one line on the row (80 columns), and read here."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        from textual.containers import VerticalScroll

        shown = self.lines or ["(nothing yet)"]
        with VerticalScroll(id="log-lines"):
            yield Static("\n".join(["Messages, newest last (any key closes)", *shown]),
                         markup=False)  # fmt: skip

    def on_mount(self) -> None:
        self.query_one("#log-lines").scroll_end(animate=False)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(None)


def _shown_key(key: str) -> str:
    """A textual key name as a performer reads it: question_mark → ?."""
    from textual.keys import format_key

    return format_key(key)
