"""What the engine process is given: one typed, picklable `EngineSpec`, built in one place.

`engine_spec(project, path, ...)` is the only builder a command uses: `rig play`,
`rig live`, the live host's restart and the benchmarks all get the same outputs,
voices, transitions and OSC address from the same project, so a config setting
(`osc: {open: true}`, `audio: {backend: offline}`) means the same for each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.config.countin import CountIn
from rig.config.sync import SyncConfig
from rig.control.protocol import HOST
from rig.engine.sinks import OutputSpec, outputs_from_project
from rig.song.arrangement import Arrangement
from rig.song.kept import Kept
from rig.song.setlist import is_setlist
from rig.voices.settings import VoiceSettings, voice_settings

__all__ = ["EngineSpec", "engine_spec", "MTC_DEVICE"]

MTC_DEVICE = "_mtc"  # the MTC output's name among the sinks (no device id starts with _)


@dataclass(frozen=True)
class EngineSpec:
    """Everything the engine process needs; pickled across the spawn."""

    cues: tuple[Arrangement, ...]
    outputs: tuple[OutputSpec, ...] = ()
    osc_port: int = 0  # 0: any free port (reported back)
    osc_host: str = HOST  # loopback unless config.yaml opens OSC (`osc: {open: true}`)
    lookahead_ms: float = 15.0
    late_note_ms: float = 30.0  # a note-on later than this (a stall) is dropped with its off
    interval_ms: float = 5.0
    run_on: bool = True  # a set goes on to the next cue at the end of one
    transitions: tuple[str, ...] = ()  # per cue of a set: "bar" (go on) or "wait"
    realtime: bool = True  # try SCHED_FIFO for the engine thread; quiet fallback
    log_timing: bool = False  # sinks log deliveries; returned in exit_info (rig bench)
    voices: VoiceSettings | None = None  # live stand-in voices (None: MIDI only)
    # A sounding-note map the live host created (rig.engine.soundmap): the engine
    # writes each note it sends there, so the host can end them if the engine dies.
    soundmap: str = ""
    set_name: str = ""  # the set's `set:` name (the /rig/setlist reply carries it)
    # Where /rig/reload and /rig/voice may read files: only inside this folder (the
    # live session's), never any path a remote names ("" = nowhere: both refused).
    bundle_dir: str = ""
    sync: SyncConfig = SyncConfig()  # the clock the engine follows (config.yaml sync:)
    sync_api: str = "auto"  # the rtmidi API the sync input port is opened with
    mtc_out: OutputSpec | None = None  # MIDI timecode out (device MTC_DEVICE), if configured
    # `rig play --for`: stop after this many seconds of the engine's timeline (JACK
    # frames / rate, or monotonic time without JACK) from the first downbeat.
    play_for_s: float | None = None
    # JACK frames drive the engine where they can (rig.engine.wiring.frame_loop); False
    # keeps the deadline engine on monotonic time (`rig bench clock` compares the two).
    frame_engine: bool = True
    count_in: CountIn = CountIn()  # config.yaml count_in: (bars 0: none)
    kept: Kept | None = None  # the set file's live: block (rig.song.kept)


def engine_spec(
    project: Any,
    path: Path | None,
    cues: Sequence[Arrangement],
    *,
    osc_port: int | None = None,
    **tuning: Any,
) -> EngineSpec:
    """The EngineSpec for `cues` (loaded from `path`, a song or a set) in `project`
    (a `rig.project.Project`): its bound outputs, its stand-in voices unless the
    config asks for offline audio, the set's transitions, the config's OSC address.
    `tuning` sets the remaining fields (lookahead, run_on, log_timing...)."""
    config = project.config
    voices = None if config.audio_backend == "offline" else voice_settings(project, cues)
    transitions = project.transitions(path) if path is not None else ()
    set_name = ""
    kept = None
    if path is not None and is_setlist(path):
        setlist = project.setlist(path)
        set_name, kept = setlist.name, setlist.kept
    mtc = config.sync.mtc_out
    mtc_out = None
    if mtc is not None:
        mtc_out = OutputSpec(
            MTC_DEVICE,
            mtc.port,
            backend=config.midi_backend,
            rtmidi_api=config.rtmidi_api,
            client_name=config.client_name,
        )
    return EngineSpec(
        cues=tuple(cues),
        outputs=tuple(outputs_from_project(project)),
        osc_port=config.osc_port if osc_port is None else osc_port,
        osc_host=config.osc_bind_host,
        transitions=transitions,
        voices=voices,
        set_name=set_name,
        sync=config.sync,
        sync_api="jack" if config.midi_backend == "jack" else config.rtmidi_api,
        mtc_out=mtc_out,
        count_in=config.count_in,
        kept=kept,
        **tuning,
    )
