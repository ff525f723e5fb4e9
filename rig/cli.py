"""The `rig` command: dispatches `rig <verb> ...` to `rig.commands.<verb>.main`.

Thin on purpose: each verb's module parses its own arguments and builds what it
needs (the composition root for that verb).
"""

from __future__ import annotations

import importlib
import keyword
import sys

from rig.commands import EXIT_USAGE

__all__ = ["main", "VERBS"]

# Order is the order of `rig --help`. A verb whose module is absent is not offered.
VERBS = (
    "check",
    "show",
    "export",
    "import",
    "render",
    "play",
    "live",
    "ports",
    "panic",
    "bench",
)

USAGE = """usage: rig <command> [options]

rig plays YAML cues on outboard synths (MIDI) and pyo software voices.

commands:
{commands}

Run `rig <command> --help` for the options and an example of each.
example:
  rig check songs/
  rig export songs/inferno.yaml -o inferno.mid
"""


def _load(verb: str):  # a module
    name = f"rig.commands.{verb}_" if keyword.iskeyword(verb) else f"rig.commands.{verb}"
    try:
        return importlib.import_module(name)  # `import` is a keyword: rig.commands.import_
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None
        raise


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    modules = {verb: m for verb in VERBS if (m := _load(verb)) is not None}
    if not args or args[0] in ("-h", "--help", "help"):
        lines = "\n".join(f"  {verb:<8} {m.SUMMARY}" for verb, m in modules.items())
        print(USAGE.format(commands=lines))
        return 0 if args else EXIT_USAGE
    if args[0] == "--version":
        from rig import __version__

        print(f"rig {__version__}")
        return 0
    verb = args[0]
    if verb not in modules:
        print(f"rig: unknown command '{verb}' (try: {', '.join(modules)})", file=sys.stderr)
        return EXIT_USAGE
    try:
        return int(modules[verb].main(args[1:]) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `rig show song | head`: the reader left; not an error
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
