"""OSC messages → `Engine` calls, the status reply, and the engine loop's small steps.

`handle` checks a message against `rig.control.protocol.ADDRESSES` (lenient where
remotes are: TouchOSC sends every value as a float, and a button sends 1.0 on
press and 0.0 on release) and calls the engine. `run_loads` does the hot-reload
work the engine loop fits between pumps: a few short steps of reading a bundle
(`rig.engine.bundle`), then the swap. `/rig/voice` is checked at once (the file, the
name, a player to take it); the voice player builds the new version as such a step,
outside the frame loop's lock (`rig.voices.swap.HotSwap.build_voice`), and swaps it in
under it, to sound from the next boundary.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Generator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.control.protocol import ADDRESSES, SetInfo, Status
from rig.engine.bundle import read_voice, session_file
from rig.engine.landing import NewCues, fill_fields, reload_steps
from rig.engine.transport import Engine
from rig.song.quantize import bar_beat, boundary, check_quantize
from rig.voices.settings import VOICE_PREFIX

__all__ = [
    "handle",
    "status",
    "status_fields",
    "setlist",
    "run_loads",
    "track_status",
    "boundary_ns",
]


def _int(value: object, what: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise ValueError(f"{what}: expected a whole number, got {value!r}")


def _float(value: object, what: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        return float(str(value))
    except ValueError:
        raise ValueError(f"{what}: expected a number, got {value!r}") from None


def _args(address: str, args: list) -> list | None:
    """Arguments converted to their types; None for a button release (ignore it)."""
    spec = ADDRESSES[address]
    required = [t for t in spec if not t.endswith("?")]
    if not spec and len(args) == 1 and isinstance(args[0], int | float):
        return [] if args[0] else None  # a remote's button: act on press only
    if len(args) < len(required) or len(args) > len(spec):
        raise ValueError(f"{address}: expected {' '.join(spec) or 'no arguments'}, got {args}")
    out: list = []
    for kind, value in zip(spec, args, strict=False):
        kind = kind.rstrip("?")
        what = f"{address}"
        if kind == "int":
            out.append(_int(value, what))
        elif kind == "float":
            out.append(_float(value, what))
        elif kind == "any":
            out.append(value if isinstance(value, str) else _int(value, what))
        else:
            out.append(str(value))
    return out


def handle(
    engine: Engine, address: str, args: list, now_ns: int, cpu_seconds: float = 0.0
) -> tuple[str, list] | None:
    """Apply one command; returns a reply (address, args) or None. ValueError on bad
    input (also kept as the engine's last error, shown in the status)."""
    if address not in ADDRESSES:
        engine.last_error = f"unknown address {address}"
        raise ValueError(engine.last_error)
    try:
        return _apply(engine, address, args, now_ns, cpu_seconds)
    except (ValueError, IndexError, TypeError) as exc:
        engine.last_error = str(exc)
        raise ValueError(str(exc)) from None


def _apply(
    engine: Engine, address: str, raw: list, now_ns: int, cpu_seconds: float
) -> tuple[str, list] | None:
    args = _args(address, raw)
    if args is None:
        return None
    verb = address.removeprefix("/rig/")
    quantize = None
    if verb in ("launch", "section", "mute", "unmute", "solo", "unsolo", "reload", "fill"):
        quantize = check_quantize(args[1]) if len(args) > 1 else None
    elif verb == "voice":
        quantize = check_quantize(args[2]) if len(args) > 2 else None
    elif verb == "next" and args:
        quantize = check_quantize(args[0])
    if verb == "sync":
        if engine.sync is None:
            raise ValueError("sync: this engine cannot follow another clock")
        engine.sync.switch(args[0], now_ns)
        return None
    if engine.sync is not None and engine.sync.handle(verb, now_ns):
        return None
    if verb == "play":
        engine.play(now_ns, args[0] if args else None)
    elif verb == "resume":  # the live host, after a restart: no second count-in
        if engine.scheduler.playing:
            raise ValueError("/rig/resume: the engine already plays")
        engine.cue(now_ns, args[0])
        engine.play(now_ns, args[1], count_in=False)
    elif verb == "stop":
        engine.stop(now_ns)
    elif verb == "continue":
        engine.cont(now_ns)
    elif verb == "locate":
        engine.locate(now_ns, args[0])
    elif verb == "launch":
        engine.launch(now_ns, args[0], quantize or "bar")
    elif verb == "next":
        engine.launch_next(now_ns, quantize or "bar")
    elif verb == "cue":
        engine.cue(now_ns, args[0])
    elif verb == "cancel":
        engine.cancel(now_ns)
    elif verb == "section":
        engine.section(now_ns, args[0], quantize or "bar")
    elif verb in ("mute", "unmute", "solo", "unsolo"):
        getattr(engine, verb)(now_ns, args[0], quantize or "now")
    elif verb == "tempo":
        engine.tempo(args[0])
    elif verb == "nudge":
        engine.nudge(args[0])
    elif verb == "tap":
        engine.tap(now_ns)
    elif verb == "reload":
        path = session_file(engine.bundle_dir, "reload", args[0])
        engine.landing.received(path.name)
        engine.loads.append((reload_steps(engine, path), quantize or "bar", path.name))
    elif verb == "voice":
        path = session_file(engine.bundle_dir, f"voice {args[0]}", args[1])
        _voice(engine, args[0], path, quantize or "bar", now_ns)
    elif verb == "fill":
        _fill(engine, args[0] if args else "on", quantize or "bar", now_ns)
    elif verb == "panic":
        engine.panic(now_ns)
    elif verb == "status":
        return "/rig/status", Status.args_of(status_fields(engine, now_ns, cpu_seconds))
    elif verb == "setlist":
        return "/rig/setlist", setlist(engine).args()
    return None


def _fill(engine: Engine, how: str | int, quantize: str, now_ns: int) -> None:
    """`/rig/fill N` (bars), `on` (held) or `off`/0 (let go of a held fill)."""
    if isinstance(how, str) and how.strip().isdigit():
        how = int(how)
    if how in ("off", 0):
        engine.release_fill(now_ns, quantize)
    elif how == "on":
        engine.fill(now_ns, None, quantize)
    elif isinstance(how, int):
        cue = engine.cues[engine.view.index]
        if how > 0 and engine.scheduler.playing and cue.fill_variant is None:
            # the `f` key and a pad with `bars:` would change nothing, and say nothing
            raise ValueError(f"fill: {cue.name} has no {{fill}} conditions: it plays the same")
        engine.fill(now_ns, how, quantize)
    else:
        raise ValueError(f"/rig/fill: expected a number of bars, on or off, got {how!r}")


@dataclass(frozen=True)
class VoiceBuilt:
    """A software voice's new version, built by a load step, waiting for its swap."""

    player: Any
    made: list
    name: str = ""  # the file it came in
    voice: str = ""


def _voice(engine: Engine, name: str, path: Path, quantize: str, now_ns: int) -> None:
    """Queue software voice `name`'s new version (the file the controller wrote): built
    by `run_loads` outside the frame loop's lock, swapped in at the next `quantize`
    boundary after (at once while stopped). A wrong file or name fails here, at once."""
    got, spec = read_voice(path)  # read (and removed) even when nothing can play it
    if got != name:
        raise ValueError(f"voice {name}: the file {path} holds voice {got}")
    player = engine.dsp_hook
    if player is None or not hasattr(player, "build_voice"):
        raise ValueError(f"voice {name}: no software voices are running")
    engine.landing.received(path.name)
    engine.loads.append((_build_voice(player, name, spec, path.name), quantize, path.name))


def _build_voice(
    player: Any, name: str, spec: Any, file: str = ""
) -> Generator[None, None, VoiceBuilt]:
    yield  # the build is the next step: the loop's round, not the packet's handling
    return VoiceBuilt(player, player.build_voice(name, spec), file, name)


def boundary_ns(engine: Engine, now_ns: int, quantize: str) -> int:
    """When the next `quantize` boundary sounds: the first at or after the first tick
    the scheduler has not handed over (as `Engine` quantizes its actions); `now_ns`
    while stopped. The clock counts the current view's ticks."""
    if not engine.scheduler.playing:
        return now_ns
    view = engine.view
    first_free = max(int(engine.clock.tick_at(now_ns)), engine.scheduler.next_tick, 0)
    tick = boundary(view.sections, view.length_ticks, first_free, quantize)
    return int(engine.clock.ns_at(tick))


def track_status(engine: Engine) -> list[tuple[str, str, str]]:
    """(track, device or voice, "hw" | "stand-in" | "voice" | "none") for the tracks of
    the current cue: who is heard playing each track right now."""
    out = []
    for info in engine.view.tracks:
        sink = engine.scheduler.outputs.get(info.device) if info.device else None
        if sink is None:
            state = "none"
        elif info.device.startswith(VOICE_PREFIX):  # a software-voice track
            state = "voice"
        elif hasattr(sink, "on_hardware"):  # a device with a stand-in (rig.voices.player)
            state = "hw" if sink.on_hardware else "stand-in" if sink.stand_in else "none"
        else:
            state = "hw" if getattr(sink, "connected", True) else "none"
        shown = info.voice if state == "voice" else info.device
        out.append((info.name, shown or "", state))
    return out


def _hosts(engine: Engine) -> list:
    """The engine's JACK MIDI client(s). A device with a stand-in is a `FallbackOutput`
    around its MIDI sink (`.hardware`): look there too (else the status said 0 xruns
    while the server had thousands)."""
    hosts = {}
    for out in engine.scheduler.outputs.values():
        for part in (out, getattr(out, "hardware", None)):
            if (host := getattr(part, "host", None)) is not None:
                hosts[id(host)] = host
    return list(hosts.values())


def _host_fields(engine: Engine) -> dict:
    """JACK xruns, process cycles and callback time of the engine's MIDI client(s)."""
    hosts = _hosts(engine)
    return {
        "xruns": sum(int(getattr(h, "xruns", 0)) for h in hosts),
        "cycles": max((int(getattr(h, "cycles", 0)) for h in hosts), default=0),
        "callback_us": sum(getattr(h, "callback_ns", 0) for h in hosts) / 1000,
        "callback_max_us": max((getattr(h, "callback_max_ns", 0) for h in hosts), default=0) / 1000,
    }


def status(engine: Engine, now_ns: int, cpu_seconds: float = 0.0) -> Status:
    """The engine's `/rig/status` at `now_ns`."""
    return Status(**status_fields(engine, now_ns, cpu_seconds))


def status_fields(engine: Engine, now_ns: int, cpu_seconds: float = 0.0) -> dict:
    """The status's fields by name (the reply: `Status.args_of`). The tick is worked
    out once and every field is read at it (10 replies a second from `rig play` and
    the UI, each on the engine's main thread while JACK's thread plays: it used to be
    worked out 7 times)."""
    tick = engine.tick(now_ns)
    bar, beat, bpm = engine.position(now_ns, tick=tick)
    raw_bar = bar  # the performer clock counts from it (a count-in says bar 0)
    stats = engine.scheduler.stats
    mutes = engine.mute_state(now_ns, tick=tick)
    queued = engine.queued
    queued_name = ""
    if queued is not None:
        queued_name = queued.section if queued.kind == "section" else engine.cues[queued.index].name
    state = engine.state
    count = engine.counting
    if count is not None and state == "playing" and now_ns < count.downbeat_ns:
        # Counting in: the header counts the beats (bar 0) and flashes.
        state, bar, beat = "count-in", 0, max(1, count.beat_at(now_ns))
    return dict(
        state=state,
        bar=bar,
        beat=beat,
        bpm=float(bpm),
        late=stats.late + stats.late_clocks + stats.missed_clocks,
        cue=engine.view.index,
        cue_name=engine.view.name,
        missed_clocks=stats.missed_clocks,
        dropped_notes=stats.dropped_notes,
        sounding=engine.scheduler.sounding,
        cpu_seconds=float(cpu_seconds),
        muted=",".join(sorted(mutes.muted)),
        soloed=",".join(sorted(mutes.soloed)),
        section=engine.section_name(now_ns, tick=tick),
        queued_cue=-1 if queued is None else queued.index,
        queued_kind="" if queued is None else queued.kind,
        queued_bar=engine.queued_bar(),
        queued_name=queued_name,
        pending=";".join(f"{op} {t}@{b}" for b, op, t in engine.pending_ops(now_ns, tick=tick)),
        tracks=",".join(f"{n}={d}:{s}" for n, d, s in track_status(engine)),
        last_error=engine.last_error,
        cues=len(engine.cues),
        reloads=engine.reloads,
        pid=os.getpid(),
        **_host_fields(engine),
        **_sync_fields(engine, now_ns),
        **timing(engine, now_ns, tick, raw_bar),
        bpm_set=_bpm_set(engine),
        **engine.landing.fields(engine, now_ns),
        **fill_fields(engine, now_ns, tick),
    )


def _bpm_set(engine: Engine) -> float:
    """The tempo set by hand for the playing cue (0.0: it plays as written)."""
    override = engine.tempo_override
    return float(override[1]) if override is not None and override[0] == engine.view.index else 0.0


def timing(engine: Engine, now_ns: int, tick: int | None = None, bar: int | None = None) -> dict:
    """The status's performer clock: elapsed and remaining seconds of the cue (to its
    end, or to the queued switch) at the tempo that plays, of the set (the other cues
    at their written tempo), and what comes next in how many bars. `tick` and `bar`:
    `engine.tick(now_ns)` and its bar, when the caller has them."""
    view = engine.view
    if tick is None:
        tick = engine.tick(now_ns)
    if bar is None:
        bar = engine.position(now_ns, tick=tick)[0]
    here = view.tempo.seconds_at(max(0, min(tick, view.length_ticks)))
    cue_left = max(0.0, view.tempo.seconds_at(view.length_ticks) - here)
    before = view.offset and engine.cues[view.index].tempo.seconds_at(view.offset)
    cue_in = before + here
    lengths = [c.tempo.seconds_at(c.length_ticks) for c in engine.cues]
    queued = engine.queued
    out = {
        "cue_elapsed_s": float(cue_in),
        "cue_remaining_s": float(cue_left),
        "set_elapsed_s": float(sum(lengths[: view.index]) + cue_in),
        "set_remaining_s": float(cue_left + _after_switch(engine, lengths, cue_in + cue_left)),
    }
    if engine.state == "waiting":
        name = engine.cues[engine.cue_index].name  # loaded, waiting for its launch
        return {**out, "next_name": name, "next_bars": -1, "next_how": "wait"}
    if queued is not None:
        name = queued.section if queued.kind == "section" else engine.cues[queued.index].name
        bars = max(0, engine.queued_bar() - bar)
        return {**out, "next_name": name, "next_bars": bars, "next_how": queued.kind}
    index = view.index
    if index + 1 >= len(engine.cues):
        return out
    how = engine.transitions[index] if index < len(engine.transitions) else "bar"
    end_bar = bar_beat(view, view.length_ticks)[0]
    bars = -1 if how == "wait" or not engine.run_on else max(0, end_bar - bar)
    return {**out, "next_name": engine.cues[index + 1].name, "next_bars": bars, "next_how": how}


def _after_switch(engine: Engine, lengths: list[float], switch_s: float) -> float:
    """Seconds of the set after the playing cue's end or its queued switch (`switch_s`
    into the cue): a launch skips to its cue, a jump goes on from its section, a new
    version from the same place — the set's remaining time must not drop by the cues
    or bars a queued switch is still to play (or skip)."""
    index, queued = engine.view.index, engine.queued
    if queued is None:
        return sum(lengths[index + 1 :])
    if queued.kind == "cue":
        return sum(lengths[queued.index :])
    rest = sum(lengths[queued.index + 1 :])
    if queued.kind == "section":
        cue = engine.cues[queued.index]
        return lengths[queued.index] - cue.tempo.seconds_at(queued.start_tick) + rest
    return max(0.0, lengths[queued.index] - switch_s) + rest  # a reload: the same place


def _sync_fields(engine: Engine, now_ns: int) -> dict:
    """The status's sync fields: does sync hold? (see `rig.timing.source.SyncStatus`)."""
    if engine.sync is None:
        return {}
    s = engine.sync.status(now_ns)
    return {
        "sync_source": s.source,
        "sync_bpm": float(s.bpm),
        "sync_jitter_ms": float(s.jitter_ms),
        "sync_phase_ms": float(s.phase_ms),
        "sync_lost": int(s.lost),
        "sync_peers": s.peers,
        "sync_error": s.error,
        "sync_bar_phase": float(s.bar_phase),
    }


def setlist(engine: Engine) -> SetInfo:
    names = tuple(c.name for c in engine.cues)
    hows = tuple(
        engine.transitions[i] if i < len(engine.transitions) else "bar"
        for i in range(len(engine.cues))
    )
    sections = tuple(tuple(dict.fromkeys(s.name for s in c.sections)) for c in engine.cues)
    return SetInfo(engine.set_name, names, hows, sections, tuple(engine.track_names()))


def run_loads(
    engine: Engine,
    now_ns: Callable[[], int] = time.monotonic_ns,
    budget_ns: int = 1_000_000,
    *,
    guard: AbstractContextManager[Any] | None = None,
    swap_now: Callable[[], int] | None = None,
) -> None:
    """Step the pending reload bundles for about `budget_ns`; swap in what is done.

    A step is one chunk (0.3-0.6 ms measured here), so the loop stays well inside
    the lookahead and the JACK callback waits for the GIL no longer than one chunk.
    The cyclic GC is held off meanwhile: unpickling thousands of events would set
    off a full collection inside a step (13 ms measured here); the loaded cue is
    frozen out of the collector once swapped in, like the cues built at start.

    Frame mode (rig.engine.cycle): `guard` (the frame loop's lock) is held only for
    the swap, which lands at `swap_now()` (the next cycle's first frame); the steps
    run outside it, so JACK's callback never waits for a bundle being read."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        start = now_ns()
        first = True
        while engine.loads and (first or now_ns() - start < budget_ns):
            first = False
            steps, quantize, name = engine.loads[0]
            try:
                next(steps)
                continue
            except StopIteration as done:
                engine.loads.pop(0)
                with guard if guard is not None else nullcontext():
                    _swap(engine, done.value, quantize, (swap_now or now_ns)())
                gc.freeze()
            except ValueError as exc:
                engine.loads.pop(0)
                engine.last_error = str(exc)
                engine.landing.fail(name)
            except Exception as exc:  # a voice that fails to build must not end the show
                engine.loads.pop(0)
                engine.last_error = f"{type(exc).__name__}: {exc}"
                engine.landing.fail(name)
    finally:
        if was_enabled:
            gc.enable()


def _swap(engine: Engine, new: NewCues | VoiceBuilt, quantize: str, now: int) -> None:
    landing = engine.landing
    if isinstance(new, VoiceBuilt):
        at = boundary_ns(engine, now, quantize)
        bar = bar_beat(engine.view, int(engine.clock.tick_at(at)))[0] if at > now else 0
        new.player.swap_voice(new.made, at, now)
        landing.voice(new.name, f"voice {new.voice}", at, bar)
        return
    before = engine.queued
    what = ", ".join(arr.name for _, arr, _ in new.changed)
    try:
        if new.bundle.full_set:
            engine.set_cues(
                [arr for _, arr, _ in new.changed],
                new.bundle.transitions,
                [pairs for _, _, pairs in new.changed],
            )
            landing.swapped(engine, new.name, "the set", before)
            return
        for index, arr, pairs in new.changed:
            engine.reload(now, index, arr, quantize, pairs)
        landing.swapped(engine, new.name, what, before)
    except ValueError as exc:
        engine.last_error = f"reload: {exc}"
        landing.fail(new.name)
