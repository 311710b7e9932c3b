"""The scan configuration: `.tmscan.yaml` at the scanned root, else `[tool.tmscan]` in its
pyproject.toml, or `--config FILE` (YAML; a `.toml` file is read as a pyproject).

```yaml
rules:
  disable: [TM-RES-001]          # rules not run; their findings are dropped
  severity: {TM-TLS-001: high}   # rule id -> info | low | medium | high | critical
  custom: .tmscan/rules          # a folder of YAML rules, relative to this file
suppress:                        # each: a rule, a resource and/or a fingerprint, and a reason
  - rule: TM-PUB-001
    resource: aws_s3_bucket.partner_feeds  # the finding's resource; a glob: aws_s3_bucket.*
    reason: public partner feed, accepted by security (SEC-1234)
    expires: 2027-01-31          # optional: the last day it applies
  - fingerprint: 8bff92fb5c08abaace72b695eb981e15   # a finding's `fingerprint` in a report
    reason: ...
links:                           # joins the sources don't show (docs/joins.md)
  - openapi: api/orders.yaml     # this API description is served by that element
    served_by: Service/shop/orders
  - cluster: Kubernetes cluster (manifests)    # this cluster runs on that EKS cluster
    runs_on: shop-eks
  - element: ledger-db.corp.example.com        # one thing, seen under two names
    same_as: aws_db_instance.orders
```

In pyproject.toml the same keys sit under `[tool.tmscan]`: `[tool.tmscan.rules]` with
`disable = ["TM-RES-001"]` and `severity = {TM-TLS-001 = "high"}`, one
`[[tool.tmscan.suppress]]` table per suppression (`expires = 2027-01-31`), `links = [...]`.

Each problem is a diagnostic naming the file, the line (YAML, and `[[tool.tmscan.suppress]]`
headers) and the field (`suppress[0]` is the first entry); an invalid entry is dropped and
the valid ones still apply.
"""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from scanner.model import Diagnostic, Severity

NAMES = (".tmscan.yaml", ".tmscan.yml")
PYPROJECT = "pyproject.toml"
_LINK_KEYS = frozenset({"openapi", "served_by"})
_CLUSTER_KEYS = frozenset({"cluster", "runs_on"})
_SAME_KEYS = frozenset({"element", "same_as"})
_TOP_KEYS = frozenset({"links", "rules", "suppress"})
_RULES_KEYS = frozenset({"disable", "severity", "custom"})
_SUPPRESS_KEYS = ("rule", "resource", "fingerprint", "reason", "expires")
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")
_SUPPRESS_HEADER = re.compile(r"^[ \t]*\[\[\s*tool\s*\.\s*tmscan\s*\.\s*suppress\s*\]\]", re.M)

# Where a rule id is named, for checking ids once the rules are known: (field, id, line).
Mention = tuple[str, str, int | None]
Level = Literal["error", "warning"]


@dataclass(frozen=True)
class Link:
    """A join the sources cannot show: this API description is served by that element
    (named by its resource address, element id or name)."""

    openapi: str  # the spec file, relative to the scanned root
    served_by: str
    source: str  # the configuration file, for diagnostics
    line: int | None


@dataclass(frozen=True)
class ConfigSuppression:
    """Findings matching every given criterion are suppressed, with the reason, until
    `expires` (inclusive). `resource` is an exact address or an fnmatch glob."""

    rule: str | None
    resource: str | None
    fingerprint: str | None
    reason: str
    expires: datetime.date | None
    source: str  # the configuration file, for diagnostics
    line: int | None


@dataclass(frozen=True)
class Config:
    links: tuple[Link, ...] = ()
    source: str | None = None  # the file read, relative to the root when inside it
    disabled: frozenset[str] = frozenset()
    severities: Mapping[str, Severity] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    suppressions: tuple[ConfigSuppression, ...] = ()
    rules_dir: Path | None = None  # custom YAML rules, resolved against the file's folder
    mentions: tuple[Mention, ...] = field(default=(), repr=False)
    # (Kubernetes cluster (boundary name or id), the EKS cluster it runs on, file, line).
    clusters: tuple[tuple[str, str, str, int | None], ...] = ()
    # (element, the element it is, configuration file, line): one thing seen twice.
    same: tuple[tuple[str, str, str, int | None], ...] = ()


class _Map(dict[Any, Any]):
    """A mapping read from YAML, with its line and the line of each key."""

    line: int | None = None
    lines: dict[Any, int]


class _Seq(list[Any]):
    """A sequence read from YAML (or TOML tables with known headers), with item lines."""

    lines: dict[Any, int]


class _LineLoader(yaml.SafeLoader):
    """Records lines of mappings, keys and sequence items, so errors can name them."""


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> _Map:
    out = _Map(loader.construct_mapping(node, deep=True))
    out.line, out.lines = node.start_mark.line + 1, {}
    for key, _ in node.value:  # keys are built (and cached) by construct_mapping
        out.lines.setdefault(loader.construct_object(key), key.start_mark.line + 1)
    return out


def _sequence(loader: _LineLoader, node: yaml.SequenceNode) -> _Seq:
    out = _Seq(loader.construct_sequence(node, deep=True))
    out.lines = {i: n.start_mark.line + 1 for i, n in enumerate(node.value)}
    return out


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def _line(value: object) -> int | None:
    return getattr(value, "line", None)


def _at(container: object, key: object, default: int | None) -> int | None:
    """The line of a key (mapping) or an index (sequence), when known."""
    return getattr(container, "lines", {}).get(key, default)


def find(root: Path, explicit: Path | None) -> Path | None:
    """The file to read: the explicit one, else `.tmscan.yaml`/`.yml` at the root, else a
    pyproject.toml there that has a `[tool.tmscan]` table."""
    if explicit is not None:
        return explicit
    base = root if root.is_dir() else root.parent
    found = next((base / n for n in NAMES if (base / n).is_file()), None)
    pyproject = base / PYPROJECT
    if found is None and pyproject.is_file():
        try:
            return pyproject if "tool.tmscan" in pyproject.read_text("utf-8") else None
        except (OSError, UnicodeDecodeError):
            return None
    return found


def load(
    root: Path, explicit: Path | None = None, known_rules: set[str] | None = None
) -> tuple[Config, list[Diagnostic]]:
    """The configuration, or the defaults; every problem is a diagnostic naming the file,
    line and field, and what is valid is still used. With `known_rules`, rule ids that
    are not among them are reported too (see `check_rules`)."""
    path = find(root, explicit)
    if path is None:
        return Config(), []
    base = root if root.is_dir() else root.parent
    try:
        label = path.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        label = path.name
    try:
        text = path.read_text("utf-8")
    except OSError as e:
        return Config(), [Diagnostic("error", label, f"cannot read: {e.strerror or e}")]
    except UnicodeDecodeError:
        return Config(), [Diagnostic("error", label, "cannot read: not UTF-8 text")]
    if path.suffix == ".toml":
        doc, problems = _parse_toml(text, label)
    else:
        doc, problems = _parse_yaml(text, label)
    if doc is None:
        return Config(source=label), problems
    reader = _Reader(label, path.parent, problems)
    config = reader.config(doc)
    if known_rules is not None:
        reader.problems.extend(check_rules(config, known_rules))
    return config, reader.problems


def check_rules(config: Config, known_rules: set[str]) -> list[Diagnostic]:
    """Warnings for rule ids the configuration names that no rule has (built-in or
    custom), for when the rules are known only after loading `config.rules_dir`."""
    return [
        Diagnostic("warning", config.source or "", f"{where}: unknown rule id {rule}", line)
        for where, rule, line in config.mentions
        if rule not in known_rules
    ]


def _parse_yaml(text: str, label: str) -> tuple[_Map | None, list[Diagnostic]]:
    try:
        doc = yaml.load(text, Loader=_LineLoader)  # a SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(e, "problem", None) or "invalid YAML"
        return None, [Diagnostic("error", label, f"cannot parse: {problem}", line)]
    if doc is None:
        return None, []
    if not isinstance(doc, _Map):
        return None, [Diagnostic("error", label, "the configuration must be a mapping")]
    return doc, []


def _parse_toml(text: str, label: str) -> tuple[_Map | None, list[Diagnostic]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        found = re.search(r"\s*\(at line (\d+), column \d+\)$", str(e))
        message = str(e)[: found.start()] if found else str(e)
        line = int(found.group(1)) if found else None
        return None, [Diagnostic("error", label, f"cannot parse: {message}", line)]
    table = data.get("tool", {}).get("tmscan") if isinstance(data.get("tool"), dict) else None
    if table is None:
        return None, [Diagnostic("warning", label, "no [tool.tmscan] table; defaults apply")]
    if not isinstance(table, dict):
        return None, [Diagnostic("error", label, "[tool.tmscan] must be a table")]
    doc = _Map(table)
    entries = doc.get("suppress")
    headers = [text.count("\n", 0, m.start()) + 1 for m in _SUPPRESS_HEADER.finditer(text)]
    if isinstance(entries, list) and len(headers) == len(entries):
        located = _Seq(entries)
        located.lines = dict(enumerate(headers))
        doc["suppress"] = located
    return doc, []


class _Reader:
    """Turns a parsed document into a Config, recording each problem."""

    def __init__(self, label: str, folder: Path, problems: list[Diagnostic]) -> None:
        self.label, self.folder, self.problems = label, folder, problems
        self.mentions: list[Mention] = []
        self.clusters: list[tuple[str, str, str, int | None]] = []
        self.same: list[tuple[str, str, str, int | None]] = []

    def report(self, message: str, line: int | None, level: Level = "error") -> None:
        self.problems.append(Diagnostic(level, self.label, message, line))

    def unknown(
        self, where: str, item: dict[Any, Any], known: Iterable[str], at: int | None
    ) -> None:
        if unknown := sorted(str(k) for k in item if k not in known):
            self.report(f"{where}: unknown field(s) {', '.join(unknown)}", at, "warning")

    def items(self, where: str, raw: object, at: int | None) -> list[tuple[int, Any, int | None]]:
        """(index, item, line) of a list; anything else is reported."""
        if raw is not None and not isinstance(raw, list):
            self.report(f"{where}: must be a list", at)
        return [(i, v, _at(raw, i, at)) for i, v in enumerate(raw if isinstance(raw, list) else [])]

    def config(self, doc: _Map) -> Config:
        for key in sorted((k for k in doc if k not in _TOP_KEYS), key=str):
            self.report(f"unknown key {key!r} ignored", _line(doc), "warning")
        links = self.links(doc.get("links") or [], _line(doc))
        rules = doc.get("rules")
        if rules is not None and not isinstance(rules, dict):
            self.report("rules: must be a mapping", _at(doc, "rules", _line(doc)))
        rules = rules if isinstance(rules, dict) else {}
        self.unknown("rules", rules, _RULES_KEYS, _line(rules))
        disabled = set()
        for i, rule, line in self.items(
            "rules.disable", rules.get("disable"), _at(rules, "disable", None)
        ):
            if isinstance(rule, str) and rule.strip():
                disabled.add(rule.strip())
                self.mentions.append(("rules.disable", rule.strip(), line))
            else:
                self.report(f"rules.disable[{i}]: must be a rule id", line)
        severities = self.severities(rules.get("severity"), _at(rules, "severity", None))
        rules_dir = self.custom(rules.get("custom"), _at(rules, "custom", None))
        suppress = self.items("suppress", doc.get("suppress"), _at(doc, "suppress", None))
        entries = (self.suppression(f"suppress[{i}]", e, line) for i, e, line in suppress)
        return Config(
            links,
            self.label,
            frozenset(disabled),
            MappingProxyType(severities),
            tuple(e for e in entries if e is not None),
            rules_dir,
            tuple(self.mentions),
            tuple(self.clusters),
            tuple(self.same),
        )

    def links(self, raw: object, line: int | None) -> tuple[Link, ...]:
        """API descriptions served by an element, and (`cluster:` entries) Kubernetes
        clusters running on an EKS cluster (kept in self.clusters)."""
        links: list[Link] = []
        for _, item, at in self.items("links", raw, line):
            if not isinstance(item, dict):
                self.report("links: each entry is a mapping", at)
                continue
            if "same_as" in item:
                self.unknown("links", item, _SAME_KEYS, at)
                if missing := sorted(k for k in _SAME_KEYS if not isinstance(item.get(k), str)):
                    self.report(f"links: {', '.join(missing)} must be given as text", at)
                else:
                    self.same.append((item["element"], item["same_as"], self.label, at))
                continue
            if "cluster" in item:
                self.unknown("links", item, _CLUSTER_KEYS, at)
                if missing := sorted(k for k in _CLUSTER_KEYS if not isinstance(item.get(k), str)):
                    self.report(f"links: {', '.join(missing)} must be given as text", at)
                else:
                    self.clusters.append((item["cluster"], item["runs_on"], self.label, at))
                continue
            self.unknown("links", item, _LINK_KEYS, at)
            if missing := sorted(k for k in _LINK_KEYS if not isinstance(item.get(k), str)):
                self.report(f"links: {', '.join(missing)} must be given as text", at)
                continue
            spec = Path(item["openapi"]).as_posix().removeprefix("./")
            links.append(Link(spec, item["served_by"], self.label, at))
        return tuple(links)

    def severities(self, raw: object, at: int | None) -> dict[str, Severity]:
        if raw is not None and not isinstance(raw, dict):
            self.report("rules.severity: must map rule ids to severities", at)
        out: dict[str, Severity] = {}
        for rule, value in (raw if isinstance(raw, dict) else {}).items():
            line = _at(raw, rule, at)
            try:
                out[str(rule)] = Severity.parse(value if isinstance(value, str) else repr(value))
                self.mentions.append(("rules.severity", str(rule), line))
            except ValueError as e:
                self.report(f"rules.severity.{rule}: {e}", line)
        return out

    def custom(self, raw: object, at: int | None) -> Path | None:
        folder = self.folder / raw.strip() if isinstance(raw, str) and raw.strip() else None
        if raw is not None and (folder is None or not folder.is_dir()):
            self.report(f"rules.custom: {raw!r} is not a folder next to {self.label}", at)
        return folder if folder is not None and folder.is_dir() else None

    def suppression(self, where: str, item: object, line: int | None) -> ConfigSuppression | None:
        if not isinstance(item, dict):
            self.report(f"{where}: must be a mapping with a reason", line)
            return None
        self.unknown(where, item, _SUPPRESS_KEYS, line)
        before = len(self.problems)
        text: dict[str, str] = {}
        for key in _SUPPRESS_KEYS[:4]:  # rule, resource, fingerprint, reason
            value = item.get(key)
            if isinstance(value, str) and value.strip():
                text[key] = value.strip()
            elif value is not None and not isinstance(value, str):
                self.report(f"{where}.{key}: must be text", _at(item, key, line))
        if "reason" not in text and isinstance(item.get("reason"), str | None):
            self.report(f"{where}: reason is required", line)
        if all(item.get(k) is None for k in _SUPPRESS_KEYS[:3]):
            self.report(f"{where}: give a rule, a resource or a fingerprint", line)
        fingerprint = text.get("fingerprint", "").lower() or None
        if fingerprint is not None and not _FINGERPRINT.fullmatch(fingerprint):
            problem = "must be 32 hex digits, as in a report"
            self.report(f"{where}.fingerprint: {problem}", _at(item, "fingerprint", line))
        try:
            expires = _date(item.get("expires"))
        except ValueError:
            expires = None
            self.report(f"{where}.expires: must be a date (YYYY-MM-DD)", _at(item, "expires", line))
        if any(d.level == "error" for d in self.problems[before:]):
            return None
        if "rule" in text:
            self.mentions.append((where, text["rule"], line))
        rule, resource, reason = text.get("rule"), text.get("resource"), text["reason"]
        return ConfigSuppression(rule, resource, fingerprint, reason, expires, self.label, line)


def _date(value: object) -> datetime.date | None:
    """A date, or None when absent; ValueError when it is not a date."""
    if value is None or isinstance(value, datetime.date):
        return value.date() if isinstance(value, datetime.datetime) else value
    if isinstance(value, str):
        return datetime.date.fromisoformat(value.strip())
    raise ValueError(value)
