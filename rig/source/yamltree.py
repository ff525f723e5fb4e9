"""YAML text to a tree of `Node`s that remember where they were written.

PyYAML's composer gives positions but no checks; this module adds what a
musician's hand-written file needs: duplicate keys are errors, scalars are
typed predictably (only ``true``/``false`` are booleans, so a lane called
``NO`` or ``ON`` stays a string), and a column can be found for any character
inside a one-line string, so an error in a step string points at the step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rig.source.errors import InputError, Pos, SourceError

__all__ = ["Node", "parse_yaml", "load_yaml_file"]

_WORD = re.compile(r"\S+")
_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"[-+]?([0-9][0-9_]*)?\.[0-9]+([eE][-+]?[0-9]+)?$|[-+]?[0-9]+[eE][-+]?[0-9]+$")


@dataclass(eq=False)
class Node:
    """A YAML value with its place in the file.

    `value` is a dict[str, Node] for mappings, a list[Node] for sequences, and a
    str / int / float / bool / None for scalars. Mapping keys are plain strings;
    their own positions are in `key_pos`.
    """

    value: Any
    pos: Pos
    key_pos: dict[str, Pos] = field(default_factory=dict)
    # For one-line scalars: the source column of the value's first character.
    _text_col: int | None = None
    # For multi-line strings: where each whitespace-separated word sits in the source.
    _words: tuple[Pos, ...] | None = None

    @property
    def is_map(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)

    @property
    def is_scalar(self) -> bool:
        return not (self.is_map or self.is_list)

    def at(self, offset: int) -> Pos:
        """Position of character `offset` of this string value (best effort)."""
        if self._text_col is not None:
            return Pos(self.pos.file, self.pos.line, self._text_col + offset)
        if self._words is not None and isinstance(self.value, str):
            # Folding changes only whitespace, so the n-th word of the value is the
            # n-th word of the source text.
            for index, m in enumerate(_WORD.finditer(self.value)):
                if m.start() <= offset < m.end() or offset < m.start():
                    word = self._words[index]
                    inside = max(0, offset - m.start())
                    return Pos(word.file, word.line, word.col + inside)
        return self.pos

    def plain(self) -> Any:
        """The value with all positions stripped (for tests and debugging)."""
        if self.is_map:
            return {k: v.plain() for k, v in self.value.items()}
        if self.is_list:
            return [v.plain() for v in self.value]
        return self.value


def _pos(mark: yaml.Mark, file: str) -> Pos:
    return Pos(file, mark.line + 1, mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style in ("'", '"', "|", ">") or node.tag == "tag:yaml.org,2002:str":
        return text
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if _INT.match(text):
        return int(text.replace("_", ""))
    if _FLOAT.match(text):
        return float(text.replace("_", ""))
    return text


class _Builder:
    def __init__(self, file: str, text: str, errors: list[SourceError]):
        self.file = file
        self.text = text
        self.errors = errors

    def build(self, node: yaml.Node) -> Node:
        pos = _pos(node.start_mark, self.file)
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Node] = {}
            key_pos: dict[str, Pos] = {}
            for key_node, value_node in node.value:
                kpos = _pos(key_node.start_mark, self.file)
                if not isinstance(key_node, yaml.ScalarNode):
                    self.errors.append(SourceError(kpos, "a key must be a plain name"))
                    continue
                if key_node.value == "<<":
                    self.errors.append(SourceError(kpos, "merge keys '<<' are not supported"))
                    continue
                key = str(key_node.value)
                if key in out:
                    first = key_pos[key]
                    self.errors.append(
                        SourceError(kpos, f"duplicate key '{key}' (first at line {first.line})")
                    )
                    continue
                out[key] = self.build(value_node)
                key_pos[key] = kpos
            return Node(out, pos, key_pos)
        if isinstance(node, yaml.SequenceNode):
            return Node([self.build(n) for n in node.value], pos)
        assert isinstance(node, yaml.ScalarNode)
        value = _scalar(node)
        text_col = None
        words = None
        if isinstance(value, str) and node.start_mark.line == node.end_mark.line:
            skip = 1 if node.style in ("'", '"') else 0
            raw = self.text[node.start_mark.index + skip : node.end_mark.index - skip]
            if raw == value:
                text_col = node.start_mark.column + 1 + skip
        elif isinstance(value, str):
            words = self._words(node, value)
        return Node(value, pos, _text_col=text_col, _words=words)

    def _words(self, node: yaml.ScalarNode, value: str) -> tuple[Pos, ...] | None:
        """Source positions of the words of a multi-line string, if they match the value's."""
        start, end = node.start_mark.index, node.end_mark.index
        if node.style in ("|", ">"):
            start = self.text.find("\n", start) + 1  # content starts after the `|-` line
        elif node.style in ("'", '"'):
            start, end = start + 1, end - 1
            if "\\" in self.text[start:end]:
                return None  # escapes would shift words
        out: list[Pos] = []
        for m in _WORD.finditer(self.text, start, end):
            before = self.text[: m.start()]
            line = before.count("\n") + 1
            out.append(Pos(self.file, line, m.start() - (before.rfind("\n") + 1) + 1))
        if len(out) != len(_WORD.findall(value)):
            return None
        return tuple(out)


def parse_yaml(text: str, file: str) -> Node:
    """Parse one YAML document; raise InputError with file:line:col on any problem."""
    errors: list[SourceError] = []
    if "\t" in text:
        for number, line in enumerate(text.splitlines(), start=1):
            leading = line[: len(line) - len(line.lstrip(" \t"))]
            if "\t" in leading:
                errors.append(
                    SourceError(
                        Pos(file, number, leading.index("\t") + 1),
                        "tab used for indentation; use spaces",
                    )
                )
        if errors:
            raise InputError(errors)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        pos = Pos(file, before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1)
        problem = f"unacceptable character #x{exc.character:04x}: {exc.reason}"
        raise InputError([SourceError(pos, f"YAML syntax error: {problem}")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _pos(mark, file) if mark else Pos(file, 1, 1)
        problem = exc.problem or exc.context or "YAML syntax error"
        raise InputError([SourceError(pos, f"YAML syntax error: {problem}")]) from None
    except yaml.YAMLError as exc:  # composer errors without marks, e.g. 2 documents
        raise InputError([SourceError(Pos(file, 1, 1), f"YAML error: {exc}")]) from None
    if root is None:
        raise InputError([SourceError(Pos(file, 1, 1), "file is empty")])
    tree = _Builder(file, text, errors).build(root)
    if errors:
        raise InputError(errors)
    return tree


def load_yaml_file(path: Path, display: str | None = None) -> Node:
    """Read and parse a YAML file; unreadable or non-UTF-8 files are InputErrors."""
    name = display or str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError([SourceError(Pos(name, 1, 1), "file not found")]) from None
    except IsADirectoryError:
        raise InputError([SourceError(Pos(name, 1, 1), "is a directory, not a file")]) from None
    except OSError as exc:
        raise InputError([SourceError(Pos(name, 1, 1), f"cannot read: {exc.strerror}")]) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InputError([SourceError(Pos(name, line, col), "file is not UTF-8 text")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return parse_yaml(text, name)
