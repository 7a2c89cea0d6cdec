"""Every fatal error Charter can print, each written once as a message template (the habit of iterative/gto).

A fatal error is a usage or environment problem that stops a command (exit code 2). A raise site names the kind of
failure and the values it is about, `raise NotARegistry(start=path)`, and the words live here, grouped by domain,
so a reader finds them in one file and a wording changes in one place. Problems *in* the registry are not errors
but findings; their messages live beside their codes in `charter.registry.findings`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CharterError(Exception):
    """A problem that stops the command: bad usage, a missing registry, an unknown revision.

    `message` says what is wrong in one line; `hint` says what to do about it. A subclass writes them once as
    `template` and `hint_template`, formatted (`str.format`) from the keyword arguments of its raise sites, kept as
    `fields` for callers that want the values rather than the words. `CharterError(message, hint)` still takes the
    words themselves, for the modules not moved to templates yet.
    """

    template: ClassVar[str] = ""
    hint_template: ClassVar[str] = ""

    def __init__(self, message: str | None = None, hint: str | None = None, /, **fields: object) -> None:
        message = self.template.format(**fields) if message is None else message
        hint = self.hint_template.format(**fields) if hint is None else hint
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.fields = fields

    def __str__(self) -> str:
        return self.message


#: Hints that several errors share.
REINSTALL = "reinstall charter"
DAMAGED = "reinstall charter: its package data is damaged"
SEMVER_HINT = "write MAJOR.MINOR.PATCH, e.g. {example}"
FINDINGS_HINT = "fix what the findings say and run the command again"


# --- Finding the registry, reading references, Charter's own schemas ------------------------------------------------


class NoSuchDirectory(CharterError):
    template = "{start}: no such directory"
    hint_template = "pass an existing folder with -C"


class NotARegistry(CharterError):
    template = "{start} is not inside a Charter registry (no registry.yaml found above it)"
    hint_template = "run `charter init PATH` to create one, or pass the registry with -C PATH"


class NotAReference(CharterError):
    template = "{text!r} is not a reference"
    hint_template = "write references as kind:name@version, e.g. event:sepsis-onset@2.0.0"


class UnknownReferenceKind(CharterError):
    template = "{text!r}: unknown reference kind {prefix!r}"
    hint_template = "use one of: {known}"


class MalformedReference(CharterError):
    template = "{text!r}: name or version is malformed"
    hint_template = "names are lower-case [a-z0-9-]; versions are semver such as 1.2.0"


class SchemaUnreadable(CharterError):
    template = "{path}: cannot load Charter's schema ({error})"
    hint_template = DAMAGED


class SchemaShadowsShared(CharterError):
    template = "schema {schema}: local definition {name!r} shadows a shared one"


class SchemaUnknownShared(CharterError):
    template = "schema {schema} refers to unknown shared definition {name!r}"


class SchemaHasNoExample(CharterError):
    template = "schema {schema} has no example to scaffold from"
    hint_template = DAMAGED


class UnknownKind(CharterError):
    template = "unknown kind {kind!r}"
    hint_template = "use one of: {known}"


class UnknownStatus(CharterError):
    template = "unknown status {status!r}"
    hint_template = "use one of: {known}"


class EntryNotFound(CharterError):
    """An entry named on the command line is not in the registry (`versions`: the name's existing versions)."""

    template = "{ref} does not exist in {root}"
    hint_template = "list entries with `charter list`"


class VersionNotFound(EntryNotFound):
    hint_template = "existing versions: {versions}"


class UnknownEntry(CharterError):
    """The entry a lineage starts from is not in the registry."""

    template = "{ref} does not exist in this registry"
    hint_template = "list entries with `charter list`"


class UnknownEntryDidYouMean(UnknownEntry):
    hint_template = "did you mean {close}?"


class OutsideRegistry(CharterError):
    template = "{path}: outside the registry at {root}"
    hint_template = "pass files inside the registry, or point -C at the right registry"


class NoSuchPath(CharterError):
    template = "{path}: no such file or directory"


class RepositoryBusy(CharterError):
    template = "{holder} is changing this repository; {command} did not start"
    hint_template = "wait for it to finish, then run the command again"


class FindingsError(CharterError):
    """What a command was about to write has error findings, which the command prints before the message.

    `findings` are `charter.registry.findings.Finding`s (typed loosely: this module imports nothing of Charter).
    """

    hint_template = FINDINGS_HINT

    def __init__(self, findings: list[Any], /, **fields: object) -> None:
        super().__init__(**fields)
        self.findings = findings


class InvalidEntry(FindingsError):
    """The entry a command was about to write has error findings; nothing was written."""


# --- Authoring: charter init, new, register, evaluate, monitor -------------------------------------------------------


class TargetNotEmpty(CharterError):
    template = "{target} already exists and is not an empty folder"
    hint_template = "choose a new path, or empty the folder first"


class TemplateMissing(CharterError):
    template = "the registry template is missing at {path}"
    hint_template = REINSTALL


class TemplateHasNoRemote(CharterError):
    template = "the template's {registry_file} has no spec.artifacts.remote"
    hint_template = REINSTALL


class TemplateArtifactChanged(CharterError):
    template = "template artifact {path} has hash {actual}, but its model version records {expected}"
    hint_template = REINSTALL


class NotScaffolded(CharterError):
    """A kind `charter new` refuses: its entries come from another command or system (`kind`: the kind's name)."""

    templates: ClassVar[dict[str, tuple[str, str]]] = {
        "ModelVersion": ("model versions are registered from a training run, not scaffolded",
                         "run `charter register MODEL --artifact PATH`; `charter new model NAME` scaffolds a model "
                         "family"),
        "Environment": ("environments are not created with `charter new`: they change by promotion",
                        "declare the environment in registry.yaml spec.environments; its assignments change through "
                        "promotion pull requests"),
        "DeploymentRecord": ("deployment records are written by deploy and monitoring systems, not by hand",
                             "let the deploy pipeline or the monitoring job write records/NAME.yaml"),
    }

    def __init__(self, *, kind: str) -> None:
        super().__init__(*self.templates[kind], kind=kind)


class InvalidName(CharterError):
    template = "{name!r} is not a valid entry name"
    hint_template = ("names are 1-63 characters of lower-case letters, digits and '-', starting and ending with a "
                     "letter or digit (e.g. icu-adults)")


class NotSemanticVersion(CharterError):
    template = "{version!r} is not a semantic version"
    hint_template = SEMVER_HINT.format(example="1.2.0")


class OptionNeedsVersionedKind(CharterError):
    template = "{option} does not apply: a {kind} has no version"
    hint_template = "leave {option} out"


class UnknownBump(CharterError):
    template = "unknown --bump {bump!r}"
    hint_template = "use one of: {known}"


class BumpNeedsFrom(CharterError):
    template = "--bump needs --from: it raises the version of the entry you copy"
    hint_template = "a new entry starts at 0.1.0, or at --version"


class BumpOrVersion(CharterError):
    template = "give --bump or --version, not both"


class BumpOfOtherName(CharterError):
    template = "--bump makes a new version of {source}, not a new entry {name!r}"
    hint_template = "leave --bump out (a new entry starts at 0.1.0) or give --version"


class NameTaken(CharterError):
    template = "{prefix}:{name} already exists (versions: {versions})"
    hint_template = ("to make its next version, copy the latest: --from {prefix}:{name}@{latest}; "
                     "or pass --version explicitly")


class SourceOfOtherKind(CharterError):
    template = "--from {ref} is of kind {shown}, not {kind}"
    hint_template = "write --from {prefix}:NAME@VERSION"


class UnversionedSourceOfOtherKind(SourceOfOtherKind):
    hint_template = "write --from {prefix}:NAME (a {kind} has no version)"


class SourceUnreadable(CharterError):
    template = "{path}: cannot read the entry to copy ({error})"


class EntryExists(CharterError):
    template = "{ref} already exists ({path})"
    hint_template = "pick another name, or edit the existing file"


class VersionExists(CharterError):
    template = "{ref} already exists ({path}); existing versions are never overwritten"
    hint_template = "existing versions: {versions}; copy the latest with --from {prefix}:{name}@{latest}"


class VersionExistsNextMinor(VersionExists):
    hint_template = VersionExists.hint_template + ", or pass --version {next}"


class SourceNotAMapping(CharterError):
    template = "{source}: cannot copy an entry that does not parse as a mapping with metadata"
    hint_template = "run `charter validate` and fix the source entry first"


class CannotAddMetadata(CharterError):
    template = "{source}: cannot add metadata.{key} to the copy"
    hint_template = "write the source's metadata in block style, one key per line"


class CannotSetMetadata(CharterError):
    template = "{source}: cannot set metadata.{key} in the copy ({error})"
    hint_template = CannotAddMetadata.hint_template


class CopyDisagreesWithPath(CharterError):
    template = "{path}: the new entry would not say what its path says; nothing was written"
    hint_template = "copy from an entry whose metadata is written one key per line in block style"


class EditorCommandInvalid(CharterError):
    template = "${variable} cannot be split into a command ({error})"
    hint_template = "fix ${variable}, or pass --no-edit"


class EditorDidNotStart(CharterError):
    template = "cannot start the editor {editor!r}: {error}"
    hint_template = "the draft is kept at {path}; fix $VISUAL/$EDITOR or edit the file yourself"


class EditorFailed(CharterError):
    template = "the editor {editor!r} exited with code {code}"
    hint_template = "the draft is kept at {path}; run `charter validate {path}` when it is ready"


class DraftRemoved(CharterError):
    template = "{path} was removed in the editor; nothing was created"


class NotSemver(CharterError):
    template = "version {version!r} is not semver"
    hint_template = SEMVER_HINT


class ModelVersionExists(CharterError):
    template = "model:{model}@{version} already exists"
    hint_template = "a released version is never overwritten: choose a new version"


class InputUnreadable(CharterError):
    template = "cannot read {what} file {path}: {error}"


class InputNotJson(CharterError):
    template = "{path}:{line}:{column}: not valid JSON: {problem}"
    hint_template = "the {what} file must be JSON or YAML"


class InputNotYaml(CharterError):
    template = "{path}:{line}:{column}: {problem}"
    hint_template = "the {what} file must be JSON or YAML"


class InputNotAMapping(CharterError):
    template = "{path}: the {what} file must hold a mapping of names to values"


class UnsupportedValue(CharterError):
    template = "{path}: {what} {name!r} has an unsupported value {value!r}"
    hint_template = "metrics are finite numbers; params are scalars or lists of scalars"


class CodeRepositoryMissing(CharterError):
    template = "code repository {path} does not exist"
    hint_template = "pass the training code's git repository with --code-repo, or leave it out"


class CodeRepositoryNotGit(CodeRepositoryMissing):
    template = "code repository {path} is not in a git repository with a commit"


class NotADateTime(CharterError):
    template = "{what} {value!r} is not an ISO 8601 date-time"
    hint_template = "write e.g. 2026-11-23T09:30:00Z"


class NoTimeZone(CharterError):
    template = "{what} {value!r} has no time zone"
    hint_template = "add Z or an offset, e.g. 2026-11-23T09:30:00Z"


class ParentNotFound(CharterError):
    template = "parent {parent} does not exist"
    hint_template = "list versions with `charter list model` ({model})"


class InvalidModelName(CharterError):
    template = "{name!r} is not a valid model name"
    hint_template = "names are 1-63 characters of a-z, 0-9 and '-', starting and ending with a letter or digit"


class ArtifactNotFound(CharterError):
    template = "artifact {path} does not exist"
    hint_template = "pass the file or folder training wrote"


class ArtifactFolderEmpty(CharterError):
    template = "artifact folder {path} holds no files"
    hint_template = "pass the folder training wrote into"


class NoSuchModel(CharterError):
    template = "there is no model {model!r} in this registry"
    hint_template = "create it first: charter new model {model}"


class LeftoversInWorkTree(CharterError):
    template = "{path} or {artifact_dir} already exists in the work tree"
    hint_template = "remove the leftovers of an earlier attempt, or register another version"


class NotRegistered(InvalidEntry):
    template = "model:{model}@{version} would not be valid; nothing was registered"


class WrongReferenceKind(CharterError):
    template = "{option} {text!r} is a {prefix} reference"
    hint_template = "give a {expected}:NAME@VERSION reference"


class UnpinnedReference(CharterError):
    template = "{option} {text!r} has no version"
    hint_template = "pin it: {prefix}:{name}@VERSION"


class PinnedEntryNotFound(CharterError):
    template = "{option} {ref} does not exist in this registry"
    hint_template = "list what exists with `charter list {kind}`"


class PinnedVersionNotFound(PinnedEntryNotFound):
    hint_template = "versions of {name}: {versions}"


class InvalidEvaluationName(CharterError):
    template = "evaluation name {name!r} is not a valid name"
    hint_template = "pass --name: 1-63 characters of a-z, 0-9 and '-'"


class EvaluationExists(CharterError):
    template = "evaluation:{name}@{version} already exists"
    hint_template = "a recorded evaluation is never overwritten: choose a new version"


class DaysNotPositive(CharterError):
    template = "--days {days:g} is not positive"
    hint_template = "give the length of the scored period"


class NoPeriodLength(CharterError):
    template = "no period length for alerts per day: {source} gives no days or period, and {cohort} no spec.period"
    hint_template = "pass --days N (the length of the scored period)"


class UnknownMethod(CharterError):
    template = "method {method!r} is unknown"
    hint_template = "use one of {known}"


class NoLabelEvent(CharterError):
    template = "{model} names no label event"
    hint_template = "pass --event event:NAME@VERSION"


class EvaluationLeftovers(CharterError):
    template = "{path} already exists in the work tree"
    hint_template = "remove the leftovers of an earlier attempt, or pass another --version"


class NotRecorded(InvalidEntry):
    template = "{ref} would not be valid; nothing was recorded"


class RecordFileNotFound(CharterError):
    template = "{path}: no such file"
    hint_template = "pass the file the deploy or monitoring system wrote"


class RecordFileUnreadable(CharterError):
    template = "{path}: cannot read ({error})"


class RecordFileNotJson(CharterError):
    template = "{path}:{line}:{column}: not valid JSON: {problem}"
    hint_template = "the record file must be one JSON object or YAML mapping"


class RecordFileNotYaml(CharterError):
    template = "{path}:{line}:{column}: {problem}"
    hint_template = RecordFileNotJson.hint_template


class RecordFileNotAMapping(CharterError):
    template = "{path}:1:1: the record file must hold a mapping (type, at, reporter, ...)"
    hint_template = "see `charter schema DeploymentRecord` for the fields"


class RecordNamesNoVersion(CharterError):
    template = "{model} names no version"
    hint_template = "records are about one version: model:NAME@VERSION"


class RecordModelNotFound(CharterError):
    template = "{model} does not exist in this registry"
    hint_template = "list models with `charter list model`"


class RecordVersionNotFound(RecordModelNotFound):
    hint_template = "existing versions: {versions}"


class NotAnEnvironment(CharterError):
    template = "{environment!r} is not an environment of this registry"
    hint_template = "environments: {known}"


class NotAnEnvironmentNoneDeclared(NotAnEnvironment):
    hint_template = "environments: none declared in registry.yaml"


class NotAnEnvironmentNone(NotAnEnvironment):
    hint_template = "environments: none"


class UnknownRecordType(CharterError):
    template = "--type {record_type!r} is not a record type"
    hint_template = "use one of: {known}"


class InvalidRecord(FindingsError):
    """The record file has error findings; nothing was written."""

    template = "not a valid record; nothing was recorded"


class RecordExists(CharterError):
    template = "{path} already exists"
    hint_template = "run the command again: the name gets a new suffix"


# --- Promotion, resolution, deployment status, audit, diff ----------------------------------------------------------


class UnknownRolloutMode(CharterError):
    template = "unknown rollout mode {mode!r}"
    hint_template = "use one of: {known}"


class CanaryNeedsPercent(CharterError):
    template = "a canary needs a percentage strictly between 0 and 100"
    hint_template = "e.g. --canary 10"


class PercentWithoutCanary(CharterError):
    template = "a percentage goes only with a canary"


class CanaryOrShadow(CharterError):
    template = "choose one of --canary and --shadow"


class NotAModelVersion(CharterError):
    template = "{ref!r} is not a model version"
    hint_template = "write model:NAME@VERSION"


class InvalidEnvironmentName(CharterError):
    template = "{environment!r} is not an environment name"
    hint_template = "environment names are a-z, 0-9 and '-', as declared in registry.yaml"


class UncommittedChanges(CharterError):
    template = "the registry has uncommitted changes"
    hint_template = "commit or stash them, then promote again"


class DetachedHead(CharterError):
    template = "HEAD is detached"
    hint_template = "check out the branch promotions should go into (e.g. main)"


class PromotionUnderWay(CharterError):
    template = "branch {branch} already exists"
    hint_template = "a promotion of this version is already under way: finish or delete that branch"


class PromotionPushedMeanwhile(PromotionUnderWay):
    template = "branch {branch} was pushed to origin by another run meanwhile"


class BaseKeptMoving(CharterError):
    template = "origin/{branch} kept moving while the promotion was built ({attempts} attempts)"
    hint_template = "run the promotion again"


class BaseDiverged(CharterError):
    template = "{branch} and origin/{branch} have diverged"
    hint_template = "pull (or push) {branch} first, so the promotion is checked on what reviewers see"


class NoEnvironmentFile(CharterError):
    template = "there is no environment {environment!r} ({path})"
    hint_template = "environments: {known}"


class AlreadyAssigned(CharterError):
    template = "{ref} is already assigned to {environment}"


class PolicyRefused(CharterError):
    """The policy does not allow this promotion; `verdict` (a `charter.promotion.policy.Verdict`) says which
    requirements failed."""

    template = "{title} is refused by the policy for {environment}"
    hint_template = "{failed}"

    def __init__(self, verdict: Any, /, **fields: object) -> None:
        super().__init__(**fields)
        self.verdict = verdict


class EditInvalid(InvalidEntry):
    template = "the edited {path} would not be valid"


class EnvironmentInvalid(InvalidEntry):
    template = "{path} cannot be edited: it is not a valid environment file"


class EnvironmentNotEditable(CharterError):
    template = "{path}:{line}:{column}: promote cannot edit this file here: {problem}"
    hint_template = ("write spec.assignments as a block list, one `- model: ...` item with one key per line, and "
                     "promote again")


class NoEarlierAssignment(CharterError):
    template = "{model} has no earlier assignment in {environment} in this registry's history"
    hint_template = "promote a specific version instead: charter promote model:NAME@VERSION --to ENV"


class NotAModelName(CharterError):
    template = "{text!r} does not name a model"
    hint_template = "write the model's name, or model:NAME@VERSION, model:NAME@latest, model:NAME@ENV"


class VersionAndEnvironment(CharterError):
    template = "{model!r} already names a version or environment; drop --env or the @ part"


class NoModel(CharterError):
    template = "there is no model {model!r}"
    hint_template = "list models with `charter list model`"


class NoSelector(CharterError):
    template = "say which environment (--env ENV) or version (model:NAME@VERSION, @latest)"


class NoSuchModelVersion(CharterError):
    template = "model:{model}@{version} does not exist"
    hint_template = "versions of {model}: {known}"


class NoReleasedVersion(CharterError):
    template = "model {model!r} has no released version (all are draft or retired)"


class NeitherVersionNorEnvironment(CharterError):
    template = "{environment!r} is neither a version nor an environment of this registry"
    hint_template = "environments: {known}; or use a semver version, or latest"


class EnvironmentFileMissing(CharterError):
    template = "environment {environment!r} has no file environments/{environment}.yaml"


class ArtifactNotTracked(CharterError):
    template = "{path} is not tracked by DVC in this registry"
    hint_template = "its {path}.dvc file is missing: was the version registered with `charter register`?"


class ArtifactNotStored(CharterError):
    template = "the content of {path} is neither in the DVC cache nor on the DVC remote"
    hint_template = ("its {path}.dvc file is there, the file is not: push it from the machine that registered it "
                     "(`dvc push {path}.dvc`)")


class AssignedEntryMissing(CharterError):
    template = "{path} assigns {ref}, which does not exist"
    hint_template = "run `charter validate`"


class NotAssigned(CharterError):
    template = "model {model!r} has no assignment in {environment}"
    hint_template = "promote a version there first (see {path})"


class UnknownMetric(CharterError):
    template = "{model} has no figures of metric {metric!r}"
    hint_template = "metrics of {model}: {known}"


class UnknownMetricDidYouMean(UnknownMetric):
    hint_template = "did you mean {close}?"


class RecordsWithoutImpact(CharterError):
    template = "--records goes only with --impact: records depend on a version, they are not upstream of it"
    hint_template = "add --impact to list what depends on the entry, records included"


class UnknownEnvironment(CharterError):
    template = "unknown environment {environment!r}"
    hint_template = "environments in registry.yaml: {known}"


class DiffOfTwoKinds(CharterError):
    template = "{old} is a {old_kind} and {new} is a {new_kind}: only entries of one kind compare"
    hint_template = "give two entries of one kind, e.g. contract:x@1.0.0 contract:x@2.0.0"


class DiffOfMixedArguments(CharterError):
    template = "cannot compare {old!r} with {new!r}"
    hint_template = ("give two references (contract:x@1.0.0 contract:x@2.0.0) or two git revisions "
                     "(HEAD~1 HEAD)")


# --- The report site ---------------------------------------------------------------------------------------------


class OutputIsAFile(CharterError):
    template = "{path} is a file, not a folder"
    hint_template = "give -o a folder to write the site into"


class OutputHoldsRegistry(CharterError):
    template = "{path} holds the registry itself; the report would replace it"
    hint_template = "write the report to a folder of its own, e.g. -o site"


class OutputNotAReport(CharterError):
    template = "{path} is not empty and is not a charter report"
    hint_template = "choose an empty or new folder, or pass --force to replace it"


# --- Evaluation results files ----------------------------------------------------------------------------------------


class ResultsError(CharterError):
    """The results file cannot be turned into an evaluation; the message starts with `file:line[:column]`."""


class ResultsFileNotFound(CharterError):
    template = "results file {path} does not exist"
    hint_template = "pass the file the evaluation wrote"


class ResultsFileUnreadable(CharterError):
    template = "cannot read results file {path}: {error}"
    hint_template = "the results file must be UTF-8 text"


class ResultsFileFormat(CharterError):
    template = "results file {path}: unknown format {suffix!r}"
    hint_template = "write the results as .json, .yaml or .csv (see docs/evaluate.md)"


class ResultsNotJson(ResultsError):
    template = "{path}:{line}:{column}: not valid JSON: {problem}"
    hint_template = "fix the JSON syntax at this place"


class ResultsNotYaml(ResultsError):
    template = "{path}:{line}:{column}: {problem}"
    hint_template = "fix the YAML at this place"


class ResultsNotText(ResultsError):
    template = "{path}:{line}:{column}: {problem}"
    hint_template = "the results file must be UTF-8 text"


class ResultsNotCsv(ResultsError):
    template = "{path}:{line}: not valid CSV: {problem}"
    hint_template = "one header row, then one row of counts per threshold (see docs/evaluate.md)"
