"""`rig play` end to end: the real CLI, project, engine process and JACK, at the recorder."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from rig.midi.notes import sounding_after
from tests.support.live import wait_connected, wait_for

pytestmark = [pytest.mark.jack, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def test_rig_play_from_a_bar_with_a_missing_device(recorder, jack_server, tmp_path):
    """Start/SPP/Continue for --from through the real CLI, and a missing device at
    start: one warning line (its stand-in plays it), and the show runs on. In real
    time: the order of the bytes is checked, which xruns cannot change."""

    def scenario(recorder):
        config = tmp_path / "config.yaml"
        config.write_text(
            f"patches: {REPO / 'patches'}\n"
            "devices:\n"
            f"  monopoly: {{port: '{recorder.port}', clock: true}}\n"
            "  virus: {port: 'no-such-port'}\n"
            "osc: {port: 39123}\n"
        )
        env = dict(os.environ, PYTHONPATH=str(REPO), **jack_server.env)
        cmd = [sys.executable, "-m", "rig.cli", "play", str(REPO / "songs/inferno.yaml")]
        # 1.5 s from bar 9: the monopoly's notes at 0, 0.47 and 0.94 s, then the Stop.
        cmd += ["--from", "9", "--for", "1.5", "--config", str(config), "--osc-port", "0"]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60)

    done = scenario(recorder)
    events = recorder.stop()
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "warning" in line]
    virus = [line for line in warnings if "virus" in line]
    # One line for the missing synth, saying its stand-in plays it; devices the config
    # does not bind at all (juno60, rytm) are played by their stand-ins, one line each.
    assert len(virus) == 1 and "no-such-port" in virus[0] and "stand-in" in virus[0], warnings
    others = sorted(
        line.split("warning: ")[1].split(":")[0] for line in warnings if line not in virus
    )
    assert others == ["juno60", "rytm"], warnings
    assert "bar 9 beat 1" in done.stdout
    data = [d for _, d in events]
    assert data[0] == bytes((0xF2, 0, 1))  # bar 9 = 128 sixteenths: lsb 0, msb 1
    # The SPP goes again halfway to the Continue (an xrun cycle loses its MIDI; a second
    # SPP while stopped changes nothing): the same position, then Continue and clock.
    cont = 2 if data[1] == data[0] else 1
    assert data[cont] == b"\xfb" and data[cont + 1] == b"\xf8", data[:4]
    assert any(d[0] & 0xF0 == 0x90 for d in data)
    assert b"\xfc" in data and sounding_after(data) == []


BEATS_SONG = """\
cue: Beats
tempo: 120
meter: 4/4
tracks:
  bass: {device: monopoly}
patterns:
  beat: {track: bass, steps: "C2 . . . C2 . . . C2 . . . C2 . . ."}
sections:
  - {name: one, bars: 8, play: [beat]}
"""


def test_rig_play_for_ten_seconds_plays_ten_seconds_of_timeline_in_freewheel(
    recorder, jack_server, freewheel, tmp_path
):
    """`--for 10` counts the engine's timeline (frames / rate), not the wall clock: in
    freewheel, where 10 s of frames pass in a fraction of 10 wall seconds, the show
    still lasts exactly 480 000 frames from its downbeat: the last clock tick on frame
    479 000, the note-offs and the Stop on frame 480 000, nothing after it."""
    song = tmp_path / "beats.yaml"
    song.write_text(BEATS_SONG)
    config = _config(tmp_path, f"devices:\n  monopoly: {{port: '{recorder.port}', clock: true}}\n")
    env = dict(os.environ, PYTHONPATH=str(REPO), **jack_server.env)
    cmd = [sys.executable, "-m", "rig.cli", "play", str(song), "--for", "10",
           "--config", str(config), "--osc-port", "0"]  # fmt: skip
    player = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    xruns = jack_server.xruns.count
    try:
        wait_connected(recorder.port, timeout=120)  # generous: a loaded machine
        with freewheel:
            # `rig play` starts the show by itself 0.3 s after its engine is up: on a
            # loaded machine the switch may come after that (the start in real time).
            switched = freewheel.client.frame_time
            xruns = jack_server.xruns.count - xruns  # (real time: before the switch)
            began = time.monotonic()
            assert player.stdout is not None
            for line in player.stdout:  # status lines; the show ends by itself
                if line.startswith("ended"):
                    break
            wall = time.monotonic() - began
        # Freewheel off before the engine closes its JACK clients: a client closing
        # while the server freewheels left the next test's clients unable to start.
        out, err = player.communicate(timeout=60)
    finally:
        if player.poll() is None:
            player.kill()
            player.wait()
    events = recorder.stop()
    assert player.returncode == 0, err
    clocks = [f for f, d in events if d == b"\xf8"]
    downbeat = clocks[0]
    end = downbeat + 10 * 48000
    print(f"--for 10 in freewheel: {wall:.2f} s wall for 10 s of timeline")
    # Frame-exact: the show played in freewheel, or began before the switch (real time)
    # while the server did not xrun; else a cycle that xran may have lost MIDI then.
    started_before = events[0][0] < switched
    if started_before and xruns:
        # From the switch on, freewheel: every tick 1000 frames after the last, the
        # Stop after the last tick (which the lost ones of the real-time start may move).
        after = [f for f in clocks if f > switched]
        assert {b - a for a, b in zip(after, after[1:], strict=False)} == {1000}
        assert events[-1][1] == b"\xfc" and events[-1][0] == after[-1] + 1000
        return
    assert clocks[-1] == end - 1000 and len(clocks) == 10 * 48  # 120 BPM: a tick per 1000
    assert max(f for f, _ in events) == end  # nothing after the end of the 10 s
    stop = [d for f, d in events if f == end]
    assert stop[-1] == b"\xfc" and all(d[0] & 0xF0 == 0x80 for d in stop[:-1])
    ons = [f - downbeat for f, d in events if d[0] & 0xF0 == 0x90 and d[2]]
    assert ons == [k * 24000 for k in range(20)]  # a note every beat, the 20 of 10 s
    assert sounding_after([d for _, d in events]) == []


def test_rig_play_rejects_bad_arguments():
    run = [sys.executable, "-m", "rig.cli", "play"]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    bad = subprocess.run([*run, "songs/inferno.yaml", "--from", "0"], env=env, cwd=REPO,
                         capture_output=True, text=True)  # fmt: skip
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    missing = subprocess.run([*run, "songs/nope.yaml"], env=env, cwd=REPO,
                             capture_output=True, text=True)  # fmt: skip
    assert missing.returncode == 1 and "Traceback" not in missing.stderr


FLUTE_SONG = """\
cue: Flute check
tempo: 120
meter: 4/4
tracks:
  flute: {device: gm}
patterns:
  line: {track: flute, steps: "A4 ~ ~ . C5 ~ ~ . E5 ~ ~ . A5 ~ ~ ."}
sections:
  - {name: one, bars: 1, play: [line], program: {flute: 73}}
"""
PITCHES = (69, 72, 76, 81)  # A4 C5 E5 A5, a quarter note apart, 3/16 long each


def _config(tmp_path, body: str, audio: str = "offline") -> Path:
    config = tmp_path / "config.yaml"
    config.write_text(f"patches: {REPO / 'patches'}\naudio: {{backend: {audio}}}\n" + body)
    return config


@pytest.mark.audio
def test_rig_play_sounds_a_cue_on_fluidsynth_at_its_pitches(jack_server, fluidsynth, tmp_path):
    """`rig play` with the gm device bound to fluidsynth: the audio it makes has each
    note of the cue at its pitch (FFT peak within 30 cents), in order."""
    import numpy as np

    if shutil.which("jack_capture") is None:
        pytest.skip("jack_capture is not installed (Debian: apt-get install jack-capture)")
    song = tmp_path / "flute.yaml"
    song.write_text(FLUTE_SONG)
    config = _config(tmp_path, f"devices:\n  gm: {{port: '{fluidsynth.midi_in}'}}\n")
    wav = tmp_path / "cue.wav"
    # No fixed duration: `rig play` may take seconds to start on a busy machine, and a
    # six-second window once ended before the first note. Stopped (SIGINT: the file
    # is finished) when the play has ended.
    cmd = ["jack_capture", "-b", "16", "-f", "wav", "--daemon"]
    for port in fluidsynth.audio_out:
        cmd += ["-p", port]
    capture = subprocess.Popen([*cmd, str(wav)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)  # fmt: skip
    wait_connected(fluidsynth.audio_out[0], timeout=10)
    env = dict(os.environ, PYTHONPATH=str(REPO), **jack_server.env)
    play = [sys.executable, "-m", "rig.cli", "play", str(song), "--config", str(config)]
    done = subprocess.run([*play, "--osc-port", "0"], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "warning" not in done.stderr
    time.sleep(0.5)  # the last note's release
    capture.send_signal(signal.SIGINT)
    capture.wait(timeout=30)
    with wave.open(str(wav)) as w:
        rate, channels = w.getframerate(), w.getnchannels()
        raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    audio = raw.reshape(-1, channels).mean(axis=1) / 32768.0
    level = np.abs(audio)
    assert level.max() > 0.01, "fluidsynth was silent"
    onset = int(np.argmax(level > 0.1 * level.max()))  # the first note's attack
    for i, note in enumerate(PITCHES):
        a = onset + int((i * 0.5 + 0.08) * rate)  # quarter notes at 120 BPM: 0.5 s apart
        b = onset + int((i * 0.5 + 0.33) * rate)  # each 3/16 = 0.375 s long
        chunk = audio[a:b] * np.hanning(b - a)
        spectrum = np.abs(np.fft.rfft(chunk, n=1 << 16))
        freqs = np.fft.rfftfreq(1 << 16, 1 / rate)
        band = (freqs > 100) & (freqs < 4000)
        peak = freqs[band][np.argmax(spectrum[band])]
        cents = 1200 * np.log2(peak / (440.0 * 2 ** ((note - 69) / 12)))
        assert abs(cents) < 30, f"note {i + 1} ({note}): peak {peak:.1f} Hz, {cents:+.0f} cents"


def _playing_cue(status, index: int) -> bool:  # rig.control.protocol.Status
    return (
        status is not None
        and status.state == "playing"
        and status.cue == index
        and getattr(status, "queued_cue", -1) == -1  # not merely queued
    )


def _default_sigint() -> None:
    """In the child before exec: SIGINT's default action (Python then raises
    KeyboardInterrupt on it), whatever disposition this process inherited."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _opening_notes(arr) -> list:
    """The cue's note-ons on a device (not a stand-in) in its opening 2.5 s."""
    from rig.song.events import NoteOn

    end_tick = arr.tempo.tick_at(2.5)
    hardware = {t.name for t in arr.tracks if t.device is not None}
    return [
        e for e in arr.events if isinstance(e, NoteOn) and e.track in hardware and e.tick < end_tick
    ]


ONSETS_HEARD = 3  # distinct onsets of a cue's opening notes each window must span


def _listen_s(arr) -> float:
    """How long after a cue has begun its window must stay open: until its first
    ONSETS_HEARD distinct onsets of opening notes are due, and a margin for the
    lookahead and the status's delay (0 for a cue with no opening notes: nothing to
    hear). Not all of the 2.5 s: the other notes are no more proof that it plays."""
    ticks = sorted({e.tick for e in _opening_notes(arr)})
    if not ticks:
        return 0.0
    return arr.tempo.seconds_at(ticks[min(len(ticks), ONSETS_HEARD) - 1]) + 0.25


@pytest.mark.audio
def test_the_whole_set_plays_to_fluidsynth_cue_by_cue(
    jack_server, fluidsynth, recorder, freewheel, tmp_path
):
    """Issue 6: songs/sets/heated-rivalry-night.yaml through `rig play` to fluidsynth.

    The set lasts 40 minutes; this plays every cue until its first few opening notes
    are due, launched over OSC (`/rig/cue i`, taking over at the next bar line), with
    every device bound to fluidsynth and the rig's ports mirrored to the recorder: each
    cue whose opening seconds have notes on a device must get notes through while it
    plays, and nothing is left sounding. The cues play in JACK freewheel once `rig play`
    is up (a bar of each cue in a fraction of its time; the windows count frames).
    """
    import jack

    from rig.control.protocol import ControlClient
    from rig.project import Project

    set_path = REPO / "songs/sets/heated-rivalry-night.yaml"
    # One GM synth stands in for every device. config.yaml refuses two devices whose
    # channels overlap on one port (each would hear the other's notes): here that is
    # the point, so each device names fluidsynth's port by an equivalent pattern.
    client, _, port = fluidsynth.midi_in.partition(":")
    patterns = (fluidsynth.midi_in, f"/^{client}:{port}$/", f"/{client}:{port}/",
                f"/^{client}:/", f"{client}:")  # fmt: skip
    devices = ("virus", "juno60", "monopoly", "rytm", "gm")
    body = "midi: {client_name: rigset}\ndevices:\n"
    body += "".join(f"  {d}: {{port: '{p}'}}\n" for d, p in zip(devices, patterns, strict=True))
    config = _config(tmp_path, body, audio="jack")
    cues = Project.load(config).arrangements(set_path)
    listen = [round(_listen_s(arr) * jack_server.rate) for arr in cues]
    osc = _free_udp_port()
    env = dict(os.environ, PYTHONPATH=str(REPO), **jack_server.env)
    cmd = [sys.executable, "-m", "rig.cli", "play", str(set_path), "--config", str(config),
           "--osc-port", str(osc)]  # fmt: skip
    # SIGINT as at a terminal: pytest started in the background (`cmd &` in a script)
    # hands its children SIGINT ignored, and rig play then never saw the Ctrl-C below.
    player = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, preexec_fn=_default_sigint)  # fmt: skip
    probe = jack.Client("rigtest-set-probe", no_start_server=True)
    # The first frame of the latest cycle: `frame_time` outside a cycle is an estimate
    # from the wall clock, which freewheel leaves behind.
    cycle = [0]
    probe.set_process_callback(lambda frames: cycle.__setitem__(0, probe.last_frame_time))
    windows = []
    try:
        # Generous waits: on a loaded machine `rig play` takes many seconds to start.
        deadline = time.monotonic() + 120
        # Every device's port registered (one per bound device), not merely the first.
        while len(probe.get_ports("^rigset:", is_midi=True, is_output=True)) < len(devices):
            assert time.monotonic() < deadline and player.poll() is None, "rig play did not start"
            time.sleep(0.05)
        for port in probe.get_ports("^rigset:", is_midi=True, is_output=True):
            probe.connect(port, recorder.port)
        probe.activate()
        with ControlClient(osc) as control:
            # rig play registers its ports before it starts the show: a /rig/cue before
            # then only selects a cue, and the show starts at its own time.
            wait_for(control, lambda s: s.state == "playing", timeout=60)
        # Every client is up (jack2 opens none while it freewheels); off again before
        # they close (a client closing in freewheel upset the next test's clients).
        with freewheel, ControlClient(osc) as control:
            for index in range(len(cues)):
                # The window opens before the switch: a cue whose only early note is on its
                # downbeat (a held pad) sends it before the status can say it started.
                requested = cycle[0]
                # The first cue too: it began in real time, before the ports were
                # mirrored to the recorder, and its opening notes may be over by now.
                control.send("/rig/cue", index)
                deadline = time.monotonic() + 60
                # /rig/cue takes over at the next bar line: wait until it has.
                seen = []  # the statuses on the way, for a failure's message
                while not _playing_cue(status := control.status(timeout=0.5), index):
                    seen.append(status)
                    assert time.monotonic() < deadline, f"cue {index} never started"
                    time.sleep(0.02)
                seen.append(status)
                # It began before the status said so: its first notes are due by then.
                due = cycle[0] + listen[index]
                while cycle[0] < due:
                    assert time.monotonic() < deadline, f"cue {index}: the server stood still"
                    time.sleep(0.01)
                windows.append((index, requested, cycle[0], seen))
            control.send("/rig/stop")
            wait_for(control, lambda s: s.state == "stopped")
            # The Stop's note-offs leave the engine's sinks in their next cycle.
            after = cycle[0] + jack_server.rate // 10
            while cycle[0] < after:
                time.sleep(0.01)
        player.send_signal(signal.SIGINT)  # Ctrl-C: rig play stops the engine cleanly
        try:
            code = player.wait(120)  # generous: a loaded machine
        except subprocess.TimeoutExpired:  # say where it hung (seen once in CI-like load)
            player.kill()
            raise AssertionError(f"rig play did not end: {player.stderr.read()[-2000:]}") from None
        assert code == 0, player.stderr.read()
    finally:
        if player.poll() is None:
            player.kill()
        probe.close()
    events = recorder.stop()
    data = [d for _, d in events]
    assert sounding_after(data) == []
    silent = []
    told = []
    for index, first, last, seen in windows:
        expected = _opening_notes(cues[index])
        # Only this cue's own (channel, note) pairs count: the window may open on the last
        # notes of the cue before.
        own = {(e.channel, e.note) for e in expected}
        got = [
            d
            for f, d in events
            if first <= f < last and d[0] & 0xF0 == 0x90 and d[2] and (d[0] & 0x0F, d[1]) in own
        ]
        if expected and not got:
            silent.append(cues[index].name)
            heard = [(f, d) for f, d in events if first <= f < last and d[0] & 0xF0 == 0x90]
            told.append(
                f"{cues[index].name}: window frames {first}..{last}, expected {sorted(own)[:8]},"
                f" note-ons in the window {heard[:8]}, statuses "
                + "; ".join(
                    "none" if s is None else f"{s.state} cue {s.cue} bar {s.bar} q {s.queued_cue}"
                    for s in seen[:6]
                )
            )
    assert silent == [], f"no notes arrived for {silent}: " + " | ".join(told)
