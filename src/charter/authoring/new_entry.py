"""`charter new`: a new entry from its kind's schema example, or a copy of an existing entry as a new version.

A scaffold is written once and never overwrites anything. Copies keep the source's text (comments, order,
quoting): only the lines that must change (name, version, status, owner) are edited, so the diff against the
source version is what a reviewer needs to see.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charter.authoring.change import change
from charter.authoring.codeowners import keep_codeowners_in_step
from charter.errors import (
    BumpNeedsFrom,
    BumpOfOtherName,
    BumpOrVersion,
    CannotAddMetadata,
    CannotSetMetadata,
    CopyDisagreesWithPath,
    EntryExists,
    EntryNotFound,
    InvalidName,
    NameTaken,
    NotScaffolded,
    NotSemanticVersion,
    OptionNeedsVersionedKind,
    SchemaHasNoExample,
    SourceNotAMapping,
    SourceOfOtherKind,
    SourceUnreadable,
    UnknownBump,
    UnknownKind,
    UnversionedSourceOfOtherKind,
    VersionExists,
    VersionExistsNextMinor,
    VersionNotFound,
)
from charter.registry.config import find_registry_root
from charter.registry.documents import read_raw
from charter.registry.fields import value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import NAME_RE, Kind, find_kind
from charter.registry.references import Reference, parse_reference, reference_of
from charter.registry.schemas import load_schema, schema_comment
from charter.registry.versions import BUMPS, Bump, bump_version, is_semver
from charter.registry.yamlio import decode_text, dump_yaml, parse_yaml, replace_scalar
from charter.store.loader import load_registry
from charter.store.transaction import write_text_atomic

FIRST_VERSION = "0.1.0"
DRAFT = "draft"
SCHEMA_COMMENT_PREFIX = "# yaml-language-server:"
SCAFFOLD_KINDS = ("model", "event", "cohort", "contract", "evaluation")

@dataclass(frozen=True)
class NewEntry:
    """What `scaffold_entry` wrote."""

    path: Path  # absolute
    relpath: str  # registry-relative, with forward slashes
    ref: str  # kind:name@version (model:NAME for a model family)
    kind: Kind
    source: str | None  # the entry it was copied from, or None for a scaffold of the schema's example

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.relpath, "ref": self.ref, "kind": self.kind.name, "from": self.source}


def scaffold_kind(text: str) -> Kind:
    """The kind `charter new` writes for KIND (a kind name or reference prefix); refused kinds say why."""
    kind = find_kind(text)
    if kind is None:
        raise UnknownKind(kind=text, known=", ".join(SCAFFOLD_KINDS))
    if kind.name in NotScaffolded.templates:
        raise NotScaffolded(kind=kind.name)
    return kind


def check_name(name: str) -> None:
    if not NAME_RE.match(name):
        raise InvalidName(name=name)


def check_version(version: str) -> str:
    """`version`, refused with a hint unless it is semver."""
    if not is_semver(version):
        raise NotSemanticVersion(version=version)
    return version


def human_kind(kind: Kind) -> str:
    """`EventDefinition` → `event definition`."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", kind.name).lower()


def placeholder_description(kind: Kind) -> str:
    return f"Describe what this {human_kind(kind)} is for."


def scaffold_entry(root: Path, kind: Kind | str, name: str, *, source: str | None = None, bump: Bump | None = None,
                   version: str | None = None, owner: str | None = None) -> NewEntry:
    """Write a new draft entry and return where; nothing is written when anything is wrong.

    Without `source` the entry is the kind's schema example with this name, version (`version` or 0.1.0), owner
    and status draft. With `source` (a reference) the source file's text is copied: the same name makes a new
    version of it (its version raised by `bump`, minor by default, unless `version` is given), another name makes
    a new entry (at `version` or 0.1.0).
    """
    root = find_registry_root(root)
    kind = scaffold_kind(kind) if isinstance(kind, str) else kind
    if kind.name in NotScaffolded.templates:
        raise NotScaffolded(kind=kind.name)
    check_name(name)
    for option, given in (("--version", version), ("--bump", bump)):
        if given is not None and not kind.versioned:
            raise OptionNeedsVersionedKind(option=option, kind=kind.name)
    if version is not None:
        check_version(version)
    if bump is not None:
        if bump not in BUMPS:
            raise UnknownBump(bump=bump, known=", ".join(BUMPS))
        if source is None:
            raise BumpNeedsFrom()
        if version is not None:
            raise BumpOrVersion()
    with change(root, "new", needs_git=False) as current:  # a name chosen and written in one turn
        index = load_registry(root).index
        new_version = (version or FIRST_VERSION) if kind.versioned else None
        source_path = None
        if source is None:
            _check_new_name(index, kind, name, explicit_version=version)
        else:
            source_ref = parse_reference(source)
            source_path = _source_path(index, kind, source_ref, root)
            if source_ref.name == name:
                if kind.versioned:
                    new_version = version or bump_version(check_version(source_ref.version or ""), bump or "minor")
            elif bump is not None:
                raise BumpOfOtherName(source=source_ref.name, name=name)
            else:
                _check_new_name(index, kind, name, explicit_version=version)
        relpath = kind.relative_path(name, new_version)
        _check_free(root, index, kind, name, new_version, relpath)
        if source is None or source_path is None:
            text = _from_example(kind, name, new_version, owner, relpath)
        else:
            text = _from_source(_read_text(root, source_path), kind, name, new_version, owner, relpath, source)
        _check_written_text(text, relpath, name, new_version)
        path = root / relpath
        current.begin(relpath)
        write_text_atomic(path, text)
        if current.journal is not None:  # inside git: CODEOWNERS, if in use, names the new entry's owner too
            keep_codeowners_in_step(current, relpath, value_at(parse_yaml(text, relpath).data, ("metadata", "owner")))
    return NewEntry(path, relpath, str(reference_of(kind, name, new_version)), kind, source)


def _check_new_name(index: RegistryIndex, kind: Kind, name: str, *, explicit_version: str | None) -> None:
    """A new entry must not reuse the name of an existing one, unless a version is asked for explicitly."""
    if not kind.versioned or explicit_version is not None:
        return
    versions = [d.version or "" for d in index.versions(kind, name)]
    if versions:
        raise NameTaken(prefix=kind.prefix, name=name, versions=", ".join(versions), latest=versions[-1])


def _source_path(index: RegistryIndex, kind: Kind, ref: Reference, root: Path) -> str:
    """The registry-relative path of the entry to copy, which must be of the kind being created."""
    source_kind = ref.kind
    if source_kind is not kind:
        shown = source_kind.name if source_kind is not None else "reference"
        other_kind = SourceOfOtherKind if kind.versioned else UnversionedSourceOfOtherKind
        raise other_kind(ref=ref, shown=shown, kind=kind.name, prefix=kind.prefix)
    doc = index.get(ref)
    if doc is None:
        versions = [d.version or "" for d in index.versions(kind, ref.name)] if kind.versioned else []
        if versions:
            raise VersionNotFound(ref=ref, root=root, versions=", ".join(versions))
        raise EntryNotFound(ref=ref, root=root)
    return doc.path


def _read_text(root: Path, relpath: str) -> str:
    raw, refused = read_raw(root, relpath)  # as every file of the registry is read: never through a link
    text, undecodable = decode_text(raw, relpath) if raw is not None else (None, refused)
    if text is None:
        raise SourceUnreadable(path=relpath, error=undecodable[0].message if undecodable else "unreadable")
    return text


def _check_free(root: Path, index: RegistryIndex, kind: Kind, name: str, version: str | None, relpath: str) -> None:
    ref = reference_of(kind, name, version)
    target = root / relpath
    twin = target.with_suffix(".yml")
    existing = next((p for p in (target, twin) if p.exists() or p.is_symlink()), None)
    if existing is None and ref not in index and str(ref) not in index.unusable:
        return
    shown = existing.relative_to(root).as_posix() if existing is not None else relpath
    if not kind.versioned:
        raise EntryExists(ref=ref, path=shown)
    versions = [d.version or "" for d in index.versions(kind, name)]
    latest = versions[-1] if versions else version or FIRST_VERSION
    fields = {"ref": ref, "path": shown, "versions": ", ".join(versions) or version, "prefix": kind.prefix,
              "name": name, "latest": latest}
    if is_semver(latest):
        raise VersionExistsNextMinor(**fields, next=bump_version(latest, "minor"))
    raise VersionExists(**fields)


def _from_example(kind: Kind, name: str, version: str | None, owner: str | None, relpath: str) -> str:
    """The kind's first schema example, renamed and reset to a draft, as text with its schema comment."""
    document = example_document(kind, name, version, owner)
    note = (f"# Scaffolded by `charter new` from the example in the {kind.name} schema: replace its values with "
            f"this entry's own.\n")
    return f"{schema_comment(kind, relpath)}\n{note}{dump_yaml(document)}"


def example_document(kind: Kind, name: str, version: str | None, owner: str | None) -> dict[str, Any]:
    """The kind's first schema example as a new draft entry: a valid start that every value still has to replace."""
    examples = load_schema(kind.schema_file).get("examples")
    if not isinstance(examples, list) or not examples or not isinstance(examples[0], dict):
        raise SchemaHasNoExample(schema=kind.schema_file)
    document: dict[str, Any] = copy.deepcopy(examples[0])  # load_schema is cached: never change its result
    metadata = document.setdefault("metadata", {})
    metadata["name"] = name
    if version is not None:
        metadata["version"] = version
    if owner is not None:
        metadata["owner"] = owner
    metadata["description"] = placeholder_description(kind)
    metadata["status"] = DRAFT
    return document


def _from_source(text: str, kind: Kind, name: str, version: str | None, owner: str | None, relpath: str,
                 source: str) -> str:
    """The source's text with only identity, status and owner changed, and the schema comment for its new place."""
    newline = "\r\n" if "\r\n" in text else "\n"
    first, _, rest = text.partition("\n")
    if first.startswith(SCHEMA_COMMENT_PREFIX):
        text = rest
    edits: list[tuple[str, str]] = [("name", name), ("status", DRAFT)]
    if version is not None:
        edits.append(("version", version))
    if owner is not None:
        edits.append(("owner", owner))
    for key, value in edits:
        text = _set_metadata(text, key, value, source)
    return f"{schema_comment(kind, relpath)}{newline}{text}"


def _set_metadata(text: str, key: str, value: str, source: str) -> str:
    """Set metadata.KEY in YAML text, changing only its line (or adding one line below metadata.name)."""
    parsed = parse_yaml(text, source)
    if parsed.findings or not isinstance(parsed.data, dict) or not isinstance(parsed.data.get("metadata"), dict):
        raise SourceNotAMapping(source=source)
    if value_at(parsed.data, ("metadata", key)) == value:
        return text
    if key not in parsed.data["metadata"]:
        line, column = parsed.positions.keys[("metadata", "name")]
        lines = text.splitlines(keepends=True)
        ending = "\r\n" if lines[line - 1].endswith("\r\n") else "\n"
        lines.insert(line, f"{' ' * (column - 1)}{key}: placeholder{ending}")
        text = "".join(lines)
        if parse_yaml(text, source).findings:  # the metadata is a flow mapping: a block line does not fit in
            raise CannotAddMetadata(source=source, key=key)
    try:
        return replace_scalar(text, ("metadata", key), value)
    except ValueError as exc:  # a multi-line value: a person must edit it
        raise CannotSetMetadata(source=source, key=key, error=exc) from exc


def _check_written_text(text: str, relpath: str, name: str, version: str | None) -> None:
    """The text about to be written parses and says what its path says; anything else is refused unwritten."""
    parsed = parse_yaml(text, relpath)
    data = parsed.data
    expected = {"name": name, "status": DRAFT, **({"version": version} if version is not None else {})}
    if parsed.findings or not isinstance(data, dict) or any(
        value_at(data, ("metadata", key)) != value for key, value in expected.items()
    ):
        raise CopyDisagreesWithPath(path=relpath)

