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
#: 811-814: deployment and monitoring records; 815-819 and 830-834: plausibility of evaluation evidence;
#: 820-824: evidence recomputed from predictions; 84x: a monitoring record's counts (denominators).
CODES: dict[str, FindingCode] = _codes(
    FindingCode("CH100", E, "file cannot be read as UTF-8 text"),
    FindingCode("CH101", E, "YAML syntax error"),
    FindingCode("CH102", E, "duplicate key"),
    FindingCode("CH103", E, "unsupported YAML construct"),
    FindingCode("CH104", E, "document is empty or not a mapping"),
    FindingCode("CH105", E, "link, pipe or device not read"),
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
    FindingCode("CH509", E, "MLflow alias mapped from an undeclared environment"),
    FindingCode("CH510", E, "MLflow tracking URI carries credentials"),
    FindingCode("CH511", E, "MLflow alias both mapped and unmanaged"),
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
    FindingCode("CH815", E, "metric outside [0, 1]"),
    FindingCode("CH816", E, "value outside its own confidence interval"),
    FindingCode("CH817", E, "subgroups larger than the evaluation"),
    FindingCode("CH818", E, "calibration bins larger than the evaluation"),
    FindingCode("CH819", W, "given rate disagrees with the counts; the computed one is recorded"),
    FindingCode("CH830", W, "evaluation counts another number of units than its cohort"),
    FindingCode("CH831", W, "evaluation's prevalence differs from its cohort's"),
    FindingCode("CH832", W, "evaluation's period differs from its cohort's"),
    FindingCode("CH833", E, "overall rate disagrees with the counts at the operating threshold"),
    FindingCode("CH820", E, "figure differs from its recomputation"),
    FindingCode("CH821", E, "predictions file cannot be fetched"),
    FindingCode("CH822", E, "predictions file differs from the one recorded"),
    FindingCode("CH823", W, "evaluation not computed from predictions"),
    FindingCode("CH824", E, "predictions file no longer reads as recorded"),
    FindingCode("CH840", E, "a count is larger than the count it is part of"),
    FindingCode("CH841", E, "more labelled alerts without the event than labelled units without it"),
    FindingCode("CH842", E, "alerts per day disagree with the alerts and the period"),
    FindingCode("CH843", E, "subgroup reported twice"),
    FindingCode("CH844", W, "counts that give no figure"),
    FindingCode("CH845", W, "only alerts were labelled: sensitivity cannot be estimated"),
)

SCHEMA_HINT = "see `charter schema {kind}` for the fields and their meaning"
RENAME_SAFELY = "rename the file with a-z, 0-9, '-' and '.' only"
MAJOR_BUMP = ("bump the major version: release it as {major} (move the file to {target} and set metadata.version: "
              "{major}), or undo the change; `charter diff {previous_ref} {ref}` lists every change")
TOO_BIG = "an entry is a small YAML file: keep data and artifacts out of the registry's YAML"
AS_FRACTION = "rates, AUROC, AUPRC and Brier scores are fractions: write 0.62, not 62"
ONE_ATTRIBUTE = "the subgroups of one attribute split the evaluation's units, so they add up to at most all of them"
GIVEN_RATE = "rates are computed from the counts: remove the given value, or correct the counts"

#: What each finding says, beside its code: `CODE` or `CODE.variant` -> (message template, hint template), filled
#: by `finding(key, path, place, **fields)` with `str.format`. A finding's message quotes the file, so the fields
#: are values from it; the words around them are written here only.
MESSAGES: dict[str, tuple[str, str]] = {
    "CH100": ("cannot read file: {error}", "check the file's permissions"),
    "CH100.binary": ("file is binary (contains NUL bytes)", "registry entries are UTF-8 YAML text"),
    "CH100.utf8": ("file is not valid UTF-8 (byte {byte})", "save the file as UTF-8"),
    "CH101": ("YAML syntax error: {problem}", "fix the YAML at this place (check indentation, quotes and colons)"),
    "CH101.context": ("YAML syntax error: {problem} ({context})",
                      "fix the YAML at this place (check indentation, quotes and colons)"),
    "CH101.other": ("YAML error: {error}", "fix the YAML syntax"),
    "CH102": ("duplicate key {key!r} (first defined at line {first_line})",
              "remove one of the two keys: YAML keeps only the last, silently"),
    "CH103.documents": ("file holds more than one YAML document",
                        "keep one entry per file: remove the extra `---` section"),
    "CH103.digits": ("number of {digits:,} digits is too long: {error}", "write plain YAML data"),
    "CH103.nan": ("{value!r} (NaN or infinity) is not a number Charter accepts", "write plain YAML data"),
    "CH103.tag": ("custom tag {tag!r} is not allowed", "write plain YAML data"),
    "CH103.merge": ("merge keys (`<<`) are not supported: write the keys out", "write plain YAML data"),
    "CH103.key": ("mapping key {key!r} is not a string: quote it", "write plain YAML data"),
    "CH103.nodes": ("document expands to more than {limit} nodes (alias bomb?)", "write plain YAML data"),
    "CH103.depth": ("document is nested deeper than {limit} levels", "write plain YAML data"),
    "CH103.node": ("unsupported YAML node", "write plain YAML data"),
    "CH104": ("document is {shown}, not a mapping", "an entry is a mapping with apiVersion, kind, metadata and spec"),
    "CH104.empty": ("file is empty", "write an entry or delete the file"),
    "CH105": ("is {what}: Charter reads only regular files and never follows a link",
              "put the entry itself at this path: a link could point outside the registry, and a pipe or device "
              "never ends"),
    "CH105.folder": ("is reached through {folder}, which is {what}: Charter never follows a link",
                     "put the folder itself at {folder}: a link could point outside the registry"),
    "CH106": ("file is {size:,} bytes, more than the {limit:,} an entry may have", TOO_BIG),
    "CH106.grew": ("file is more than {limit:,} bytes", TOO_BIG),
    "CH200": ("{where}: {problem}", "{description}"),
    "CH200.schema": ("{where}: {problem}", SCHEMA_HINT),
    "CH201": ("unknown field {field!r}", "allowed here: {allowed}"),
    "CH201.schema": ("unknown field {field!r}", SCHEMA_HINT),
    "CH202": ("missing required field {field!r}", "{description}"),
    "CH202.schema": ("missing required field {field!r}", SCHEMA_HINT),
    "CH203": ("{where} must be {expected}, not {actual}", "{description}"),
    "CH203.schema": ("{where} must be {expected}, not {actual}", SCHEMA_HINT),
    "CH204": ("{where}: {problem}", "{description}"),
    "CH204.schema": ("{where}: {problem}", SCHEMA_HINT),
    "CH204.enum": ("{where} is {value!r}, not one of the allowed values", "use one of: {allowed}"),
    "CH205": ("kind is {kind!r}", "use one of: {known}"),
    "CH205.kind_missing": ("kind is missing", "use one of: {known}"),
    "CH205.api": ("apiVersion is {api!r}, expected {expected!r}", "start the document with `apiVersion: {expected}`"),
    "CH205.api_missing": ("apiVersion is missing, expected {expected!r}",
                          "start the document with `apiVersion: {expected}`"),
    "CH205.registry": ("{registry_file} must be of kind Registry",
                       "set `kind: Registry` (entries live in their own folders, see docs/format.md)"),
    "CH206": ("{list} has two items with {key} {value!r} (items {first} and {second})",
              "each item of {list} needs its own {key}: merge or rename them"),
    "CH207": ("{period} ends ({end}) before it starts ({start})", "swap or correct the dates"),
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
    "CH305": ("name {name!r} does not follow this registry's naming rule for {kind}",
              "{registry_file} spec.naming.{prefix}Pattern requires a match of {pattern!r}"),
    "CH306": ("{field} is required for models of risk tier {tier!r}",
              "fill it in ({registry_file} spec.riskTiers.{tier}.requiredFields)"),
    "CH307": ("unsafe path: segment {segment!r} has the character {character!r}, which shells and URLs treat "
              "specially", RENAME_SAFELY),
    "CH307.ascii": ("unsafe path: segment {segment!r} has the non-ASCII character {character!r} "
                    "(U+{codepoint:04X} {name}), which can pass for another", RENAME_SAFELY),
    "CH307.encoding": ("unsafe path: the name is not valid UTF-8 (its undecodable bytes are shown as \\xNN)",
                       RENAME_SAFELY),
    "CH307.option": ("unsafe path: segment {segment!r} starts with '-', which programs read as an option",
                     RENAME_SAFELY),
    "CH308": ("differs from {others} only in letter case or Unicode form",
              "keep one of them: on macOS and Windows checkouts they are the same file"),
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
    "CH509": ("spec.mlflow.aliases maps {environment!r}, which is not a declared environment",
              "declared environments: {declared}"),
    "CH510": ("spec.mlflow.trackingUri carries credentials; this file is committed",
              "write the URI without them and give the token in MLFLOW_TRACKING_TOKEN (or the user and password in "
              "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD); if the secret was ever committed, revoke it"),
    "CH511": ("alias {alias!r} is mapped from environment {environment!r} and also listed in "
              "spec.mlflow.unmanagedAliases", "an alias is either Charter's to set or left alone: remove one of them"),
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
    "CH801": ("invariant {name}: the model returned {result:g}, outside the expected {range}",
              "the model breaks a fixed-input check: fix the model before promoting it"),
    "CH802.inside": ("invariant {name} says passed: false, but {result:g} is inside {range}",
                     "set passed: true (passed means result lies in expected)"),
    "CH802.outside": ("invariant {name} says passed: true, but {result:g} is outside {range}",
                      "set passed: false (passed means result lies in expected)"),
    "CH803": ("invariant {name}, declared by {contract}, has no result in this evaluation",
              "run the check and record its result under spec.invariants"),
    "CH804": ("invariant {name}: {key} differs from the one {contract} declares",
              "record the check with the contract's {key}: an evaluation may not change a check"),
    "CH805": ("threshold {threshold:g}: {name} is {stated:g}, but the counts give {computed:.4g}",
              "correct the rate or the counts (charter evaluate record computes both from the counts)"),
    "CH806": ("threshold {threshold:g} counts {total} units with {positives} events, threshold {first:g} "
              "{first_total} with {first_positives}",
              "every row's tp + fp + tn + fn (and tp + fn) must be the same cohort"),
    "CH807": ("threshold {threshold:g}: {stated:g} alerts per day, but tp + fp = {alerts} over {days:g} days is "
              "{computed:.4g}", "correct alertsPerDay, the counts or periodDays"),
    "CH808": ("threshold {high:g} has more alerts ({high_alerts}) than the lower {low:g} ({low_alerts})",
              "an alert is a score at or above the threshold: counts fall as the threshold rises"),
    "CH808.tp": ("threshold {high:g} has more true positives ({high_tp}) than the lower {low:g} ({low_tp})",
                 "an alert is a score at or above the threshold: counts fall as the threshold rises"),
    "CH809": ("the operating threshold {operating:g} is not a row of the threshold table",
              "add its row: alert volume and PPV at the threshold in use are what promotion policy reads"),
    "CH601": ("{ref} is released at {base}: its spec must not change ({field} differs)",
              "make the change in a new version (copy the file with a bumped version); "
              "only metadata status, description, owner, tags and annotations may change"),
    "CH602": ("{ref} is released at {base} and was deleted",
              "restore it (git checkout {base} -- {path}); to withdraw it, set metadata.status: retired"),
    "CH603": ("{ref} has a breaking change against {previous} without a major version bump: {change}", MAJOR_BUMP),
    "CH603.more": ("{ref} has a breaking change against {previous} without a major version bump: {change} "
                   "(and {more} more)", MAJOR_BUMP),
    "CH701": ("{path} is not tracked by DVC ({path}.dvc is missing)",
              "register artifacts with `charter register`, or `dvc add` the file and commit its .dvc file"),
    "CH702": ("{path}.dvc records hash {pointer}, but this version records {digest}",
              "a released version's artifact cannot change: register the new artifact as a new version"),
    "CH703": ("the artifact {path} ({digest}) is neither in the DVC cache nor in the remote",
              "push it from the machine that registered it: dvc push {path}.dvc"),
    "CH811.at": ("at {at} is in the future (now {now})", "record events after they happen; check the time zone"),
    "CH811.end": ("period.end {end} is in the future (now {now})", "report a period once it is over"),
    "CH812": ("the file says {key} {value!r}, the command line {wanted!r}",
              "remove `{key}` from the file or make the two agree"),
    "CH813": ("the report (at {at}) was made before its period ends ({end})",
              "set `at` to when the report was made, after the period"),
    "CH820": ("{field} is {stored}, but the predictions give {computed}",
              "a recorded figure is never edited by hand: record the evaluation again (charter evaluate record "
              "--predictions), or restore the field"),
    "CH820.missing": ("{field} is missing; the predictions give {computed}",
                      "record the evaluation again rather than removing figures from it"),
    "CH820.extra": ("{field} ({stored}) is not a figure the predictions give",
                    "remove it: every figure of an evaluation computed from predictions is computed, not typed"),
    "CH821": ("cannot fetch the predictions file {path}: {error}",
              "push it from the machine that recorded the evaluation: dvc push {path}.dvc"),
    "CH822": ("the predictions file {path} does not have the recorded md5 {md5}",
              "the rows were changed after the evaluation was recorded: restore them, or record a new evaluation"),
    "CH823": ("this evaluation was recorded from counts, so there is nothing to recompute",
              "record it from predictions (charter evaluate record --predictions) to make it verifiable"),
    "CH824": ("the predictions file {path} no longer reads as recorded: {error}",
              "restore the file the evaluation pins, or record a new evaluation"),
    "CH814": ("environment {environment!r} is not declared in registry.yaml", "declared environments: {declared}"),
    "CH815": ("metric {name} is {value:g}, outside [0, 1]: it is a proportion or an area under a curve",
              f"correct it; {AS_FRACTION}"),
    "CH815.bound": ("metric {name}: {bound} is {value:g}, outside [0, 1], where {name} lies",
                    f"correct the interval; {AS_FRACTION}"),
    "CH815.subgroup": ("subgroup {subgroup}: metric {name} is {value:g}, outside [0, 1]: it is a proportion or an "
                       "area under a curve", f"correct it; {AS_FRACTION}"),
    "CH816": ("metric {name} is {value:g}, outside its own interval [{low:g}, {high:g}]",
              "correct the value or the interval: the point estimate lies inside its confidence interval"),
    "CH816.order": ("metric {name}: ciLower {low:g} is above ciUpper {high:g}", "swap or correct the bounds"),
    "CH816.row": ("threshold {threshold:g}: {name} is {value:g}, outside its interval [{low:g}, {high:g}]",
                  "correct the rate or its interval (charter evaluate record computes both from the counts)"),
    "CH816.row_order": ("threshold {threshold:g}: the interval of {name} has lower {low:g} above upper {high:g}",
                        "swap or correct the bounds"),
    "CH817": ("subgroups by {attribute} count {total:,} units, more than the {units:,} of the threshold table",
              f"correct the subgroups' n: {ONE_ATTRIBUTE}"),
    "CH817.cohort": ("subgroups by {attribute} count {total:,} units, more than the {units:,} of {cohort} (its "
                     "spec.size)", f"correct the subgroups' n: {ONE_ATTRIBUTE}"),
    "CH817.events": ("subgroups by {attribute} have {events:,.0f} events (n times prevalence), more than the "
                     "{total_events:,} of the threshold table (tp + fn)",
                     f"correct the subgroups' n or prevalence: {ONE_ATTRIBUTE}"),
    "CH818": ("calibration bins count {total:,} units, more than the {units:,} of the threshold table",
              "correct the bins' n: each unit falls in one bin"),
    "CH818.cohort": ("calibration bins count {total:,} units, more than the {units:,} of {cohort} (its spec.size)",
                     "correct the bins' n: each unit falls in one bin"),
    "CH819": ("{name} is given as {given:g}, but the counts at threshold {threshold:g} give {computed:.4g}; "
              "the computed value is the one recorded", GIVEN_RATE),
    "CH819.prevalence": ("prevalence is given as {given:g}, but the counts give {computed:.4g} (tp + fn of "
                         "tp + fp + tn + fn); the computed value is the one recorded", GIVEN_RATE),
    "CH819.subgroup": ("subgroup {subgroup}: {name} is given as {given:g}, but its counts give {computed:.4g}; the "
                       "computed value is the one recorded", GIVEN_RATE),
    "CH819.undefined": ("{name} is given as {given:g}, but the counts at threshold {threshold:g} leave it "
                        "undefined (its denominator is 0); it is left out", GIVEN_RATE),
    "CH819.subgroup_undefined": ("subgroup {subgroup}: {name} is given as {given:g}, but its counts leave it "
                                 "undefined (its denominator is 0); it is left out", GIVEN_RATE),
    "CH830": ("the threshold table counts {units:,} units, but {cohort} has {size:,} (spec.size): more than "
              "{tolerance:.0%} apart", "evaluate on the cohort as recorded, or name the cohort the units are from"),
    "CH831": ("the evaluation's prevalence is {prevalence:.4g}, {cohort}'s {cohort_prevalence:g} "
              "(spec.eventPrevalence): more than {tolerance:.2g} apart",
              "evaluate on the cohort as recorded, with the event definition it was counted by"),
    "CH832": ("periodDays is {days:g}, but {cohort}'s period {start} to {end} has {cohort_days} days: more than "
              "{tolerance:g} day apart", "alerts per day divide by periodDays: give the length of the period scored"),
    "CH833": ("metric {name} is {stated:g}, but the counts at the operating threshold {threshold:g} give "
              "{computed:.4g}", "correct the metric or the counts: the policy's floors read this value"),
    "CH833.prevalence": ("metric prevalence is {stated:g}, but the threshold table's counts give {computed:.4g} "
                         "(tp + fn of tp + fp + tn + fn)", "correct the metric or the counts"),
    "CH840": ("{part} is {value}, more than {whole} ({limit})",
              "{part} counts part of what {whole} counts: correct the counts"),
    "CH841": ("{false_alerts} labelled alerts without the event (alertsLabelled - truePositives), but only "
              "{negatives} labelled units without it (labelled - events)",
              "a labelled alert without the event is a labelled unit without it: correct the counts"),
    "CH842": ("alertsPerDay is {stated:g}, but {alerts} alerts over {days:g} days is {computed:.4g}",
              "correct alertsPerDay, alerts or the period (or leave alertsPerDay out: status computes it)"),
    "CH843": ("subgroup {attribute}={value} is reported twice (first at line {first_line})",
              "report each subgroup once"),
    "CH844.alerts": ("{field} without a period: alerts per day cannot be computed",
                     "give the period the alerts were counted over (spec.period)"),
    "CH844.truePositives": ("{field} without alertsLabelled or events: neither PPV nor sensitivity can be computed",
                            "give alertsLabelled (for PPV) and events (for sensitivity) beside it"),
    "CH845": ("{field}: labelled equals alertsLabelled, so only alerts were labelled and every labelled event is an "
              "alert; sensitivity is not held against expectation",
              "count events among every unit whose outcome is known, alerted or not (or leave events out)"),
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
    text = "".join(c if c in "\n\t" or (c.isprintable() and c != "\x7f") or c == " " else _escaped(c)
                   for c in text) if not text.isprintable() else text
    if len(text) > MAX_TEXT:
        half = MAX_TEXT // 2 - 10
        text = f"{text[:half]} ...({len(text) - 2 * half:,} characters)... {text[-half:]}"
    return text


def _escaped(c: str) -> str:
    """A character as an escape; a byte of a file name that is not UTF-8 (os gives it as a lone surrogate) as the
    byte it is, `\\xe9`."""
    return f"\\x{ord(c) - 0xDC00:02x}" if "\udc80" <= c <= "\udcff" else repr(c)[1:-1]


def finding(key: str, path: str, place: tuple[int, int], /, **fields: object) -> Finding:
    """Build a finding whose severity and words come from the catalogues, so each is written once.

    `key` is a code, or `CODE.variant` where one code is reported in several wordings; `fields` fill the templates
    in MESSAGES.
    """
    code = key.split(".", 1)[0]
    template, hint_template = MESSAGES[key]
    return Finding(code, CODES[code].severity, _safe_text(path), place[0], place[1],
                   _safe_text(template.format(**fields)), _safe_text(hint_template.format(**fields)))


#: How a finding on an entry a command built, and did not write, is said at the input file it was built from.
BUILT_FROM = "{field} of the entry built from this file: {message}"
BUILT_FROM_ENTRY = "the entry built from this file: {message}"


def said_at(found: Finding, path: str, place: tuple[int, int] | None, field: str = "") -> Finding:
    """`found` reported at `place` of the input file `path` its value came from; with no place (the value came from
    elsewhere: the command line, the model, the cohort), at the file's start, naming the entry's `field`."""
    message = found.message if place is not None else \
        BUILT_FROM.format(field=field, message=found.message) if field else \
        BUILT_FROM_ENTRY.format(message=found.message)
    line, column = place or (1, 1)
    return Finding(found.code, found.severity, _safe_text(path), line, column, _safe_text(message), found.hint)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)
