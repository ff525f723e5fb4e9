"""`rig bench sync`: how well rig follows MIDI clock and Ableton Link, next to its own clock.

MIDI clock (offline twin, `rig.commands.bench.sync_sim`): a master with ±jitter on
every F8 (uniform, and Gaussian with σ = half of it), a tempo jump and a silent gap
drives the real engine; per seed, the rig's note-on and clock-out deadlines against
the master's jitter-free grid. The internal clock at the same tempo, in the same run,
is the baseline. Step rows: a 120 → 132 BPM step, the clock out's p99 over beats 1-4
after it, per seed, with each kind of jitter.

Ableton Link (`rig.commands.bench.sync_link`): rig against an independent peer
process, both in a private network namespace (`unshare -rn`): the beat at the same
instants, tempo changes either way, start/stop both ways, and the engine's note
deadlines against the peer's beat grid.

Figures, never pass/fail (the tests assert the targets).
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
from pathlib import Path

from rig.commands import EXIT_OK, EXIT_USAGE, command_parser, parse_args
from rig.commands.bench.sync_sim import Figures, Master, run_internal, run_midi, step_p99

__all__ = ["main", "SUMMARY", "table"]

SUMMARY = "benchmark following MIDI clock and Ableton Link against the internal clock"

EPILOG = """examples:
  rig bench sync                      # 5 seeds, ±1 ms jitter, 120 -> 126 BPM, Link too
  rig bench sync --seeds 2 --jitter 2 --no-link --out /tmp/bench
  rig bench sync --step-seeds 40 --no-link --no-jack   # the 120 -> 132 step, 40 seeds
  rig bench sync --server mydummy     # JACK rows on a running (dummy) server

Writes results/sync-bench.md. The Link part needs the optional binding
(pip install 'rig[link]') and `unshare -rn` (it never touches the network).

exit codes: 0 done, 2 usage
"""


def _worst(figs: list[Figures], get) -> float:
    return max(get(f) for f in figs)


def _midi_row(label: str, midi: list[Figures], master: Master) -> str:
    p50 = statistics.median(f.notes["p50"] for f in midi)
    return (
        f"| {label} | "
        f"{_worst(midi, lambda f: f.settle_beats):.2f} beats "
        f"({master.bpm:g} → {master.jump_to:g} BPM) | "
        f"{_worst(midi, lambda f: f.tempo_error_pct):.4f} % | "
        f"{p50:.3f} / {_worst(midi, lambda f: f.notes['p99']):.3f} / "
        f"{_worst(midi, lambda f: f.notes['max']):.3f} ms | "
        f"{_worst(midi, lambda f: abs(f.phase_ms)):.3f} ms | "
        f"{_worst(midi, lambda f: f.flywheel.get('max', 0.0)):.3f} ms "
        f"({master.gap_beats} beats silent) | {sum(f.late for f in midi)} |"
    )


def table(
    midi: list[Figures],
    internal: Figures,
    link: dict | None,
    master: Master,
    jack: dict | None = None,
    link_frames: dict | None = None,
    gauss: list[Figures] | None = None,
    steps: dict[str, list[tuple[float, float]]] | None = None,
) -> str:
    """The markdown table (worst over the seeds for MIDI); `gauss`: the same runs with
    Gaussian jitter; `steps`: per jitter kind, each seed's p99 over beats 1-4 and 2-4
    after a 120 → 132 BPM step (`sync_sim.step_p99`)."""
    head = (
        "| source | settle after tempo jump | steady tempo error | output p50 / p99 / max "
        "| phase error to master | flywheel (gap) max | late |\n|---|---|---|---|---|---|---|\n"
    )
    i = internal
    rows = [
        f"| internal (baseline) | – | – | {i.notes['p50']:.3f} / {i.notes['p99']:.3f} / "
        f"{i.notes['max']:.3f} ms | {i.phase_ms:+.3f} ms | – | {i.late} |"
    ]
    rows.append(_midi_row(f"MIDI clock in, ±{master.jitter_ms:g} ms jitter", midi, master))
    if gauss:
        sigma = master.jitter_ms / 2
        label = f"MIDI clock in, Gaussian jitter σ = {sigma:g} ms (not clipped)"
        rows.append(_midi_row(label, gauss, master))
    rows.append(
        f"| MIDI clock out (pass-through), same run | – | – | "
        f"{statistics.median(f.clock_out['p50'] for f in midi):.3f} / "
        f"{_worst(midi, lambda f: f.clock_out['p99']):.3f} / "
        f"{_worst(midi, lambda f: f.clock_out['max']):.3f} ms | – | – | – |"
    )
    for kind, p99s in (steps or {}).items():
        n = len(p99s)
        first = sorted(p for p, _ in p99s)
        rows.append(
            f"| MIDI clock in, 120 → 132 BPM step, {kind} jitter: clock out over beats "
            f"1-4 after it | within 0.2 ms p99 in {sum(p <= 0.2 for p in first)} of {n} "
            f"seeds (beats 2-4: {sum(q <= 0.2 for _, q in p99s)} of {n}) | – | p99 median "
            f"{statistics.median(first):.3f}, worst {first[-1]:.3f} ms | – | – | – |"
        )
    for label, run in (jack or {}).items():
        if "skipped" in run:
            rows.append(f"| MIDI clock in on JACK's frames, {label} | not run: {run['skipped']} "
                        "| | | | | |")  # fmt: skip
            continue
        where = (
            f"{label}, load {run['load']:.1f} on 2 cores, {run['xruns']} xruns"
            if "real time" in label
            else label
        )
        for kind, name in (("note", "notes"), ("clock", "clock out")):
            f = run[kind]
            rows.append(
                f"| MIDI clock in on JACK's frames ({where}): {name} at the recorder | "
                f"{run['settle_beats']:.2f} beats (120 → 132 BPM) | – | {f['p50']:.3f} / "
                f"{f['p99']:.3f} / {f['max']:.3f} ms | – | in the figures (2 beats silent) "
                f"| {run['after_stop']} after a Stop |"
            )
    if jack is None:
        rows.append("| MIDI clock in on JACK's frames | not run (--no-jack) | | | | | |")
    if link is None:
        rows.append("| Ableton Link | not run (--no-link) | | | | | |")
    elif "skipped" in link:
        rows.append(f"| Ableton Link | not run: {link['skipped']} | | | | | |")
    else:
        out = link.get("notes")
        out_text = f"{out['p50']:.3f} / {out['p99']:.3f} / {out['max']:.3f} ms" if out else "–"
        rows.append(
            f"| Ableton Link (peer in a netns) | peer 120 → 130 BPM seen after "
            f"{link['follow_s'] * 1000:.0f} ms; ours → 100 BPM at the peer after "
            f"{link['propose_s'] * 1000:.0f} ms | exact (the session's) | {out_text} | "
            f"{link['phase_max_ms']:.3f} ms (beat at the same instant); rig's downbeats "
            f"{link.get('downbeat_max_ms') or 0:.3f} ms from the peer's bar lines | – | "
            f"{link.get('engine_late', '–')} |"
        )
    if link_frames is not None and "skipped" not in link_frames and link_frames.get("notes"):
        lf = link_frames
        rows.append(
            f"| Ableton Link on JACK's frames (real time, dummy server, {lf['xruns']} xruns): "
            f"notes at the recorder | – | exact (the session's) | {lf['p50']:.3f} / "
            f"{lf['p99']:.3f} / {lf['max']:.3f} ms ({lf['over_3ms']} of {lf['notes']} over "
            f"3 ms) | first note {'on' if lf['first_on_bar'] else 'OFF'} the peer's bar line, "
            f"{lf['first_ms']:.3f} ms | – | – |"
        )
    elif link_frames is not None:
        why = link_frames.get("skipped", "no notes")
        rows.append(f"| Ableton Link on JACK's frames | not run: {why} | | | | | |")
    return head + "\n".join(rows) + "\n"


def main(argv: list[str]) -> int:
    parser = command_parser("rig bench sync", SUMMARY, EPILOG, config=False)
    parser.add_argument("--seeds", type=int, default=5, help="jitter seeds per run (default 5)")
    parser.add_argument("--jitter", type=float, default=1.0, metavar="MS", help="± jitter (1.0)")
    parser.add_argument(
        "--step-seeds", type=int, default=20, help="seeds for the 120 -> 132 BPM step (20)"
    )
    parser.add_argument("--bpm", type=float, default=120.0, help="master tempo (120)")
    parser.add_argument("--jump-to", type=float, default=126.0, metavar="BPM", help="(126)")
    parser.add_argument("--no-link", action="store_true", help="skip the Link measurement")
    parser.add_argument("--no-jack", action="store_true", help="skip the JACK runs")
    parser.add_argument(
        "--server", metavar="NAME", help="run the JACK rows on this running JACK server"
    )
    parser.add_argument("--out", type=Path, default=Path("results"), help="folder (results/)")
    args = parse_args(parser, argv)
    if isinstance(args, int):
        return args
    tempos_ok = 20 <= args.bpm <= 400 and 20 <= args.jump_to <= 400
    if args.seeds < 1 or args.step_seeds < 1 or not tempos_ok:
        print(
            "rig bench sync: --seeds, --step-seeds >= 1 and tempos within 20-400 BPM",
            file=sys.stderr,
        )
        return EXIT_USAGE
    masters = [
        Master(args.bpm, args.jump_to, jitter_ms=args.jitter, seed=s) for s in range(args.seeds)
    ]
    print(f"MIDI clock: {args.seeds} runs of {masters[0].beats} beats (offline twin) ...")
    midi = [run_midi(m) for m in masters]
    gauss = [run_midi(dataclasses.replace(m, jitter="gaussian")) for m in masters]
    print(f"MIDI clock: a 120 -> 132 BPM step, {args.step_seeds} seeds per jitter kind ...")
    steps = {
        kind: [step_p99(args.jitter, seed, kind) for seed in range(args.step_seeds)]
        for kind in ("uniform", "gaussian")
    }
    internal = run_internal(masters[0])
    link = None
    if not args.no_link:
        print("Ableton Link: a peer in a private network namespace ...")
        from rig.commands.bench.sync_link import measure_in_netns

        link = measure_in_netns()
    jack = None if args.no_jack else _jack_run(args.server)
    link_frames = None
    if not args.no_link and not args.no_jack:
        print("Ableton Link on JACK's frames: dummy server, recorder and peer in a netns ...")
        from rig.commands.bench.sync_link_frames import measure_frames_in_netns

        link_frames = measure_frames_in_netns()
    text = table(midi, internal, link, masters[0], jack, link_frames, gauss, steps)
    print(text)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sync-bench.md").write_text(_report(text, args))
    print(f"wrote {args.out / 'sync-bench.md'}")
    return EXIT_OK


def _jack_run(server: str | None = None) -> dict:
    """The engine process following `rig.probe.clockmaster` on JACK's frames, on a
    private dummy server: in freewheel (exact) and in real time."""
    from rig.commands.bench.sync_jack import frames_run

    out = {}
    for label, freewheel in (("freewheel", True), ("real time, dummy server", False)):
        print(f"MIDI clock in on JACK's frames ({label}): engine, master and recorder ...")
        try:
            out[label] = frames_run(freewheel, server)
        except Exception as exc:  # jackd missing, busy or failing: the row says so
            out[label] = {"skipped": f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"}
    return out


def _report(text: str, args) -> str:
    return (
        "# rig bench sync\n\n"
        f"`rig bench sync --seeds {args.seeds} --jitter {args.jitter:g} --bpm {args.bpm:g} "
        f"--jump-to {args.jump_to:g}`\n\n" + text + "\n"
        "MIDI rows: the offline twin — the real engine, `SyncDriver` and `ClockFollower` "
        "driven by injected time (a pump every 1 ms), a master sending clock while stopped, "
        "Start, ±jitter (uniform; the Gaussian row: σ = half of it, not clipped) on every "
        "F8, a tempo jump at beat 32 and two silent beats at beat 48; errors are the "
        "deadlines rig hands its sinks against the master's "
        "jitter-free grid (worst over the seeds; p50 the median). The sinks' own delivery "
        "(JACK frame placement, `rig bench clock`) adds to these. Settle: beats from the "
        "jump until the followed tempo stays within 0.5 % and the notes within 1 ms. "
        "Step rows: 120 → 132 BPM at beat 8 (4 beats of clock before Start), the engine "
        "pumped every 1.33 ms; the p99 of the clock out over beats 1-4 (and 2-4) after "
        "the step, per seed.\n\n"
        "JACK rows: the engine process on JACK's frame timeline (its sync input a JACK "
        "MIDI port stamped by frame) following `rig.probe.clockmaster` (another process, "
        "F8 at exact frames with ±1 ms jitter, 120 → 132 BPM at beat 8, silent for beats "
        "16-18, Stop at 24, SPP to beat 32 + Continue for 8 beats) on a private JACK "
        "dummy server; its notes and clock out stamped by the independent recorder, each "
        "against the master's jitter-free grid (no offset removed), outside the beat "
        "after the jump; settle: beats from the jump until every event stays within 1 ms. "
        "Freewheel: no deadlines, the engine's arithmetic frame for frame. Real time: on "
        "a machine shared by other sessions (the load average and the xruns say how "
        "much those figures are worth). 'after a Stop': clock ticks and note-ons at the "
        "recorder on or after a master's Stop frame (0: what was handed over is taken "
        "back).\n\n"
        "Link row: `rig.probe.linkpeer` (the binding alone) and rig's adapter in one "
        "`unshare -rn` namespace; the phase figure compares the session beat both report "
        "for the same host instants (Link's host clock, CLOCK_MONOTONIC_RAW, mapped by an "
        "offset read independently of rig's). Link on JACK's frames: the engine process "
        "following Link on the frame timeline, a private dummy server (256-frame periods), "
        "an independent recorder and peer in one namespace; the recorder's frames put on "
        "the peer's beat line through (frame_time, CLOCK_MONOTONIC_RAW) pairs read by the "
        "measurement itself every 5 ms; each note against the peer's nearest 16th.\n"
    )
