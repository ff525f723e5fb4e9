"""Reading hand-written YAML with positions, and reporting problems as file:line:col."""

from rig.source.errors import InputError, Pos, Problems, SourceError, suggest
from rig.source.yamltree import Node, load_yaml_file, parse_yaml

__all__ = [
    "InputError",
    "Node",
    "Pos",
    "Problems",
    "SourceError",
    "load_yaml_file",
    "parse_yaml",
    "suggest",
]
