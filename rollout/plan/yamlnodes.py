"""Safe YAML reading, two ways with one interface: plain values (fast) or nodes that keep positions.

A checker written against ``Node``'s methods runs on either. ``read_plain`` only accepts what
reads the same both ways, and raises ``NotPlain`` for anything else, so that the caller can
check again with positions (``compose_file``) to report where the problem is.

Plan files are read only when they are regular files of at most ``MAX_FILE_BYTES``, and YAML
aliases are refused: a few lines of nested aliases ("billion laughs") stand for billions of
values, and every walk over them would never end.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.constructor import SafeConstructor

from rollout.fileio import FileTooLarge, NotRegularFile, read_regular

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PLAIN_TAGS = ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")
_SPECIAL_KEYS = ("tag:yaml.org,2002:merge", "tag:yaml.org,2002:value")
MAX_FILE_BYTES = 20 * 1024 * 1024  # a plan of 10,000 tasks is 3.5 MB
ALIASES_REFUSED = "YAML aliases are not allowed in plan files; write the value out"


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


class NotPlain(Exception):
    """A file, or a value in it, needs the positioned reading: it is broken or unusual."""


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
        """Also whether the value is a list: every safe sequence tag builds one."""
        return isinstance(self.node, yaml.SequenceNode)

    def is_dict(self) -> bool:
        """Whether the value is a dict, told without building it (``!!set`` builds a set)."""
        return isinstance(self.node, yaml.MappingNode) and self.node.tag == "tag:yaml.org,2002:map"

    def items(self) -> list[tuple[Node, Node]]:
        return [(self._wrap(k), self._wrap(v)) for k, v in self.node.value]

    def elements(self) -> list[Node]:
        return [self._wrap(v) for v in self.node.value]

    def get(self, key: str) -> Node | None:
        """The value of a key of a mapping (the last one, as in the built dict), else None."""
        found = [v for k, v in self.node.value if isinstance(k, yaml.ScalarNode) and self._wrap(k).value == key]
        return self._wrap(found[-1]) if found else None

    def _wrap(self, node: yaml.Node) -> Node:
        return Node(node, self.file, self._constructor)


class Plain:
    """A plain value behind ``Node``'s interface; it has no position (line 0)."""

    __slots__ = ("file", "value")
    line = 0
    col = None

    def __init__(self, value: Any, file: str):
        self.value = value
        self.file = file

    def issue(self, message: str) -> Issue:
        return Issue(self.file, self.line, message)

    def is_mapping(self) -> bool:
        return isinstance(self.value, dict)

    def is_sequence(self) -> bool:
        return isinstance(self.value, list)

    is_dict = is_mapping

    def items(self) -> list[tuple[Plain, Plain]]:
        file = self.file
        return [(Plain(k, file), Plain(v, file)) for k, v in self.value.items()]

    def elements(self) -> list[Plain]:
        file = self.file
        return [Plain(v, file) for v in self.value]

    def get(self, key: str) -> Plain | None:
        return Plain(self.value[key], self.file) if key in self.value else None


def _timestamp_or_text(constructor: SafeConstructor, node: yaml.ScalarNode) -> Any:
    """A date, or its text when no such day exists (2026-02-30), for the checker to report as a wrong value."""
    try:
        return SafeConstructor.construct_yaml_timestamp(constructor, node)
    except ValueError:
        return node.value


def _int_or_text(constructor: SafeConstructor, node: yaml.ScalarNode) -> Any:
    """A whole number, or its text when Python refuses it (past 4,300 digits), for the checker to report."""
    try:
        return SafeConstructor.construct_yaml_int(constructor, node)
    except ValueError:
        return node.value


class _Constructor(SafeConstructor):
    """The safe constructor, with impossible dates and numbers read as text."""

    yaml_constructors: ClassVar[dict] = {
        **SafeConstructor.yaml_constructors,
        "tag:yaml.org,2002:timestamp": _timestamp_or_text,
        "tag:yaml.org,2002:int": _int_or_text,
    }


def _not_plain(constructor: SafeConstructor, node: yaml.Node) -> None:
    raise NotPlain(f"tag {node.tag}")


class _PlainLoader(_Loader):
    """The safe loader limited to the implicit tags, without merge keys, repeated keys or aliases.

    Those read differently as plain data (a repeated key keeps only its last value) or are refused,
    so a file holding them goes to the positioned reading, which reports them.
    """

    yaml_constructors: ClassVar[dict] = {
        **{f"tag:yaml.org,2002:{t}": _Constructor.yaml_constructors[f"tag:yaml.org,2002:{t}"] for t in _PLAIN_TAGS},
        None: _not_plain,
    }

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        if any(key.tag in _SPECIAL_KEYS for key, _ in node.value):
            raise NotPlain("merge key")

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep)
        if len(mapping) != len(node.value):
            raise NotPlain("repeated key")
        return mapping

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        # a node met a second time is an alias: stop before anything walks the values it multiplies
        if node in self.constructed_objects:
            raise NotPlain("alias")
        return super().construct_object(node, deep)


def _read_text(path: Path) -> str:
    """The text of a plan file; OSError when it is not a regular file or is larger than MAX_FILE_BYTES."""
    try:
        data = read_regular(path, MAX_FILE_BYTES)
    except NotRegularFile:
        raise OSError("it is not a regular file (a folder, a device or a pipe); expected a YAML file") from None
    except FileTooLarge:
        raise OSError(
            f"it is larger than {MAX_FILE_BYTES // 2**20} MB, the most a plan file may be; split it"
        ) from None
    return data.decode("utf-8")


def plain_value(text: str) -> Any:
    """The plain values of a YAML text (no alias, merge key, repeated key or unusual tag); NotPlain else."""
    try:
        return yaml.load(text, Loader=_PlainLoader)
    except yaml.YAMLError as exc:
        raise NotPlain(str(exc)) from None


def read_plain(path: Path, shown: str) -> Plain:
    """A file's plain values; NotPlain when it cannot be read, is empty or holds anything unusual."""
    try:
        value = yaml.load(_read_text(path), Loader=_PlainLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise NotPlain(str(exc)) from None
    if value is None:
        raise NotPlain("empty")
    return Plain(value, shown)


def compose_file(path: Path, shown: str) -> tuple[Node | None, list[Issue]]:
    """Parse one file safely; a syntax error, an unsafe tag, an alias or a repeated key becomes an Issue.

    The file's node is returned with repeated keys (the checker reports the rest of the file
    too), not with unsafe tags or aliases.
    """
    try:
        text = _read_text(path)
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
    nodes, shared = _distinct_nodes(root)
    refused = _unsupported_tag(nodes, shown) + (_first_alias(text, shown) if shared else [])
    if refused:
        return None, refused
    return Node(root, shown, _Constructor()), _repeated_keys(nodes, shown)


def _distinct_nodes(root: yaml.Node) -> tuple[list[yaml.Node], bool]:
    """Every node once, and whether one was reached twice (through an alias): a walk that cannot blow up."""
    seen: set[int] = set()
    nodes, shared, stack = [], False, [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            shared = True
            continue
        seen.add(id(node))
        nodes.append(node)
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return nodes, shared


def _unsupported_tag(nodes: list[yaml.Node], shown: str) -> list[Issue]:
    """The first node whose tag safe loading cannot build (such as python/object)."""
    for node in nodes:
        if node.tag not in SafeConstructor.yaml_constructors:
            return [_at(shown, node.start_mark, f"YAML tag {node.tag} is not allowed; plain values only")]
    return []


def _first_alias(text: str, shown: str) -> list[Issue]:
    """The first alias (``*name``) of a file, where it is written: its node only points to the anchor."""
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            return [_at(shown, event.start_mark, ALIASES_REFUSED)]
    return []


def _repeated_keys(nodes: list[yaml.Node], shown: str) -> list[Issue]:
    """Keys given twice in one mapping: plain reading would keep only the last, silently."""
    issues = []
    for node in nodes:
        if isinstance(node, yaml.MappingNode):
            issues += [_at(shown, key.start_mark, message) for key, message in _repeats(node)]
    return sorted(issues, key=lambda issue: (issue.line, issue.col or 0))


def _repeats(mapping: yaml.MappingNode) -> Iterator[tuple[yaml.Node, str]]:
    first: dict[tuple[str, str], yaml.Node] = {}
    for key, _ in mapping.value:
        if isinstance(key, yaml.ScalarNode):
            earlier = first.setdefault((key.tag, key.value), key)
            if earlier is not key:
                yield key, f"YAML key {key.value!r} is repeated (first at line {earlier.start_mark.line + 1}); keep one"


def _at(shown: str, mark: yaml.Mark, message: str) -> Issue:
    return Issue(shown, mark.line + 1, message, mark.column + 1)


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
