"""Findings: what checks return instead of raising.

Every finding has a documented code (see `docs/findings.md`; a test keeps the two in step), a severity, a place
(file, line, column, 1-based) and a message with a hint that says what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class FindingCode:
    code: str
    severity: Severity
    title: str


def _codes(*codes: FindingCode) -> dict[str, FindingCode]:
    return {c.code: c for c in codes}


E, W = Severity.ERROR, Severity.WARNING

#: The catalogue of finding codes. 1xx: reading files; 2xx: schema; 3xx: identity and layout;
#: 4xx: references; 5xx: environments and registry configuration; 6xx: history (`--base`);
#: 7xx: artifacts (`--check-artifacts`); 80x: evaluation evidence (invariants, threshold table);
#: 81x: deployment and monitoring records.
CODES: dict[str, FindingCode] = _codes(
    FindingCode("CH100", E, "file cannot be read as UTF-8 text"),
    FindingCode("CH101", E, "YAML syntax error"),
    FindingCode("CH102", E, "duplicate key"),
    FindingCode("CH103", E, "unsupported YAML construct"),
    FindingCode("CH104", E, "document is empty or not a mapping"),
    FindingCode("CH105", E, "symbolic link not followed"),
    FindingCode("CH106", E, "file too large"),
    FindingCode("CH200", E, "schema violation"),
    FindingCode("CH201", E, "unknown field"),
    FindingCode("CH202", E, "missing required field"),
    FindingCode("CH203", E, "wrong type"),
    FindingCode("CH204", E, "invalid value"),
    FindingCode("CH205", E, "unknown kind or apiVersion"),
    FindingCode("CH206", E, "two list items with the same key"),
    FindingCode("CH207", E, "period ends before it starts"),
    FindingCode("CH301", E, "file path does not match kind, name and version"),
    FindingCode("CH302", E, "duplicate entry"),
    FindingCode("CH303", E, "file is not at an entry location"),
    FindingCode("CH304", E, "model version without its model"),
    FindingCode("CH305", E, "name breaks the registry's naming rule"),
    FindingCode("CH306", E, "field required by the model's risk tier is missing"),
    FindingCode("CH307", E, "unsafe characters in a path"),
    FindingCode("CH308", E, "paths that differ only in case"),
    FindingCode("CH401", E, "unresolved reference"),
    FindingCode("CH402", E, "reference to a retired entry"),
    FindingCode("CH403", W, "reference to a deprecated entry"),
    FindingCode("CH404", W, "released entry refers to a draft"),
    FindingCode("CH501", E, "environment not declared in registry.yaml"),
    FindingCode("CH502", E, "environment assigns a draft model version"),
    FindingCode("CH503", W, "declared environment has no environment file"),
    FindingCode("CH504", E, "model version assigned twice in one environment"),
    FindingCode("CH506", E, "policy names an undeclared environment"),
    FindingCode("CH507", E, "policy names a cohort that does not exist"),
    FindingCode("CH508", W, "CODEOWNERS is missing or out of date"),
    FindingCode("CH601", E, "released entry changed"),
    FindingCode("CH602", E, "released entry deleted"),
    FindingCode("CH603", E, "breaking change without a major version bump"),
    FindingCode("CH701", E, "artifact not tracked by DVC"),
    FindingCode("CH702", E, "artifact pointer disagrees with the version"),
    FindingCode("CH703", E, "artifact missing from cache and remote"),
    FindingCode("CH801", W, "invariant result outside its expected range"),
    FindingCode("CH802", E, "invariant's passed flag contradicts its result"),
    FindingCode("CH803", W, "invariant declared by the contract missing from the evaluation"),
    FindingCode("CH804", E, "invariant differs from the contract's declaration"),
    FindingCode("CH805", E, "threshold rate disagrees with its counts"),
    FindingCode("CH806", E, "threshold rows count different cohorts"),
    FindingCode("CH807", E, "alerts per day disagree with the counts and period"),
    FindingCode("CH808", E, "alert counts rise with the threshold"),
    FindingCode("CH809", W, "operating threshold missing from the threshold table"),
    FindingCode("CH811", E, "record dated in the future"),
    FindingCode("CH812", E, "record file disagrees with the command line"),
    FindingCode("CH813", W, "report made before its period ends"),
    FindingCode("CH814", E, "record names an undeclared environment"),
)


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    path: str
    line: int
    column: int
    message: str
    hint: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }

    @property
    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.code)


#: A message or hint quotes values from the file; a hostile file must not flood the output or a CI log.
MAX_TEXT = 400


def _safe_text(text: str) -> str:
    """Control characters (terminal escapes) shown as escapes, and the text cut in the middle past MAX_TEXT."""
    text = "".join(c if c in "\n\t" or (c.isprintable() and c != "\x7f") or c == " " else repr(c)[1:-1]
                   for c in text) if not text.isprintable() else text
    if len(text) > MAX_TEXT:
        half = MAX_TEXT // 2 - 10
        text = f"{text[:half]} ...({len(text) - 2 * half:,} characters)... {text[-half:]}"
    return text


def finding(code: str, path: str, place: tuple[int, int], message: str, hint: str = "") -> Finding:
    """Build a finding whose severity comes from the catalogue, so a code's severity is written once."""
    return Finding(code, CODES[code].severity, _safe_text(path), place[0], place[1], _safe_text(message),
                   _safe_text(hint))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
