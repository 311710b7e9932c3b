"""Read a YAML or JSON document into plain Python data whose mappings remember their lines."""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

from scanner.model import Diagnostic

try:  # LibYAML's parser when PyYAML was built with it (several times faster)
    from yaml import CSafeLoader as _EventSource
except ImportError:  # pragma: no cover - pure-Python PyYAML
    from yaml import SafeLoader as _EventSource  # type: ignore[assignment]

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_CONSTRUCT = {
    "tag:yaml.org,2002:int": _CONSTRUCTOR.construct_yaml_int,
    "tag:yaml.org,2002:float": _CONSTRUCTOR.construct_yaml_float,
    "tag:yaml.org,2002:bool": _CONSTRUCTOR.construct_yaml_bool,
    "tag:yaml.org,2002:null": _CONSTRUCTOR.construct_yaml_null,
}
MAX_FLOW_DEPTH = 1000  # LibYAML slows down quadratically with `[`/`{` nesting
_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_FLOW = re.compile(r"[][{}]")
_IMPLICIT = frozenset("-+.0123456789<=~!&*yYnNtTfFoO")  # how ints, bools, nulls... can start
_JSON_EXPONENT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?[eE][-+]?[0-9]+")


class YamlMap(dict[str, Any]):
    """A mapping of the document: string keys, the file it is written in and its lines."""

    __slots__ = ("doc", "key_lines", "line")

    def __init__(self, doc: str, line: int | None) -> None:
        super().__init__()
        self.doc = doc  # file relative to the scan root (POSIX)
        self.line = line  # where the mapping starts
        self.key_lines: dict[str, int] = {}

    def key_line(self, key: str) -> int | None:
        """The line a key is written on, else the mapping's own line."""
        return self.key_lines.get(key, self.line)


class _Frame:
    """A mapping or sequence still being read, with the key awaiting its value."""

    __slots__ = ("container", "explicit", "key", "mapping", "merges")

    def __init__(self, container: YamlMap | list[Any]) -> None:
        self.container = container
        self.mapping = container if isinstance(container, YamlMap) else None
        self.key: str | None = None  # the key read, waiting for its value
        self.explicit: set[str] = set()
        self.merges: list[YamlMap] = []


_SKIP = "\0skip"  # a key that is not a string: its value is read and dropped
_MERGE_KEY = "\0merge"


class _Malformed(Exception):
    """A document the parser accepts but that cannot be built (undefined alias, ...)."""

    def __init__(self, problem: str, line: int) -> None:
        super().__init__(problem)
        self.problem = problem
        self.line = line


def _resolve(event: yaml.ScalarEvent) -> str:
    return str(_RESOLVER.resolve(yaml.ScalarNode, event.value, event.implicit))  # type: ignore[no-untyped-call]


def _scalar(event: yaml.ScalarEvent) -> Any:
    value = event.value
    if event.tag is None and (not event.implicit[0] or (value and value[0] not in _IMPLICIT)):
        return value  # quoted, or plain text no implicit type starts with: a string
    tag = event.tag if event.tag not in (None, "!") else _resolve(event)
    if tag == _STR:
        if event.implicit[0] and _JSON_EXPONENT.fullmatch(event.value):
            return float(event.value)  # YAML 1.2 / JSON `1e5`
        return event.value
    construct = _CONSTRUCT.get(str(tag))
    if construct is None:  # timestamps, binary, custom tags: kept as written
        return event.value
    try:
        return construct(yaml.ScalarNode(tag, event.value))
    except (ValueError, yaml.YAMLError):
        return event.value


class _Builder:
    """Builds the document from parser events with an explicit stack (deep input is fine)."""

    def __init__(self, rel: str, diagnostics: list[Diagnostic]) -> None:
        self.rel = rel
        self.diagnostics = diagnostics
        self.stack: list[_Frame] = []
        self.anchors: dict[str, Any] = {}
        self.root: Any = None
        self.documents = 0

    def _key(self, key: str, line: int) -> bool:
        """Take `key` as the next key of the open mapping, if one is awaited."""
        top = self.stack[-1] if self.stack else None
        if top is None or top.mapping is None or top.key is not None:
            return False
        top.key = key
        top.explicit.add(key)
        top.mapping.key_lines[key] = line
        return True

    def _add(self, value: Any, line: int) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        mapping = frame.mapping
        if mapping is None:
            frame.container.append(value)  # type: ignore[union-attr]
        elif frame.key is None:  # a mapping or sequence used as a key
            message = "mapping key is not a string"
            self.diagnostics.append(Diagnostic("warning", self.rel, message, line))
            frame.key = _SKIP
        elif frame.key == _SKIP:
            frame.key = None
        elif frame.key == _MERGE_KEY:
            frame.key = None
            merged = value if isinstance(value, list) else [value]
            frame.merges.extend(m for m in merged if isinstance(m, YamlMap))
        else:
            mapping[frame.key] = value
            frame.key = None

    def _end(self, line: int) -> None:
        frame = self.stack.pop()
        mapping = frame.container
        for merged in frame.merges:  # `<<`: explicit keys win, then earlier merges
            assert isinstance(mapping, YamlMap)
            for key, value in merged.items():
                if key not in frame.explicit and key not in mapping:
                    mapping[key] = value
                    if key in merged.key_lines:
                        mapping.key_lines[key] = merged.key_lines[key]
        self._add(mapping, line)

    def _alias(self, anchor: str, line: int) -> None:
        if anchor not in self.anchors:
            raise _Malformed(f"found undefined alias {anchor[:40]!r}", line)
        value = self.anchors[anchor]
        if isinstance(value, str) and self._key(value, line):
            return
        if any(value is frame.container for frame in self.stack):
            message = "recursive alias ignored"
            self.diagnostics.append(Diagnostic("warning", self.rel, message, line))
            value = None
        self._add(value, line)

    def feed(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark is not None else 1
        if type(event) is yaml.ScalarEvent:
            top = self.stack[-1] if self.stack else None
            if top is not None and top.mapping is not None and top.key is None:
                key = event.value
                if key == "<<" and _resolve(event) == _MERGE:
                    top.key = _MERGE_KEY
                else:
                    top.key = key
                    top.explicit.add(key)
                    top.mapping.key_lines[key] = line
                return
            value = _scalar(event)
            if event.anchor:
                self.anchors[event.anchor] = value
            self._add(value, line)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            new: YamlMap | list[Any]
            new = YamlMap(self.rel, line) if isinstance(event, yaml.MappingStartEvent) else []
            if event.anchor:
                self.anchors[event.anchor] = new
            self.stack.append(_Frame(new))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._end(line)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event.anchor or "", line)
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:  # an API description is one document: ignore the rest
                message = "more than one YAML document: only the first is read"
                self.diagnostics.append(Diagnostic("warning", self.rel, message, line))


def _build(text: str, rel: str, diagnostics: list[Diagnostic]) -> Any:
    """The single document of `text`; YAMLError or _Malformed when there is none."""
    source = _EventSource(text)
    builder = _Builder(rel, diagnostics)
    try:
        while True:
            event = source.get_event()
            if event is None or isinstance(event, yaml.StreamEndEvent):
                return builder.root
            builder.feed(event)
            if builder.documents > 1:
                return builder.root
    finally:
        source.dispose()


def _flow_too_deep(text: str) -> bool:
    """Whether `[`/`{` nest deeper than MAX_FLOW_DEPTH (double-quoted strings aside)."""
    if text.count("[") + text.count("{") <= MAX_FLOW_DEPTH:
        return False
    depth = 0
    for match in _FLOW.finditer(_QUOTED.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                return True
        elif depth:
            depth -= 1
    return False


def _line_at(text: str, position: int) -> int:
    return text.count("\n", 0, max(position, 0)) + 1


def _last_line(text: str) -> int:
    """The number of the last line (a final newline does not start another one)."""
    return max(1, text.count("\n") + (0 if text.endswith("\n") else 1))


def _yaml_problem(error: yaml.YAMLError, text: str) -> tuple[str, int | None]:
    """The parser's complaint and its line, without the snippet of the file it quotes."""
    if isinstance(error, yaml.MarkedYAMLError):
        mark = error.problem_mark or error.context_mark
        problem = error.problem or error.context or "syntax error"
        return problem, mark.line + 1 if mark is not None else None
    if isinstance(error, yaml.reader.ReaderError):
        return str(error.reason), _line_at(text, error.position)
    return "syntax error", None


def _json_document(text: str, rel: str) -> Any:
    """The document read by the json module: same data, no lines; ValueError."""

    def hook(pairs: list[tuple[str, Any]]) -> YamlMap:
        mapping = YamlMap(rel, None)
        mapping.update(pairs)
        return mapping

    return json.loads(text, object_pairs_hook=hook)


def load_text(text: str, rel: str, *, is_json: bool = False) -> tuple[Any, list[Diagnostic]]:
    """The document in `text` (None when empty or unreadable) and what went wrong reading it.

    An `error` diagnostic means the document could not be read at all.
    """
    diagnostics: list[Diagnostic] = []
    if is_json:
        text = text.replace("\t", " ")  # tabs can only be whitespace in valid JSON
    if _flow_too_deep(text):
        message = f"cannot parse: nested deeper than {MAX_FLOW_DEPTH} levels"
        return None, [Diagnostic("error", rel, message)]
    try:
        return _build(text, rel, diagnostics), diagnostics
    except yaml.YAMLError as error:
        problem, line = _yaml_problem(error, text)
    except _Malformed as error:
        problem, line = error.problem, error.line
    if is_json:  # JSON that YAML rejects (very long keys, ...): the json module decides
        try:
            return _json_document(text, rel), []
        except json.JSONDecodeError as error:
            problem, line = error.msg, error.lineno
        except (ValueError, RecursionError):
            problem, line = "nested too deeply", None
    if line is not None:  # the end of the stream is on the last line, not after it
        line = min(line, _last_line(text))
    return None, [Diagnostic("error", rel, f"cannot parse: {problem}", line)]


def load_bytes(data: bytes, rel: str, *, is_json: bool = False) -> tuple[Any, list[Diagnostic]]:
    """Decode (UTF-8, or UTF-16/32 with a byte-order mark) and load one document."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text = data.decode("utf-16")
        else:
            text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, [Diagnostic("error", rel, "cannot parse: not UTF-8 text", line)]
    return load_text(text, rel, is_json=is_json)
