"""Custom rules from YAML files: read, validate (naming file, line and field), compile.

Every ``*.yaml`` / ``*.yml`` file directly in the folder holds one rule per YAML document
(``---`` separates several rules in one file)::

    id: ACME-DB-001          # required, [A-Z][A-Z0-9]*(-[A-Z0-9]+)+, not TM-*, unique
    title: Datastore without backups     # required
    severity: high           # required: critical | high | medium | low | info
    stride: [I, D]           # required: letters of STRIDE
    controls: [encryption-at-rest]       # required: the control vocabulary
    remediation: Enable automated backups.   # required
    references: [CWE-693]    # optional
    description: |           # optional: what it flags (`tmscan explain`), and may end
      ...                    #   with a "Why it matters: ..." paragraph
    name: acme-db-backups    # optional; default: the title, lower-case and dashed
    report_unknown: false    # optional: report unconfirmed matches (a needed fact unknown)
    message: "{resource} has no backups"   # optional template, see below
    match:
      target: element        # required: element | flow
      # target: element
      kind: datastore        # process | datastore | external (one or a list)
      type: [relational-db]  # catalogue types (one or a list)
      technology: {stores_data: true}      # catalogue flags
      facts: {backups: false}              # element facts (props)
      internet_reachable: true             # some path from the internet reaches it
      # target: flow
      protocol: [ssh, tcp]   # one or a list
      port: [22, 3389]       # one or a list
      crosses_boundary: true # its ends sit in different trust zones
      from_internet: true    # its source is the internet
      source: {kind: process}              # the element filters above, on an end
      destination: {type: object-store, facts: {public: true}}
      facts: {tls: false}    # flow facts: authn authz basis mtls network_allowed rate_limited tls

Every condition must hold; a list means any of its values. A fact the sources do not
state matches only a rule that lists ``unknown``; otherwise a rule whose other conditions
all hold is reported at confidence low if it sets ``report_unknown: true``, else it is
silent (a flow without a port leaves ``port`` unknown the same way). Flows that policy
blocks (network_allowed false) are skipped unless the rule tests network_allowed; the
internet element itself is never an element target. An element finding is located by the
first fact named (else the element); a flow finding is on its destination, located by the
flow, one per flow. Templates take {resource} {name} {type}, and for flows {source}
{destination} {port} {protocol}. Each problem is an error diagnostic naming file, line and
field; an invalid rule is skipped and the valid ones load.
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import yaml

from rules.custom_match import (
    ELEMENT_PLACEHOLDERS,
    FLOW_PLACEHOLDERS,
    compile_match,
    make_rule,
    show,
)
from rules.engine import CONTROLS, STRIDE, Rule, RuleMeta
from scanner.model import Diagnostic, Severity

ID_PATTERN = re.compile(r"[A-Z][A-Z0-9]*(-[A-Z0-9]+)+")
RESERVED_PREFIX = "TM-"
SEVERITIES = tuple(s.label for s in sorted(Severity, reverse=True))
TOP = ("id", "name", "title", "severity", "stride", "controls", "remediation", "references")
TOP_MORE = ("description", "match", "message", "report_unknown")

Problems = list[tuple[int, str]]


# --- YAML with line numbers ----------------------------------------------------------------


class _Map(dict[Any, Any]):
    """A YAML mapping that remembers where it and each of its keys start (1-based)."""

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line
        self.lines: dict[Any, int] = {}
        self.duplicates: list[tuple[Any, int]] = []


class _Seq(list[Any]):
    """A YAML sequence that remembers the line of each item."""

    def __init__(self, items: list[Any], lines: list[int]) -> None:
        super().__init__(items)
        self.lines = lines


class _Loader(yaml.SafeLoader):
    pass


def _construct_map(loader: _Loader, node: yaml.MappingNode) -> Iterator[_Map]:
    out = _Map(node.start_mark.line + 1)
    yield out
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "found an unhashable key", key_node.start_mark
            )
        line = key_node.start_mark.line + 1
        if key in out:
            out.duplicates.append((key, line))
        else:
            out.lines[key] = line
        out[key] = loader.construct_object(value_node, deep=True)


def _construct_seq(loader: _Loader, node: yaml.SequenceNode) -> _Seq:
    items = [loader.construct_object(n, deep=True) for n in node.value]
    return _Seq(items, [n.start_mark.line + 1 for n in node.value])


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_seq)


def _documents(text: str) -> list[tuple[int, Any]]:
    """(first line, value) of each document; raises yaml.YAMLError."""
    loader = _Loader(text)
    try:
        out: list[tuple[int, Any]] = []
        while loader.check_node():
            node = loader.get_node()
            if node is not None:
                out.append((node.start_mark.line + 1, loader.construct_document(node)))
        return out
    finally:
        loader.dispose()


# --- loading -------------------------------------------------------------------------------


def load_custom_rules(
    directory: Path, builtin_ids: set[str], *, label: str | None = None
) -> tuple[list[Rule], list[Diagnostic]]:
    """The valid rules of every *.yaml / *.yml file in `directory`, and one error
    diagnostic per problem (file, line, field). Invalid rules are skipped. Diagnostics name
    files as `label/<file>`; `label` defaults to the directory as given."""
    where = directory.as_posix() if label is None else label
    try:
        files = sorted(
            p for p in directory.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file()
        )
    except FileNotFoundError:
        return [], [Diagnostic("error", where, "custom rules directory not found")]
    except OSError as e:
        return [], [Diagnostic("error", where, f"cannot read custom rules: {e.strerror}")]
    if not files:
        return [], [Diagnostic("warning", where, "no custom rule files (*.yaml, *.yml)")]
    rules: list[Rule] = []
    diagnostics: list[Diagnostic] = []
    seen: dict[str, str] = {}  # custom id -> file:line
    for path in files:
        source = f"{where.rstrip('/')}/{path.name}"
        problems: Problems = []
        try:
            documents = _documents(path.read_text("utf-8"))
        except (OSError, UnicodeDecodeError) as e:
            documents, problems = [], [(0, f"cannot read: {getattr(e, 'strerror', None) or e}")]
        except RecursionError:
            documents, problems = [], [(0, "cannot parse: nested too deeply")]
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            problem = getattr(e, "problem", None) or str(e)
            documents, problems = [], [(mark.line + 1 if mark else 0, f"cannot parse: {problem}")]
        for line, document in documents:
            if document is not None:
                rule = _compile(document, line, source, builtin_ids, seen, problems)
                if rule is not None:
                    rules.append(rule)
        for line, message in sorted(problems, key=lambda p: p[0]):
            diagnostics.append(Diagnostic("error", source, message, line or None))
    return rules, diagnostics


class Fields:
    """Reads one YAML mapping of a rule, recording each problem with its line and field."""

    def __init__(self, data: _Map, prefix: str, problems: Problems) -> None:
        self.data, self.prefix, self.problems = data, prefix, problems

    def line(self, key: str) -> int:
        return self.data.lines.get(key, self.data.line)

    def fail(self, key: str, problem: str, line: int | None = None) -> None:
        self.problems.append((line or self.line(key), f"{self.prefix}{key}: {problem}"))

    def allow(self, allowed: tuple[str, ...], elsewhere: dict[str, str] | None = None) -> None:
        for key in self.data:
            if key in (elsewhere or {}):
                self.fail(key, (elsewhere or {})[key])
            elif key not in allowed:
                self.problems.append((self.line(key), f"unknown field '{self.prefix}{key}'"))
        self.no_duplicates()

    def no_duplicates(self) -> None:
        for key, line in self.data.duplicates:
            self.fail(str(key), "given more than once", line)

    def get(self, key: str, required: bool = False) -> Any:
        value = self.data.get(key)
        if value is None and required:
            self.fail(key, "required")
        return value

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.get(key, required)
        if value is None or (isinstance(value, str) and value.strip()):
            return value
        self.fail(key, f"expected text, got {show(value)}")
        return None

    def flag(self, key: str) -> bool | None:
        value = self.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.fail(key, f"expected true or false, got {show(value)}")
        return None

    def items(self, key: str, required: bool = False) -> list[tuple[Any, int]]:
        """One value or a list of values, each with its line."""
        value = self.get(key, required)
        if value is None:
            return []
        if isinstance(value, _Seq):
            if not value:
                self.fail(key, "expected at least one value")
            return list(zip(value, value.lines, strict=True))
        if isinstance(value, _Map):
            self.fail(key, "expected a value or a list, got a mapping")
            return []
        return [(value, self.line(key))]

    def choices(
        self, key: str, allowed: tuple[str, ...], what: str, required: bool = False
    ) -> frozenset[str]:
        out: set[str] = set()
        for value, line in self.items(key, required):
            if isinstance(value, str) and value in allowed:
                out.add(value)
            elif len(allowed) <= 8:
                self.fail(key, f"{show(value)} is not one of {', '.join(allowed)}", line)
            else:
                self.fail(key, f"unknown {what} {show(value)}", line)
        return frozenset(out)

    def mapping(self, key: str, required: bool = False) -> Fields | None:
        value = self.get(key, required)
        if value is None:
            return None
        if isinstance(value, _Map):
            return Fields(value, f"{self.prefix}{key}.", self.problems)
        self.fail(key, f"expected a mapping, got {show(value)}")
        return None


def _compile(
    document: Any,
    line: int,
    source: str,
    builtin_ids: set[str],
    seen: dict[str, str],
    problems: Problems,
) -> Rule | None:
    if not isinstance(document, _Map):
        problems.append((line, f"a rule must be a mapping, got {show(document)}"))
        return None
    before = len(problems)
    top = Fields(document, "", problems)
    top.allow((*TOP, *TOP_MORE))
    rule_id = _rule_id(top, source, builtin_ids, seen)
    title = top.text("title", required=True)
    severity = top.get("severity", required=True)
    if severity is not None and (not isinstance(severity, str) or severity not in SEVERITIES):
        top.fail("severity", f"{show(severity)} is not one of {', '.join(SEVERITIES)}")
        severity = None
    stride = top.choices("stride", tuple(STRIDE), "STRIDE letter", required=True)
    controls = top.choices("controls", tuple(sorted(CONTROLS)), "control", required=True)
    listed = top.items("references")
    references = tuple(v for v, _ in listed if isinstance(v, str))
    for value, at in listed:
        if not isinstance(value, str):
            top.fail("references", f"expected text, got {show(value)}", at)
    remediation = top.text("remediation", required=True)
    description, name = top.text("description"), top.text("name")
    report_unknown = top.flag("report_unknown")
    match = top.mapping("match", required=True)
    spec = compile_match(match) if match is not None else None
    message = top.text("message")
    if spec is not None and message is not None:
        _template(top, message, spec.target)
    if len(problems) > before or spec is None or rule_id is None or title is None:
        return None
    if remediation is None or severity is None:  # already reported
        return None
    meta = RuleMeta(
        id=rule_id,
        name=name or re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
        title=title,
        stride=tuple(s for s in STRIDE if s in stride),
        controls=tuple(sorted(controls)),
        severity=Severity.parse(severity),
        remediation=remediation,
        references=references,
    )
    origin = f"{source}:{line}"
    spec = dataclasses.replace(
        spec, message=message, report_unknown=bool(report_unknown), origin=origin
    )
    # The layout `tmscan explain` reads: what it flags, (why it matters,) remediation.
    docs = (
        f"{(description or title).strip()}\n\nDeclared in {origin}.\n\nRemediation: {remediation}"
    )
    return make_rule(meta, spec, docs)


def _rule_id(top: Fields, source: str, builtin_ids: set[str], seen: dict[str, str]) -> str | None:
    rule_id = top.text("id", required=True)
    if rule_id is None:
        return None
    line = top.line("id")
    if rule_id in builtin_ids:
        top.problems.append((line, f"id {rule_id} is a built-in rule id"))
    elif not ID_PATTERN.fullmatch(rule_id):
        top.fail("id", f"{rule_id!r} does not match {ID_PATTERN.pattern} (e.g. ACME-DB-001)")
    elif rule_id.startswith(RESERVED_PREFIX):
        top.fail("id", f"the {RESERVED_PREFIX} prefix is reserved for built-in rules")
    elif rule_id in seen:
        top.problems.append((line, f"id {rule_id} is already defined at {seen[rule_id]}"))
    else:
        seen[rule_id] = f"{source}:{line}"
        return rule_id
    return None


def _template(top: Fields, message: str, target: str) -> None:
    allowed = ELEMENT_PLACEHOLDERS + (FLOW_PLACEHOLDERS if target == "flow" else ())
    try:
        fields = [(n, s, c) for _, n, s, c in string.Formatter().parse(message) if n is not None]
    except ValueError as e:
        top.fail("message", f"cannot parse template: {e}")
        return
    for name, spec, conversion in fields:
        if name in FLOW_PLACEHOLDERS and target != "flow":
            top.fail("message", f"placeholder {{{name}}} needs target: flow")
        elif name not in allowed:
            known = ", ".join(f"{{{p}}}" for p in allowed)
            top.fail("message", f"unknown placeholder {{{name}}} (one of {known})")
        elif spec or conversion:
            top.fail("message", f"placeholder {{{name}}} takes no format or conversion")
