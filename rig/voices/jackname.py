"""The name JACK gave the stand-ins' pyo client, which may not be the one asked for.

JACK renames a client whose name is taken (`rig-voices` -> `rig-voices-01`): a second
rig on the same server, or a client left from a show that did not end. pyo does not
say what name it got. Asked by the configured name, the player connected the other
rig's outputs to its speakers and the live host looked at the other rig's ports
(`rig.stage.patches`). So the player lists the clients that could be its own (the
name, or the name with JACK's `-NN`) before pyo boots and after: the one that
appeared is pyo's (pyo registers its ports at boot).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["candidates", "appeared", "listed"]

_ATTEMPTS = 5  # listings tried while the graph changes under them


def candidates(port_names: Iterable[str], name: str) -> set[str]:
    """The clients among `port_names` that JACK could have named `name`: `name`
    itself or `name-NN` (JACK's renaming)."""
    own = re.compile(re.escape(name) + r"(-\d+)?")
    clients = {port.split(":", 1)[0] for port in port_names}
    return {client for client in clients if own.fullmatch(client)}


def appeared(before: set[str], after: set[str], name: str) -> str:
    """The client that appeared between two `candidates` listings; `name` when it is
    not one (another rig's client starting at the same moment: the asked name is the
    best guess)."""
    new = after - before
    return new.pop() if len(new) == 1 else name


def listed(client: Any, name: str) -> set[str]:
    """`candidates` among the ports JACK lists to `client` now (empty when the graph
    keeps changing under the listing: JACK-Client looks each listed name up again)."""
    import jack

    for _ in range(_ATTEMPTS):
        try:
            return candidates((p.name for p in client.get_ports("^" + re.escape(name))), name)
        except jack.JackError:
            continue
    return set()
