"""`charter history REF`: an entry's versions and the commits of each file, its evaluations (for models) and its
assignment changes."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charter.adapters.git.log import LogEntry
from charter.errors import NoHistory, NoModelHistory, VersionOfUnversionedKind
from charter.history.assignments import AssignmentChange, changes_in_log, environment_pathspecs
from charter.history.evidence import EvaluationSummary, summarize_evaluation
from charter.history.landing import GitHistory, read_git_history
from charter.registry.documents import parse_document, read_document, read_raw
from charter.registry.kinds import KINDS, Kind, kind_for_prefix, locate_path
from charter.registry.references import Reference, parse_reference
from charter.registry.versions import version_key


@dataclass(frozen=True)
class FileCommit:
    """A commit that added (A), modified (M) or deleted (D) one entry file."""

    commit: str
    date: str
    author: str
    author_email: str
    status: str
    subject: str
    pr: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"commit": self.commit, "date": self.date, "author": {"name": self.author, "email": self.author_email},
                "status": self.status, "subject": self.subject, "pullRequest": self.pr}


@dataclass(frozen=True)
class VersionHistory:
    """One entry file (a version, or an unversioned entry) and the commits that touched it, oldest first."""

    ref: str
    version: str | None
    path: str
    status: str  # the entry's status in the work tree; `deleted` when the file is gone
    commits: tuple[FileCommit, ...]

    @property
    def registered(self) -> FileCommit | None:
        """The first commit that added the file."""
        return next((c for c in self.commits if c.status == "A"), None)

    def to_dict(self) -> dict[str, Any]:
        first = self.registered
        return {"ref": self.ref, "version": self.version, "path": self.path, "status": self.status,
                "registeredAt": first.date if first else None, "registeredBy": first.author if first else None,
                "registeredIn": first.commit if first else None, "commits": [c.to_dict() for c in self.commits]}


@dataclass
class EntryHistory:
    """`charter history REF`: the entry's versions, evaluations (for models) and assignment changes."""

    ref: str
    kind: str
    versions: list[VersionHistory]
    evaluations: list[EvaluationSummary] = field(default_factory=list)
    changes: list[AssignmentChange] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "kind": self.kind, "versions": [v.to_dict() for v in self.versions],
                "evaluations": [e.to_dict() for e in self.evaluations],
                "assignmentChanges": [c.to_dict() for c in self.changes]}


def entry_history(root: Path, text: str, *, revision: str = "HEAD") -> EntryHistory:
    """History of a model family (`model:NAME` or `NAME`), a model version, or any other entry.

    A model: its versions (work-tree status, the commits that added and changed each file), its evaluations and
    its assignment changes; a model version narrows all three to that version. Another versioned entry: every
    version of its name and the commits of each file. An environment: its file's commits and its assignment changes.
    """
    reference = parse_reference(text if ":" in text else f"model:{text}")
    kind = reference.kind or kind_for_prefix(reference.prefix, True)
    if kind is None:  # a version on an unversioned kind, e.g. environment:production@1.0.0
        raise VersionOfUnversionedKind(reference=reference, prefix=reference.prefix, name=reference.name)
    if reference.prefix == "model":
        return _model_history(root, reference, revision)
    folder = kind.relative_path(reference.name, "-").rsplit("/", 1)[0] if kind.versioned \
        else kind.relative_path(reference.name, None)
    environment = reference.name if kind is KINDS["Environment"] else None
    logs = [[folder]] + ([environment_pathspecs(environment)] if environment else [])
    git = read_git_history(root, revision, logs, blob_paths=("environments/",) if environment else ())
    versions = _file_histories(root, git, git.logs[0] if git else [], kind, reference.name, folder)
    changes = changes_in_log(git, git.logs[1], None, environment) if git is not None and environment else []
    if not versions and not changes:
        raise NoHistory(reference=reference, root=root)
    return EntryHistory(str(reference), kind.name, versions, [], changes)


def _model_history(root: Path, reference: Reference, revision: str) -> EntryHistory:
    folder = f"models/{reference.name}/versions"
    git = read_git_history(root, revision, [environment_pathspecs(None), [folder]], blob_paths=("environments/",))
    changes = changes_in_log(git, git.logs[0], reference.name, None) if git is not None else []
    versions = _file_histories(root, git, git.logs[1] if git else [], KINDS["ModelVersion"], reference.name,
                               folder)
    evaluations = model_evaluations(root, reference.name)
    if reference.version is not None:
        ref = str(reference)
        changes = [c for c in changes if ref in (c.old.ref if c.old else None, c.new.ref if c.new else None)]
        versions = [v for v in versions if v.version == reference.version]
        evaluations = [e for e in evaluations if e.model == ref]
    if not versions and not changes and not (root / f"models/{reference.name}/model.yaml").is_file():
        raise NoModelHistory(reference=reference, root=root)
    return EntryHistory(str(reference), "ModelVersion" if reference.version else "Model", versions, evaluations,
                        changes)


def _file_histories(root: Path, git: GitHistory | None, log: list[LogEntry], kind: Kind, name: str, folder: str
                    ) -> list[VersionHistory]:
    """Each entry file below `folder` (in the work tree or in history) with its commits, by version."""
    commits: dict[str, list[FileCommit]] = defaultdict(list)
    for entry in reversed(log):
        pr = git.landing(entry)[0] if git is not None else None
        for raw in entry.changes:
            relpath = git.relative(raw.path) if git is not None else None
            if relpath is not None:
                commits[relpath].append(FileCommit(entry.commit, entry.author_date, entry.author,
                                                   entry.author_email, raw.status[:1], entry.subject, pr))
    paths = set(commits)
    top = root / folder
    if top.is_file():
        paths.add(folder)
    elif top.is_dir():
        paths.update(f"{folder}/{p.name}" for p in top.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    histories: list[VersionHistory] = []
    for relpath in paths:
        location = locate_path(relpath)
        if location is None or location.kind is not kind or location.name != name:
            continue
        doc = read_document(root, relpath)[0] if (root / relpath).is_file() else None
        status = doc.status if doc is not None else ("deleted" if commits.get(relpath) else "unreadable")
        ref = str(Reference(kind.prefix, name, location.version))
        histories.append(VersionHistory(ref, location.version, relpath, status, tuple(commits.get(relpath, ()))))
    return sorted(histories, key=lambda v: version_key(v.version or ""))


def model_evaluations(root: Path, family: str) -> list[EvaluationSummary]:
    """The work tree's Evaluation entries of any version of `family`, by version then date.

    Every evaluation file is read as bytes, but only those that mention `model:FAMILY@` are parsed.
    """
    needle = f"model:{family}@".encode()
    found: list[EvaluationSummary] = []
    top = root / "evaluations"
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for filename in filenames:
            path = Path(dirpath) / filename
            relpath = path.relative_to(root).as_posix()
            location = locate_path(relpath)
            if location is None or location.kind is not KINDS["Evaluation"]:
                continue
            raw = read_raw(root, relpath)[0]  # a link, pipe or device is not read
            if raw is None:
                continue
            if needle not in raw:
                continue
            doc, _ = parse_document(raw, relpath)
            summary = summarize_evaluation(doc) if doc is not None else None
            if summary is not None and summary.model.startswith(needle.decode()):
                found.append(summary)
    return sorted(found, key=lambda e: (version_key(e.model.split("@", 1)[1]), e.date or "", e.ref))
