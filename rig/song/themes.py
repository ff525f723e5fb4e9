"""Themes of a song (chord progressions and step material shared by patterns) and the
theme libraries they come from through `include:`, cycles and all reported with positions.
"""

from __future__ import annotations

from pathlib import Path

from rig.song.context import Context, LoaderBase, Theme
from rig.song.includes import resolve_include
from rig.song.steps import parse_progression, parse_steps
from rig.source.errors import InputError
from rig.source.fields import MapReader, as_fraction, as_str, as_str_list
from rig.source.files import display_path, resolve
from rig.source.yamltree import Node, load_yaml_file

__all__ = ["ThemeReader", "load_themes", "THEME_KEYS", "INCLUDE_KEYS"]

THEME_KEYS = ("chords", "steps", "rate", "about")
INCLUDE_KEYS = ("themes", "about")


class ThemeReader(LoaderBase):
    """Reads `include:` chains and `themes:` into `self.themes`."""

    def _includes(self, node: Node, chain: list[Path]) -> None:
        names = as_str_list(node, self.problems, "include")
        for name, item in names or []:
            target = resolve_include(name, item.pos, chain, self._roots, self.problems)
            if target is None or target in self._included:
                continue
            self._included.add(target)
            try:
                tree = load_yaml_file(target, display_path(target))
            except InputError as exc:
                self.problems.extend(exc.errors)
                continue
            r = MapReader(tree, self.problems, "included file", (*INCLUDE_KEYS, "include"))
            if (sub := r.get("include")) is not None:
                self._includes(sub, [*chain, target])
            if (themes := r.get("themes")) is not None:
                self._themes(themes)
            r.finish()

    def _themes(self, node: Node) -> None:
        items = node.value if node.is_map else None
        if items is None:
            self.problems.add(node.pos, "themes: expected a mapping of theme names")
            return
        for name, tnode in items.items():
            kpos = node.key_pos[name]
            if name in self.themes:
                first = self.themes[name].pos
                self.problems.add(
                    kpos, f"theme '{name}' is defined twice (first at {first.file}:{first.line})"
                )
                continue
            what = f"theme '{name}'"
            r = MapReader(tnode, self.problems, what, THEME_KEYS)
            if not r.ok:
                continue
            chords, steps = r.get("chords"), r.get("steps")
            rate = as_fraction(n, self.problems, f"{what}: rate") if (n := r.get("rate")) else None
            r.finish()
            if (chords is None) == (steps is None):
                self.problems.add(tnode.pos, f"{what}: give either 'chords' or 'steps'")
                continue
            if chords is not None and (text := as_str(chords, self.problems, f"{what}: chords")):
                slots = parse_progression(chords, self.problems, f"{what}: chords")
                bars = text.count("|") + 1 - (1 if text.rstrip().endswith("|") else 0)
                self.themes[name] = Theme(name, "chords", slots, bars, [], None, kpos)
            elif steps is not None and as_str(steps, self.problems, f"{what}: steps"):
                parsed = parse_steps(steps, self.problems, f"{what}: steps")
                self.themes[name] = Theme(name, "steps", [], 0, parsed, rate, kpos)


def load_themes(path: Path, ctx: Context) -> list[str]:
    """Check a theme library (a file of `themes:` used through `include:`); its theme names."""
    loader = ThemeReader(path, ctx)
    tree = load_yaml_file(path, display_path(path))
    r = MapReader(tree, loader.problems, "theme file", (*INCLUDE_KEYS, "include"))
    if (sub := r.get("include")) is not None:
        loader._includes(sub, [resolve(path)])
    if (themes := r.get("themes", required=True)) is not None:
        loader._themes(themes)
    r.finish()
    loader.problems.raise_if_any()
    return sorted(loader.themes)
