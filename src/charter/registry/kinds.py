"""The kinds of entry, and where each lives in a registry (see docs/format.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass

API_VERSION = "charter/v1"
STATUSES = ("draft", "active", "deprecated", "retired")
NAME_PATTERN = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
# semver.org's grammar, so that a path's version segment can be recognised before the schema check runs.
SEMVER_PATTERN = (
    r"(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)"
    r"(?:-(?:(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+(?:[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
NAME_RE = re.compile(rf"^{NAME_PATTERN}$")
SEMVER_RE = re.compile(rf"^{SEMVER_PATTERN}$")


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    prefix: str
    versioned: bool
    folder: str
    schema_file: str

    def relative_path(self, name: str, version: str | None) -> str:
        if self.name == "Model":
            return f"models/{name}/model.yaml"
        if self.name == "ModelVersion":
            return f"models/{name}/versions/{version}.yaml"
        if self.versioned:
            return f"{self.folder}/{name}/{version}.yaml"
        return f"{self.folder}/{name}.yaml"


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("Model", "model", False, "models", "model.json"),
        Kind("ModelVersion", "model", True, "models", "modelversion.json"),
        Kind("EventDefinition", "event", True, "events", "eventdefinition.json"),
        Kind("Cohort", "cohort", True, "cohorts", "cohort.json"),
        Kind("Contract", "contract", True, "contracts", "contract.json"),
        Kind("Evaluation", "evaluation", True, "evaluations", "evaluation.json"),
        Kind("Environment", "environment", False, "environments", "environment.json"),
        Kind("DeploymentRecord", "record", False, "records", "deploymentrecord.json"),
    )
}
REGISTRY_KIND = Kind("Registry", "registry", False, "", "registry.json")
REGISTRY_FILE = "registry.yaml"
ENTRY_FOLDERS = tuple(sorted({k.folder for k in KINDS.values()}))


def kind_for_prefix(prefix: str, versioned: bool) -> Kind | None:
    for kind in KINDS.values():
        if kind.prefix == prefix and kind.versioned == versioned:
            return kind
    return None


def find_kind(text: str) -> Kind | None:
    """A kind by its name or reference prefix, singular or plural, in any case: `model` and `Models` are the kind
    Model, `modelversions` is ModelVersion, `event` and `events` EventDefinition. One word means one kind in every
    command that takes a kind: a name wins over a prefix (`model` is Model), and a shared prefix means the versioned
    kind (`record` is DeploymentRecord, `cohort` Cohort)."""
    lowered = text.strip().lower()
    for word in dict.fromkeys((lowered, lowered.removesuffix("s"))):
        for kind in KINDS.values():
            if kind.name.lower() == word:
                return kind
        for kind in KINDS.values():
            if kind.prefix == word:
                return kind_for_prefix(kind.prefix, True) or kind
    return None


@dataclass(frozen=True, slots=True)
class Location:
    """What a file's path says it holds."""

    kind: Kind
    name: str
    version: str | None


_SEGMENT = r"([^/]+)"
_VERSION_FILE = r"([^/]+)\.ya?ml"
_LOCATIONS: tuple[tuple[re.Pattern[str], Kind], ...] = (  # no path matches two: the first match is the only one
    (re.compile(rf"^models/{_SEGMENT}/versions/{_VERSION_FILE}$"), KINDS["ModelVersion"]),  # the many, first
    (re.compile(rf"^models/{_SEGMENT}/model\.ya?ml$"), KINDS["Model"]),
    *(
        (re.compile(rf"^{k.folder}/{_SEGMENT}/{_VERSION_FILE}$"), k)
        for k in KINDS.values()
        if k.versioned and k.name != "ModelVersion"
    ),
    *(
        (re.compile(rf"^{k.folder}/{_VERSION_FILE}$"), k)
        for k in KINDS.values()
        if not k.versioned and k.name != "Model"
    ),
)


#: _LOCATIONS by the top folder their pattern starts with (a pattern matches nothing outside it), in order.
_LOCATIONS_BY_FOLDER: dict[str, tuple[tuple[re.Pattern[str], Kind], ...]] = {
    folder: tuple(item for item in _LOCATIONS if item[0].pattern.startswith(f"^{folder}/"))
    for folder in {k.folder for k in KINDS.values()}}


def locate_path(relpath: str) -> Location | None:
    """The kind, name and version a registry-relative path stands for, or None where no entry belongs."""
    for pattern, kind in _LOCATIONS_BY_FOLDER.get(relpath.partition("/")[0], ()):
        match = pattern.match(relpath)
        if match:
            groups = match.groups()
            return Location(kind, groups[0], groups[1] if kind.versioned else None)
    return None


def paths_of_key(key: str) -> list[str]:
    """Every path `locate_path` maps to the reference key `prefix:name[@version]`, sorted: its inverse. A name may
    hold `@`, so each `@` may be the one that starts the version, and `.yml` is as good as `.yaml`."""
    prefix, _, rest = key.partition(":")
    splits = [(rest, None), *((rest[:i], rest[i + 1:]) for i, c in enumerate(rest) if c == "@")]
    found = set()
    for kind in KINDS.values():
        if kind.prefix != prefix:
            continue
        for name, version in splits:
            if (version is not None) != kind.versioned:
                continue
            path = kind.relative_path(name, version)
            for candidate in (path, path.removesuffix(".yaml") + ".yml"):
                location = locate_path(candidate)
                if location is not None and location.kind is kind and (location.name, location.version) == (
                        name, version):
                    found.add(candidate)
    return sorted(found)


def is_entry_candidate(relpath: str) -> bool:
    """A YAML file below one of the entry folders: it must be an entry."""
    top = relpath.split("/", 1)[0]
    return top in ENTRY_FOLDERS and relpath.endswith((".yaml", ".yml")) and "/" in relpath
