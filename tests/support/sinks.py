"""What the JACK and rtmidi sink tests share: waiting, note bytes, the replug scenario."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rig.probe.recorder import Recorder

MS = 1_000_000


def wait_until(pred: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def on(note: int, ch: int = 0, vel: int = 100) -> bytes:
    return bytes((0x90 | ch, note, vel))


def off(note: int, ch: int = 0) -> bytes:
    return bytes((0x80 | ch, note, 0))


def replug(
    sink: Any,
    first: Recorder,
    env: dict[str, str],
    name: str,
    *,
    held: int,
    void: int | None,
    new: int,
) -> list[bytes]:
    """A receiver goes while `sink` holds note `held`, (`void` is sent while it is away),
    and comes back under the same client `name`; returns what the new one heard of
    the note `new` played after it returned, and the sink's close."""
    sink.send(time.monotonic_ns() + 10 * MS, on(held))
    assert wait_until(lambda: sink.sounding() == [(0, held)])
    time.sleep(0.05)  # let it pass the transport before the receiver goes
    assert [m for _, m in first.stop()] == [on(held)]  # the receiver goes away, note held
    assert wait_until(lambda: not sink.connected), "vanished port not noticed"
    assert wait_until(lambda: sink.sounding() == []), "notes of a vanished port not forgotten"
    if void is not None:
        sink.send(time.monotonic_ns() + 10 * MS, on(void))  # plays into the void, no error
        time.sleep(0.05)
    second = Recorder.spawn(env, client_name=name)
    try:
        assert wait_until(lambda: sink.connected), "returning port not reconnected"
        sink.send(time.monotonic_ns() + 20 * MS, on(new))
        sink.send(time.monotonic_ns() + 40 * MS, off(new))
        assert sink.drain(timeout=30)  # generous: a loaded machine's wait is free when fast
        sink.close()
    finally:
        got = [m for _, m in second.stop()]
    return got
