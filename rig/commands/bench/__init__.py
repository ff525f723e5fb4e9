"""`rig bench clock|render`: print measured figures (never pass/fail) for timing and DSP."""

from __future__ import annotations

import sys

from rig.commands import EXIT_USAGE

__all__ = ["main", "SUMMARY"]

SUMMARY = "benchmarks: MIDI clock jitter/drift/CPU, offline render speed, sync"

USAGE = """usage: rig bench {clock,render,sync} [options]

  clock    MIDI clock jitter, drift and CPU of the JACK and rtmidi sinks against a
           naive sleep loop measured in the same run (needs jackd)
  render   offline render speed (× real time) and peak level per cue
  sync     following MIDI clock (jitter, settle, flywheel) and Ableton Link, next to
           the internal clock

examples:
  rig bench clock --seconds 20 --out results/
  rig bench render songs/inferno.yaml
  rig bench sync --seeds 5

Run `rig bench clock --help` (render, sync) for their options.
"""


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else EXIT_USAGE
    what, rest = argv[0], argv[1:]
    if what == "clock":
        from rig.commands.bench.clock import main as clock_main

        return clock_main(rest)
    if what == "render":
        from rig.commands.bench.render import main as render_main

        return render_main(rest)
    if what == "sync":
        from rig.commands.bench.sync import main as sync_main

        return sync_main(rest)
    print(f"rig bench: unknown benchmark '{what}' (clock, render or sync)", file=sys.stderr)
    return EXIT_USAGE
