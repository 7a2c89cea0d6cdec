"""`validate` as a function: registry in, report out. The CLI and the Python API both call this."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from charter.errors import NoSuchPath, OutsideRegistry
from charter.registry.documents import Document
from charter.registry.findings import Finding, Severity
from charter.registry.index import references_in
from charter.registry.kinds import REGISTRY_FILE, is_entry_candidate
from charter.store.cache import ParseCache
from charter.store.loader import LazyRegistry, LoadedRegistry, load_registry
from charter.validation.environments import check_codeowners, check_environment, check_registry_config
from charter.validation.evaluations import check_evaluation
from charter.validation.evidence_plausibility import check_plausibility
from charter.validation.identity import check_duplicates, check_family, check_identity
from charter.validation.paths import check_paths, folded
from charter.validation.records import check_record
from charter.validation.references import check_references
from charter.validation.registry_rules import check_naming, check_risk_tier
from charter.validation.schema_check import check_schema
from charter.validation.semantics import check_periods, check_unique_keys


@dataclass
class ValidationReport:
    root: Path
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.errors == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "root": str(self.root),
            "summary": {"files": self.files_checked, "errors": self.errors, "warnings": self.warnings},
            "findings": [f.to_dict() for f in self.findings],
        }


def select_paths(root: Path, files: list[str] | Callable[[], list[str]], paths: Sequence[str | Path],
                 cwd: Path) -> set[str]:
    """Registry-relative entry files named by PATHS (files or folders); other YAML is not Charter's.

    `files` (the registry's) may be given as a function: they are then listed only if a folder is named.
    """
    selected: set[str] = set()
    for raw in paths:
        given = Path(raw)
        absolute = (given if given.is_absolute() else cwd / given).resolve()
        try:
            rel = absolute.relative_to(root).as_posix()
        except ValueError:
            raise OutsideRegistry(path=raw, root=root) from None
        if absolute.is_dir():
            prefix = "" if rel == "." else rel + "/"
            selected.update(p for p in (files() if callable(files) else files) if p.startswith(prefix))
        elif absolute.is_file():
            if rel == REGISTRY_FILE or is_entry_candidate(rel):
                selected.add(rel)
        else:
            raise NoSuchPath(path=raw)
    return selected


def validate_registry(root: Path, paths: Sequence[str | Path] | None = None, base: str | None = None,
                      cwd: Path | None = None, *, check_artifacts: bool = False,
                      trust_remote_config: bool = False, use_cache: bool = True,
                      all_files: bool = False, verify_evidence: bool = False) -> ValidationReport:
    """Check the registry (or only PATHS, resolving their references against the whole registry).

    With PATHS alone (the pre-commit case) the registry is read lazily: only the given files and the entries their
    references name are parsed. With --base alone, only the changed files and those that refer to them are
    checked, lazily too (`all_files` checks every file); with PATHS or --check-artifacts, everything is read.
    `verify_evidence` recomputes the evaluations computed from predictions among those checked
    (`charter.validation.evidence`).
    `use_cache=False` reads and checks every file afresh (see `charter.store.cache`); the findings are the same.
    """
    reader = None
    scope = None  # with --base alone: the change and what refers to it (see validation.scope)
    ready: list[LazyRegistry] = []
    at_base = None  # documents at the base revision, read and parsed once for the scope and the checks
    if base is not None and not paths and not check_artifacts and not all_files:
        import importlib

        from charter.adapters.git.revision import RevisionReader
        from charter.registry.schemas import import_validator_library
        from charter.validation.released import BaseDocuments
        from charter.validation.scope import changed_scope

        reader = RevisionReader(root, base)
        cache = ParseCache.open(root) if use_cache else None
        at_base = BaseDocuments(reader, cache)

        def meanwhile() -> None:  # while git answers: the lazy registry, and the parser and schema library that
            ready.append(LazyRegistry(root, use_cache=use_cache, cache=cache))  # the changed files (new to the
            importlib.import_module("charter.registry.yamlio")  # parse cache) will need: 80-100 ms of imports
            import_validator_library()

        def current(relpaths: list[str]) -> dict[str, Document | None]:
            ready[0].read_many(relpaths)
            return {relpath: ready[0].read(relpath)[0] for relpath in relpaths}

        scope = changed_scope(root, reader, cache, meanwhile=meanwhile, at_base=at_base.of, current=current)
    whole = not paths and scope is None
    lazy = scope is not None or (not whole and base is None and not check_artifacts)
    registry: LoadedRegistry | LazyRegistry = (ready[0] if ready else LazyRegistry(root, use_cache=use_cache)) \
        if lazy else load_registry(root, use_cache=use_cache)
    if scope is not None:
        selected = scope
    elif whole:
        selected = set(registry.files)
    else:
        selected = select_paths(root, lambda: registry.files, paths or (), cwd or Path.cwd())
    findings = check_selected(registry, selected, whole=whole)
    if base is not None and (isinstance(registry, LoadedRegistry) or scope is not None):
        from charter.adapters.git.revision import RevisionReader
        from charter.validation.compatibility import check_compatibility
        from charter.validation.released import BaseDocuments, check_history

        reader = reader or RevisionReader(root, base)
        at_base = at_base or BaseDocuments(reader, registry.cache)  # read and parsed once for both checks
        # a scoped run reads every change for history: deleted files are not in its scope
        findings.extend(check_history(root, registry, base, None if whole or scope is not None else selected, reader,
                                      at_base))
        findings.extend(check_compatibility(root, registry, base, None if whole else selected, reader, at_base))
    if check_artifacts:
        from charter.validation.artifacts import check_artifacts as artifact_findings

        findings.extend(artifact_findings(root, registry.index, None if whole else selected,
                                          trust_remote_config=trust_remote_config, base=base))
    if verify_evidence:
        from charter.validation.artifacts import remote_config_trusted
        from charter.validation.evidence import verify_evidence as evidence_findings

        findings.extend(evidence_findings(root, registry.index, None if whole else selected,
                                          trust_remote_config=trust_remote_config or
                                          remote_config_trusted(root, base)))
    if registry.cache is not None:
        registry.cache.flush()
    findings.sort(key=lambda f: f.sort_key)
    return ValidationReport(root, findings, len(selected))


def check_selected(registry: LoadedRegistry | LazyRegistry, selected: set[str], *, whole: bool) -> list[Finding]:
    """The checks of each selected file against the registry (`whole`: every file is selected, and what only the
    whole registry can say is checked too), unsorted. Nothing of history: that needs a base revision."""
    index = registry.index
    config = registry.config
    findings: list[Finding] = []
    if isinstance(registry, LazyRegistry):  # read in two batches what the checks below would read one by one
        registry.read_many(sorted(selected))
        registry.index.prefetch(ref for path in sorted(selected) for doc in [registry.read(path)[0]]
                                if doc is not None for _, ref in references_in(doc))
    schema_findings = SchemaFindings(registry.cache, {path: doc for path in selected
                                                      for doc in [registry.read(path)[0]] if doc is not None})
    for relpath in sorted(selected):
        doc, parse_findings = registry.read(relpath)
        findings.extend(parse_findings)
        if doc is None:
            continue
        findings.extend(schema_findings.of(doc))
        findings.extend(check_unique_keys(doc))
        findings.extend(check_periods(doc))
        if relpath == REGISTRY_FILE:
            findings.extend(check_registry_config(doc, config, index, whole_registry=whole))
            if whole and not any(registry.read(path)[1] for path in registry.files):  # an unreadable entry
                from charter.registry.codeowners import CODEOWNERS_FILE  # would skew it

                findings.extend(check_codeowners(registry.root, doc, config, index, registry.text(CODEOWNERS_FILE)))
            continue
        findings.extend(check_identity(doc))
        findings.extend(check_family(doc, index))
        findings.extend(check_references(doc, index))
        findings.extend(check_environment(doc, index, config))
        findings.extend(check_record(doc, config))
        findings.extend(check_naming(doc, config))
        findings.extend(check_risk_tier(doc, index, config))
        findings.extend(check_evaluation(doc, index))
        findings.extend(check_plausibility(doc, index))
    findings.extend(check_duplicates(index, selected))
    compared = registry.files if isinstance(registry, LoadedRegistry) else \
        registry.files_grouped_like(selected, folded)
    findings.extend(check_paths(compared, selected))
    return findings


class SchemaFindings:
    """`check_schema` of each document, remembered in the parse cache by blob id and schema version.

    Checking 17,000 documents against their schemas is the largest part of a whole-registry run; a file that did
    not change since the last run does not need it again (and jsonschema is then not even imported).
    """

    def __init__(self, cache: ParseCache | None, documents: dict[str, Document]) -> None:
        """`documents`: the ones `of` will be asked about, whose findings are looked up together."""
        self._cache = cache
        self._known: dict[str, list[Finding]] = {}
        self._asked = set(documents)
        if cache is not None:
            self._known = cache.schema_findings({p: d.blob for p, d in documents.items() if d.blob is not None})

    def of(self, doc: Document) -> list[Finding]:
        known = self._known.pop(doc.path, None)
        if known is None and self._cache is not None and doc.blob is not None and doc.path not in self._asked:
            known = self._cache.schema_findings({doc.path: doc.blob}).get(doc.path)
        if known is not None:
            return known
        found = check_schema(doc)
        if self._cache is not None and doc.blob is not None:
            self._cache.store_schema_findings(doc.path, doc.blob, found)
        return found
