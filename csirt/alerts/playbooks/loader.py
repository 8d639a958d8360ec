"""Read one playbook file: size cap, UTF-8, YAML's safe loader without anchors, aliases, merge keys
or duplicate keys, and the line of every node.

Anchors and aliases are refused outright (not just expanded with care): they are how a
"billion laughs" file of a few hundred bytes expands into gigabytes, and no playbook needs them.
A duplicate key is refused because YAML would silently keep the last one and hide the mistake.
Booleans are YAML 1.2's (`true`/`false` only): in YAML 1.1 the key `on:` (of `notify`) would be
read as the boolean True, and `no` as False.
"""
import re

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from .compiled import LoadError, LoadFailed

MAX_BYTES = 256 * 1024


class PlaybookYamlLoader(yaml.SafeLoader):
    """SafeLoader that refuses anchors, aliases, merge keys and duplicate keys."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _refused(event.start_mark, f"YAML alias '*{event.anchor}' is not allowed in a playbook")
        if getattr(event, "anchor", None) is not None:
            raise _refused(event.start_mark, f"YAML anchor '&{event.anchor}' is not allowed in a playbook")
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _refused(key_node.start_mark, "YAML merge key '<<' is not allowed in a playbook")
            if not isinstance(key_node, ScalarNode):
                raise _refused(key_node.start_mark, "a mapping key must be a plain text")
            key = self.construct_object(key_node)
            if not isinstance(key, str):
                raise _refused(key_node.start_mark, f"the key {key_node.value!r} must be a text")
            if key in seen:
                raise _refused(key_node.start_mark,
                               f"duplicate key '{key}' (first at line {seen[key]})")
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


class _Refused(yaml.YAMLError):
    def __init__(self, line, message):
        super().__init__(message)
        self.line = line
        self.message = message


def _refused(mark, message):
    return _Refused(mark.line + 1, message)


# YAML 1.2 booleans only (see the module's docstring).
PlaybookYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
PlaybookYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def read_bytes(path):
    """The file's bytes, refused beyond MAX_BYTES (read at most one byte more, never the whole of
    a huge file)."""
    with open(path, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise LoadFailed([LoadError(str(path), None, f"the file is larger than {MAX_BYTES // 1024} KiB")])
    return data


def parse(data, path):
    """(mapping, lines) from a file's bytes: `lines` maps each node's path, such as
    ("actions", 2, "tasks", 0, "due"), to its 1-based line (a mapping entry: the line of its key).
    Raises LoadFailed with the line of the problem."""
    name = str(path)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise LoadFailed([LoadError(name, line, "the file is not valid UTF-8 text")]) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    loader = PlaybookYamlLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise LoadFailed([LoadError(name, 1, "the file is empty")])
        if not isinstance(node, MappingNode):
            raise LoadFailed([LoadError(name, node.start_mark.line + 1,
                                        "a playbook must be a mapping (id: ..., title: ..., match: ...)")])
        lines = {}
        _walk(loader, node, (), 1, lines)
        data = loader.construct_document(node)
    except _Refused as err:
        raise LoadFailed([LoadError(name, err.line, err.message)]) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(part for part in (err.context, err.problem) if part) or str(err)
        raise LoadFailed([LoadError(name, line, f"YAML syntax: {message}")]) from None
    except yaml.YAMLError as err:
        raise LoadFailed([LoadError(name, None, f"YAML: {err}")]) from None
    finally:
        loader.dispose()
    return data, lines


def _walk(loader, node, path, line, lines):
    lines[path] = line
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _refused(key_node.start_mark, "YAML merge key '<<' is not allowed in a playbook")
            if isinstance(key_node, ScalarNode):
                key = loader.construct_object(key_node)
                _walk(loader, value_node, path + (key,), key_node.start_mark.line + 1, lines)
    elif isinstance(node, SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, path + (index,), item.start_mark.line + 1, lines)


def load(path):
    """(bytes, mapping, lines) of the playbook file at `path`; raises LoadFailed."""
    data = read_bytes(path)
    mapping, lines = parse(data, path)
    return data, mapping, lines


def line_of(lines, path):
    """The line of the deepest node of `path` that exists (the file's first line at worst)."""
    path = tuple(path)
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)
