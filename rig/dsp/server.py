"""Importing pyo quietly and booting its servers with the backend always named.

pyo's portaudio backend and ``audio="dummy"`` crash on machines like the CI box
(no sound card), so every server here is built with an explicit backend:
``manual`` for rendering (blocks computed on demand), ``jack`` for live playing.
"""

from __future__ import annotations

import os
from types import ModuleType

__all__ = ["import_pyo", "offline_server", "jack_server", "jack_rate", "AudioUnavailable", "SEED"]

# pyo's random objects (Noise, ...) seed from the clock when the seed is 0; a fixed seed
# makes every render of the same arrangement sample-identical.
SEED = 20250601


class AudioUnavailable(RuntimeError):
    """pyo (or its JACK backend) cannot run here; the message says why in one line."""


def import_pyo() -> ModuleType:
    # Without this pyo prints a four-line wxPython notice on import.
    os.environ.setdefault("PYO_GUI_WX", "0")
    try:
        import pyo
    except ImportError as exc:  # pragma: no cover - pyo is a dependency
        raise AudioUnavailable(f"pyo is not installed ({exc})") from None
    return pyo


def offline_server(pyo: ModuleType, sample_rate: int, buffer_size: int):
    """A booted, started server that computes one block per `server._server.process()`
    (pyo's manual backend): the caller runs the blocks and takes the output it wants
    (`rig.dsp.worker` records a track into a table and writes it a chunk at a time).

    Not pyo's ``offline`` backend: that one writes its file with one ``write`` call per
    block (~375 per second of audio) and calls Python back on every block; measured, a
    bare server cost about half again as much CPU that way (0.26 against 0.14-0.15 s
    for 200 s of audio)."""
    server = pyo.Server(sr=sample_rate, nchnls=2, buffersize=buffer_size, duplex=0, audio="manual")
    server.setVerbosity(1)  # errors only
    server.setGlobalSeed(SEED)
    server.boot()
    server.start()
    return server


def jack_server(pyo: ModuleType, buffer_size: int = 64, client_name: str = "rig-voices"):
    """A booted pyo server on the running JACK server (named by $JACK_DEFAULT_SERVER).

    Raises AudioUnavailable (one line) when no JACK server runs or its rate is not
    one pyo can follow; never starts a JACK server and never hangs waiting for one.
    """
    rate = jack_rate()
    # libjack would otherwise try to exec jackd and wait for it (6 s here), then fail.
    os.environ["JACK_NO_START_SERVER"] = "1"
    server = pyo.Server(
        sr=rate, nchnls=2, buffersize=buffer_size, duplex=0, audio="jack", jackname=client_name
    )
    server.setVerbosity(1)
    server.setGlobalSeed(SEED)
    server.setJackAuto(False, False)  # rig connects ports itself, by name
    # No pyo MIDI: rig's MIDI goes through its own sinks (pyo's JACK MIDI out repeats its
    # last event every period), and portmidi's probe of ALSA fails noisily here.
    server.deactivateMidi()
    server.boot()
    if not server.getIsBooted():
        server.shutdown()
        raise AudioUnavailable("pyo could not connect to the JACK server")
    return server


def jack_rate(server_name: str | None = None) -> int:
    """The running JACK server's sample rate; AudioUnavailable (one line) when none runs.

    Asked through JACK-Client first, because pyo's own failure is a page of libjack
    noise and, with server autostart, a six-second wait.
    """
    from rig.midi.ports import BackendUnavailable, load_jack

    try:
        jack = load_jack()
    except BackendUnavailable as exc:
        raise AudioUnavailable(str(exc)) from None
    name = server_name or os.environ.get("JACK_DEFAULT_SERVER")
    kwargs = {"servername": name} if name else {}
    jack.set_error_function(lambda msg: None)  # its refusals are the message below
    try:
        client = jack.Client("rig-voices-probe", no_start_server=True, **kwargs)
    except jack.JackError:
        where = f" '{name}'" if name else ""
        raise AudioUnavailable(f"no JACK server{where} is running (start jackd first)") from None
    finally:
        jack.set_error_function()
    try:
        return int(client.samplerate)
    finally:
        client.close()
