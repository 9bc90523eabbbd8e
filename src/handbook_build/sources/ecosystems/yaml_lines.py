"""YAML that remembers where each key was, so every reader reports ``file:line``; entry files
that expand past a size limit (alias bombs) are refused before they are walked."""

from __future__ import annotations

from pathlib import Path

import yaml

from handbook_build.sources.contents import display_path
from handbook_build.sources.manifest import Report, read_text


class YamlMap(dict[str, object]):
    """A YAML mapping with the line of each key (1-based) and of the mapping itself."""

    line: int = 1
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class YamlList(list[object]):
    """A YAML list with its line and the line of each entry (strings keep none of their own)."""

    line: int = 1
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _LineLoader(yaml.SafeLoader):
    """SafeLoader (no Python objects) whose mappings and lists keep their lines."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> YamlMap:
    loader.flatten_mapping(node)
    result = YamlMap()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        name = str(key)
        result[name] = loader.construct_object(value_node, deep=True)
        result.key_lines.setdefault(name, key_node.start_mark.line + 1)
    return result


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> YamlList:
    result = YamlList(loader.construct_object(child, deep=True) for child in node.value)
    result.line = node.start_mark.line + 1
    result.item_lines = [child.start_mark.line + 1 for child in node.value]
    return result


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


MAX_YAML_NODES = 100_000  # an entry file lists hundreds of chapters, never this many values


def _expanded_size(node: yaml.Node, limit: int) -> int:
    """How many values ``node`` stands for with every alias expanded, counting up to ``limit``
    only: "billion laughs" aliases make a small file stand for 10^9 entries to walk."""
    count, stack = 0, [node]
    while stack and count <= limit:
        current = stack.pop()
        count += 1
        if isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                stack.extend((key, value))
    return count


def load_yaml(path: Path, report: Report) -> YamlMap | None:
    """The YAML mapping in ``path``, or None with a ``file:line`` diagnostic."""
    shown = display_path(path)
    text = read_text(path, report)
    if text is None:
        return None
    try:
        loader = _LineLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _expanded_size(node, MAX_YAML_NODES) > MAX_YAML_NODES:
                report.add(shown, node.start_mark.line + 1, "the file expands to more than "
                           f"{MAX_YAML_NODES:,} values (YAML aliases repeating each other)",
                           "write the entries out instead of through '*alias' references",
                           code="yaml-size")
                return None
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        report.add(shown, None, "the YAML nests too deeply to read", "an entry file needs a "
                   "few levels of nesting, not thousands", code="yaml-size")
        return None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = error.problem or error.context or "cannot be parsed"
        report.add(shown, line, f"not valid YAML: {problem}", "check the indentation and "
                   "quote values holding ': ' or '#'", code="yaml-syntax", column=column)
        return None
    except yaml.YAMLError as error:
        report.add(shown, None, f"not valid YAML: {error}", code="yaml-syntax")
        return None
    if data is None:
        data = YamlMap()
        data.key_lines = {}
    if not isinstance(data, YamlMap):
        report.add(shown, 1, "the file is not a YAML mapping of keys", "write it as "
                   "'key: value' lines", code="yaml-shape")
        return None
    return data
