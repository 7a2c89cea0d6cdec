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

#: What each finding says, beside its code: `CODE` or `CODE.variant` -> (message template, hint template), filled
#: by `finding(key, path, place, **fields)` with `str.format`. A finding's message quotes the file, so the fields
#: are values from it; the words around them are written here only.
MESSAGES: dict[str, tuple[str, str]] = {
    "CH301.kind": ("file is at a {location} location but declares kind {kind}",
                   "move it to {expected}, or correct `kind`"),
    "CH301.name": ("metadata.name is {name!r} but the path says {path_name!r}",
                   "rename the file to {expected}, or correct metadata.name"),
    "CH301.version": ("metadata.version is {version!r} but the path says {path_version!r}",
                      "rename the file to {expected}, or correct metadata.version"),
    "CH302": ("{ref} is also defined in {other}", "each entry lives in exactly one file: remove or rename one of them"),
    "CH303": ("{path} is not a place where an entry can live",
              "a {kind} named {name!r} belongs at {expected} (see docs/format.md)"),
    "CH304": ("model version of {name!r}, but there is no model {name!r}",
              "create models/{name}/model.yaml (charter new model {name})"),
    "CH401": ("{where}: {ref} does not exist", "{suggestion}"),
    "CH402": ("{where}: {ref} is retired", "refer to an active version instead"),
    "CH403": ("{where}: {ref} is deprecated", "plan a move to an active version"),
    "CH404": ("{where}: {ref} is a draft, but this entry is {status}",
              "release {ref} (status: active) or keep this entry a draft"),
    "CH501": ("environment {name!r} is not declared in registry.yaml",
              "declared environments: {declared}; add it to spec.environments there"),
    "CH502": ("{model} is a draft and cannot be assigned to {environment}",
              "release it first (metadata.status: active in {path})"),
    "CH503": ("environment {environment!r} has no file environments/{environment}.yaml",
              "create it with an empty list: spec.assignments: []"),
    "CH504": ("{model} is assigned twice (also at assignment {first})", "keep one assignment per model version"),
    "CH506": ("policy for {environment!r}, which is not a declared environment", "declared environments: {declared}"),
    "CH507": ("policy for {environment!r} asks for evidence on cohort {name!r}, which does not exist",
              "create the cohort, or correct the name (NAME means any version, cohort:NAME@VERSION pins one)"),
    "CH508": ("{codeowners} is missing: the forge cannot enforce the approvers this policy names",
              "run `charter codeowners` and commit the file"),
    "CH508.lacks": ("{codeowners} is out of date: it lacks `{line}`{more}",
                    "run `charter codeowners` and commit the file with the change"),
    "CH508.stale": ("{codeowners} is out of date: it still has `{line}`{more}",
                    "run `charter codeowners` and commit the file with the change"),
    "CH508.order": ("{codeowners} is out of date: its lines differ from what `charter codeowners` writes",
                    "run `charter codeowners` and commit the file; edit registry.yaml and the owners, not the file"),
    "CH811.at": ("at {at} is in the future (now {now})", "record events after they happen; check the time zone"),
    "CH811.end": ("period.end {end} is in the future (now {now})", "report a period once it is over"),
    "CH813": ("the report (at {at}) was made before its period ends ({end})",
              "set `at` to when the report was made, after the period"),
    "CH814": ("environment {environment!r} is not declared in registry.yaml", "declared environments: {declared}"),
}


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


def finding(key: str, path: str, place: tuple[int, int], message: str | None = None, hint: str | None = None, /,
            **fields: object) -> Finding:
    """Build a finding whose severity and words come from the catalogues, so each is written once.

    `key` is a code, or `CODE.variant` where one code is reported in several wordings; `fields` fill the templates
    in MESSAGES. A `message` (and `hint`) given here is used as it is, for checks not moved to MESSAGES yet.
    """
    code = key.split(".", 1)[0]
    if message is None:
        template, hint_template = MESSAGES[key]
        message = template.format(**fields)
        hint = hint_template.format(**fields) if hint is None else hint
    return Finding(code, CODES[code].severity, _safe_text(path), place[0], place[1], _safe_text(message),
                   _safe_text(hint or ""))


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
