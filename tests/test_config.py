"""config.yaml: the repository's file loads; bad configs give exact file:line:col errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import rig
from rig.config import (
    Config,
    DeviceBinding,
    check_bindings,
    default_config,
    default_patches_dir,
    load_config,
    match_port,
)
from rig.devices import load_devices
from rig.source import InputError

REPO = Path(rig.__file__).resolve().parent.parent
KNOWN = ["gm", "juno60", "monopoly", "rytm", "virus"]


def write(directory: Path, text: str, name: str = "config.yaml") -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path, known: list[str] | None = KNOWN) -> list[str]:
    with pytest.raises(InputError) as info:
        load_config(path, known)
    return [str(e) for e in info.value.errors]


def test_repository_config_loads_with_the_real_devices() -> None:
    devices = load_devices(default_patches_dir() / "devices")
    config = load_config(REPO / "config.yaml", devices)
    assert config.patches_dir == REPO / "patches"
    assert config.devices_dir == REPO / "patches" / "devices"
    assert (config.midi_backend, config.rtmidi_api, config.client_name) == ("jack", "auto", "rig")
    assert (config.audio_backend, config.sample_rate) == ("auto", 48000)
    assert (config.osc_host, config.osc_port) == ("127.0.0.1", 9000)
    assert set(config.bindings) == {"virus", "juno60", "monopoly", "rytm"}
    virus = config.bindings["virus"]
    assert (virus.port, virus.channel, virus.clock, virus.latency_ms) == ("Virus", 0, False, 0.0)
    juno = config.bindings["juno60"]
    assert (juno.channel, juno.clock, juno.latency_ms) == (1, None, None)
    assert juno.clock_for(devices["juno60"]) is devices["juno60"].clock  # falls back to the file
    assert config.bindings["rytm"].channel_for(devices["rytm"]) == 13
    assert check_bindings(config, devices) == []


def test_default_config_has_no_bindings() -> None:
    config = default_config()
    assert isinstance(config, Config)
    assert dict(config.bindings) == {}
    assert config.patches_dir == REPO / "patches"
    assert config.patches_dir.is_dir()
    assert (config.midi_backend, config.audio_backend) == ("jack", "auto")


def test_everything_optional_and_relative_patches(tmp_path: Path) -> None:
    (tmp_path / "kit").mkdir()
    config = load_config(write(tmp_path, "patches: kit\ndevices:\n  gm: FLUID\n"), KNOWN)
    assert config.patches_dir == (tmp_path / "kit").resolve()
    assert config.bindings["gm"] == DeviceBinding(
        "gm", "FLUID", None, None, None, config.bindings["gm"].source
    )
    assert str(config.bindings["gm"].source) == f"{tmp_path / 'config.yaml'}:3:3"
    assert config.sample_rate == default_config().sample_rate


def test_unknown_device_with_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "devices:\n  virsu: {port: Virus}\n")
    assert errors_of(path) == [
        f"{path}:2:3: devices: unknown device 'virsu' (did you mean 'virus'?)"
    ]
    assert "virsu" in load_config(path, None).bindings  # without known devices: not checked


def test_bad_backend_with_suggestion(tmp_path: Path) -> None:
    text = "midi:\n  backend: jak\n  rtmidi_api: coremdi\naudio:\n  backend: ofline\n"
    path = write(tmp_path, text)
    assert errors_of(path) == [
        f"{path}:2:12: midi: backend: unknown 'jak' (did you mean 'jack'?)",
        f"{path}:3:15: midi: rtmidi_api: unknown 'coremdi' (did you mean 'coremidi'?)",
        f"{path}:5:12: audio: backend: unknown 'ofline' (did you mean 'offline'?)",
    ]


def test_unknown_keys_with_suggestions(tmp_path: Path) -> None:
    path = write(tmp_path, "midi:\n  backnd: jack\ndevice:\n  virus: Virus\n")
    assert errors_of(path) == [
        f"{path}:2:3: midi: unknown key 'backnd' (did you mean 'backend'?)",
        f"{path}:3:1: config: unknown key 'device' (did you mean 'devices'?)",
    ]


def test_audio_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "audio:\n  sample_rate: 48k\n  buffer: 64\nosc: {port: 70000}\n")
    assert errors_of(path) == [
        f"{path}:2:16: audio: sample_rate: expected a whole number, got '48k'",
        # Live audio takes the JACK server's block size; nothing would read this one.
        f"{path}:3:3: audio: unknown key 'buffer' (known: backend, sample_rate)",
        f"{path}:4:13: osc: port: 70000 is out of range 1..65535",
    ]


def test_binding_errors(tmp_path: Path) -> None:
    text = (
        "devices:\n"
        "  virus: {port: Virus, channel: 0, clock: maybe}\n"
        "  juno60: {channel: 2}\n"
        "  rytm: {port: '/Rytm[/', latency_ms: -3}\n"
    )
    path = write(tmp_path, text)
    errors = errors_of(path)
    assert errors == [
        f"{path}:2:33: device 'virus': channel: 0 is out of range 1..16",
        f"{path}:2:43: device 'virus': clock: expected true or false, got 'maybe'",
        f"{path}:3:11: device 'juno60': missing 'port'",
        f"{path}:4:16: device 'rytm': port: bad regular expression /Rytm[/: "
        "unterminated character set at position 4",
        f"{path}:4:39: device 'rytm': latency_ms: -3 is out of range 0..1000",
    ]


def test_two_devices_on_one_port_and_channel(tmp_path: Path) -> None:
    text = (
        "devices:\n  juno60: {port: Synths, channel: 2}\n  monopoly: {port: synths, channel: 2}\n"
    )
    path = write(tmp_path, text)
    assert errors_of(path) == [
        f"{path}:3:3: device 'monopoly': port 'synths' channel 2 is already used by 'juno60' "
        "(line 2)"
    ]


def test_missing_patches_folder(tmp_path: Path) -> None:
    path = write(tmp_path, "patches: nowhere\n")
    assert errors_of(path) == [
        f"{path}:1:10: patches: folder 'nowhere' not found (looked in {tmp_path.resolve()})"
    ]


def test_patches_outside_the_project_is_refused_before_reading(tmp_path: Path) -> None:
    """`patches:` is confined like `include:`: the folder is never read, its files never quoted."""
    project = tmp_path / "project"
    project.mkdir()
    theirs = tmp_path / "theirs" / "devices"
    theirs.mkdir(parents=True)
    (theirs / "x.yaml").write_text("device: [TOKEN=hunter2\n")
    path = write(project, "patches: ../theirs\n")
    base = project.resolve()
    assert errors_of(path) == [
        f"{path}:1:10: patches: '../theirs' is outside the project (may be a folder below "
        f"{base}, rig's own patches or an 'includes:' folder; add it to 'includes:' to allow it)"
    ]
    widened = write(project, "includes: [../theirs]\npatches: ../theirs\n")
    assert load_config(widened).patches_dir == (tmp_path / "theirs").resolve()


def test_duplicate_key_and_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "osc: {port: 9000}\nosc: {port: 9001}\n")
    assert errors_of(path) == [f"{path}:2:1: duplicate key 'osc' (first at line 1)"]
    empty = write(tmp_path, "", "empty.yaml")
    assert errors_of(empty) == [f"{empty}:1:1: file is empty"]


def test_check_bindings_with_device_models(tmp_path: Path) -> None:
    devices = load_devices(default_patches_dir() / "devices")
    text = (
        "devices:\n"
        "  virus: {port: Desk, channel: 2}\n"  # 16 parts from channel 2
        "  rytm: {port: desk, channel: 16}\n"  # inside the Virus's channels on the same port
        "  juno60: {port: Juno}\n"
    )
    config = load_config(write(tmp_path, text), devices)
    path = tmp_path / "config.yaml"
    assert [str(e) for e in check_bindings(config, devices)] == [
        f"{path}:2:3: device 'virus': 16 parts from channel 2 would need channels up to 17; "
        "MIDI has 16",
        f"{path}:3:3: device 'rytm': channel 16 on port 'desk' overlaps 'virus' "
        "(channels 2..16, line 2)",
    ]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("virus", "a2j:Virus TI [20] (playback): Virus TI MIDI 1"),
        ("VIRUS TI", "a2j:Virus TI [20] (playback): Virus TI MIDI 1"),
        ("rytm", "Elektron Analog Rytm MKII"),
        ("mono", "Mono"),  # an exact name wins over "Monotron" earlier in the list
        ("/^mono/", "Monotron"),  # regex: first match in order
        ("/rytm\\s+mkii$/", "Elektron Analog Rytm MKII"),
        ("juno", None),
        ("/", None),  # a lone slash is a plain substring
    ],
)
def test_match_port(pattern: str, expected: str | None) -> None:
    names = [
        "Monotron",
        "a2j:Virus TI [20] (playback): Virus TI MIDI 1",
        "Elektron Analog Rytm MKII",
        "Mono",
    ]
    assert match_port(pattern, names) == expected


def test_match_port_bad_regex() -> None:
    with pytest.raises(ValueError, match="bad regular expression"):
        match_port("/[/", ["x"])


def test_clock_while_stopped_per_device(tmp_path: Path) -> None:
    text = (
        "devices:\n"
        "  monopoly: {port: Mono, clock: true, clock_while_stopped: true}\n"
        "  rytm: {port: Rytm, clock: true}\n"
        "  virus: {port: Virus, clock_while_stopped: often}\n"
    )
    path = write(tmp_path, text)
    assert errors_of(path) == [
        f"{path}:4:45: device 'virus': clock_while_stopped: expected true or false, got 'often'"
    ]
    path = write(tmp_path, text.replace("often", "false"))
    bindings = load_config(path, KNOWN).bindings
    assert bindings["monopoly"].clock_while_stopped is True
    assert bindings["rytm"].clock_while_stopped is False  # the default: clock only while playing
    assert bindings["virus"].clock_while_stopped is False


def test_live_keys_controller_and_open_osc(tmp_path: Path) -> None:
    from rig.config import KEY_ACTIONS

    text = (
        "osc: {host: 0.0.0.0, port: 9001, open: true}\n"
        "keys: {play: space, quit: Q, panic: '!'}\n"
        "controller:\n"
        "  port: nanoPAD\n"
        "  channel: 10\n"
        "  map:\n"
        "    - {note: 36, action: next, quantize: bar}\n"
        "    - {note: 37, action: launch, cue: 3}\n"
        "    - {cc: 64, action: toggle_mute, track: bass}\n"
        "    - {note: 38, action: section, section: drop}\n"
        "    - {note: 39, action: nudge, bpm: -0.5}\n"
    )
    config = load_config(write(tmp_path, text), KNOWN)
    assert config.osc_open and config.osc_bind_host == "0.0.0.0"
    assert dict(config.keys) == {"play": "space", "quit": "Q", "panic": "!"}
    assert set(KEY_ACTIONS) >= set(config.keys)
    controller = config.controller
    assert controller is not None and (controller.port, controller.channel) == ("nanoPAD", 9)
    launch = controller.mappings[1]
    assert (launch.kind, launch.number, launch.action, launch.cue) == ("note", 37, "launch", 2)
    assert controller.mappings[0].quantize == "bar"
    assert controller.mappings[2].track == "bass" and controller.mappings[4].bpm == -0.5
    assert str(controller.mappings[3].source) == f"{tmp_path / 'config.yaml'}:10:7"


def test_osc_stays_on_loopback_unless_opened(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "osc: {host: 0.0.0.0}\n"), KNOWN)
    assert not config.osc_open and config.osc_bind_host == "127.0.0.1"
    assert default_config().osc_bind_host == "127.0.0.1" and default_config().controller is None


def test_live_section_errors(tmp_path: Path) -> None:
    text = (
        "keys: {plya: p, stop: p}\n"
        "controller:\n"
        "  port: pads\n"
        "  map:\n"
        "    - {note: 36, action: lanuch}\n"
        "    - {note: 37, action: launch}\n"
        "    - {note: 38, cc: 1, action: stop}\n"
        "    - {note: 39, action: stop, track: bass}\n"
        "    - {note: 40, action: next, quantize: bars}\n"
        "    - {note: 39, action: play}\n"
    )
    path = write(tmp_path, text)
    assert errors_of(path) == [
        f"{path}:1:8: keys: unknown action 'plya' (did you mean 'play'?)",
        f"{path}:1:23: keys: 'p' is both 'play' and 'stop'",
        f"{path}:5:26: controller: map 1: unknown action 'lanuch' (did you mean 'launch'?)",
        f"{path}:6:7: controller: map 2: 'launch' needs 'cue'",
        f"{path}:7:7: controller: map 3: give exactly one of 'note' or 'cc'",
        f"{path}:8:32: controller: map 4: 'stop' takes no 'track'",
        f"{path}:9:42: controller: map 5: quantize: unknown 'bars' (did you mean 'bar'?)",
        f"{path}:10:7: controller: map 6: note 39 is already mapped (map 4)",
    ]


def test_count_in(tmp_path: Path) -> None:
    from rig.config.countin import CountIn

    path = write(tmp_path, "count_in: {bars: 2, click: rytm, channel: 10, note: 42}\n")
    assert load_config(path).count_in == CountIn(bars=2, click="rytm", channel=9, note=42)
    assert load_config(write(tmp_path, "count_in: {}\n")).count_in == CountIn(bars=1)
    assert load_config(write(tmp_path, "osc: {port: 9000}\n")).count_in.bars == 0
    path = write(tmp_path, "count_in: {bars: 9, chanel: 10, note: 200}\n")
    assert errors_of(path) == [
        f"{path}:1:18: count_in: bars: 9 is out of range 0..8",
        f"{path}:1:21: count_in: unknown key 'chanel' (did you mean 'channel'?)",
        f"{path}:1:39: count_in: note: 200 is out of range 0..127",
    ]
