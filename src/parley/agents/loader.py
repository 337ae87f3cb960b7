"""Reads YAML spec files and remembers where every value sits, so problems point at file:line:col.

libyaml (when present) composes the node tree; we build the Python value ourselves while walking
it, which gives a position for every field path and catches duplicate keys, which plain YAML
loading would silently resolve to the last one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from parley.agents.problems import Problem, Severity, format_path

Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
Position = tuple[int, int]  # 1-based line and column
FieldPath = tuple[str | int, ...]


@dataclass
class LoadedDocument:
    """One spec file's data with the position of each field path and of each key."""

    file: str
    text: str
    data: Any = None
    positions: dict[FieldPath, Position] = field(default_factory=dict)
    key_positions: dict[FieldPath, Position] = field(default_factory=dict)
    node_spans: dict[FieldPath, tuple[int, int, str | None]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    visited: set[int] = field(default_factory=set, repr=False)  # node ids, to refuse aliases

    def position_of(self, path: FieldPath, *, key: bool = False) -> Position:
        """The closest known position for `path` (walks up to the parent when unknown)."""
        probe = tuple(path)
        while probe:
            table = self.key_positions if key else self.positions
            if probe in table:
                return table[probe]
            if probe in self.positions:
                return self.positions[probe]
            probe = probe[:-1]
        return self.positions.get((), (1, 1))

    def problem(
        self,
        path: FieldPath,
        code: str,
        message: str,
        *,
        severity: Severity = "error",
        key: bool = False,
    ) -> Problem:
        line, column = self.position_of(path, key=key)
        return Problem(self.file, line, column, format_path(path), severity, code, message)


SPEC_SUFFIXES = (".yaml", ".yml")


def find_spec_files(paths: list[Path]) -> tuple[list[Path], list[Problem]]:
    """Every spec file under `paths` (directories are searched recursively), in a stable order."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(p for p in path.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file())
            )
        elif path.is_file():
            files.append(path)
        else:
            problems.append(
                Problem(str(path), 1, 1, "", "error", "file_not_found", "no such file or directory")
            )
    unique = list(dict.fromkeys(files))
    return unique, problems


def load_file(path: Path) -> LoadedDocument:
    """Read and parse one file; problems (unreadable, malformed YAML) are recorded, not raised."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        doc = LoadedDocument(file=str(path), text="")
        doc.problems.append(doc.problem((), "unreadable", f"cannot read the file: {exc}"))
        return doc
    return load_text(text, str(path))


def load_text(text: str, file: str) -> LoadedDocument:
    doc = LoadedDocument(file=file, text=text)
    try:
        nodes = list(yaml.compose_all(text, Loader=Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or str(exc)
        if exc.context and exc.context_mark is not None:
            # e.g. an unclosed quote: the problem shows at the end, the cause where it began
            reason += f" ({exc.context} on line {exc.context_mark.line + 1})"
        doc.problems.append(
            Problem(file, line, column, "", "error", "yaml_syntax", f"malformed YAML: {reason}")
        )
        return doc
    nodes = [n for n in nodes if n is not None]
    if not nodes:
        doc.problems.append(doc.problem((), "empty_file", "the file holds no agent spec"))
        return doc
    if len(nodes) > 1:
        second = nodes[1].start_mark
        doc.problems.append(
            Problem(
                file,
                second.line + 1,
                second.column + 1,
                "",
                "error",
                "multiple_documents",
                "one agent per file: this file holds more than one YAML document",
            )
        )
    constructor = Loader("")
    try:
        doc.data = _build(nodes[0], (), doc, constructor)
    except _TooComplex as exc:
        doc.data = None
        doc.problems.append(
            Problem(file, exc.line, exc.column, "", "error", "yaml_too_complex", str(exc))
        )
    return doc


MAX_NODES = 20_000
MAX_DEPTH = 40


class _TooComplex(Exception):
    """A document Parley will not expand: aliases (which can multiply a small file into a huge
    or endless one), or more nodes or nesting than any agent spec needs."""

    def __init__(self, message: str, node: yaml.Node) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1
        self.column = node.start_mark.column + 1


def _build(node: yaml.Node, path: FieldPath, doc: LoadedDocument, ctor: Any) -> Any:
    seen = doc.visited
    if id(node) in seen:
        raise _TooComplex("YAML anchors and aliases are not supported in spec files", node)
    seen.add(id(node))
    if len(seen) > MAX_NODES or len(path) > MAX_DEPTH:
        raise _TooComplex(
            f"the document is too large or too deep (over {MAX_NODES} values or "
            f"{MAX_DEPTH} levels)",
            node,
        )
    doc.positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = ctor.construct_object(key_node, deep=True)
            if not isinstance(key, str | int):
                doc.problems.append(doc.problem(path, "bad_key", "keys must be plain text"))
                continue
            key = str(key)
            child = (*path, key)
            key_pos = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            if key in result:
                first_line = doc.key_positions[child][0]
                doc.problems.append(
                    Problem(
                        doc.file,
                        *key_pos,
                        format_path(child),
                        "error",
                        "duplicate_key",
                        f"{key!r} is given twice (first on line {first_line})",
                    )
                )
                continue
            doc.key_positions[child] = key_pos
            result[key] = _build(value_node, child, doc, ctor)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, i), doc, ctor) for i, item in enumerate(node.value)]
    style = node.style if isinstance(node, yaml.ScalarNode) else None
    doc.node_spans[path] = (node.start_mark.line, node.end_mark.line, style)
    return ctor.construct_object(node, deep=True)
