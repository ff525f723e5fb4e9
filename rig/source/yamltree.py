"""YAML text to a tree of `Node`s that remember where they were written.

PyYAML's composer gives positions but no checks; this module adds what a
musician's hand-written file needs: duplicate keys are errors, scalars are
typed predictably (only ``true``/``false`` are booleans, so a lane called
``NO`` or ``ON`` stays a string), and a column can be found for any character
inside a one-line string, so an error in a step string points at the step.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rig.source.errors import InputError, Pos, SourceError
from rig.source.files import SpecialFileError, TooLargeError, read_source
from rig.source.limits import MAX_DEPTH, MAX_DIGITS, MAX_NODES, MAX_SOURCE_BYTES

__all__ = ["Node", "parse_yaml", "load_yaml_file"]

_WORD = re.compile(r"\S+")
_NEWLINE = re.compile(r"\n")
_LONG_NUMBER = re.compile(rf"[0-9]{{{MAX_DIGITS + 1}}}|[0-9_]{{{2 * MAX_DIGITS}}}")
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


def _scalar(text: str, style: str | None, tag: str) -> Any:
    if style in ("'", '"', "|", ">") or tag == "tag:yaml.org,2002:str":
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


class _Open:
    """A mapping or sequence whose end event has not come yet."""

    __slots__ = ("node", "anchor", "first", "key", "key_pos", "skip")

    def __init__(self, node: Node, anchor: str | None, first: int):
        self.node = node
        self.anchor = anchor
        self.first = first  # the value count when it opened (its size = count at end - first)
        self.key: str | None = None  # a mapping's key waiting for its value
        self.key_pos: Pos | None = None
        self.skip = False  # the waiting key was refused: drop its value


class _Builder:
    """Builds `Node`s straight from PyYAML's event stream, in one pass and without recursion.

    PyYAML's composer recurses once per nesting level (RecursionError on deep input)
    and expands an alias each time it is used; here nesting is counted against
    `MAX_DEPTH`, an alias is a shared reference to the node already built, and the
    size the tree *would* have after expansion is counted against `MAX_NODES`, so a
    "billion laughs" file is refused at the alias that crosses the limit.
    """

    def __init__(self, file: str, text: str, errors: list[SourceError]):
        self.file = file
        self.text = text
        self.errors = errors
        self.resolver = yaml.resolver.Resolver()
        self.anchors: dict[str, tuple[Node, int, str | None]] = {}  # node, size, key text
        self.count = 0  # values so far, aliases counted at their expanded size
        self._line_starts: list[int] | None = None

    def run(self, events: Iterator[yaml.Event]) -> Node | None:
        stack: list[_Open] = []
        root: Node | None = None
        documents = 0
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Refused(
                        event.start_mark, "YAML syntax error: but found another document"
                    )
                continue
            if isinstance(event, yaml.CollectionStartEvent):
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(
                        event.start_mark, f"nested more than {MAX_DEPTH} levels deep (the limit)"
                    )
                is_map = isinstance(event, yaml.MappingStartEvent)
                node = Node({} if is_map else [], _pos(event.start_mark, self.file))
                stack.append(_Open(node, event.anchor, self.count))
                self._count(1, event.start_mark)
                continue
            if isinstance(event, yaml.CollectionEndEvent):
                done = stack.pop()
                node, raw = done.node, None
                if done.anchor is not None:
                    self.anchors[done.anchor] = (node, self.count - done.first, None)
            elif isinstance(event, yaml.ScalarEvent):
                node, raw = self._scalar(event), event.value
                self._count(1, event.start_mark)
                if event.anchor is not None:
                    self.anchors[event.anchor] = (node, 1, raw)
            elif isinstance(event, yaml.AliasEvent):
                if any(o.anchor == event.anchor for o in stack):
                    raise _Refused(
                        event.start_mark, f"alias *{event.anchor} refers to a value containing it"
                    )
                if event.anchor not in self.anchors:
                    raise _Refused(
                        event.start_mark,
                        f"YAML syntax error: found undefined alias {event.anchor!r}",
                    )
                node, size, raw = self.anchors[event.anchor]
                self._count(size, event.start_mark)
            else:
                continue  # stream start/end, document end
            if not stack:
                root = node
            else:
                self._attach(stack[-1], node, raw, event.start_mark)
        return root

    def _count(self, size: int, mark: yaml.Mark) -> None:
        self.count += size
        if self.count > MAX_NODES:
            raise _Refused(
                mark,
                f"more than {MAX_NODES:,} values once aliases are expanded (the limit)",
            )

    def _attach(self, parent: _Open, node: Node, raw: str | None, mark: yaml.Mark) -> None:
        if parent.node.is_list:
            parent.node.value.append(node)
            return
        if parent.key is None and not parent.skip:
            kpos = _pos(mark, self.file) if raw is not None else node.pos
            if raw is None:
                self.errors.append(SourceError(kpos, "a key must be a plain name"))
                parent.skip = True
            elif raw == "<<":
                self.errors.append(SourceError(kpos, "merge keys '<<' are not supported"))
                parent.skip = True
            elif raw in parent.node.value:
                first = parent.node.key_pos[raw]
                self.errors.append(
                    SourceError(kpos, f"duplicate key '{raw}' (first at line {first.line})")
                )
                parent.skip = True
            else:
                parent.key, parent.key_pos = raw, kpos
            return
        if parent.skip:
            parent.skip = False
            return
        assert parent.key is not None and parent.key_pos is not None
        parent.node.value[parent.key] = node
        parent.node.key_pos[parent.key] = parent.key_pos
        parent.key = parent.key_pos = None

    def _scalar(self, event: yaml.ScalarEvent) -> Node:
        pos = _pos(event.start_mark, self.file)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self.resolver.resolve(yaml.ScalarNode, event.value, event.implicit)
        if len(event.value) > MAX_DIGITS and _LONG_NUMBER.search(event.value):
            # Any digit run this long, quoted or not: every later int()/Fraction() of it
            # (a rate "1/999…", a velocity suffix) stays far below Python's 4 300-digit limit.
            raise _Refused(
                event.start_mark, f"a number of more than {MAX_DIGITS} digits (the limit)"
            )
        value = _scalar(event.value, event.style, tag)
        text_col = None
        words = None
        if isinstance(value, str) and event.start_mark.line == event.end_mark.line:
            skip = 1 if event.style in ("'", '"') else 0
            raw = self.text[event.start_mark.index + skip : event.end_mark.index - skip]
            if raw == value:
                text_col = event.start_mark.column + 1 + skip
        elif isinstance(value, str):
            words = self._words(event, value)
        return Node(value, pos, _text_col=text_col, _words=words)

    def _words(self, event: yaml.ScalarEvent, value: str) -> tuple[Pos, ...] | None:
        """Source positions of the words of a multi-line string, if they match the value's."""
        start, end = event.start_mark.index, event.end_mark.index
        if event.style in ("|", ">"):
            start = self.text.find("\n", start) + 1  # content starts after the `|-` line
        elif event.style in ("'", '"'):
            start, end = start + 1, end - 1
            if "\\" in self.text[start:end]:
                return None  # escapes would shift words
        if self._line_starts is None:  # once per file: a word's line by bisection
            self._line_starts = [0] + [m.end() for m in _NEWLINE.finditer(self.text)]
        starts = self._line_starts
        out: list[Pos] = []
        for m in _WORD.finditer(self.text, start, end):
            line = bisect.bisect_right(starts, m.start())
            out.append(Pos(self.file, line, m.start() - starts[line - 1] + 1))
        if len(out) != len(_WORD.findall(value)):
            return None
        return tuple(out)


class _Refused(Exception):
    """A limit was crossed or the structure cannot be built; carries the mark."""

    def __init__(self, mark: yaml.Mark, message: str):
        super().__init__(message)
        self.mark = mark
        self.message = message


def parse_yaml(text: str, file: str) -> Node:
    """Parse one YAML document; raise InputError with file:line:col on any problem.

    Work is bounded for any text (see rig.source.limits): nesting depth, values
    after alias expansion and digits per number are limited, each with an error
    at the place that crossed the limit.
    """
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
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        # libyaml parses ~10x faster and gives the same marks (character offsets); on any
        # syntax error the Python parser below runs again for its exact message.
        try:
            root = _Builder(file, text, errors).run(yaml.parse(text, Loader=fast))
        except _Refused as exc:
            raise InputError([SourceError(_pos(exc.mark, file), exc.message)]) from None
        except yaml.YAMLError:
            errors.clear()
        else:
            return _finish(root, errors, file)
    try:
        root = _Builder(file, text, errors).run(yaml.parse(text, Loader=yaml.SafeLoader))
    except _Refused as exc:
        raise InputError([SourceError(_pos(exc.mark, file), exc.message)]) from None
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
    except yaml.YAMLError as exc:  # errors without marks
        raise InputError([SourceError(Pos(file, 1, 1), f"YAML error: {exc}")]) from None
    return _finish(root, errors, file)


def _finish(root: Node | None, errors: list[SourceError], file: str) -> Node:
    if root is None:
        raise InputError([SourceError(Pos(file, 1, 1), "file is empty")])
    if errors:
        raise InputError(errors)
    return root


def load_yaml_file(path: Path, display: str | None = None) -> Node:
    """Read and parse a YAML file; unreadable or non-UTF-8 files are InputErrors."""
    name = display or str(path)
    try:
        data = read_source(path, MAX_SOURCE_BYTES)
    except FileNotFoundError:
        raise InputError([SourceError(Pos(name, 1, 1), "file not found")]) from None
    except IsADirectoryError:
        raise InputError([SourceError(Pos(name, 1, 1), "is a directory, not a file")]) from None
    except (SpecialFileError, TooLargeError) as exc:
        raise InputError([SourceError(Pos(name, 1, 1), f"{exc.strerror}")]) from None
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
