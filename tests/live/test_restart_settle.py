"""The resume after an engine restart waits for the restart's xruns to end (offline).

A new engine's start and the connections made for it cost the JACK server a burst of
xruns, and a cycle that xruns loses its MIDI on the way. The host sent the resume (SPP
+ Continue) right after restoring the connections: under load the SPP fell inside the
burst and was lost (tests/live/test_live_jack.py's dead-engine test, 1 run in ~45 with
two busy cores), so a synth following the clock went on from where it had stopped,
bars away from the music. `Patches.settle` waits until the server has gone `QUIET_S`
without an xrun (at most `SETTLE_S`), and `_restart` resumes only after it."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

from rig.stage import host
from rig.stage.patches import QUIET_S, SETTLE_S, Patches
from tests.support.clock import FakeSeconds


class _XrunningHost:
    """A JACK host whose server reports an xrun at each of `at` (seconds after 100)."""

    def __init__(self, clock: FakeSeconds, at: list[float]) -> None:
        self.clock, self.at, self.client = clock, at, None

    @property
    def xruns(self) -> int:
        return sum(1 for t in self.at if 100.0 + t <= self.clock.t)


def _settle(at: list[float]) -> tuple[bool, float]:
    clock = FakeSeconds(100.0)
    patches = Patches(_XrunningHost(clock, at), {}, now=clock.now, sleep=clock.sleep)
    return patches.settle(), clock.t - 100.0


def test_settle_waits_until_a_burst_of_xruns_is_over():
    # A burst like the one measured at a restart: xruns up to 33 ms apart for 60 ms.
    settled, took = _settle([0.005, 0.03, 0.033, 0.066])
    assert settled
    assert 0.066 + QUIET_S <= took < 0.066 + QUIET_S + 0.05


def test_settle_on_a_quiet_server_takes_one_quiet_span():
    settled, took = _settle([])
    assert settled and QUIET_S <= took < QUIET_S + 0.05


def test_settle_gives_up_on_a_server_that_keeps_xrunning():
    settled, took = _settle([i * 0.05 for i in range(100)])
    assert not settled and SETTLE_S <= took < SETTLE_S + 0.05


@dataclass(frozen=True)
class _Spec:
    cues: tuple = ()
    soundmap: str = ""


def test_the_resume_is_sent_after_the_connections_and_the_xruns_settle(monkeypatch):
    said: list[str] = []

    class Engine:
        def __init__(self, spec: _Spec) -> None:
            self.spec, self.port, self.clients = spec, 9, {"rig": "rig"}

        def start(self) -> Engine:
            said.append("engine started")
            return self

    class Patched:
        def restore(self, clients) -> int:
            said.append("connections restored")
            return 1

        def settle(self) -> bool:
            said.append("xruns over")
            return True

    class Control:
        address = ("127.0.0.1", 8)

        def send(self, address: str, *args) -> None:
            said.append(f"{address} {args}")

    monkeypatch.setattr(host, "EngineProcess", Engine)
    monkeypatch.setattr(host, "_latest", lambda spec: _Spec())
    monkeypatch.setattr(host, "carried", lambda spec, status: spec)
    monkeypatch.setattr(host, "resume_at", lambda cues, status, since: (0, 5))
    status = SimpleNamespace(bpm_set=0.0)
    spec = SimpleNamespace(engine=None)
    engine, resume = host._restart(spec, "notes", Control(), (status, 0.0), Patched())
    assert resume == (0, 5)
    assert said == ["engine started", "connections restored", "xruns over", "/rig/resume (0, 5)"]
