"""Every fatal error Charter can print, each written once as a message template (the habit of iterative/gto).

A fatal error is a usage or environment problem that stops a command (exit code 2). A raise site names the kind of
failure and the values it is about, `raise NotARegistry(start=path)`, and the words live here, grouped by domain,
so a reader finds them in one file and a wording changes in one place. Three families keep their words beside
their class instead, because callers catch them by type as part of a module's API: git's `GitFailed` and
`PushRejected` (charter.adapters.git) and the forge's `ForgeUnavailable`; and a query's problems are a table beside
`QueryError` (charter.search.syntax). Problems *in* the registry are not errors but findings; their messages live
beside their codes in `charter.registry.findings`. tests/test_messages.py keeps words out of the raise sites.
"""

from __future__ import annotations

import errno
from typing import Any, ClassVar


class CharterError(Exception):
    """A problem that stops the command: bad usage, a missing registry, an unknown revision.

    `message` says what is wrong in one line; `hint` says what to do about it. A subclass writes them once as
    `template` and `hint_template`, formatted (`str.format`) from the keyword arguments of its raise sites, kept as
    `fields` for callers that want the values rather than the words. The positional `message` and `hint` are for
    subclasses that word themselves from a table (`ResultsError`, `QueryError`), never for a raise site.
    """

    template: ClassVar[str] = ""
    hint_template: ClassVar[str] = ""
    #: 2: the command could not run (usage, environment). 1: it ran and refused what it was given by a rule.
    exit_code: ClassVar[int] = 2

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


class StagedWithOther(CharterError):
    """`validate --staged` checks what the index holds; files, a base revision or the artifacts are other runs."""

    template = "--staged cannot be combined with {other}: it checks what the next commit would hold"
    hint_template = "drop {other}, or drop --staged"


class NotARegularFile(CharterError):
    """A path Charter would write is a link, FIFO, socket or device: writing would go through it, or never end."""

    template = "{path} is {what}; Charter writes only regular files"
    hint_template = "remove it (or choose another path) and run the command again"


class RepositoryBusy(CharterError):
    template = "{holder} is changing this repository; {command} did not start"
    hint_template = "wait for it to finish, then run the command again"


class CommitFailed(CharterError):
    template = "git commit failed in {top}: {said}"
    hint_template = "fix what git says, then run the command again; nothing was committed"


class IndexLocked(CommitFailed):
    hint_template = "another git process holds the repository's lock (.git/index.lock); try again when it is done"


class DiskFull(CharterError):
    template = "the disk is full: cannot write {path}"
    hint_template = "free some space on the disk that holds it, then run the command again"


class ReadOnlyFileSystem(CharterError):
    template = "the file system is read-only: cannot write {path}"
    hint_template = "run the command in a writable copy of the registry, or remount the file system read-write"


#: What the kernel's errno, and git's words for it, mean for a write: the disk is full, or it cannot be written.
_STORAGE_ERRNOS = {errno.ENOSPC: DiskFull, errno.EROFS: ReadOnlyFileSystem}
_STORAGE_WORDS = {"No space left on device": DiskFull, "Read-only file system": ReadOnlyFileSystem}


def storage_error(path: object, *, error: OSError | None = None, said: str = "") -> CharterError | None:
    """A full disk or a read-only file system, from an OSError or from what a git process said; None otherwise.

    Every writer asks here, so the words are the same whichever write met the disk (the OSError's own file name is
    named where it has one, else `path`).
    """
    if error is not None and error.errno in _STORAGE_ERRNOS:
        return _STORAGE_ERRNOS[error.errno](path=error.filename or path)
    found = next((cls for words, cls in _STORAGE_WORDS.items() if words in said), None)
    return found(path=path) if found is not None else None


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


class ArtifactOrRun(CharterError):
    template = "register needs either --artifact or --mlflow-run, not both and not neither"
    hint_template = "pass --artifact PATH for a file training wrote, or --mlflow-run RUN_ID for a run MLflow recorded"


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


class ModelNotImported(InvalidEntry):
    template = "model:{model} would not be valid; it was not imported"


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


class NoSuchEvaluation(CharterError):
    template = "{ref} is not an evaluation of this registry"
    hint_template = "name one as evaluation:NAME@VERSION (charter list evaluations)"


class ResultsOrPredictions(CharterError):
    template = "give --predictions (one row per scored unit) or --results (pre-aggregated counts), not both"
    hint_template = "--predictions computes every figure and makes the evaluation verifiable; see docs/evaluate.md"


class BaselineScoreWithoutBaseline(CharterError):
    template = "--baseline-score {column} names the scores of a version compared against, but no --baseline says which"
    hint_template = "add --baseline model:NAME@VERSION, the version that gave the scores in {column}"


class NoOperatingThreshold(CharterError):
    template = "{model}'s contract names no threshold, and no --operating-threshold was given"
    hint_template = "pass --operating-threshold, the threshold proposed for use"


class OperatingThresholdNotListed(CharterError):
    template = "the operating threshold {operating:g} is not among the thresholds evaluated ({known})"
    hint_template = "add it with --threshold, or choose one of those"


class PredictionsChanged(CharterError):
    template = "{path} changed while it was being recorded; nothing was recorded"
    hint_template = "record it again once the pipeline has finished writing it"


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


class SinceNotADate(CharterError):
    template = "--since {text!r} is not a date: {error}"
    hint_template = "write the date as YYYY-MM-DD, e.g. 2026-01-31"


class VersionOfUnversionedKind(CharterError):
    template = "{reference} names a version, but {prefix} entries have none"
    hint_template = "write {prefix}:{name}"


class NoHistory(CharterError):
    template = "{reference} has no history in {root}"
    hint_template = "list entries with `charter list`"


class NoModelHistory(NoHistory):
    hint_template = "list models with `charter list model`"


class NotComparable(CharterError):
    template = "{text!r} is neither an evaluation nor a model version"
    hint_template = "give evaluation:NAME@VERSION or model:NAME@VERSION"


class CompareEntryNotFound(CharterError):
    template = "{ref} does not exist in this registry"
    hint_template = "list them with `charter list {prefix}`"


class CompareNeedsTwo(CharterError):
    template = "compare needs two references unless the first is a model version"
    hint_template = "give A and B, e.g. model:sepsis-risk@1.1.0 model:sepsis-risk@1.2.0"


class NoParentToCompare(CharterError):
    template = "{ref} has no parent to compare with"
    hint_template = "give the version to compare with as B"


class EvaluationsNotComparable(CharterError):
    """Not raised: `evaluate compare` prints it and exits 1, as validate does with findings (the command ran; its
    answer is that these two cannot be compared)."""

    template = "{ref_b} is not comparable with {ref_a}: nothing was compared; they differ in"
    hint_template = ("compare evaluations of one cohort version, data snapshot and event definition version, over "
                     "the same units and period (docs/evaluate.md, Comparing)")


class NoCommonCohort(CharterError):
    template = "{model_a} and {model_b} have no evaluations on a common cohort"
    hint_template = "record an evaluation of both on one cohort (charter evaluate record)"


class NoArtifactRecorded(CharterError):
    template = "{ref} records no artifact path and hash"
    hint_template = "see {path}: spec.artifact"


class PullDestinationExists(CharterError):
    template = "{destination} already exists"
    hint_template = "pass --force to replace it, or choose another path"


class PullDestinationUnwritable(CharterError):
    template = "cannot write {destination}: {error} ({filename})"
    hint_template = "choose an output path in a folder you can write to"


class PulledArtifactDiffers(CharterError):
    template = "the artifact of {ref} has hash {actual}, but the registry records {expected}"
    hint_template = ("the remote or cache holds a different file: nothing was written; "
                     "re-push the approved artifact")


# --- Git, forges, DVC: the adapters ----------------------------------------------------------------------------------
# The families an adapter's callers catch by type (GitFailed, which carries git's stderr and exit code; PushRejected;
# ForgeUnavailable) are the adapter's API and live in it, each variant's template beside its base class; every other
# adapter error is worded here.


class GitNotInstalled(CharterError):
    template = "git is not installed or not on PATH"
    hint_template = "install git"


class NotInGitRepository(CharterError):
    template = "{path} is not inside a git repository"
    hint_template = "run `git init` there, or create the registry with `charter init`"


class FolderMissing(CharterError):
    template = "{path}: no such directory"


class GitInitFailed(CharterError):
    template = "git init failed in {path}: {stderr}"


class NotARevision(CharterError):
    template = "{revision!r} is not a revision"
    hint_template = "name a branch, tag or commit"


class UnknownRevision(CharterError):
    template = "unknown revision {revision!r}"
    hint_template = "name an existing branch, tag or commit"


class UnknownBaseRevision(UnknownRevision):
    hint_template = "name an existing branch, tag or commit (fetch it first in CI)"


class RevisionReadFailed(CharterError):
    template = "git {what} against {revision!r} failed: {failure}"


class GitStepFailed(CharterError):
    """A git command of a change made in a worktree failed; `stderr` is all git said (a push's `[rejected]` line
    is not its last)."""

    template = "git {command} failed: {stderr}"


class GitStepFailedSilently(GitStepFailed):
    template = "git {command} failed: exit code {returncode}"


class ForgeRedirected(CharterError):
    template = ("the forge redirected a {method} request to {where} ({code}); Charter follows only GET redirects "
                "within the API's own host")
    hint_template = "check the API URL (spec.forge.apiUrl) and the repository name"


class ForgeUnreachable(CharterError):
    """The forge could not be reached; `action` says what Charter was doing ("open a pull request on o/r")."""

    template = "could not {action}: cannot reach {title} at {api_url} ({reason})"
    hint_template = "check the network and the API URL (spec.forge.apiUrl)"


class ForgeTimedOut(ForgeUnreachable):
    """The whole request (connect, headers, body) outlasted its deadline: a forge that drips must not hold CI."""

    template = "could not {action}: {title} at {api_url} gave no complete answer within {timeout:g} s"
    hint_template = "check the network and the forge's status page, then run the command again"


class ForgeAnswerNotJson(CharterError):
    template = "could not {action}: {title} at {api_url} answered with something that is not JSON"
    hint_template = "check the API URL (spec.forge.apiUrl)"


class ForgeAnswerUnrecognised(CharterError):
    template = "could not {action}: {title} answered in a form Charter does not recognise"
    hint_template = "check the API URL (spec.forge.apiUrl): it must be the REST API's base"


class ForgeRefused(CharterError):
    """The forge answered with an error status; `said` is its own explanation (`: ...`), or empty."""

    template = "could not {action}: {title} answered {status}{said}"
    hint_template = "try again later; if it persists, check the forge's status page"


class ForgeTokenRefused(ForgeRefused):
    template = "could not {action}: {title} refused the token in {token} (401 Unauthorized{said})"
    hint_template = "check that {token} holds a valid token that has not expired"


class ForgeForbidden(ForgeRefused):
    template = ("could not {action}: the token in {token} is not allowed to do this on {repository} "
                "(403 Forbidden{said})")
    hint_template = "{permission_hint}"


class ForgeRepositoryNotFound(ForgeRefused):
    template = ("could not {action}: {repository} was not found on {title} at {api_url}, or the token in {token} "
                "cannot see it (404 Not Found{said})")
    hint_template = "check spec.forge.repository (or the remote URL) and the token's access to the repository"


class ForgeConflict(ForgeRefused):
    template = "could not {action}: {title} refused the request ({status}{said})"
    hint_template = "a pull request for this branch may already exist, or the branch has no new commits"


class ForgeApiNotHttps(CharterError):
    template = "forge API URL {api_url!r} is not an https:// URL"
    hint_template = "Charter sends the token only over HTTPS; fix spec.forge.apiUrl or the API URL variable"


class UnknownForgeType(CharterError):
    template = "unknown forge type {forge_type!r} in registry.yaml (spec.forge.type)"
    hint_template = "use one of: {known}"


class NoCompareLink(CharterError):
    template = "no compare link for forge type {forge_type!r}"
    hint_template = "use github or gitlab"


class DvcNotInstalled(CharterError):
    template = "DVC is not installed"
    hint_template = "install Charter with its DVC support: pip install 'charter[dvc]'"


class DvcFailed(CharterError):
    """DVC raised; `action` says what Charter asked of it ("push to the remote"), `error` what DVC said."""

    template = "DVC could not {action}: {error}"
    hint_template = "check the DVC remote in registry.yaml (spec.artifacts.remote) and that it is reachable"


class NoDvcSetUp(CharterError):
    template = "{root} has no DVC set-up (.dvc/ is missing)"
    hint_template = "registries made by `charter init` have one; run `dvc init` in an older registry"


class UntrustedRemote(CharterError):
    """The DVC remote would be needed, but its configuration comes from the checkout under test."""

    template = ("artifact {digest} is not in the local DVC cache, and the DVC remote is configured by this "
                "checkout's .dvc/config, which Charter does not use unasked")
    hint_template = ("pass --trust-remote-config on a trusted checkout, or --base REF: a configuration unchanged "
                     "since REF is trusted")


class NotTrackedByDvc(CharterError):
    template = "{path} is not tracked by DVC in this registry"
    hint_template = "its {path}.dvc file is missing: was the version registered with `charter register`?"


# --- MLflow: the tracking server or store a run or registered model comes from ---------------------------------------
# Raise sites pass URIs through `redact_uri` and MLflow's words through `Tracking.scrub`: no credential here.


class TrackingUriMissing(CharterError):
    template = "no MLflow tracking URI: neither --tracking-uri nor {variable} is given"
    hint_template = ("pass --tracking-uri http://HOST:5000 (or set {variable}); the token goes in "
                     "MLFLOW_TRACKING_TOKEN")


class MlflowNotInstalled(CharterError):
    template = "MLflow is not installed"
    hint_template = "install Charter with its MLflow support: pip install 'charter[mlflow]'"


class MlflowStoreNeedsServerPackage(CharterError):
    template = "{uri} is a {scheme} store, which only the full mlflow package opens (charter[mlflow] is the client)"
    hint_template = "pip install mlflow, or point --tracking-uri at the tracking server (http://...) instead"


class MlflowUnreachable(CharterError):
    template = "could not {action}: MLflow at {uri} cannot be reached ({said})"
    hint_template = "check the tracking URI and that the server is up; MLFLOW_HTTP_REQUEST_TIMEOUT sets the wait"


class MlflowNotFound(CharterError):
    template = "could not {action}: MLflow at {uri} has no such thing ({said})"
    hint_template = "check the id or name against the MLflow UI of that server"


class MlflowFailed(CharterError):
    template = "could not {action}: MLflow at {uri} said: {said}"
    hint_template = "check the server's log; an authentication error wants MLFLOW_TRACKING_TOKEN or a user"


class RunHasNoModel(CharterError):
    template = "MLflow run {run_id} at {uri} logged no model"
    hint_template = "log the model in the run (mlflow.<flavor>.log_model), or register the file with --artifact"


class RunHasSeveralModels(CharterError):
    template = "MLflow run {run_id} at {uri} logged {count} models: {names}"
    hint_template = "name the one to register with --mlflow-model NAME"


class ModelDownloadIncomplete(CharterError):
    template = "the model {model_uri} came down incomplete from {uri}: {problem}"
    hint_template = "run the command again; if it persists, check the artifact store's free space and permissions"


class NameRefusedByRules(CharterError):
    """A name from elsewhere (an MLflow registered model) that the registry's naming rules refuse: a finding, exit 1."""

    exit_code = 1
    template = "{source} name {name!r} is refused: {rule}"
    hint_template = "rename it there, or import it under another name with --rename {name}=NEW-NAME"


class NewModelNeedsEvent(CharterError):
    template = "MLflow model {model!r} is new to Charter, and its versions need the label event they predict"
    hint_template = ("pass --event event:NAME@VERSION (the contract is drafted from the model's signature), or "
                     "--model to import the others first")


class NoSuchEvent(CharterError):
    template = "--event {event}: the registry has no such event definition"
    hint_template = "name one `charter list event` shows, as event:NAME@VERSION"


class TwoModelsOneName(CharterError):
    template = "MLflow models {first!r} and {second!r} would both be imported as {name!r}"
    hint_template = "give one of them another name with --rename, or import them one at a time with --model"


class RenameMalformed(CharterError):
    template = "--rename {given!r} is not MLFLOW-NAME=CHARTER-NAME"
    hint_template = "write e.g. --rename 'Sepsis Risk=sepsis-risk'"


class SignatureWithoutColumns(CharterError):
    template = "the model {model_uri} has no signature with named input columns to draft a contract from"
    hint_template = ("log the model with a signature (mlflow.models.infer_signature), or give the version a contract "
                     "(--contract)")


class SignatureColumnUnnamed(CharterError):
    template = "the signature of {model_uri} has a column {column!r}, which cannot be a contract field's name"
    hint_template = ("field names are letters, digits, '_', '.' and '-': rename the column in training, or give the "
                     "version a contract (--contract)")


# --- The report site ---------------------------------------------------------------------------------------------


class OutputIsAFile(CharterError):
    template = "{path} is a file, not a folder"
    hint_template = "give -o a folder to write the site into"


class OutputHoldsRegistry(CharterError):
    template = "{path} holds the registry itself; the report would replace it"
    hint_template = "write the report to a folder of its own, e.g. -o site"


class OutputInsideRegistry(CharterError):
    template = "{path} is inside the registry ({inside}); the report would write over its files"
    hint_template = "write the report to a folder outside the registry, e.g. -o ../site"


class OutputNotAReport(CharterError):
    template = "{path} is not empty and is not a charter report"
    hint_template = "choose an empty or new folder, or pass --force to replace it"


# --- Evaluation results files ----------------------------------------------------------------------------------------


class ResultsError(CharterError):
    """The results file cannot be turned into an evaluation; the message starts with `file:line[:column]`.

    `ResultsError(where, key, **fields)` says `where: ` and then the problem RESULTS_MESSAGES words under `key`: one
    class with a table, because a results file has as many problems as it has fields. Subclasses with a template
    of their own take fields only.
    """

    def __init__(self, where: str = "", key: str = "", /, **fields: object) -> None:
        if not key:
            super().__init__(**fields)
            return
        template, hint_template = RESULTS_MESSAGES[key]
        super().__init__(f"{where}: {template.format(**fields)}", hint_template.format(**fields), **fields)


#: What a results file can get wrong: key -> (message template, hint template), filled by `ResultsError`'s fields.
#: `csv.` keys are problems of the CSV shape only; braces meant literally are doubled.
RESULTS_MESSAGES: dict[str, tuple[str, str]] = {
    "csv.empty": ("empty file, expected a header row", "start with the header {header}[,subgroup]"),
    "csv.unknown_column": ("unknown column", "the columns are {columns} and optionally subgroup"),
    "csv.missing_column": ("missing column", "the header must name {columns} (optionally subgroup)"),
    "csv.cells": ("{cells} cells, the header has {columns}", "give every row one cell per column"),
    "csv.threshold_twice": ("threshold {threshold:g} is given twice (also line {first})", "keep one row per threshold"),
    "csv.threshold_twice.subgroup": ("threshold {threshold:g} is given twice for subgroup {subgroup} (also line "
                                     "{first})", "keep one row per threshold"),
    "csv.subgroup": ("{subgroup!r} is not ATTRIBUTE=VALUE",
                     "write subgroups as e.g. sex=female; leave the cell empty for the whole cohort"),
    "csv.no_cohort_rows": ("no rows for the whole cohort (rows with an empty subgroup cell)",
                           "add one row of counts per threshold"),
    "csv.count.not_whole": ("{value} is not a whole number", "counts are whole numbers of units"),
    "document.not_a_mapping": ("must be a mapping (an object)", "see docs/evaluate.md for the results format"),
    "document.empty": ("holds neither metrics nor thresholds", "give overall metrics, per-threshold counts, or both"),
    "unknown_field": ("unknown field", "the fields here are {allowed}"),
    "text": ("must be non-empty text", "write it as a string"),
    "date.not_a_date": ("{value!r} is not a date", "write dates as YYYY-MM-DD"),
    "date.future": ("{date} is in the future (today is {today})",
                    "an evaluation reports what already happened: correct the date"),
    "days": ("{value!r} is not a positive number", "give the length of the scored period in days"),
    "period.shape": ("must be a mapping with start and end", "e.g. {{start: 2025-07-01, end: 2025-12-31}}"),
    "period.order": ("ends ({end}) before it starts ({start})", "swap or correct the dates"),
    "calibration.not_a_mapping": ("must be a mapping", "give slope, intercept, brier, ece or bins"),
    "threshold.not_a_number": ("{value!r} is not a number", "write the threshold as e.g. 0.3"),
    "threshold.range": ("{value} is outside [{low:g}, {high:g}]", "thresholds lie in the model output's range"),
    "count.missing": ("missing {count}", "give tp, fp, tn and fn"),
    "count.not_a_number": ("{value!r} is not a number", "write a whole number of units"),
    "count.not_whole": ("{value!r} is not a whole number", "counts are whole numbers of units"),
    "count.negative": ("{value} is negative", "counts are zero or more"),
    "metrics.shape": ("must be a mapping of metric names to values", "e.g. {{auroc: {{value: 0.86}}}}"),
    "metric.not_a_number": ("{value!r} is not a number", "write a number or {{value, ciLower, ciUpper}}"),
    "metric.missing_value": ("missing value", "give the point estimate as value"),
    "metric.field_not_a_number": ("{value!r} is not a number", "write a number"),
    "metric.one_bound": ("gives one bound of the interval", "give both ciLower and ciUpper, or neither"),
    "metric.outside_interval": ("value {value} lies outside its interval [{low}, {high}]", "check the interval bounds"),
    "thresholds.not_a_list": ("must be a list", "one item per threshold: {{threshold, tp, fp, tn, fn}}"),
    "thresholds.item": ("must be a mapping", "write {{threshold, tp, fp, tn, fn}}"),
    "thresholds.missing": ("missing threshold", "give the threshold the counts are at"),
    "thresholds.twice": ("threshold {threshold:g} is given twice (also item {item})", "keep one item per threshold"),
    "subgroups.not_a_list": ("must be a list", "one item per subgroup: {{attribute, value, tp, fp, tn, fn}}"),
    "subgroups.item": ("must be a mapping", "write {{attribute, value, tp, fp, tn, fn}}"),
    "subgroups.attribute": ("missing or empty", "name the attribute, e.g. sex"),
    "subgroups.value": ("missing or empty", "give the attribute's value, e.g. female"),
    "subgroups.threshold": ("{threshold} is not the operating threshold {operating:g}",
                            "give subgroup counts at the operating threshold"),
    "subgroups.no_threshold": ("counts without a threshold, and no operatingThreshold",
                               "give operatingThreshold (or a threshold in the subgroup)"),
    "subgroups.twice": ("subgroup {name} is given twice (also item {item})", "keep one item per subgroup"),
    "invariants.not_a_list": ("must be a list", "one item per check: {{name, result}}"),
    "invariants.item": ("must be a mapping", "write {{name, input, expected, result}}"),
    "invariants.name": ("missing or empty", "name the check (the contract's name for it)"),
    "invariants.result": ("{value!r} is not a number", "give the output the model produced for the input"),
    "invariants.expected": ("must be {{min, max}} with numbers (one or both)", "e.g. {{max: 0.05}}"),
    "invariants.input": ("must be a mapping of input fields to values", "e.g. {{age: 30}}"),
    # what `charter evaluate record` checks across the rows before computing any rate
    "counts.cohort": ("counts at threshold {threshold:g} cover {total} units with {positives} events, those at "
                      "{first:g} {first_total} with {first_positives}",
                      "every threshold's tp+fp+tn+fn (and tp+fn) must be the same cohort"),
    "counts.no_events": ("the cohort has no events (tp+fn is {positives} of {total})",
                         "sensitivity and specificity need both events and non-events"),
    "counts.only_events": ("the cohort has only events (tp+fn is {positives} of {total})",
                           "sensitivity and specificity need both events and non-events"),
    "counts.rising": ("more alerts at threshold {high:g} ({high_alerts}) than at the lower {low:g} ({low_alerts})",
                      "an alert is a score at or above the threshold: counts fall as the threshold rises"),
    "counts.rising.tp": ("more true positives at threshold {high:g} ({high_tp}) than at the lower {low:g} ({low_tp})",
                         "an alert is a score at or above the threshold: counts fall as the threshold rises"),
    "operating.no_row": ("the operating threshold {operating:g} has no row of counts",
                         "add counts at {operating:g}, or pick one of {known}"),
    "subgroup.no_operating_row": ("subgroup {name} has no row at the operating threshold {operating:g}",
                                  "give subgroup counts at the operating threshold (pass --operating-threshold)"),
    "subgroup.no_operating_row.none": ("subgroup {name} has no row at the operating threshold",
                                       "give subgroup counts at the operating threshold (pass --operating-threshold)"),
    "subgroup.no_units": ("subgroup {name} has no units", "drop it or give its counts"),
    "subgroup.file_operating": ("subgroup {name} counts at the file's operatingThreshold {threshold:g}, not at "
                                "the operating threshold {operating:g} (--operating-threshold)",
                                "give its counts at {operating:g} (with threshold: {operating:g}), or leave out "
                                "--operating-threshold"),
    "invariant.no_expected": ("invariant {name} has no expected range, and the contract declares no check of that "
                              "name", "give input and expected {{min, max}} in the results"),
    "invariant.no_input": ("invariant {name} has no input, and the contract declares no check of that name",
                           "give input and expected {{min, max}} in the results"),
}


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


# --- Predictions files: one row per scored unit ----------------------------------------------------------------------


class PredictionsError(CharterError):
    """The predictions file (or the mapping of its columns) cannot be read as scored units.

    The message starts with where the problem is: `file:line:column (name)` in a CSV (lines count the header as
    line 1, columns from 1), `file:row N (name)` in Parquet (data rows from 1), `file (name)` for a whole column,
    `file` for the whole file, `--column ROLE=NAME` for a mapping. `PredictionsError(where, key, **fields)` words
    the problem from PREDICTIONS_MESSAGES, as `ResultsError` does; subclasses with a template take fields only.
    """

    def __init__(self, where: str = "", key: str = "", /, **fields: object) -> None:
        if not key:
            super().__init__(**fields)
            return
        template, hint_template = PREDICTIONS_MESSAGES[key]
        super().__init__(f"{where}: {template.format(**fields)}", hint_template.format(**fields), **fields)


PREDICTIONS_HINT = "see docs/predictions.md for the columns and the values each takes"
PROBABILITY_HINT = "the {role} column holds probabilities: numbers from 0 to 1 such as 0.137"

#: What a predictions file can get wrong: key -> (message template, hint template). Values shown are already
#: quoted (`repr`, shortened) by the reader, so the templates print them as they are.
PREDICTIONS_MESSAGES: dict[str, tuple[str, str]] = {
    "map.syntax": ("{text} is not ROLE=COLUMN", "map a role to a column, e.g. score=prob; the roles are {roles}"),
    "map.role": ("unknown role {role}", "the roles are {roles}"),
    "map.role.close": ("unknown role {role}", "did you mean {close}? The roles are {roles}"),
    "map.twice": ("the {role} column is already {first}", "map each role once; only subgroup may be given again"),
    "map.same_column": ("column {column} is already the {first} column", "each column plays one role"),
    "file.empty": ("empty file", "write a header row naming the columns, then one row per scored unit"),
    "file.no_rows": ("a header but no rows", "write one row per scored unit below the header"),
    "header.blank": ("line 1 is blank, expected the header", "start the file with its header, e.g. score,label,time"),
    "header.invalid": ("the header is not valid CSV: {problem}", PREDICTIONS_HINT),
    "column.missing": ("no {role} column {column} (the columns are {columns})",
                       "name the {role} column with --column {role}=NAME"),
    "column.missing.close": ("no {role} column {column} (the columns are {columns})",
                             "did you mean {close}? Otherwise name the {role} column with --column {role}=NAME"),
    "column.twice": ("column name {name} is used twice (also column {first})", "give every column its own name"),
    "csv.cells": ("{cells} cells, the header has {columns}", "give every row one cell per column of the header"),
    "csv.invalid": ("not valid CSV: {problem}", "one header row, then one row per scored unit (docs/predictions.md)"),
    "csv.not_utf8": ("not UTF-8 text ({problem})", "save the file as UTF-8"),
    "gzip.invalid": ("cannot decompress: {problem}", "a .csv.gz file must be a gzip-compressed CSV"),
    "parquet.invalid": ("not a Parquet file: {problem}", "write the predictions as Parquet, or as .csv"),
    "number.empty": ("no {role} in this row", "every row needs one; leave out the rows the model did not score"),
    "number.not_a_number": ("{value} is not a number", PROBABILITY_HINT),
    "number.nan": ("the {role} is NaN", "every row needs one; leave out the rows the model did not score"),
    "number.infinite": ("the {role} is infinite ({value})", PROBABILITY_HINT),
    "number.range": ("{value} is outside [0, 1]",
                     PROBABILITY_HINT + "; map logits or percentages to probabilities first"),
    "number.type": ("holds {type} values, not numbers", "store the {role} as floating-point numbers"),
    "label.empty": ("no label in this row", "every row needs its outcome: 1 for an event, 0 for none"),
    "label.value": ("{value} is not a label", "labels are 0 (no event) and 1 (event), written as 0 and 1"),
    "label.type": ("holds {type} values", "store labels as the integers 0 and 1 (or the text 0 and 1)"),
    "time.empty": ("no time in this row", "every row needs the time it was scored, e.g. 2025-07-01T08:30:00Z"),
    "time.value": ("{value} is not a date-time",
                   "write RFC 3339 times such as 2025-07-01T08:30:00Z or 2025-07-01 10:30:00+02:00 "
                   "(without an offset, UTC)"),
    "time.number": ("{value} is a number, not a date-time",
                    "epoch numbers do not say their unit: write RFC 3339 times such as 2025-07-01T08:30:00Z"),
    "time.invalid": ("{value} is not a time that exists",
                     "check the month (1-12), the day of the month, the hour (0-23) and the offset (at most 23:59)"),
    "time.type": ("holds {type} values, not times", "store times as a timestamp column, or as RFC 3339 text"),
    "id.empty": ("no id in this row", "every row needs its unit's id (or leave out the id column)"),
    "id.twice": ("id {value} is given twice (also {first})", "one row per scored unit: drop the repeated row"),
    "id.type": ("holds {type} values", "store ids as text or integers"),
    "subgroup.type": ("holds {type} values", "store subgroup values as text, integers or booleans"),
    "labels.one_class": ("every label is {label}, so sensitivity, specificity and AUROC are undefined",
                         "an evaluation needs units with the event and units without it: score a cohort that has both"),
    "span.zero": ("every row has the same time ({time}), so alerts per day have no span to spread over",
                  "score a period rather than one instant, or give the period's length in days"),
}


class PredictionsFileNotFound(PredictionsError):
    template = "predictions file {path} does not exist"
    hint_template = "pass the file of scores the evaluation wrote"


class PredictionsFileUnreadable(PredictionsError):
    template = "cannot read predictions file {path}: {error}"
    hint_template = "check the file's permissions"


class PredictionsNotAFile(PredictionsError):
    template = "predictions file {path} is {what}"
    hint_template = "pass the predictions file itself, a regular file"


class PredictionsFileFormat(PredictionsError):
    template = "predictions file {path}: unknown format {suffix}"
    hint_template = "write the predictions as .csv, .csv.gz, .parquet or .pq (see docs/predictions.md)"


# --- Forges: requests that did not get a usable answer ---------------------------------------------------------------
# Raise sites pass values already scrubbed of the token (`ForgeClient` scrubs every text that came from the forge).


class ForgeAnswerTooLarge(CharterError):
    """The answer is bigger than any real one; reading it on would only exhaust memory."""

    template = "could not {action}: {title} at {api_url} answered with more than {limit_mib:g} MiB"
    hint_template = "check the API URL (spec.forge.apiUrl): it must be the forge's REST API"


class ForgeRateLimited(CharterError):
    """The forge refused because the token used up its rate limit (a 403 or 429 that says so in its headers)."""

    template = "could not {action}: {title} rate-limited the token in {token} until {until} ({status}{said})"
    hint_template = "wait until {until} and run the command again, or use a token with a higher rate limit"


class ForgeRateLimitedNoReset(ForgeRateLimited):
    template = "could not {action}: {title} rate-limited the token in {token} for now ({status}{said})"
    hint_template = "wait a few minutes and run the command again, or use a token with a higher rate limit"


class CiEventUnreadable(CharterError):
    """The CI's event file cannot say which pull request the job runs for."""

    template = "cannot tell the pull request from {path} ({variable}): {problem}"
    hint_template = "{variable} must name the JSON event file the CI wrote for this job"


# --- charter sync mlflow: serving what was decided -----------------------------------------------------------------
# Raise sites pass URIs already redacted; no template has a place for a token.


class MlflowSyncNotConfigured(CharterError):
    template = "{registry_file} maps no environment to an MLflow alias (spec.mlflow.aliases): nothing to sync"
    hint_template = "add spec.mlflow.aliases, e.g. `production: production` (see docs/mlflow.md)"


class MlflowSyncUnknownModel(CharterError):
    template = "{model!r} is not a model of this registry"
    hint_template = "models of this registry: {known}"


class MlflowSyncArtifactUnavailable(CharterError):
    """A version must be registered in MLflow but its bytes cannot be had; nothing was changed in MLflow."""

    template = "cannot register {ref} in MLflow: {problem}"
    hint_template = "push the artifact to the DVC remote (`dvc push`) or check the remote; MLflow was not changed"


class MlflowSyncVersionDiffers(CharterError):
    """An MLflow version claims to be a Charter version but was uploaded with other bytes."""

    template = ("MLflow version {version} of {model} is tagged {ref} but holds md5 {actual}, not the recorded "
                "{expected}")
    hint_template = ("remove the tag charter.ref from that MLflow version (or the version), then run "
                     "`charter sync mlflow` again to register the recorded artifact")


class MlflowSyncAmbiguousAlias(CharterError):
    template = "alias {alias!r} is mapped from two environments, {first} and {second}"
    hint_template = "give each environment its own alias in spec.mlflow.aliases"
