"""Connections to the engine's JACK ports, kept across an engine restart.

The engine connects each of its MIDI ports to its device (config.yaml's pattern) and
its stand-ins' audio to the outputs it is told. A performer patches more by hand or
with a patchbay: a MIDI monitor or a DAW's record input on `rig:virus`, the stand-ins'
audio into a recorder, a drum machine's clock into rig's sync input. When the engine
dies, JACK drops every connection of its clients with them; the restarted engine
registers new ports under the same names and makes only its own connections again.
Found in a performer's trial: a monitor patched to `rig:virus` stayed silent after a
restart.

So the live host looks at the connections of the engine's clients' ports (`look`, from
its loop, at most once a `LOOK_S`; the listing is a request to the JACK server, not
work in the process cycle) while the engine lives, and makes again, once the new
engine's ports are there, every connection it saw that is missing (`restore`). A
connection the new engine made itself is already there and left alone; one whose
other end has gone fails and is skipped. It uses the host's own JACK client (the note
rescue's), so it costs no client of its own. The rescue also sends its note-offs to
what was seen patched to each MIDI port (`heard_by`): it held the same notes.

The clients are looked for by the names JACK gave them, which the engine reports
(`EngineProcess.clients`): JACK renames a client whose name is taken (`rig` ->
`rig-01`: a second rig on the same server), and by the configured name this looked at
the other rig's ports, so it neither restored nor rescued what was patched to its own.
A restarted engine may get other names again: `restore` moves what was seen to them.

`restore` runs while the graph changes (the dead engine's clients leaving, the new
one's arriving), where a listing can fail (`JackHost.ports`: None): it lists again,
for at most `LIST_S`, rather than take a failed listing for "no ports" and make none.

`settle` then waits until the server has gone `QUIET_S` without an xrun (at most
`SETTLE_S`): the new engine's start and the connections made for it cost the server a
burst of xruns, and a cycle that xruns loses its MIDI on the way. The resume's SPP,
sent right after `restore`, was lost so (a dead-engine test under load, 1 in ~45 runs:
the SPP's cycle inside a 58 ms burst of xruns that began with the restart; the
Continue 50 ms later arrived, so a synth following the clock went on from where it
had stopped, bars away from the music).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["LIST_S", "LOOK_S", "Patches", "QUIET_S", "SETTLE_S"]

LOOK_S = 1.0  # how often the connections are looked at while the engine lives
LIST_S = 1.0  # how long `restore` lists the new engine's ports again while that fails
_LIST_POLL_S = 0.02
# The server's xruns come in bursts after a client starts or a connection is made
# (measured: notifications up to 33 ms apart within one burst); this long without one
# and the burst is over. `SETTLE_S` bounds the wait on a server that keeps xrunning.
QUIET_S = 0.1
SETTLE_S = 1.0


class Patches:
    """The last connections seen on the ports of the engine's JACK clients (its MIDI
    client and its stand-ins' audio client), through `host` (a
    `rig.midi.jack_host.JackHost` that stays open across the restart). `clients`: by
    the name asked for, the name JACK gave each (`EngineProcess.clients`)."""

    def __init__(
        self,
        host: Any,
        clients: Mapping[str, str],
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.host = host
        self.clients = dict(clients)
        # own port -> (it is an output, the ports it connects to)
        self.seen: dict[str, tuple[bool, tuple[str, ...]]] = {}
        self._now = now
        self._sleep = sleep
        self._last = float("-inf")

    def _ports(self) -> dict[str, bool] | None:
        """The engine's ports, each with whether it is an output, in one listing."""
        client = self.host.client
        names = sorted(set(self.clients.values()))
        if client is None or not names:
            return {}
        pattern = "^(" + "|".join(re.escape(name) for name in names) + "):"
        ports = self.host.ports(lambda: client.get_ports(pattern))
        return None if ports is None else {port.name: port.is_output for port in ports}

    def _connections(self, port: str) -> list[str] | None:
        client = self.host.client
        return self.host.port_names(lambda: client.get_all_connections(port))

    def look(self, force: bool = False) -> bool:
        """Read the connections (at most once a LOOK_S unless `force`); True if read.
        Without engine ports (dying, or not yet there) or with a listing that fails
        (the graph changing under it), what was seen last is kept."""
        if not force and self._now() - self._last < LOOK_S:
            return False
        ports = self._ports()
        if not ports:
            return False
        seen: dict[str, tuple[bool, tuple[str, ...]]] = {}
        for port, output in ports.items():
            names = self._connections(port)
            if names is None:
                return False
            seen[port] = (output, tuple(names))
        self.seen = seen
        self._last = self._now()
        return True

    def heard_by(self) -> dict[str, tuple[str, ...]]:
        """By the MIDI port's short name (the device: `rig:virus` -> "virus"), the
        ports its last seen connections went to: what heard the engine's notes."""
        return {
            port.split(":", 1)[1]: others
            for port, (output, others) in self.seen.items()
            if output and others
        }

    def restore(self, clients: Mapping[str, str] | None = None) -> int:
        """Make every connection seen before that the new engine's ports lack; returns
        how many were made. `clients`: the new engine's client names
        (`EngineProcess.clients`; the engine says it is ready once its ports are
        registered): a port seen on a client JACK now names otherwise moves with it."""
        if clients is not None:
            self._follow(clients)
        client = self.host.client
        if client is None or not self.seen:
            return 0
        ports = self._listed(self._ports)
        made = 0
        for port, (output, others) in self.seen.items():
            if port not in (ports or ()):
                continue  # the edited config has no such device any more
            now = set(self._listed(lambda p=port: self._connections(p)) or ())
            for other in others:
                if other in now:
                    continue
                try:
                    client.connect(*((port, other) if output else (other, port)))
                except Exception:  # jack.JackError (imported lazily): the other end went
                    continue
                made += 1
        self._last = float("-inf")  # look at the new engine's ports on the next round
        return made

    def settle(self) -> bool:
        """Wait until the server has gone `QUIET_S` without an xrun (the host's client
        counts them: `JackHost.xruns`), at most `SETTLE_S`; True if it did. For the
        resume after a restart: see the module doc."""
        give_up = self._now() + SETTLE_S
        count = self.host.xruns
        quiet_since = self._now()
        while self._now() < give_up:
            self._sleep(_LIST_POLL_S)
            if self.host.xruns != count:
                count, quiet_since = self.host.xruns, self._now()
            elif self._now() - quiet_since >= QUIET_S:
                return True
        return False

    def _listed(self, listing: Callable[[], Any]) -> Any:
        """`listing()` once it succeeds (not None), trying again for at most `LIST_S`;
        None if it never did."""
        give_up = self._now() + LIST_S
        while (listed := listing()) is None and self._now() < give_up:
            self._sleep(_LIST_POLL_S)
        return listed

    def _follow(self, clients: Mapping[str, str]) -> None:
        """Look at the clients `clients` names from now on; what was seen on a client
        that is named otherwise now is kept under its new name."""
        moved = {self.clients[k]: v for k, v in clients.items() if k in self.clients}
        self.clients = dict(clients)

        def renamed(port: str) -> str:
            owner, short = port.split(":", 1)
            return f"{moved.get(owner, owner)}:{short}"

        self.seen = {renamed(port): seen for port, seen in self.seen.items()}
