"""What the engine process plugs together around its `Engine`: the JACK frame loop that
drives it when every MIDI output is on JACK (`rig.engine.cycle`), and the live host's
sounding-note map around the sinks (`rig.engine.soundmap`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rig.engine.spec import EngineSpec
from rig.engine.transport import Engine

if TYPE_CHECKING:
    from rig.engine.cycle import FrameLoop

__all__ = ["frame_loop", "frame_reader", "frames_possible", "mapped"]


def frames_possible(spec: EngineSpec) -> bool:
    """Whether the engine runs on JACK's frames: asked to (`frame_engine`), every MIDI
    output (MTC out too) on JACK, the sync input (MIDI clock, MTC) on JACK — read as a
    JACK MIDI port in the process callback, stamped by frame (`rig.midi.jack_in`). Link
    follows on the frames too: its host clock is mapped onto JACK's `frame_time`
    (`frame_reader`, `rig.timing.link.HostClock`)."""
    outputs = spec.outputs + ((spec.mtc_out,) if spec.mtc_out is not None else ())
    if not spec.frame_engine or any(o.backend != "jack" for o in outputs):
        return False
    return not (spec.sync.port and spec.sync_api != "jack")


def frame_reader(loop: FrameLoop) -> Callable[[], int]:
    """Timeline ns of JACK's estimate of the frame *now* (`frame_time`): what Link's host
    clock is sampled against on the frame timeline (the loop's `now_ns` steps by cycles)."""
    timeline, client = loop.timeline, loop.host.client

    def now() -> int:
        return timeline.ns_of(timeline.unwrap(client.frame_time))

    return now


def frame_loop(engine: Engine, spec: EngineSpec, sinks: dict, player: Any) -> FrameLoop | None:
    """JACK frames drive the engine when `frames_possible` (rtmidi keeps its deadline
    sender thread on monotonic time, so a mixed rig stays on that).

    The loop is installed on the JACK sinks' host (one client); with no JACK sink
    (voices only) a host of its own drives it. None: stay on monotonic time."""
    if not frames_possible(spec):
        return None
    from rig.engine.cycle import FrameLoop
    from rig.midi.jack_sink import JackHost
    from rig.midi.ports import BackendUnavailable
    from rig.timing.timeline import Timeline

    hosts = (s.host for s in sinks.values() if isinstance(getattr(s, "host", None), JackHost))
    host = next(hosts, None)
    if host is None:
        if player is None:
            return None
        host = JackHost(spec.voices.client_name + "-engine" if spec.voices else "rig-engine")
        try:
            host.open()
        except BackendUnavailable:
            return None
        sinks["\0frame-host"] = _HostOnly(host)
    last = host.client.last_frame_time
    timeline = Timeline.behind(host.samplerate, last)
    # A command that arrives before the loop's first cycle lands on the cycle the
    # server is about to run, not on the timeline's origin a second earlier.
    loop = FrameLoop(engine, timeline, first_frame=timeline.unwrap(last) + host.blocksize)
    loop.host = host
    late_ns = round(spec.late_note_ms * 1e6)
    for sink in sinks.values():
        if hasattr(sink, "drop_late_ns"):
            sink.drop_late_ns = late_ns
    if player is not None:
        player.use_timeline(timeline, late_ns)
        loop.notice_frames = player.notice_frames  # the stand-ins need more notice
    host.use_timeline(timeline, loop)
    return loop


class _HostOnly:
    """A JACK host without sinks (voices only), closed with the sinks at the end."""

    def __init__(self, host: Any) -> None:
        self.host = host

    def close(self) -> None:
        pass


def mapped(sinks: dict, path: str, warnings: list[str], now: Callable[[], int]) -> dict:
    """`sinks`, each also writing its notes into the host's sounding-note map; `now`:
    the engine's clock (read on each note: the map pairs it with the host's)."""
    from pathlib import Path

    from rig.engine.soundmap import SoundMap, map_sinks

    try:
        return map_sinks(sinks, SoundMap.attach(Path(path)), now)
    except (OSError, ValueError) as exc:
        warnings.append(f"no note rescue if the engine dies: {exc}")
        return sinks
