"""`rig bench compile`: how long each cue takes to compile, and `rig check` as a whole.

Compile time is the CPU time (`time.process_time`) of `compile_song` on a loaded cue,
the best of `--repeat`. `rig check` is timed as a whole process (its children's CPU, the
interpreter's start-up included), as a musician waits for it.

With `--baseline REF` the same cues are timed on the code of a git commit (extracted to
a temporary folder) in the same run, the two taking turns (this, baseline, baseline,
this, ...) so that a machine whose load drifts slows both alike; each figure is the best
over the rounds and the ratio is the median of the rounds' ratios. On a shared machine
only the ratio is worth quoting. Figures, never a pass/fail test.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from rig.commands import EXIT_BAD_INPUT, EXIT_OK, EXIT_USAGE, command_parser, parse_args

__all__ = ["main"]

EPILOG = """examples:
  rig bench compile                                  # every cue in songs/, and rig check songs/
  rig bench compile songs/inferno.yaml --repeat 15
  rig bench compile --baseline main~5 --rounds 5     # against older code, in the same run

exit codes: 0 done, 1 a cue or the baseline could not be read, 2 usage
"""

# Run in a child interpreter on either tree's code: only the API every version has.
_CHILD = """
import json, sys, time
from pathlib import Path
import rig
from rig.project import Project
from rig.song.compile import compile_song
config, repeat, cues = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
project = Project.load(Path(config))
out = {"": rig.__file__}  # whose code ran
for cue in cues:
    try:
        song = project.song(Path(cue))
    except Exception as exc:  # a cue this code cannot read (a newer construct)
        out[cue] = str(exc).splitlines()[0]
        continue
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        compile_song(song)
        best = min(best, time.process_time() - start)
    out[cue] = best
print(json.dumps(out))
"""


def _parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "rig bench compile",
        "CPU time of compiling each cue and of rig check, optionally against older code.",
        EPILOG,
    )
    parser.add_argument("songs", nargs="*", type=Path, help="cues (default: songs/*.yaml)")
    parser.add_argument("--repeat", type=int, default=7, help="compiles per cue; the best counts")
    parser.add_argument("--rounds", type=int, default=3, help="turns of this and the baseline")
    parser.add_argument("--baseline", metavar="REF", help="a git commit to compare with")
    parser.add_argument(
        "--check",
        type=Path,
        nargs="*",
        default=None,
        metavar="PATH",
        help="what rig check is timed on (default: songs/; none given: no check)",
    )
    return parser


def _tree_of_ref(ref: str, into: Path) -> str | None:
    """Extract commit `ref` of this checkout into `into`; an error text, or None."""
    repo = Path(__file__).resolve().parents[3]
    got = subprocess.run(["git", "-C", str(repo), "archive", ref], capture_output=True)
    if got.returncode != 0:
        return got.stderr.decode(errors="replace").strip() or f"git archive {ref} failed"
    with tarfile.open(fileobj=io.BytesIO(got.stdout)) as tar:
        tar.extractall(into, filter="data")
    return None


def _env(tree: Path) -> dict[str, str]:
    """`tree`'s code first on the path (`-P` keeps the working folder's `rig` off it)."""
    return {**os.environ, "PYTHONPATH": str(tree)}


def _compile_times(tree: Path, config: Path, cues: list[Path], repeat: int) -> dict:
    """{cue: best seconds, or why it could not be read}, compiled by `tree`'s code."""
    argv = [sys.executable, "-P", "-c", _CHILD, str(config), str(repeat), *map(str, cues)]
    got = subprocess.run(argv, env=_env(tree), capture_output=True, text=True)
    if got.returncode != 0:
        raise RuntimeError((got.stderr.strip().splitlines() or ["failed"])[-1])
    out = json.loads(got.stdout)
    ran = Path(out.pop("")).resolve()
    if not ran.is_relative_to(tree.resolve()):  # another rig came first on the path
        raise RuntimeError(f"the code timed for {tree} was {ran}")
    return out


def _check_cpu(tree: Path, config: Path, paths: list[Path]) -> float:
    """CPU seconds (user + system) of `rig check -q PATHS` run by `tree`'s code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    argv = [sys.executable, "-P", "-m", "rig.cli", "check", "-q", "--config", str(config)]
    subprocess.run([*argv, *map(str, paths)], env=_env(tree), capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _measure(args: argparse.Namespace, trees: dict[str, Path], cues: list[Path]) -> dict:
    """Per tree: per cue the list of its rounds' best times, and the check's CPU per round."""
    times: dict = {name: {"cues": {}, "check": []} for name in trees}
    order = list(trees)
    for n in range(args.rounds):
        for name in order if n % 2 == 0 else order[::-1]:  # this, base, base, this, ...
            got = _compile_times(trees[name], args.config, cues, args.repeat)
            for cue, value in got.items():
                times[name]["cues"].setdefault(cue, []).append(value)
            if args.check:
                times[name]["check"].append(_check_cpu(trees[name], args.config, args.check))
    return times


def _row(label: str, mine: list, base: list | None, unit: float, fmt: str) -> str:
    """One line: the best of this tree's rounds, the baseline's, the median ratio."""
    if any(isinstance(v, str) for v in mine):
        return f"{label:<34} {'cannot read: ' + next(v for v in mine if isinstance(v, str))}"
    text = f"{label:<34} {format(min(mine) * unit, fmt):>10}"
    if base is None:
        return text
    if any(isinstance(v, str) for v in base):
        return f"{text} {'(baseline cannot read it)':>12}"
    ratio = statistics.median(a / b for a, b in zip(mine, base, strict=True) if b > 0)
    return f"{text} {format(min(base) * unit, fmt):>10} {ratio:>7.2f}"


def main(argv: list[str]) -> int:
    args = parse_args(_parser(), argv)
    if isinstance(args, int):
        return args
    if args.repeat < 1 or args.rounds < 1:
        print("rig bench compile: --repeat and --rounds must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    cues = list(args.songs or sorted(Path("songs").glob("*.yaml")))
    if not cues:
        print("rig bench compile: no cues given and none in songs/", file=sys.stderr)
        return EXIT_USAGE
    if args.check is None:
        args.check = [Path("songs")] if Path("songs").is_dir() else []
    here = Path(__file__).resolve().parents[3]
    with tempfile.TemporaryDirectory(prefix="rig-bench-compile-") as tmp:
        trees = {"this": here}
        if args.baseline:
            if (error := _tree_of_ref(args.baseline, Path(tmp))) is not None:
                print(f"rig bench compile: baseline: {error}", file=sys.stderr)
                return EXIT_BAD_INPUT
            trees["baseline"] = Path(tmp)
        try:
            times = _measure(args, trees, cues)
        except RuntimeError as exc:
            print(f"rig bench compile: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    base = times.get("baseline")
    head = f"{'compile, CPU ms (best of ' + str(args.repeat) + ')':<34} {'this':>10}"
    print(head + (f" {args.baseline:>10} {'ratio':>7}" if base else ""))
    for cue, mine in times["this"]["cues"].items():
        print(_row(cue, mine, base["cues"].get(cue) if base else None, 1000, ".1f"))
    if args.check:
        label = "rig check " + " ".join(map(str, args.check)) + ", CPU s"
        print(_row(label, times["this"]["check"], base["check"] if base else None, 1, ".2f"))
    print(f"({args.rounds} rounds; ratio = median of the rounds' this/baseline)" if base else "")
    return EXIT_OK
