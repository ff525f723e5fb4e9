"""Load `patches/devices/*.yaml` into frozen `Device` models, reporting every mistake.

A device file is written by hand (often backstage, from a synth's MIDI chart),
so the loader checks what a typo could break on stage: controller numbers
inside 0..127 and outside the channel-mode range, no controller number given
two names, channels 1..16 with room for every part, lane notes 0..127, and
unknown keys (with a suggestion). All problems of all files come back in one
`InputError`, each as ``file:line:col: message``.

The format (channels counted 1..16 as musicians do; see patches/devices/*.yaml)::

    device: virus                 # the id; must equal the file stem
    name: Access Virus TI         # display name
    channel: 1                    # base channel; part N listens on channel + N - 1
    parts: 16                     # 1 unless multi-timbral
    voices: 20                    # polyphony
    cc: {cutoff: 40, pan: {cc: 10, min: 0, max: 127, default: 64}}
    lanes: {BD: 0, SD: {note: 38, channel: 10}}    # optional: a drum machine
    programs: {count: 128, banks: 4, bank_select: msb}   # none | msb | lsb | msb+lsb
    latency_ms: 0                 # from receiving MIDI to sound
    stand_in: virus-pad           # software voice used when the device is absent
    clock: true                   # follows MIDI clock by default
    notes: {low: 36, high: 97}    # optional playable range
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from rig.devices.model import (
    BANK_SELECT_MODES,
    MODE_MESSAGES,
    ControlDef,
    Device,
    Lane,
    ProgramScheme,
)
from rig.source import InputError, Node, Pos, Problems, SourceError, load_yaml_file, suggest
from rig.source.fields import MapReader, as_bool, as_int, as_map, as_number, as_str

__all__ = ["DEVICE_KEYS", "load_device", "load_devices", "read_device"]

DEVICE_KEYS = (
    "device",
    "name",
    "channel",
    "parts",
    "voices",
    "cc",
    "lanes",
    "programs",
    "latency_ms",
    "stand_in",
    "clock",
    "notes",
)
_CC_KEYS = ("cc", "min", "max", "default")
_LANE_KEYS = ("note", "channel")
_PROGRAM_KEYS = ("count", "banks", "bank_select")
_NOTE_KEYS = ("low", "high")

# CC and lane names are written as `track.cutoff` / `lanes: {BD: ...}` in songs,
# so they must be plain identifiers (no dots or spaces).
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")

# Bank Select is sent by the program-change logic; a named CC on the same number
# would let automation change banks behind its back.
_BANK_CC = {"msb": (0,), "lsb": (32,), "msb+lsb": (0, 32), "none": ()}
_BANK_CC_NAME = {0: "Bank Select MSB", 32: "Bank Select LSB"}

_MAX_LATENCY_MS = 1000.0


def load_device(path: Path) -> Device:
    """One device file; raises InputError listing every problem in it."""
    problems = Problems()
    device = read_device(load_yaml_file(path), path.stem, problems, _voice_names(path.parent))
    problems.raise_if_any()
    assert device is not None
    return device


def load_devices(directory: Path) -> dict[str, Device]:
    """Every ``*.yaml`` in `directory`, by id; one InputError for all files' problems."""
    if not directory.is_dir():
        what = "is not a folder" if directory.exists() else "devices folder not found"
        raise InputError([SourceError(Pos(str(directory), 1, 1), what)])
    problems = Problems()
    devices: dict[str, Device] = {}
    voices = _voice_names(directory)
    for path in sorted(directory.iterdir()):
        if path.suffix == ".yml":
            # Silently skipping it would leave a musician wondering where the synth went.
            problems.add(
                Pos(str(path), 1, 1), f"device files must end in .yaml (rename to {path.stem}.yaml)"
            )
            continue
        if path.suffix != ".yaml" or not path.is_file():
            continue
        try:
            root = load_yaml_file(path)
        except InputError as exc:
            problems.extend(exc.errors)
            continue
        device = read_device(root, path.stem, problems, voices)
        if device is not None:
            devices[device.name] = device
    problems.raise_if_any()
    return devices


def _voice_names(devices_dir: Path) -> frozenset[str] | None:
    """The software voices beside a devices/ folder (patches/voices/*.yaml); None: no folder."""
    voices = devices_dir.parent / "voices"
    if not voices.is_dir():
        return None
    return frozenset(p.stem for p in voices.glob("*.yaml"))


def read_device(
    root: Node, stem: str, problems: Problems, known_voices: frozenset[str] | None = None
) -> Device | None:
    """Validate a parsed device file; None (with problems added) if anything is wrong.

    `known_voices`: the software voices; a `stand_in` naming another is an error.
    """
    before = len(problems)
    r = MapReader(root, problems, f"device '{stem}'", DEVICE_KEYS)
    if not r.ok:
        return None

    node = r.get("device", required=True)
    ident = as_str(node, problems, "device") if node is not None else None
    if node is not None and ident is not None and ident != stem:
        problems.add(
            node.pos,
            f"device: id '{ident}' must equal the file name '{stem}' (rename one of them)",
        )
    node = r.get("name", required=True)
    title = as_str(node, problems, "name") if node is not None else None

    channel = _opt_int(r.get("channel"), problems, "channel", 1, 16, 1)
    node = r.get("parts")
    parts = _opt_int(node, problems, "parts", 1, 16, 1)
    if node is not None and channel is not None and parts is not None and channel + parts > 17:
        problems.add(
            node.pos,
            f"parts: {parts} parts from channel {channel} would need channels up to "
            f"{channel + parts - 1}; MIDI has 16",
        )
    node = r.get("voices", required=True)
    voices = as_int(node, problems, "voices", 1, 1024) if node is not None else None

    node = r.get("programs")
    programs = _programs(node, problems) if node is not None else ProgramScheme()

    node = r.get("cc")
    bank_mode = programs.bank_select if programs is not None else "none"
    ccs = _controls(node, problems, bank_mode) if node is not None else {}

    node = r.get("lanes")
    lanes = _lanes(node, problems, (channel or 1) - 1) if node is not None else {}

    node = r.get("latency_ms")
    latency = (
        as_number(node, problems, "latency_ms", 0, _MAX_LATENCY_MS) if node is not None else 0.0
    )
    node = r.get("stand_in", required=True)
    stand_in = as_str(node, problems, "stand_in") if node is not None else None
    known = known_voices
    if node is not None and stand_in is not None and known is not None and stand_in not in known:
        problems.add(
            node.pos, f"stand_in: unknown voice '{stand_in}'{suggest(stand_in, known, 'voices')}"
        )
        stand_in = None
    node = r.get("clock")
    clock = as_bool(node, problems, "clock") if node is not None else False
    node = r.get("notes")
    low, high = _note_range(node, problems) if node is not None else (0, 127)
    r.finish()

    if len(problems) > before:
        return None
    assert ident and title and channel and parts and voices and stand_in and programs
    assert latency is not None and clock is not None and low is not None and high is not None
    return Device(
        name=ident,
        title=title,
        channel=channel - 1,
        parts=parts,
        voices=voices,
        ccs=MappingProxyType(ccs),
        lanes=MappingProxyType(lanes),
        programs=programs,
        latency_ms=latency,
        stand_in=stand_in,
        clock=clock,
        note_low=low,
        note_high=high,
        source=root.pos,
    )


def _opt_int(
    node: Node | None, problems: Problems, what: str, lo: int, hi: int, default: int | None
) -> int | None:
    """An optional whole number: `default` when absent, None (problem added) when bad."""
    return default if node is None else as_int(node, problems, what, lo, hi)


def _check_name(name: str, pos: Pos, problems: Problems, what: str) -> bool:
    if _NAME.match(name):
        return True
    problems.add(
        pos,
        f"{what} '{name}': a name may hold only letters, digits and _, starting with a "
        "letter (songs write it as track.name)",
    )
    return False


def _controls(node: Node, problems: Problems, bank_mode: str) -> dict[str, ControlDef]:
    items = as_map(node, problems, "cc")
    if items is None:
        return {}
    out: dict[str, ControlDef] = {}
    seen: dict[int, tuple[str, Pos]] = {}
    for name, value in items.items():
        key_pos = node.key_pos[name]
        if not _check_name(name, key_pos, problems, "cc"):
            continue
        what = f"cc '{name}'"
        lo, hi, default = 0, 127, None
        if value.is_map:
            r = MapReader(value, problems, what, _CC_KEYS)
            number_node = r.get("cc", required=True)
            min_node, max_node, default_node = r.get("min"), r.get("max"), r.get("default")
            r.finish()
            got_lo = _opt_int(min_node, problems, f"{what}: min", 0, 127, 0)
            got_hi = _opt_int(max_node, problems, f"{what}: max", 0, 127, 127)
            default = _opt_int(default_node, problems, f"{what}: default", 0, 127, None)
            lo, hi = got_lo if got_lo is not None else 0, got_hi if got_hi is not None else 127
            if min_node is not None and lo > hi:
                problems.add(min_node.pos, f"{what}: min {lo} is above max {hi}")
            elif default_node is not None and default is not None and not lo <= default <= hi:
                problems.add(
                    default_node.pos, f"{what}: default {default} is outside min..max {lo}..{hi}"
                )
            if number_node is None:
                continue
        else:
            number_node = value
        number = as_int(number_node, problems, what, 0, 127)
        if number is None:
            continue
        if number in MODE_MESSAGES:
            problems.add(
                number_node.pos,
                f"{what}: {number} is the channel mode message {MODE_MESSAGES[number]}, not a "
                "controller (120..127 are reserved by MIDI; rig sends them itself)",
            )
            continue
        if number in _BANK_CC[bank_mode]:
            problems.add(
                number_node.pos,
                f"{what}: {number} is {_BANK_CC_NAME[number]}, which programs "
                f"(bank_select: {bank_mode}) sends itself",
            )
            continue
        if number in seen:
            other, other_pos = seen[number]
            problems.add(
                number_node.pos,
                f"{what}: CC {number} is already named '{other}' (line {other_pos.line})",
            )
            continue
        seen[number] = (name, number_node.pos)
        out[name] = ControlDef(name, number, lo, hi, default)
    return out


def _lanes(node: Node, problems: Problems, device_channel: int) -> dict[str, Lane]:
    items = as_map(node, problems, "lanes")
    if items is None:
        return {}
    if not items:
        problems.add(node.pos, "lanes: empty; list the drum lanes, or leave 'lanes' out")
        return {}
    out: dict[str, Lane] = {}
    seen: dict[tuple[int, int], tuple[str, Pos]] = {}
    for name, value in items.items():
        if not _check_name(name, node.key_pos[name], problems, "lane"):
            continue
        what = f"lane '{name}'"
        channel: int | None = None
        if value.is_map:
            r = MapReader(value, problems, what, _LANE_KEYS)
            note_node = r.get("note", required=True)
            channel_node = r.get("channel")
            r.finish()
            if channel_node is not None:
                got = as_int(channel_node, problems, f"{what}: channel", 1, 16)
                if got is None:
                    continue
                channel = got - 1
            if note_node is None:
                continue
        else:
            note_node = value
        note = as_int(note_node, problems, f"{what}: note", 0, 127)
        if note is None:
            continue
        where = (note, device_channel if channel is None else channel)
        if where in seen:
            other, other_pos = seen[where]
            problems.add(
                note_node.pos,
                f"{what}: note {note} on channel {where[1] + 1} is already lane '{other}' "
                f"(line {other_pos.line})",
            )
            continue
        seen[where] = (name, note_node.pos)
        out[name] = Lane(name, note, channel)
    return out


def _programs(node: Node, problems: Problems) -> ProgramScheme | None:
    r = MapReader(node, problems, "programs", _PROGRAM_KEYS)
    if not r.ok:
        return None
    count_node, banks_node, mode_node = (r.get(k) for k in _PROGRAM_KEYS)
    r.finish()
    count = _opt_int(count_node, problems, "programs: count", 0, 128, 128)
    banks = _opt_int(banks_node, problems, "programs: banks", 1, 128 * 128, 1)
    mode: str | None = "none"
    if mode_node is not None:
        mode = as_str(mode_node, problems, "programs: bank_select")
        if mode is not None and mode not in BANK_SELECT_MODES:
            problems.add(
                mode_node.pos,
                f"programs: unknown bank_select '{mode}'{suggest(mode, BANK_SELECT_MODES)}",
            )
            mode = None
    if count is None or banks is None or mode is None:
        return None
    limit = {"none": 1, "msb": 128, "lsb": 128, "msb+lsb": 128 * 128}[mode]
    if banks > limit:
        assert banks_node is not None
        problems.add(
            banks_node.pos,
            f"programs: {banks} banks need a bank_select of "
            + ("msb, lsb or msb+lsb" if mode == "none" else "msb+lsb")
            + f"; bank_select {mode} reaches {limit}",
        )
        return None
    return ProgramScheme(count, banks, mode)


def _note_range(node: Node, problems: Problems) -> tuple[int | None, int | None]:
    r = MapReader(node, problems, "notes", _NOTE_KEYS)
    if not r.ok:
        return None, None
    low_node, high_node = r.get("low"), r.get("high")
    r.finish()
    low = _opt_int(low_node, problems, "notes: low", 0, 127, 0)
    high = _opt_int(high_node, problems, "notes: high", 0, 127, 127)
    if low is not None and high is not None and low > high:
        problems.add(node.pos, f"notes: low {low} is above high {high}")
        return None, None
    return low, high
