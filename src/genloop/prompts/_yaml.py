"""prompt.yaml in and out: parse YAML keeping the line of every field, and write a version back as YAML.

Errors name the file and line (from yaml's marks), so a user can jump straight to the problem.
The YAML a version is written as is itself a valid prompt.yaml: ``genloop prompts show support@3``
can be saved, edited and created again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from genloop.errors import InvalidInput

__all__ = ["Located", "dump_prompt_yaml", "load_variables_file", "parse_yaml", "read_text_file"]

Path_ = tuple[str | int, ...]


class Located:
    """Where fields came from: the file name and, per field path, the line of its key and its value."""

    def __init__(self, filename: str | None = None) -> None:
        self.filename = filename
        self.key_lines: dict[Path_, int] = {}
        self.value_lines: dict[Path_, int] = {}  # first line of a scalar's text (after '|' or '>')

    def line(self, path: Path_) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        for n in range(len(path), -1, -1):
            if path[:n] in self.key_lines:
                return self.key_lines[path[:n]]
        return None

    def error(self, path: Path_, message: str, *, hint: str | None = None, line: int | None = None) -> InvalidInput:
        """An :class:`InvalidInput` that starts with ``file:line: field:`` when those are known."""
        field = field_name(path)
        line = line if line is not None else (self.line(path) if self.filename else None)
        where = []
        if self.filename:
            where.append(f"{self.filename}:{line}" if line else self.filename)
        if field:
            where.append(field)
        prefix = ": ".join(where)
        details = {k: v for k, v in (("file", self.filename), ("line", line), ("field", field or None)) if v}
        return InvalidInput(f"{prefix}: {message}" if prefix else message, hint=hint, **details)


def field_name(path: Path_) -> str:
    """``("messages", 1, "content")`` -> ``messages[1].content``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_text_file(path: str | Path, what: str = "prompt file") -> str:
    """Read a UTF-8 text file, or raise :class:`InvalidInput` saying why it cannot be read."""
    p = Path(path)
    try:  # bytes first, so a decoding error's offset is the file's (text mode decodes in chunks)
        text = p.read_bytes().decode("utf-8")
        return text.replace("\r\n", "\n").replace("\r", "\n")  # universal newlines, as text mode reads
    except FileNotFoundError:
        raise InvalidInput(f"{what} {str(path)!r} does not exist", hint="check the path") from None
    except IsADirectoryError:
        raise InvalidInput(f"{what} {str(path)!r} is a directory", hint="pass a .yaml file") from None
    except UnicodeDecodeError as exc:
        line = exc.object[:exc.start].count(b"\n") + 1
        raise InvalidInput(f"{what} {str(path)!r} line {line}: not valid UTF-8 text (byte {exc.object[exc.start]:#04x})",
                           hint="save it as UTF-8", line=line) from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {str(path)!r}: {exc.strerror}") from None


def parse_yaml(text: str, filename: str) -> tuple[Any, Located]:
    """Parse one YAML document; return the data and where each field is. Syntax errors name file and line."""
    where = Located(filename)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other control characters)
        line = text.count("\n", 0, exc.position) + 1
        raise where.error((), f"character {exc.character:#06x} is not allowed in YAML", line=line,
                          hint="remove it: YAML takes printable Unicode text, tabs and line breaks") from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise where.error((), "the file is empty", hint="write a mapping with 'messages' or 'template'")
        _walk(node, (), where)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        raise where.error((), f"YAML syntax error: {problem}", line=line,
                          hint="fix the YAML (check indentation, quotes and ':' after keys)") from None
    except yaml.YAMLError as exc:
        raise where.error((), f"YAML error: {exc}", hint="fix the YAML") from None
    finally:
        loader.dispose()
    return data, where


def _walk(node: yaml.Node, path: Path_, where: Located) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise where.error(path + (key,), f"duplicate key {key!r} (first at line {seen[key]})", line=line,
                                  hint="keep one of them")
            seen[key] = line
            where.key_lines[path + (key,)] = line
            _value_line(value_node, path + (key,), where)
            _walk(value_node, path + (key,), where)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            where.key_lines[path + (i,)] = item.start_mark.line + 1
            _walk(item, path + (i,), where)


def _value_line(node: yaml.Node, path: Path_, where: Located) -> None:
    if isinstance(node, yaml.ScalarNode):
        block = node.style in ("|", ">")
        where.value_lines[path] = node.start_mark.line + 1 + (1 if block else 0)


# -- writing ---------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings, so templates read as they were written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


def _list(dumper: yaml.SafeDumper, value: list[Any]) -> yaml.SequenceNode:
    flow = all(isinstance(v, str | int | float | bool) and "\n" not in str(v) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_Dumper.add_representer(str, _str)
_Dumper.add_representer(list, _list)


def dump_prompt_yaml(content: dict[str, Any]) -> str:
    """Write version content as prompt.yaml (empty fields left out, keys in the documented order)."""
    order = ("messages", "template", "variables", "model", "params", "response_schema")
    doc = {k: content[k] for k in order if content.get(k) not in (None, {}, [])}
    return yaml.dump(doc, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=10**6)


def load_variables_file(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON mapping of variable name to value (``genloop prompts render --vars-file``)."""
    filename = str(path)
    data, where = parse_yaml(read_text_file(path, "variables file"), filename)
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise where.error((), "must be a mapping of variable name to value", hint="e.g. question: Where is my order?")
    return data
