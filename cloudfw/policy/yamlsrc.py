"""Line-tracked YAML: parse once, and map a field path back to its line.

Every user-facing YAML error names ``file:line`` and the dotted field path
(``approved[0].rules[1].ports``). `load_yaml` builds the data straight from libyaml's event
stream, resolving scalars as SafeLoader does (once per distinct plain text: a large baseline
repeats a few hundred) and remembering where each mapping and list starts, and rejects what
SafeLoader would silently accept: duplicate keys and non-string keys. Anything unusual (aliases,
merge keys, explicit collection tags, a syntax error, a bad key) takes the slow, exact path:
PyYAML composes the node tree (which carries every start mark) and constructs from it, so errors
read exactly the same either way. The node tree is also composed, lazily, when an error needs
the line of a scalar or a key; a valid 25 MB baseline never composes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
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


class YamlDoc:
    """A parsed YAML document: ``data`` as plain Python; ``root`` the node tree with marks
    (composed on first use); ``lines`` the 1-based start line of each mapping and list of
    ``data`` by ``id`` (when the fast path built it)."""

    def __init__(
        self,
        source: str,
        data: Any,
        root: yaml.Node | None = None,
        *,
        text: str = "",
        lines: dict[int, int] | None = None,
    ) -> None:
        self.source = source
        self.data = data
        self._text = text
        self.lines = lines
        if lines is None:
            self.__dict__["root"] = root

    @cached_property
    def root(self) -> yaml.Node | None:
        return _compose(self._text, self.source)[0]

    def line(self, path: Path_) -> int:
        """1-based line of the value at ``path``, or of its nearest existing ancestor."""
        if self.lines is not None:
            obj = self.data
            for part in path:
                try:
                    obj = obj[part]
                except (KeyError, IndexError, TypeError):
                    obj = None
                    break
            hit = self.lines.get(id(obj)) if isinstance(obj, dict | list) else None
            if hit is not None:
                return hit
        return line_of(self.root, path)

    def line_of(self, obj: Any, path: Path_) -> int:
        """`line` of ``path`` when ``obj`` is the mapping or list of ``data`` found there, by
        identity when the fast path kept container lines (no walk from the root)."""
        hit = self.lines.get(id(obj)) if self.lines is not None else None
        return self.line(path) if hit is None else hit

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
    fast = _fast(text)
    if fast is not None:
        data, lines = fast
        return YamlDoc(source, data, text=text, lines=lines)
    root, data = _compose(text, source)
    return YamlDoc(source, data, root)


def _compose(text: str, source: str) -> tuple[yaml.Node | None, Any]:
    """The exact path: node tree, key checks, construction; every error located."""
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
    return root, data


class _Unusual(Exception):
    """The fast path met something it leaves to `_compose` (which also words the errors)."""


_STR = "tag:yaml.org,2002:str"


def _fast(text: str) -> tuple[Any, dict[int, int]] | None:
    """(data, start line of every mapping and list by id) from the event stream, or None when
    the document needs the exact path."""
    loader, helper = _Loader(text), _Loader("")
    try:
        return _build(loader, helper)
    except (_Unusual, yaml.YAMLError, ValueError, TypeError):
        return None
    finally:
        loader.dispose()
        helper.dispose()


_SCALAR, _MAP, _SEQ = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_MAP_END, _SEQ_END = yaml.MappingEndEvent, yaml.SequenceEndEvent
_PLAIN_TAGS = (None, "!")
_KEY_TAGS = (None, "!", _STR)
_MISS: Any = object()


def _build(loader: _Loader, helper: _Loader) -> tuple[Any, dict[int, int]] | None:
    """One pass over the events. ``cur`` is the open container (``is_map`` says which kind,
    ``key`` the mapping key waiting for its value); the enclosing ones wait on ``stack``.
    Plain scalars are resolved once per distinct text (``plain``: text -> value), which also
    shares one string object between the many equal values of a large baseline."""
    get: Any = loader.get_event  # events typed loosely: the C parser's marks are its own class
    first, doc = get(), get()
    if not isinstance(first, yaml.StreamStartEvent) or isinstance(doc, yaml.StreamEndEvent):
        return None  # an empty document: `_compose` gives None
    if not isinstance(doc, yaml.DocumentStartEvent):
        raise _Unusual
    lines: dict[int, int] = {}
    plain: dict[str, Any] = {}
    keys: dict[str, str] = {}  # plain keys known to be strings
    stack: list[tuple[Any, bool, str | None]] = []
    cur: Any = None
    is_map = False
    key: str | None = None
    while True:
        ev: Any = get()
        kind = type(ev)
        if kind is _SCALAR:  # (an anchor changes nothing unless an alias uses it)
            text: str = ev.value
            tag = ev.tag
            if is_map and key is None:  # a key: a string, and new in its mapping
                if text in cur:
                    raise _Unusual  # a duplicate: `_compose` names both lines
                if tag is None and ev.implicit[0]:
                    key = keys.get(text)
                    if key is None:
                        key = _plain_key(text, helper, keys)
                elif tag in _KEY_TAGS:
                    key = text
                else:
                    raise _Unusual  # a tagged key (!!int 1)
                continue
            if tag is None:
                if ev.implicit[0]:
                    value = plain.get(text, _MISS)
                    if value is _MISS:
                        value = _plain(text, helper, plain)
                else:  # quoted, or a block scalar: a string
                    value = text
            elif tag == "!":
                value = text
            else:  # an explicit scalar tag (!!int '0x10'): construct, or leave a bad value
                node = yaml.ScalarNode(tag, text, None, None, ev.style)
                value = helper.construct_object(node)
        elif kind is _MAP or kind is _SEQ:
            if ev.tag not in _PLAIN_TAGS or (is_map and key is None):
                raise _Unusual  # an explicit collection tag (!!set), a complex key
            stack.append((cur, is_map, key))
            cur, is_map, key = ({} if kind is _MAP else []), kind is _MAP, None
            lines[id(cur)] = ev.start_mark.line + 1
            continue
        elif kind is _MAP_END or kind is _SEQ_END:
            value = cur
            cur, is_map, key = stack.pop()
        else:
            raise _Unusual  # an alias, ...
        if not stack:
            break  # ``value`` is the document's root
        if is_map:
            cur[key] = value
            key = None
        else:
            cur.append(value)
    if not isinstance(get(), yaml.DocumentEndEvent) or not isinstance(get(), yaml.StreamEndEvent):
        raise _Unusual  # more than one document: `_compose` says so
    return value, lines


def _plain_key(text: str, helper: _Loader, keys: dict[str, str]) -> str:
    """A plain key met for the first time: a string, or `_Unusual` (``1``, ``on``, ``~``, the
    merge key ``<<``) for `_compose` to word."""
    if helper.resolve(yaml.ScalarNode, text, (True, False)) != _STR:  # type: ignore[no-untyped-call]
        raise _Unusual
    keys[text] = text
    return text


def _plain(text: str, helper: _Loader, plain: dict[str, Any]) -> Any:
    """A plain scalar met for the first time, as SafeLoader resolves and constructs it; kept in
    ``plain`` (text -> value) for the next time."""
    tag = helper.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    value = text if tag == _STR else helper.construct_object(yaml.ScalarNode(tag, text))
    plain[text] = value
    return value


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
