"""The live UI under textual's headless Pilot: key presses reach a real engine loop
(an `Engine` served over the same OSC protocol, in a thread) and the screen shows
the engine's new state."""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import socket
import threading
import time
from pathlib import Path

from rig.control.link import EngineLink
from rig.engine.process import serve
from rig.engine.transport import Engine
from rig.midi.sink import RecordingSink
from rig.song.arrangement import SectionSpan
from rig.stage.ui.app import ACTION_LABELS, LiveApp, key_map
from tests.support.live import cue

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def served(cues, **kw):
    """An Engine on recording sinks behind a real UDP socket and the real serve loop."""
    sinks = {d: RecordingSink(d) for d in ("virus", "mono")}
    for s in sinks.values():
        s.open()
    engine = Engine(cues, sinks, clock_latency_ms={"mono": 0.0}, **kw)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    ended: list[str] = []
    thread = threading.Thread(target=lambda: ended.append(serve(engine, sock, None)), daemon=True)
    thread.start()
    try:
        yield engine, sock.getsockname()[1], sinks, ended
    finally:
        if thread.is_alive():
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"/rig/quit\x00\x00\x00,\x00\x00\x00", sock.getsockname())
        thread.join(5)
        sock.close()


def text(app: LiveApp, selector: str) -> str:
    return str(app.query_one(selector).render())


async def until(pilot, test, timeout: float = 10.0) -> None:
    """Wait until `test()` holds; a widget not yet built (a query error) counts as not yet."""
    from textual.css.query import QueryError
    from textual.widgets.data_table import RowDoesNotExist

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if test():
                return
        except (QueryError, RowDoesNotExist, LookupError):
            pass
        await pilot.pause(0.05)
    raise AssertionError("the UI never showed it")


def sectioned(name: str, base: int):
    arr = cue(name, bars=8, base=base, sections=(("intro", 2), ("verse", 2), ("drop", 4)))
    assert isinstance(arr.sections[0], SectionSpan)
    return arr


def test_keys_reach_the_engine_and_the_screen_follows():
    async def scenario() -> None:
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, _, ended):
            link = EngineLink(port)
            app = LiveApp(link, poll_s=0.05)
            async with app.run_test(size=(150, 40)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                assert "Rivalry" in text(app, "#top")
                # No table holds the keys (a focused table kept up/down/enter: issue 12).
                assert app.focused is None
                await pilot.press("p")
                await until(pilot, lambda: "PLAYING" in text(app, "#top"))
                assert engine.state == "playing"
                # Launch the second cue at the next bar: queued, then playing.
                await pilot.press("down", "enter")
                # Shown as queued until the bar; a loaded machine may poll only after it.
                await until(
                    pilot,
                    lambda: "⏭ launch Ciel" in text(app, "#top")
                    or "cue 2/2 Ciel" in text(app, "#top"),
                )
                await until(pilot, lambda: "cue 2/2 Ciel" in text(app, "#top"), 5)
                # Mute track 2 (bass) now: the tracks table says so.
                await pilot.press("g", "g", "g", "g", "g")  # bar → section → cue → now → beat → bar
                assert app.quantize == "bar"
                await pilot.press("2", "m")
                await until(pilot, lambda: "bass" in engine.mute_state(time.monotonic_ns()).muted)
                await until(pilot, lambda: app.query_one("#tracks").get_row_at(1)[4] == "M")
                # Jump to the section "drop" at the next bar.
                await pilot.press("right_square_bracket", "right_square_bracket", "j")
                await until(pilot, lambda: "section drop" in text(app, "#top"), 5)
                await pilot.press("plus")
                await until(pilot, lambda: "121.0 BPM" in text(app, "#top"))
                # Quit asks first while playing; "n" keeps everything running.
                await pilot.press("q")
                await pilot.pause(0.1)
                assert app.screen.__class__.__name__ == "QuitScreen"
                await pilot.press("n")  # cancels, and is not also "next cue"
                await pilot.pause(0.1)
                assert app.screen.__class__.__name__ != "QuitScreen"
                assert engine.state == "playing" and engine.queued is None
                await pilot.press("q", "y")
                await until(pilot, lambda: ended == ["quit"])
            assert app.return_value == "quit"

    asyncio.run(scenario())


def test_errors_and_a_dead_engine_are_shown():
    async def scenario() -> None:
        with served([sectioned("Rivalry", 36)]) as (engine, port, _, ended):
            link = EngineLink(port)
            app = LiveApp(link, poll_s=0.05, keys={"launch": "l"})
            assert app.keys["launch"] == "l" and app.keys["section_prev"] == "left_square_bracket"
            async with app.run_test(size=(150, 40)) as pilot:
                await until(pilot, lambda: app.status is not None)
                await pilot.press("n")  # no next cue in a one-cue set
                await until(pilot, lambda: "no next cue" in text(app, "#message"))
                link.send("/rig/quit")  # the engine loop ends: no more answers
                await until(pilot, lambda: "not answering" in text(app, "#message"))
                link.engine_pid = 2**22 + 12345  # a pid that does not exist: "the engine died"
                await until(pilot, lambda: "ENGINE PROCESS HAS DIED" in text(app, "#message"))
                await pilot.press("q")  # no question when nothing plays
                await until(pilot, lambda: app.return_value == "quit")

    asyncio.run(scenario())


def test_key_map_takes_config_names_and_characters():
    keys = key_map({"panic": "!", "tap": "space", "quit": "Q"})
    assert keys["panic"] == "exclamation_mark" and keys["tap"] == "space" and keys["quit"] == "Q"


def test_screenshot_for_the_readme(tmp_path):
    """Renders the README's screenshot (docs/live.svg) from a real session state."""

    async def scenario() -> str:
        cues = [sectioned(n, 36 + 4 * i) for i, n in enumerate(("Rivalry", "Heartbeat", "Ciel"))]
        with served(cues, transitions=["bar", "wait"]) as (engine, port, _, _ended):
            link = EngineLink(port)
            app = LiveApp(link, poll_s=0.05)
            async with app.run_test(size=(130, 34)) as pilot:
                await until(pilot, lambda: app.status is not None)
                await pilot.press("p", "2", "o")
                await until(pilot, lambda: app.query_one("#tracks").get_row_at(1)[4] == "S")
                await pilot.press("down", "down", "enter")
                # The queued launch on screen, or (a busy machine polled late) already
                # launched at its bar: either way the chosen cue, not another.
                await until(pilot, lambda: "⏭" in text(app, "#top") or engine.view.index == 2)
                return app.export_screenshot(title="rig live")

    svg = asyncio.run(scenario())
    assert "Rivalry" in svg and "PLAYING" in svg
    # Into tmp_path only: a test never writes into the repository (README's copy:
    # docs/live.svg, refreshed by hand from this file when the screen changes).
    (tmp_path / "live.svg").write_text(svg, encoding="utf-8")


def test_a_narrow_terminal_shows_the_main_keys_and_question_mark_lists_all():
    from rig.stage.ui.app import FOOTER_ACTIONS, KeysScreen

    async def scenario() -> None:
        with served([sectioned("Rivalry", 36)]) as (engine, port, _, _ended):
            app = LiveApp(EngineLink(port), poll_s=0.05, keys={"tap": "space"})
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: app.status is not None)
                shown = {
                    b.binding.description for b in app.active_bindings.values() if b.binding.show
                }
                assert shown == {ACTION_LABELS[a] for a in FOOTER_ACTIONS}
                # All of them fit 80 columns: the last ones are on the screen too.
                await pilot.pause(0.3)
                svg = app.export_screenshot()
                screen = "".join(re.findall(r">([^<>]*)</text>", svg)).replace("&#160;", " ")
                assert " ? keys  q quit" in screen, screen[-300:]
                # Issue 12, item 8: at 80x24 the tracks table keeps its last column,
                # and the key list keeps every key.
                assert "queued" in screen, screen
                await pilot.press("2", "m")
                await until(pilot, lambda: app.query_one("#tracks").get_row_at(1)[4] == "M")
                await pilot.press("question_mark")
                await until(pilot, lambda: isinstance(app.screen, KeysScreen))
                await pilot.pause(0.2)
                svg = app.export_screenshot()
                shown = html.unescape("".join(re.findall(r">([^<>]*)</text>", svg)))
                shown = shown.replace("\xa0", " ")
                for action, label in ACTION_LABELS.items():
                    assert label in shown, action
                listing = str(app.screen.query_one("#keys-list").render())
                assert "space  tap" in listing  # the remapped key, as config.yaml set it
                await pilot.press("x")  # any key closes it, and does nothing else
                await until(pilot, lambda: not isinstance(app.screen, KeysScreen))
                await pilot.pause(0.2)
                assert engine.queued is None and app.status.state == "stopped"

    asyncio.run(scenario())


def test_a_crash_says_the_host_restarts_the_engine_and_the_ui_follows_it():
    """Issue 12, item 4: while the live host restarts a dead engine the UI says so
    (not "restart with rig live"), then talks to the new engine on its new port."""
    import subprocess
    import sys


    dead_pid = 2**22 + 12345
    # A live host for the session to name: a process its command line says is one
    # (a pid that is not, this test's own, counts as a host gone: rig.stage.session).
    host = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)",
                             "-m", "rig.stage.host"])  # fmt: skip
    try:
        _crash_scenario(dead_pid, host.pid)
    finally:
        host.kill()
        host.wait()


def _crash_scenario(dead_pid: int, host_pid: int) -> None:
    import os

    from rig.stage.session import Session

    async def scenario() -> None:
        with served([sectioned("Rivalry", 36)]) as (engine, port, _, _ended):
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
                gone.bind(("127.0.0.1", 0))
                old_port = gone.getsockname()[1]
            note = "the engine died; 5 note-offs sent; restarting it"
            sessions = [Session(old_port, dead_pid, host_pid, "set.yaml",
                                engine_state="restarting", note=note)]  # fmt: skip
            link = EngineLink(old_port, engine_pid=dead_pid)
            app = LiveApp(link, poll_s=0.05, session=lambda: sessions[-1])
            async with app.run_test(size=(120, 30)) as pilot:
                await until(pilot, lambda: "ENGINE CRASHED" in text(app, "#message"))
                assert "ENGINE RESTARTING" in text(app, "#top")  # the header's state line
                shown = text(app, "#message")
                assert "5 note-offs sent" in shown and "resumes" in shown
                assert "rig live" not in shown
                sessions.append(Session(port, os.getpid(), host_pid, "set.yaml",
                                        restarts=1, engine_state="restarted",
                                        note="restarted at 21:14:03, cue 1, bar 9"))  # fmt: skip
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                assert link.address[1] == port
                await until(pilot, lambda: "engine restarted" in text(app, "#message"))
                await pilot.press("s")  # the performer acts: the note has been seen
                await until(pilot, lambda: "restarted" not in text(app, "#message"))

    asyncio.run(scenario())


def test_a_reload_error_after_an_engine_restart_is_not_hidden_by_its_note():
    """Trial 24: after an engine restart the note "engine restarted: ..." stayed on the
    message line until a key sent something, hiding every later message: a broken
    song's file:line:col, a key's answer. The newer message wins."""
    import os

    from rig.stage.session import Session

    async def scenario() -> None:
        with served([sectioned("Rivalry", 36)]) as (engine, port, _, _ended):
            session = Session(port, os.getpid(), os.getpid(), "set.yaml", restarts=1,
                              engine_state="restarted",
                              note="restarted at 00:33:30, cue 1, bar 9")  # fmt: skip
            link = EngineLink(port, engine_pid=os.getpid())
            app = LiveApp(link, poll_s=0.05, session=lambda: session)
            async with app.run_test(size=(120, 30)) as pilot:
                await until(pilot, lambda: "engine restarted" in text(app, "#message"))
                broken = "not reloaded, the old version plays on: songs/ciel.yaml:5:8: tempo"
                app.show_reload(broken, True)  # what the file watcher reports
                await until(pilot, lambda: "songs/ciel.yaml:5:8" in text(app, "#message"))
                await pilot.pause(1.2)  # the session is read again: the note stays seen
                assert "songs/ciel.yaml:5:8" in text(app, "#message")
                assert "restarted" not in text(app, "#message")

    asyncio.run(scenario())


def test_names_with_brackets_are_shown_as_written_and_old_errors_go_away():
    """Issue 12: textual markup in a cue name ("[b]", "[/red]") is text, not style
    (an unbalanced tag made textual raise); an OSC error leaves the screen after
    ERROR_SHOW_S instead of staying for minutes."""
    from rig.stage.ui.app import ERROR_SHOW_S

    clock = [1000.0]

    async def scenario() -> None:
        names = ("[b]Heat[/b]", "Riv [/red] alry")
        cues = [sectioned(n, 36 + 4 * i) for i, n in enumerate(names)]
        with served(cues) as (engine, port, _, _ended):
            link = EngineLink(port)
            app = LiveApp(link, poll_s=0.05, now=lambda: clock[0])
            async with app.run_test(size=(120, 30)) as pilot:
                await until(pilot, lambda: app.link.setlist is not None)
                await until(pilot, lambda: "[b]Heat[/b]" in text(app, "#top"))
                await pilot.pause(0.3)
                svg = app.export_screenshot()
                screen = "".join(re.findall(r">([^<>]*)</text>", svg)).replace("&#160;", " ")
                assert "Riv [/red] alry" in html.unescape(screen), screen
                link.send("/rig/nudge", "fast")  # a remote's bad argument
                await until(pilot, lambda: "expected a number" in text(app, "#message"))
                clock[0] += ERROR_SHOW_S + 1
                await until(pilot, lambda: text(app, "#message") == "")

    asyncio.run(scenario())


def test_the_section_chooser_starts_at_the_playing_section():
    """Issue 12, item 10: a UI that comes to a cue playing its second section points
    `j` at that section, not at section 1."""

    async def scenario() -> None:
        with served([sectioned("Rivalry", 36)]) as (engine, port, _, _ended):
            link = EngineLink(port)
            link.send("/rig/play")
            link.send("/rig/section", "verse", "now")
            app = LiveApp(link, poll_s=0.05)
            async with app.run_test(size=(100, 30)) as pilot:
                await until(pilot, lambda: "section verse" in text(app, "#top"))
                await until(pilot, lambda: app.link.setlist is not None)
                await pilot.pause(0.2)
                assert app.selected_section == 1

    asyncio.run(scenario())


def test_a_track_key_means_the_same_instrument_in_every_cue():
    """Issue 12, item 9: `3` was drums in one cue and bass in the next. A track's
    number is its slot in the set (first appearance, set order), the same in every
    cue: `2` mutes the bass in a cue that lists bass first, too."""

    async def scenario() -> None:
        first = sectioned("Rivalry", 36)  # keys, bass
        second = sectioned("Heartbeat", 60)
        second.tracks = tuple(reversed(second.tracks))  # bass, keys: bass is row 1 here
        with served([first, second]) as (engine, port, _, _ended):
            link = EngineLink(port)
            link.send("/rig/launch", 1, "now")
            app = LiveApp(link, poll_s=0.05)
            async with app.run_test(size=(100, 30)) as pilot:
                await until(pilot, lambda: "Heartbeat" in text(app, "#top"))
                await until(pilot, lambda: app.link.setlist is not None)
                await until(pilot, lambda: app.query_one("#tracks").row_count == 2)
                table = app.query_one("#tracks")
                numbered = {table.get_row_at(r)[1]: table.get_row_at(r)[0] for r in range(2)}
                assert numbered == {"keys": "▸1", "bass": " 2"}  # ▸: the chosen track
                await pilot.press("2")
                # The key answers on the message row and moves the ▸ (issue 12: a digit
                # gave no feedback).
                await until(pilot, lambda: text(app, "#message").startswith("track 2: bass"))
                assert "m mutes · o solos" in text(app, "#message")
                numbered = {table.get_row_at(r)[1]: table.get_row_at(r)[0] for r in range(2)}
                assert numbered == {"keys": " 1", "bass": "▸2"}
                await pilot.press("7")  # no track 7 in the set
                await until(pilot, lambda: "track 7 does not play" in text(app, "#message"))
                await pilot.press("2", "g", "g", "g")  # bar → section → cue → now
                assert app.quantize == "now"
                await pilot.press("m")
                await until(pilot, lambda: engine.mute_state(time.monotonic_ns()).muted)
                assert engine.mute_state(time.monotonic_ns()).muted == {"bass"}

    asyncio.run(scenario())


def screen_text(app: LiveApp) -> list[str]:
    """The terminal's lines as the performer sees them (textual's compositor)."""
    strips = app.screen._compositor.render_strips()
    return ["".join(seg.text for seg in strip) for strip in strips]


def test_the_header_a_performer_reads_at_80x24():
    """Issue 12: the state line (stopped, playing, waiting for launch) with what to
    press, the big bar.beat counter, tempo, elapsed/remaining of cue and set, "next: X in
    N bars", quantize and the health counters — all on an 80x24 terminal."""

    async def scenario() -> None:
        cues = [sectioned("Rivalry", 36), sectioned("Heartbeat", 60)]
        for arr in cues:  # 2 bars each: the "wait" comes within seconds
            arr.length_ticks = arr.sections[1].start_tick
            arr.sections = arr.sections[:1]
        with served(cues, transitions=["wait"], set_name="Night") as (engine, port, _, _e):
            app = LiveApp(EngineLink(port), poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.pause(0.3)
                screen = "\n".join(screen_text(app))
                assert "STOPPED  press p to play Rivalry" in screen, screen
                assert "cue 0:00 −0:04   set Night 0:00 −0:08" in screen, screen
                assert "next: Heartbeat — waits for the launch key" in screen, screen
                assert "quantize bar" in screen and "1.1" not in screen.split("\n")[0]
                await pilot.press("p")
                await until(pilot, lambda: "PLAYING" in text(app, "#top"))
                await until(pilot, lambda: app.status is not None and app.status.bar == 2)
                await pilot.pause(0.2)
                lines = screen_text(app)
                assert all(len(line.rstrip()) <= 80 for line in lines)
                # The big counter: textual's three-row digits, "2." in the top rows.
                assert "━" in lines[0] and "•" in lines[2], lines[:3]
                assert "120.0 BPM" in "\n".join(lines[:6])
                await until(pilot, lambda: "WAITING FOR LAUNCH" in text(app, "#top"), 20)
                await pilot.pause(0.2)
                screen = "\n".join(screen_text(app))
                assert "WAITING FOR LAUNCH  press p to start Heartbeat" in screen, screen
                # The tempo the next cue will start at, not the last one's.
                assert "cue 2/2 Heartbeat" in screen and "120.0 BPM" in screen
                # The tracks table and the footer keep their place below the header.
                assert " q quit" in screen and "plays on" in screen

    asyncio.run(scenario())


def test_the_health_line_says_what_late_and_xruns_mean_in_full_at_80x24():
    """Trial 24: at 80x24, bar 112, with late messages and xruns at once, the yellow
    line ran past the header's width and lost its point ("sound/MIDI may drop")."""
    from types import SimpleNamespace

    async def scenario() -> None:
        with served([cue("Long", bars=128, base=24)]) as (engine, port, sinks, _e):
            link = EngineLink(port)
            link.send("/rig/play", 112)
            app = LiveApp(link, poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: app.status is not None and app.status.bar >= 112)
                engine.scheduler.stats.late = 3
                sinks["virus"].host = SimpleNamespace(xruns=2146)  # a JACK client's count
                await until(pilot, lambda: "xruns 2146" in text(app, "#top"))
                await pilot.pause(0.2)
                screen = "\n".join(line.rstrip() for line in screen_text(app))
                # late: the 3 set here, plus any the loaded machine really had
                assert re.search(r"late ([3-9]|\d\d+)", screen) and "may drop" in screen, screen

    asyncio.run(scenario())


def test_a_count_in_counts_and_flashes_in_the_header():
    """`count_in:` — `p` shows COUNT-IN, the big digits count the beats and the
    header flashes on every other one; then PLAYING from bar 1."""
    from rig.config.countin import CountIn

    async def scenario() -> None:
        with served([sectioned("Rivalry", 36)]) as (engine, port, _, _ended):
            engine.count_in = CountIn(bars=2)  # 8 beats, 4 s: a busy machine sees several
            app = LiveApp(EngineLink(port), poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.press("p")
                await until(pilot, lambda: "COUNT-IN" in text(app, "#top"))
                header = app.query_one("#header")
                assert header.has_class("count-in")
                seen = set()
                while app.status is not None and app.status.state == "count-in":
                    seen.add((app.status.beat, header.has_class("beat")))
                    await pilot.pause(0.05)
                beats = {b for b, _ in seen}
                assert len(beats) >= 3 and max(beats) >= 6, seen  # a busy machine polls late
                assert all(flash == (b % 2 == 1) for b, flash in seen), seen  # it flashes
                await until(pilot, lambda: "PLAYING" in text(app, "#top"))
                assert not header.has_class("count-in")

    asyncio.run(scenario())


def test_w_keeps_the_live_tweaks_in_the_set_file_after_asking():
    """Issue 12: a live tweak (tempo nudge, mutes, quantize, chosen cue) can be kept for
    the next show — shown as the set's live: block first, written only on `y`."""
    from rig.song.kept import Kept
    from rig.song.setlist import load_setlist
    from rig.stage.ui.screens import KeepScreen

    song = (REPO / "songs" / "rivalry.yaml").read_text(encoding="utf-8")

    async def scenario(tmp: Path) -> None:
        for name in ("a.yaml", "b.yaml"):
            (tmp / name).write_text(song, encoding="utf-8")
        path = tmp / "night.yaml"
        original = "set: Night  # a comment that stays\ncues: [a.yaml, b.yaml]\n"
        path.write_text(original, encoding="utf-8")
        with served([sectioned("Rivalry", 36), sectioned("Ciel", 60)]) as (engine, port, _, _e):
            app = LiveApp(EngineLink(port), poll_s=0.05, set_path=path)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.press("2", "m", "plus", "down", "g", "g")
                assert app.quantize == "cue"
                await until(pilot, lambda: app.status.muted == "bass" and app.status.bpm_set)
                await pilot.press("w")
                await until(pilot, lambda: isinstance(app.screen, KeepScreen))
                shown = str(app.screen.query_one("#keep-question").render())
                assert "cue: 2" in shown and "mute: [bass]" in shown and "tempo: {1: 121}" in shown
                await pilot.press("n")  # anything but y: nothing is written
                await until(pilot, lambda: not isinstance(app.screen, KeepScreen))
                assert path.read_text(encoding="utf-8") == original
                assert engine.queued is None and engine.cue_index == 0  # n did not launch
                await pilot.press("w")
                await until(pilot, lambda: isinstance(app.screen, KeepScreen))
                await pilot.press("y")
                await until(pilot, lambda: "kept in" in text(app, "#message"))
        text_now = path.read_text(encoding="utf-8")
        assert text_now.startswith(original)
        kept = load_setlist(path).kept
        assert kept == Kept(cue=1, quantize="cue", mute=("bass",), tempo={0: 121.0})

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(Path(tmp)))


def test_stopped_mid_cue_the_header_says_c_continues_where_it_stopped():
    """Trial 24: after `s` mid-cue the header said only "press p to play X" (from bar 1);
    `c`, which continues where it stopped, was on no line. Now both, at 80x24; at the
    cue's top only the play key."""

    async def scenario() -> None:
        with served([cue("Long", bars=32, base=36)]) as (engine, port, _sinks, _e):
            app = LiveApp(EngineLink(port), poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                assert "continues" not in text(app, "#top")  # at the top: nothing to continue
                await pilot.press("p")
                await until(pilot, lambda: app.status is not None and app.status.bar >= 2)
                await pilot.press("s")
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                s = app.status
                assert s is not None
                line = text(app, "#top").splitlines()[0]
                assert f"press p to play Long from bar 1 · c continues at {s.bar}.{s.beat}" in line
                assert len(line) <= 80, line
                await pilot.press("c")
                await until(pilot, lambda: "PLAYING" in text(app, "#top"))
                assert app.status is not None and app.status.bar >= s.bar

    asyncio.run(scenario())


def test_a_long_cue_name_leaves_the_tempo_and_c_continues_whole_at_80x24():
    """Trial 25: at 80x24 a cue named "A Rather Long Second Cue Name For The Club" cut the
    tempo to "120.0 B", and stopped mid-cue its STOPPED line wrapped onto the next row
    ("f / 1 · c continues at 3.2"), pushing the header down. The name gives way (…)."""
    name = "A Rather Long Second Cue Name For The Club"

    async def scenario() -> None:
        with served([cue(name, bars=32, base=36)]) as (engine, port, _sinks, _e):
            app = LiveApp(EngineLink(port), poll_s=0.05)
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.press("p")
                await until(pilot, lambda: app.status is not None and app.status.bar >= 2)
                await pilot.pause(0.2)
                lines = screen_text(app)
                assert "120.0 BPM" in lines[1], lines[:6]
                assert "cue 1/1 A Rather Long" in lines[1] and "…" in lines[1], lines[:6]
                await pilot.press("s")
                await until(pilot, lambda: "STOPPED" in text(app, "#top"))
                await pilot.pause(0.2)
                s = app.status
                assert s is not None
                lines = screen_text(app)
                assert f"c continues at {s.bar}.{s.beat}" in lines[0], lines[:6]
                assert "press p to play A Rath" in lines[0], lines[:6]
                assert "cue 1/1" in lines[1] and "120.0 BPM" in lines[1], lines[:6]

    asyncio.run(scenario())
