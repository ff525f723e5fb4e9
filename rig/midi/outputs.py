"""Opening sinks from config.yaml for one-shot commands (`rig ports`, `rig panic`).

The engine has its own composition root (`rig.engine.sinks`); commands that
only need "the configured backend and which device sits on which port" use
these helpers, so both ask the same questions the same way.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any

from rig.config import Config, config_or_default
from rig.midi.notes import all_notes_off, note_off

__all__ = ["config_or_default", "panic_messages", "open_sink", "send_paced"]

def panic_messages(channels: Iterable[int] = range(16)) -> Iterator[bytes]:
    """Per channel: an explicit note-off for each of the 128 notes, then CC 123 and CC 120.

    Explicit offs first because many synths ignore All Notes Off; All Sound Off
    last, to cut release tails too.
    """
    for ch in channels:
        for note in range(128):
            yield note_off(ch, note)
        yield all_notes_off(ch)
        yield all_notes_off(ch, sound_off=True)


def open_sink(config: Config, name: str, pattern: str, host: Any = None) -> Any:
    """An opened sink of the configured backend for `pattern` (BackendUnavailable if none)."""
    if config.midi_backend == "jack":
        from rig.midi.jack_sink import JackSink

        sink: Any = JackSink(name, pattern, host=host)
    else:
        from rig.midi.rtmidi_sink import RtMidiSink

        sink = RtMidiSink(
            name, pattern, api=config.rtmidi_api, client_name=f"{config.client_name}-{name}"
        )
    sink.open()
    return sink


def send_paced(sinks: Iterable[Any], messages: list[bytes], per_second: float) -> float:
    """Send `messages` to every sink, `per_second` apart (absolute deadlines); wait for them.

    Returns the seconds it took. A DIN MIDI cable carries ~1000 three-byte
    messages a second; flooding a USB interface faster can overflow its buffer
    and lose exactly the note-offs a panic is for.
    """
    sinks = list(sinks)
    gap_ns = round(1e9 / per_second) if per_second > 0 else 0
    start = time.monotonic_ns() + 20_000_000  # a little lookahead for the first ones
    for i, msg in enumerate(messages):
        for sink in sinks:
            sink.send(start + i * gap_ns, msg)
    end = start + len(messages) * gap_ns
    time.sleep(max(0.0, (end - time.monotonic_ns()) / 1e9))
    for sink in sinks:
        sink.drain(timeout=5.0)  # a burst may spill over a few cycles
    time.sleep(0.02)
    return (time.monotonic_ns() - start) / 1e9
