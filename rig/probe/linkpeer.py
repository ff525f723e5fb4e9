"""An independent Ableton Link peer in its own process, for tests and `rig bench sync`.

It uses the binding directly (not rig's adapter), so it checks rig from outside. It
reads one command per line on stdin and answers one JSON object per line:

    tempo BPM        set the session tempo now            -> {"ok": "tempo"}
    start | stop     start/stop the session now           -> {"ok": "start"}
    state            -> {"peers", "bpm", "playing", "samples": [[host_us, beat], ...]}
    quit

`state` samples the peer's host-time <-> beat mapping (quantum 4) at a few host times
around now, so the caller can compare its own beat at the same instants (both run on
the same machine, so Link's host clock — CLOCK_MONOTONIC_RAW — is shared).

Run it only inside a private network namespace (`unshare -rn`, loopback up): Link
announces itself by multicast on every interface it sees.
"""

from __future__ import annotations

import json
import sys

__all__ = ["main"]

QUANTUM = 4.0


def main(argv: list[str] | None = None) -> int:
    import link  # type: ignore[import-not-found]

    args = sys.argv[1:] if argv is None else argv
    bpm = float(args[0]) if args else 120.0
    peer = link.Link(bpm)
    peer.enabled = True
    peer.startStopSyncEnabled = True
    out = sys.stdout
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        cmd = words[0]
        now = peer.clock().micros()
        state = peer.captureSessionState()
        if cmd == "tempo":
            state.setTempo(float(words[1]), now)
            peer.commitSessionState(state)
            reply: dict = {"ok": "tempo"}
        elif cmd in ("start", "stop"):
            state.setIsPlaying(cmd == "start", now)
            peer.commitSessionState(state)
            reply = {"ok": cmd}
        elif cmd == "state":
            samples = [
                [now + d, state.beatAtTime(now + d, QUANTUM)] for d in range(0, 2_000_000, 100_000)
            ]
            reply = {
                "peers": peer.numPeers(),
                "bpm": state.tempo(),
                "playing": state.isPlaying(),
                "samples": samples,
            }
        elif cmd == "quit":
            break
        else:
            reply = {"error": f"unknown command {cmd!r}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()
    peer.enabled = False
    return 0


if __name__ == "__main__":
    sys.exit(main())
