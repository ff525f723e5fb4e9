"""The voice reader's base: numbers, choices and lists read from a voice file, its
`params` and the `programs` that set them, and the check of every parameter name.

A number in a voice file may instead name one of its `params`; such references are
collected while reading and checked once the whole file is read (`check_refs`), so
params may come last.
"""

from __future__ import annotations

from collections.abc import Callable

from rig.dsp.spec import ParamSpec, ProgramSpec, Value
from rig.source import Node, Problems, suggest
from rig.source.fields import MapReader, as_int, as_list, as_map, as_number, as_str

__all__ = ["FieldReader"]


class FieldReader:
    """Reads one voice file's fields, adding every problem to `problems`."""

    def __init__(self, name: str, root: Node, problems: Problems):
        self.name = name
        self.root = root
        self.problems = problems
        self.params: dict[str, ParamSpec] = {}
        # Param references seen while reading, checked once all params are known.
        self.refs: list[tuple[str, Node, str]] = []

    # -- small helpers -------------------------------------------------------------

    @staticmethod
    def what(r: MapReader, key: str) -> str:
        # Top-level keys are reported by their own name ("mode: ..."), not "voice.mode".
        return key if r.what == "voice" else f"{r.what}.{key}"

    def number(self, r: MapReader, key: str, default: float, lo: float, hi: float) -> float:
        node = r.get(key)
        if node is None:
            return default
        value = as_number(node, self.problems, self.what(r, key), lo, hi)
        return default if value is None else value

    def integer(self, r: MapReader, key: str, default: int, lo: int, hi: int) -> int:
        node = r.get(key)
        if node is None:
            return default
        value = as_int(node, self.problems, self.what(r, key), lo, hi)
        return default if value is None else value

    def value(self, r: MapReader, key: str, default: Value, lo: float, hi: float) -> Value:
        """A number in lo..hi, or the name of a parameter."""
        node = r.get(key)
        if node is None:
            return default
        what = self.what(r, key)
        if isinstance(node.value, str):
            self.refs.append((node.value, node, what))
            return node.value
        value = as_number(node, self.problems, what, lo, hi)
        return default if value is None else value

    def choice(
        self, r: MapReader, key: str, default: str, options: tuple[str, ...], kind: str
    ) -> str:
        node = r.get(key)
        if node is None:
            return default
        what = self.what(r, key)
        text = as_str(node, self.problems, what)
        if text is None:
            return default
        if text not in options:
            self.problems.add(node.pos, f"{what}: unknown {kind} '{text}'{suggest(text, options)}")
            return default
        return text

    def each(self, node: Node | None, what: str, read: Callable[[Node, str], object]) -> list:
        if node is None:
            return []
        items = as_list(node, self.problems, what)
        if items is None:
            return []
        out = [read(item, f"{what}[{i + 1}]") for i, item in enumerate(items)]
        return [x for x in out if x is not None]

    def read_params(self, node: Node | None) -> list[ParamSpec]:
        if node is None or not self._is_map(node, "params"):
            return []
        out = []
        for name, pnode in node.value.items():
            what = f"params.{name}"
            r = MapReader(
                pnode, self.problems, what, ("value", "min", "max", "curve", "cc", "aliases")
            )
            if not r.ok:
                continue
            lo = self.number(r, "min", 0.0, -1e6, 1e6)
            hi = self.number(r, "max", 1.0, -1e6, 1e6)
            curve = self.choice(r, "curve", "lin", ("lin", "exp"), "curve")
            value_node = r.get("value", required=True)
            value = lo
            if value_node is not None:
                v = as_number(value_node, self.problems, f"{what}.value")
                if v is not None:
                    if not lo <= v <= hi:
                        self.problems.add(
                            value_node.pos, f"{what}.value: {v:g} is outside {lo:g}..{hi:g}"
                        )
                    value = v
            if lo >= hi:
                self.problems.add(pnode.pos, f"{what}: min {lo:g} must be below max {hi:g}")
            if curve == "exp" and lo <= 0:
                self.problems.add(pnode.pos, f"{what}: an exp curve needs min above 0, got {lo:g}")
            cc_node = r.get("cc")
            cc = as_int(cc_node, self.problems, f"{what}.cc", 0, 127) if cc_node else None
            aliases: list[str] = []
            alias_node = r.get("aliases")
            if alias_node is not None:
                for item in as_list(alias_node, self.problems, f"{what}.aliases") or []:
                    text = as_str(item, self.problems, f"{what}.aliases")
                    if text:
                        aliases.append(text)
            r.finish()
            spec = ParamSpec(name, value, lo, hi, curve, cc, tuple(aliases))
            self.params[name] = spec
            out.append(spec)
        return out

    def _is_map(self, node: Node, what: str) -> bool:
        return as_map(node, self.problems, what) is not None

    def read_programs(self, node: Node | None) -> list[ProgramSpec]:
        if node is None or not self._is_map(node, "programs"):
            return []
        out = []
        for key, pnode in node.value.items():
            kpos = node.key_pos[key]
            if not key.isdigit() or not 0 <= int(key) <= 127:
                self.problems.add(kpos, f"programs: '{key}' is not a program number 0..127")
                continue
            what = f"programs.{key}"
            r = MapReader(pnode, self.problems, what, ("name", *self.params))
            if not r.ok:
                continue
            name_node = r.get("name")
            name = (as_str(name_node, self.problems, f"{what}.name") or "") if name_node else ""
            values = []
            for pname, vnode in r.items.items():
                if pname == "name" or pname not in self.params:
                    continue
                p = self.params[pname]
                v = as_number(vnode, self.problems, f"{what}.{pname}", p.lo, p.hi)
                if v is not None:
                    values.append((pname, v))
            r.finish()
            out.append(ProgramSpec(int(key), name or f"program {key}", tuple(values)))
        return out

    def check_refs(self) -> None:
        for name, node, what in self.refs:
            if name not in self.params:
                self.problems.add(
                    node.pos,
                    f"{what}: unknown parameter '{name}'{suggest(name, self.params, 'params')}",
                )
