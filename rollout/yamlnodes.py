"""Safe YAML reading that keeps every value's position, for messages as file:line:col."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Issue:
    """One problem in a file, printed as ``file:line[:col]: message``."""

    file: str
    line: int
    message: str
    col: int | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" + (f":{self.col}" if self.col else "")
        return f"{where}: {self.message}"


class Node:
    """A YAML node with its Python value and its position in a file."""

    def __init__(self, node: yaml.Node, file: str, constructor: SafeConstructor):
        self.node = node
        self.file = file
        self._constructor = constructor

    @property
    def line(self) -> int:
        return self.node.start_mark.line + 1

    @property
    def col(self) -> int:
        return self.node.start_mark.column + 1

    @property
    def value(self) -> Any:
        return self._constructor.construct_object(self.node, deep=True)

    def issue(self, message: str) -> Issue:
        return Issue(self.file, self.line, message, self.col)

    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)

    def is_sequence(self) -> bool:
        return isinstance(self.node, yaml.SequenceNode)

    def items(self) -> list[tuple[Node, Node]]:
        return [(self._wrap(k), self._wrap(v)) for k, v in self.node.value]

    def elements(self) -> list[Node]:
        return [self._wrap(v) for v in self.node.value]

    def _wrap(self, node: yaml.Node) -> Node:
        return Node(node, self.file, self._constructor)


def compose_file(path: Path, shown: str) -> tuple[Node | None, list[Issue]]:
    """Parse one file safely; a syntax error becomes an Issue with line and column."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Issue(shown, 1, f"cannot read the file: {exc}")]
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, None)
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.context_mark:
            start = exc.context_mark
            problem += f" ({exc.context} started at line {start.line + 1}, column {start.column + 1})"
        return None, [Issue(shown, line, f"YAML syntax error: {problem}", col)]
    except yaml.YAMLError as exc:
        return None, [Issue(shown, 1, f"YAML error: {exc}")]
    if root is None:
        return None, [Issue(shown, 1, "the file is empty; expected a mapping of keys")]
    unsafe = _unsupported_tag(root)
    if unsafe is not None:
        mark = unsafe.start_mark
        return None, [
            Issue(shown, mark.line + 1, f"YAML tag {unsafe.tag} is not allowed; plain values only", mark.column + 1)
        ]
    return Node(root, shown, SafeConstructor()), []


def _unsupported_tag(root: yaml.Node) -> yaml.Node | None:
    """The first node whose tag safe loading cannot build (such as python/object)."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.tag not in SafeConstructor.yaml_constructors:
            return node
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return None


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return type(value).__name__
