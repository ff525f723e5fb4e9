"""`rig bench clock|render|compile|...`: measured figures (never pass/fail): timing, DSP, speed."""

from __future__ import annotations

import sys

from rig.commands import EXIT_USAGE

__all__ = ["main", "SUMMARY"]

SUMMARY = "benchmarks: engines, MIDI clock jitter/drift/CPU, render/compile speed, soak, faults"

USAGE = """usage: rig bench {clock,render,compile,soak,faults,sync} [options]

  clock    the frame engine against the deadline engine and isobar (Inferno at one
           recorder: ticks off the tempo map, jitter, CPU, worst callback), and
           MIDI clock jitter, drift and CPU of the JACK and rtmidi sinks against a
           naive sleep loop, measured in the same run (needs jackd)
  render   offline render speed (× real time) and peak level per cue
  compile  CPU time of compiling each cue and of `rig check songs/`, against an
           older commit's code in the same run with --baseline REF
  soak     the set for N minutes through the real engine, witnessed by a recorder:
           RSS growth, CPU, late events, xruns, notes left sounding, clock ticks
  faults   faults mid-show, each repeated: a port vanishing, SIGSTOP, JACK dying,
           an OSC flood, a full disk under rig render, an unreadable song
  sync     following MIDI clock (jitter, settle, flywheel) and Ableton Link, next to
           the internal clock

examples:
  rig bench clock --seconds 20 --out results/
  rig bench render songs/inferno.yaml
  rig bench compile --baseline main~3
  rig bench soak --minutes 10
  rig bench faults --repeat 10
  rig bench sync --seeds 5

Run `rig bench clock --help` (render, compile, sync) for their options.
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
    if what == "compile":
        from rig.commands.bench.compile import main as compile_main

        return compile_main(rest)
    if what == "soak":
        from rig.commands.bench.soak import main as soak_main

        return soak_main(rest)
    if what == "faults":
        from rig.commands.bench.faults import main as faults_main

        return faults_main(rest)
    if what == "sync":
        from rig.commands.bench.sync import main as sync_main

        return sync_main(rest)
    print(
        f"rig bench: unknown benchmark '{what}' (clock, render, compile, soak, faults or sync)",
        file=sys.stderr,
    )
    return EXIT_USAGE
