"""Line-tracked YAML: parse once, keep the node tree, and map a field path back to its line.

Every user-facing YAML error names ``file:line`` and the dotted field path
(``approved[0].rules[1].ports``). `load_yaml` composes the document with PyYAML's SafeLoader,
keeps the node tree (which carries start marks) next to the constructed data, and rejects what
SafeLoader would silently accept: duplicate keys and non-string keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from cloudfw.policy.config import PolicyError

PathPart = str | int
Path_ = Sequence[PathPart]


try:  # libyaml's parser is ~10x faster and keeps the same marks
    from yaml import CSafeLoader as _BaseLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeLoader as _BaseLoader  # type: ignore[assignment]


class _Loader(_BaseLoader):
    """SafeLoader that keeps timestamps as text (``2027-13-01`` must be a located error, not a
    ValueError from the constructor); the callers parse dates themselves."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class YamlDoc:
    """A parsed YAML document: ``data`` as plain Python, ``root`` the node tree with marks."""

    source: str
    data: Any
    root: yaml.Node | None

    def line(self, path: Path_) -> int:
        """1-based line of the value at ``path``, or of its nearest existing ancestor."""
        return line_of(self.root, path)

    def key_line(self, path: Path_) -> int:
        """1-based line of the *key* of the last mapping step in ``path`` (or ``line``)."""
        node = self.root
        line = 1 if node is None else node.start_mark.line + 1
        for part in path:
            nxt = _child(node, part, want_key=True)
            if nxt is None:
                return line
            key_node, node = nxt
            line = key_node.start_mark.line + 1
        return line

    def where(self, path: Path_) -> str:
        return f"{self.source}:{self.line(path)}"

    def error(self, path: Path_, message: str, *, key: bool = False) -> PolicyError:
        line = self.key_line(path) if key else self.line(path)
        return PolicyError(message, location=f"{self.source}:{line}", field=format_path(path))


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def parse_path(text: str) -> list[PathPart]:
    """Inverse of `format_path`: ``a.b[2].c`` -> ``["a", "b", 2, "c"]``."""
    parts: list[PathPart] = []
    for chunk in text.split("."):
        name, _, rest = chunk.partition("[")
        if name:
            parts.append(name)
        while rest:
            idx, _, rest = rest.partition("]")
            if idx.isdigit():
                parts.append(int(idx))
            rest = rest.removeprefix("[")
    return parts


def _child(node: yaml.Node | None, part: PathPart, want_key: bool = False) -> Any:
    if isinstance(node, yaml.MappingNode) and isinstance(part, str):
        # Constructing flattens merge keys (``<<: *x``) in place, putting the merged pairs first;
        # the last pair with a key is the one that counts.
        for k, v in reversed(node.value):
            if isinstance(k, yaml.ScalarNode) and k.value == part:
                return (k, v) if want_key else v
        return None
    if (
        isinstance(node, yaml.SequenceNode)
        and isinstance(part, int)
        and 0 <= part < len(node.value)
    ):
        v = node.value[part]
        return (v, v) if want_key else v
    return None


def line_of(root: yaml.Node | None, path: Path_) -> int:
    node = root
    if node is None:
        return 1
    line = node.start_mark.line + 1
    for part in path:
        node = _child(node, part)
        if node is None:
            break
        line = node.start_mark.line + 1
    return line


def load_yaml(text: str, source: str) -> YamlDoc:
    """Parse one YAML document; raise a located `PolicyError` on any syntax problem."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        _check_keys(root, source)
        data = None if root is None else loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.context.startswith("expected"):
            problem = f"{exc.context}, {problem}"
        raise PolicyError(f"invalid YAML: {problem}", location=f"{source}:{line}") from None
    except (ValueError, TypeError) as exc:  # an explicit tag on a bad value (!!int x)
        raise PolicyError(f"invalid YAML value: {exc}", location=source) from None
    except yaml.YAMLError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise PolicyError(f"invalid YAML: {msg}", location=source) from None
    finally:
        loader.dispose()
    return YamlDoc(source, data, root)


def _check_keys(node: yaml.Node | None, source: str) -> None:
    stack = [node] if node is not None else []
    seen_ids: set[int] = set()
    while stack:
        n = stack.pop()
        if id(n) in seen_ids:  # aliases can make the tree a DAG
            continue
        seen_ids.add(id(n))
        if isinstance(n, yaml.MappingNode):
            first: dict[str, int] = {}
            for k, v in n.value:
                line = k.start_mark.line + 1
                if not isinstance(k, yaml.ScalarNode) or k.tag != "tag:yaml.org,2002:str":
                    if k.tag == "tag:yaml.org,2002:merge":
                        stack.append(v)
                        continue
                    shown = k.value if isinstance(k, yaml.ScalarNode) else "(complex key)"
                    raise PolicyError(
                        f"key {shown!r} must be a string (quote it)", location=f"{source}:{line}"
                    )
                if k.value in first:
                    raise PolicyError(
                        f"duplicate key {k.value!r} (first at line {first[k.value]})",
                        location=f"{source}:{line}",
                    )
                first[k.value] = line
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
