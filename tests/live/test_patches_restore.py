"""`Patches.restore` (offline, a fake JACK host) while the graph changes under it: right
after an engine restart the dead engine's clients leave and the new one's arrive, and
a port listing can fail (`JackHost.ports` gives None after its own tries). A failed
listing is not "no ports": restore lists again (bounded) and makes the connections —
before, it made none and nobody made them later: a hand-patched monitor stayed
silent, and the device's own port, if the engine's connect at its start had met the
same failure, waited for the engine's watcher (up to 1 s) — after the resume's SPP."""

from __future__ import annotations

from dataclasses import dataclass

from rig.stage.patches import LIST_S, Patches
from tests.support.clock import FakeSeconds


@dataclass
class _Port:
    name: str
    is_output: bool = True


class _Client:
    """JACK as the host's client sees it: `rig:monopoly` (the new engine's port), at
    first connected to nothing; `failing` listings of the engine's ports fail first."""

    def __init__(self, failing: int) -> None:
        self.failing = failing
        self.connections: set[tuple[str, str]] = set()

    def get_ports(self, pattern: str) -> list[_Port]:
        assert pattern == "^(rig):"
        if self.failing:
            self.failing -= 1
            raise RuntimeError("Port rig:monopoly not available")
        return [_Port("rig:monopoly")]

    def get_all_connections(self, port: str) -> list[_Port]:
        return [_Port(b) for a, b in self.connections if a == port]

    def connect(self, a: str, b: str) -> None:
        self.connections.add((a, b))


class _Host:
    def __init__(self, client: _Client) -> None:
        self.client = client

    def ports(self, listing):
        try:
            return list(listing())
        except RuntimeError:  # JackHost.ports: the graph changing, "ask again"
            return None

    def port_names(self, listing):
        ports = self.ports(listing)
        return None if ports is None else [p.name for p in ports]


def _restore(failing: int) -> tuple[int, _Client, float]:
    client, clock = _Client(failing), FakeSeconds(50.0)
    patches = Patches(_Host(client), {"rig": "rig"}, now=clock.now, sleep=clock.sleep)
    patches.seen = {"rig:monopoly": (True, ("recorder:in", "monitor:in"))}
    made = patches.restore()
    return made, client, clock.t - 50.0


def test_a_failed_listing_is_listed_again_and_the_connections_are_made():
    made, client, took = _restore(failing=3)
    assert made == 2
    assert client.connections == {("rig:monopoly", "recorder:in"), ("rig:monopoly", "monitor:in")}
    assert 0 < took < LIST_S


def test_without_a_failure_it_makes_them_at_once():
    made, client, took = _restore(failing=0)
    assert made == 2 and took == 0


def test_a_listing_that_keeps_failing_gives_up_at_its_bound():
    made, client, took = _restore(failing=10**6)
    assert made == 0 and client.connections == set()
    assert LIST_S <= took < LIST_S + 0.1
