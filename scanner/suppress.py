"""Controlling findings: severities, disabled rules, suppressions (configuration and inline
comments) and baselines. Pure, except for reading the files the findings point at.

Inline: `# tmscan:ignore[TM-PUB-001] reason` (`//` also in Terraform; several ids as
`[TM-A-001,TM-B-002]`) on the line of any of a finding's file evidence, on the line just
above one, or anywhere inside the block (line..end_line) of its primary evidence.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from fnmatch import fnmatchcase
from pathlib import Path

from scanner.config import Config, ConfigSuppression
from scanner.model import Diagnostic, Finding, Suppression

BASELINED = Suppression("baseline", "in the baseline report")
_MARK = "tmscan:ignore"
_HASH = re.compile(r"(?:^|\s)#\s*tmscan:ignore\b[ \t]*(\[[^\]\n]*\])?[ \t]*(.*)")
_HASH_OR_SLASHES = re.compile(r"(?:^|\s)(?:#|//)\s*tmscan:ignore\b[ \t]*(\[[^\]\n]*\])?[ \t]*(.*)")
_HCL = (".tf", ".tfvars", ".hcl")
_NO_COMMENTS = (".json",)


@dataclass(frozen=True)
class Inline:
    """One `tmscan:ignore` comment: the rule ids it names (none when malformed)."""

    file: str
    line: int
    rules: frozenset[str]
    reason: str


def apply(
    findings: tuple[Finding, ...],
    config: Config,
    root: Path,
    today: date,
    baseline: frozenset[str] = frozenset(),
) -> tuple[tuple[Finding, ...], list[Diagnostic]]:
    """The findings in the same order, minus disabled rules, with configured severities
    and, where one applies, a suppression: configuration first (in file order), then an
    inline comment, then the baseline. Only `severity` and `suppression` change, so a
    caller that sorts by severity sorts again."""
    comments = _Comments(root if root.is_dir() else root.parent)
    out: list[Finding] = []
    notes: dict[Diagnostic, None] = {}  # ordered and without repeats
    for item in findings:
        if item.rule in config.disabled:
            continue
        severity = config.severities.get(item.rule, item.severity)
        finding = item if severity == item.severity else replace(item, severity=severity)
        expired = [s for s in config.suppressions if matches(s, finding) and not _active(s, today)]
        suppression = (
            finding.suppression
            or _configured(finding, config.suppressions, today)
            or _inline(finding, comments, notes)
        )
        for s in expired if suppression is None or suppression.kind == "baseline" else []:
            notes[_expired_note(s, finding)] = None
        if suppression is None and finding.fingerprint in baseline:
            suppression = BASELINED
        out.append(finding if suppression is None else replace(finding, suppression=suppression))
    return tuple(out), list(notes)


def matches(suppression: ConfigSuppression, finding: Finding) -> bool:
    """Every criterion given holds: the rule id, the resource (exactly or as an fnmatch
    glob over the whole address) and the fingerprint."""
    s = suppression
    return (
        (s.rule is None or s.rule == finding.rule)
        and (
            s.resource is None
            or s.resource == finding.resource
            or fnmatchcase(finding.resource, s.resource)
        )
        and (s.fingerprint is None or s.fingerprint == finding.fingerprint)
    )


def _active(s: ConfigSuppression, today: date) -> bool:
    return s.expires is None or today <= s.expires  # the expiry day itself still counts


def _configured(
    finding: Finding, suppressions: Iterable[ConfigSuppression], today: date
) -> Suppression | None:
    for s in suppressions:
        if matches(s, finding) and _active(s, today):
            return Suppression("suppressed", s.reason)
    return None


def _expired_note(s: ConfigSuppression, finding: Finding) -> Diagnostic:
    assert s.expires is not None
    message = (
        f"suppression for {finding.rule} on {finding.resource} expired on "
        f"{s.expires.isoformat()}; the finding is reported again"
    )
    return Diagnostic("warning", s.source, message, s.line)


def _inline(
    finding: Finding, comments: _Comments, notes: dict[Diagnostic, None]
) -> Suppression | None:
    for comment in _candidates(finding, comments):
        if not comment.rules:
            message = "inline suppression names no rule: write tmscan:ignore[RULE-ID] reason"
            notes[Diagnostic("warning", comment.file, message, comment.line)] = None
        elif finding.rule in comment.rules:
            if not comment.reason:
                note = Diagnostic(
                    "warning", comment.file, "inline suppression without a reason", comment.line
                )
                notes[note] = None
            return Suppression("suppressed", f"inline: {comment.reason or 'no reason given'}")
    return None


def _candidates(finding: Finding, comments: _Comments) -> list[Inline]:
    """The comments that may speak for the finding, in evidence order."""
    places: dict[tuple[str, int], None] = {}
    for i, ev in enumerate(finding.evidence):
        if ev.file is None or ev.line is None:
            continue
        last = ev.end_line if i == 0 and ev.end_line is not None else ev.line
        for line in range(ev.line - 1, max(last, ev.line) + 1):
            places[(ev.file, line)] = None
    found = []
    for file, line in places:
        comment = comments.at(file, line)
        if comment is not None:
            found.append(comment)
    return found


class _Comments:
    """`tmscan:ignore` comments by file and line; each file is read once, and nothing
    else of it is kept."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.files: dict[str, dict[int, Inline]] = {}

    def at(self, file: str, line: int) -> Inline | None:
        if file not in self.files:
            self.files[file] = self._read(file)
        return self.files[file].get(line)

    def _read(self, file: str) -> dict[int, Inline]:
        if file.endswith(_NO_COMMENTS):
            return {}
        try:
            text = (self.base / file).read_text("utf-8", errors="replace")
        except OSError:  # the collector that read it has said so already
            return {}
        if _MARK not in text:
            return {}
        pattern = _HASH_OR_SLASHES if file.endswith(_HCL) else _HASH
        out: dict[int, Inline] = {}
        for number, line in enumerate(text.split("\n"), start=1):
            if _MARK in line and (m := pattern.search(line)) is not None:
                ids = (m.group(1) or "[]")[1:-1].split(",")
                rules = frozenset(r.strip() for r in ids if r.strip())
                out[number] = Inline(file, number, rules, m.group(2).strip())
        return out


def load_baseline(path: Path) -> tuple[frozenset[str], list[Diagnostic]]:
    """The fingerprints of an earlier tmscan JSON report: its findings, including those it
    marked as baselined, but not those it reported as suppressed (by configuration or
    inline), so a suppression that expires or is removed brings its finding back. A
    missing or unreadable file, or one that is not a tmscan report, is an error."""
    label = path.as_posix()
    try:
        doc = json.loads(path.read_text("utf-8"))
    except OSError as e:
        return frozenset(), [Diagnostic("error", label, f"cannot read: {e.strerror or e}")]
    except UnicodeDecodeError:
        return frozenset(), [Diagnostic("error", label, "cannot read: not UTF-8 text")]
    except json.JSONDecodeError as e:
        return frozenset(), [Diagnostic("error", label, f"not JSON: {e.msg}", e.lineno)]
    findings = doc.get("findings") if isinstance(doc, dict) else None
    if not isinstance(findings, list) or "schema_version" not in doc:
        message = "not a tmscan JSON report (no schema_version and findings)"
        return frozenset(), [Diagnostic("error", label, message)]
    out: set[str] = set()
    unnamed = 0
    for item in findings:
        fingerprint = item.get("fingerprint") if isinstance(item, dict) else None
        if not isinstance(fingerprint, str) or not fingerprint:
            unnamed += 1
            continue
        suppression = item.get("suppression")
        if not (isinstance(suppression, dict) and suppression.get("kind") == "suppressed"):
            out.add(fingerprint)
    problems = []
    if unnamed:
        message = f"{unnamed} finding(s) without a fingerprint ignored"
        problems.append(Diagnostic("warning", label, message))
    return frozenset(out), problems
