"""config.yaml's `sync:` section: which clock the rig follows, and MTC out.

    sync:
      source: midi          # internal | midi | link | mtc
      port: "MIDI Clock"    # midi, mtc: the input port the master sends on (name pattern)
      quantum: 4            # link: beats of the bar phase shared with the session
      mtc_out: {port: "Video", fps: 25}   # send MIDI timecode (24, 25, 29.97, 30)

The names are facts used by the config, the engine and the OSC contract alike, so
they live here, below all of them (`rig.timing.source` imports `SOURCES`).
"""

from __future__ import annotations

from dataclasses import dataclass

from rig.source import Node, Problems, suggest
from rig.source.fields import MapReader, as_number, as_str

__all__ = ["SOURCES", "MTC_FPS", "SyncConfig", "MtcOut", "sync_config"]

SOURCES = ("internal", "midi", "link", "mtc")
# MTC frame rates as config.yaml writes them -> rig.timing.mtc's fps (2997 = drop-frame).
MTC_FPS = {"24": 24, "25": 25, "29.97": 2997, "30": 30}
_KEYS = ("source", "port", "quantum", "mtc_out")
_MTC_KEYS = ("port", "fps")


@dataclass(frozen=True)
class MtcOut:
    port: str  # output port name pattern
    fps: int = 25  # 24, 25, 2997 (29.97 drop-frame) or 30


@dataclass(frozen=True)
class SyncConfig:
    source: str = "internal"  # one of SOURCES
    port: str = ""  # midi / mtc: input port pattern
    quantum: float = 4.0  # link
    mtc_out: MtcOut | None = None


def sync_config(node: Node, problems: Problems) -> SyncConfig:
    """Validate `sync:`; every problem goes to `problems` with its file:line:col."""
    r = MapReader(node, problems, "sync", _KEYS)
    source = "internal"
    sub = r.get("source")
    if sub is not None:
        text = as_str(sub, problems, "sync: source")
        if text is not None and text not in SOURCES:
            problems.add(sub.pos, f"sync: source: unknown '{text}'{suggest(text, SOURCES)}")
        elif text is not None:
            source = text
    port = ""
    sub = r.get("port")
    if sub is not None:
        port = as_str(sub, problems, "sync: port") or ""
    if source in ("midi", "mtc") and not port and r.ok:
        problems.add(node.pos, f"sync: source {source} needs port: (the input the master sends on)")
    quantum = 4.0
    sub = r.get("quantum")
    if sub is not None:
        quantum = as_number(sub, problems, "sync: quantum", 1, 64) or quantum
    mtc_out = None
    sub = r.get("mtc_out")
    if sub is not None:
        mtc_out = _mtc_out(sub, problems)
    r.finish()
    return SyncConfig(source, port, quantum, mtc_out)


def _mtc_out(node: Node, problems: Problems) -> MtcOut | None:
    m = MapReader(node, problems, "sync: mtc_out", _MTC_KEYS)
    port_node = m.get("port", required=True)
    port = as_str(port_node, problems, "sync: mtc_out: port") if port_node else None
    fps = 25
    sub = m.get("fps")
    if sub is not None:
        text = str(sub.value)
        if text not in MTC_FPS:
            problems.add(sub.pos, f"sync: mtc_out: fps {text} is not one of {', '.join(MTC_FPS)}")
        else:
            fps = MTC_FPS[text]
    m.finish()
    return MtcOut(port, fps) if port else None
