"""What the report shows, gathered from the registry index and git: plain values, no HTML.

`build_report_model` reads everything once; the renderer (`charter.report.site`) only lays it out. Keeping the two
apart means the numbers a page shows can be tested without a browser, and the pages can change without touching
how the evidence is found.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.deployment.expectation import Expectation, Expectations
from charter.errors import CharterError
from charter.registry.documents import Document
from charter.registry.environments import assignment_items
from charter.registry.fields import dotted, value_at
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS
from charter.registry.references import REFERENCE_RE, Reference
from charter.registry.versions import version_key

if TYPE_CHECKING:
    from charter.deployment.model_performance import PerformancePoint
    from charter.history.assignments import AssignmentChange
    from charter.registry.config import RegistryConfig
    from charter.registry.lineage import LineageGraph

#: Kinds that get a page of their own, with the folder the page lives in (models have one page per family).
PAGE_KINDS = ("EventDefinition", "Cohort", "Contract", "Evaluation", "Environment", "DeploymentRecord")
#: Lineage diagrams for this many of a model's newest versions (each older one repeats most of the next's).
LINEAGE_VERSIONS = 10
KIND_LABELS = {
    "Model": "model", "ModelVersion": "model version", "EventDefinition": "event definition", "Cohort": "cohort",
    "Contract": "contract", "Evaluation": "evaluation", "Environment": "environment",
    "DeploymentRecord": "deployment record",
}


def page_of(ref: str) -> str | None:
    """The site-relative page (and anchor) that shows an entry, or None for a string that names no entry."""
    match = REFERENCE_RE.match(ref)
    if not match:
        return None
    prefix, name, version = match.groups()
    if prefix == "model":
        return f"models/{name}.html" + (f"#v-{version}" if version else "")
    kind = Reference(prefix, name, version).kind
    if kind is None:
        return None
    return f"{kind.folder}/{name}/{version}.html" if kind.versioned else f"{kind.folder}/{name}.html"


def tags_of(doc: Document) -> list[str]:
    tags = value_at(doc.data, ("metadata", "tags"))
    return [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []


@dataclass(frozen=True)
class CatalogEntry:
    """One row of the overview: what the filters match on."""

    ref: str
    kind: str
    name: str
    version: str | None
    status: str
    owner: str
    tags: tuple[str, ...]
    description: str
    page: str | None

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class Placement:
    """A version assigned in an environment, as the environment file says (what SHOULD run)."""

    environment: str
    mode: str
    percent: float | None
    promoted_at: str | None
    reason: str | None

    def rollout(self) -> str:
        return f"{self.mode} {self.percent:g}%" if self.percent is not None else self.mode


@dataclass(frozen=True)
class Link:
    """A reference shown on a page: the field that holds it, the reference, and its page if it exists."""

    field: str
    ref: str
    page: str | None


@dataclass
class EntryPage:
    """A page for one entry: the document, what it refers to and what refers to it."""

    doc: Document
    ref: str
    page: str
    references: list[Link]
    used_by: list[Link]
    versions: list[tuple[str, str]]  # (version, page) of every version of the same name

    @property
    def kind(self) -> str:
        return self.doc.kind.name if self.doc.kind is not None else ""


@dataclass
class VersionView:
    doc: Document
    placements: list[Placement]
    last_reported: dict[str, Document]  # by environment: what its deploy systems last said about this version
    lineage: LineageGraph | None

    @property
    def version(self) -> str:
        return self.doc.version or ""

    @property
    def metrics(self) -> dict[str, float]:
        metrics = value_at(self.doc.spec, ("metrics",))
        if not isinstance(metrics, dict):
            return {}
        return {k: float(v) for k, v in metrics.items()
                if isinstance(v, int | float) and not isinstance(v, bool)}


@dataclass
class ModelPage:
    name: str
    doc: Document | None  # the family entry, if there is one
    page: str
    versions: list[VersionView]
    evaluations: list[Document]  # oldest first
    records: list[Document]  # oldest first
    performance: list[PerformancePoint]
    changes: list[AssignmentChange]
    #: Each monitoring record with counts, held against the evaluated expectation (`deployment.expectation`).
    expectations: list[tuple[Document, Expectation]] = field(default_factory=list)


@dataclass
class EnvironmentRow:
    name: str
    page: str | None
    assignments: list[tuple[str, Placement]]  # (model version ref, placement)


@dataclass
class ReportModel:
    title: str
    generated_at: str
    registry_name: str
    catalog: list[CatalogEntry]
    models: list[ModelPage]
    pages: list[EntryPage]
    environments: list[EnvironmentRow]
    history_note: str | None = None  # why there is no promotion history, when there is none
    facets: dict[str, list[str]] = field(default_factory=dict)

    @property
    def page_count(self) -> int:
        return 1 + len(self.models) + len(self.pages)


def _placements(index: RegistryIndex, order: list[str]) -> dict[str, list[Placement]]:
    """Every assigned model version and where, environments in promotion order."""
    found: dict[str, list[Placement]] = defaultdict(list)
    envs = sorted(index.entries(KINDS["Environment"]),
                  key=lambda d: (order.index(d.name) if d.name in order else len(order), d.name or ""))
    for env in envs:
        for item in assignment_items(env.spec):
            percent = item.get("percent")
            found[item["model"]].append(Placement(
                env.name or "", str(item.get("mode", "full")),
                float(percent) if isinstance(percent, int | float) and not isinstance(percent, bool) else None,
                str(item["promotedAt"]) if item.get("promotedAt") is not None else None,
                str(item["reason"]) if isinstance(item.get("reason"), str) else None))
    return found


def _spec_text(doc: Document, key: str) -> str:
    value = value_at(doc.spec, (key,))
    return value if isinstance(value, str) else ""


def _links(links: list[tuple[str, str]]) -> list[Link]:
    return [Link(f, r, page_of(r)) for f, r in links]


def _families(index: RegistryIndex) -> dict[tuple[str, str], list[Document]]:
    """Every versioned entry's versions by (kind, name), oldest first: one pass, not a scan per page."""
    found: dict[tuple[str, str], list[Document]] = defaultdict(list)
    for doc in index.entries():
        if doc.kind is not None and doc.kind.versioned and doc.name:
            found[(doc.kind.name, doc.name)].append(doc)
    for versions in found.values():
        versions.sort(key=lambda d: version_key(d.version or ""))
    return found


def _entry_page(index: RegistryIndex, families: dict[tuple[str, str], list[Document]], doc: Document) -> EntryPage:
    assert doc.kind is not None and doc.ref is not None
    ref = str(doc.ref)
    outgoing = [(dotted(link.field), str(link.target)) for link in index.references_from(doc)]
    incoming = sorted((dotted(link.field), str(link.source.ref)) for link in index.dependents(ref))
    versions = [(d.version or "", page_of(str(d.ref)) or "") for d in families.get((doc.kind.name, doc.name or ""), [])]
    return EntryPage(doc, ref, page_of(ref) or "", _links(outgoing),
                     [Link(f, r, page_of(r) if r in index else None) for f, r in incoming], versions)


def _history(root: Path | None) -> tuple[list[AssignmentChange], str | None]:
    """Every assignment change from git, or why there is none (not a repository, no commits)."""
    if root is None:
        return [], "no git history was read"
    from charter.history.assignments import assignment_history

    try:
        changes = assignment_history(root)
    except CharterError as error:
        return [], f"promotion history unavailable: {error.message}"
    return changes, None if changes else "no assignment change in git history yet"


def build_report_model(index: RegistryIndex, config: RegistryConfig, *, root: Path | None, title: str | None = None,
                       now: datetime | None = None) -> ReportModel:
    """Everything the site shows. `root` is the registry folder, for the promotion history in git."""
    from charter.deployment.model_performance import performance_history
    from charter.registry.lineage import upstream

    registry_name = config.document.name if config.document is not None and config.document.name else "registry"
    placements = _placements(index, config.environments)
    expected = Expectations(index, config)
    records_by_model: dict[str, list[Document]] = defaultdict(list)
    for record in index.entries(KINDS["DeploymentRecord"]):
        model = _spec_text(record, "model")
        records_by_model[model.split("@", 1)[0].removeprefix("model:")].append(record)
    evaluations_by_model: dict[str, list[Document]] = defaultdict(list)
    for evaluation in index.entries(KINDS["Evaluation"]):
        model = _spec_text(evaluation, "model")
        evaluations_by_model[model.split("@", 1)[0].removeprefix("model:")].append(evaluation)
    families = _families(index)
    changes, history_note = _history(root)
    changes_by_model: dict[str, list[AssignmentChange]] = defaultdict(list)
    for change in changes:
        changes_by_model[change.model].append(change)

    names = sorted({d.name or "" for d in index.entries(KINDS["Model"])}
                   | {d.name or "" for d in index.entries(KINDS["ModelVersion"])})
    models: list[ModelPage] = []
    for name in names:
        records = sorted(records_by_model.get(name, []), key=lambda d: _spec_text(d, "at"))
        versions = []
        family_versions = families.get(("ModelVersion", name), [])
        for position, doc in enumerate(family_versions):
            ref = str(doc.ref)
            # records in time order: the last one of each environment stays (a production record says nothing
            # of dev)
            reported = {_spec_text(r, "environment"): r for r in records if _spec_text(r, "model") == ref}
            drawn = position >= len(family_versions) - LINEAGE_VERSIONS
            versions.append(VersionView(doc, placements.get(ref, []), reported,
                                        upstream(index, ref) if drawn else None))
        evaluations = sorted(evaluations_by_model.get(name, []),
                             key=lambda d: (version_key(_spec_text(d, "model").partition("@")[2]),
                                            _spec_text(d, "date"), str(d.ref)))
        held = [(r, e) for r in records if (e := expected.of(r)) is not None]
        models.append(ModelPage(name, index.get(f"model:{name}"), f"models/{name}.html", versions, evaluations,
                                records, performance_history(index, name), changes_by_model.get(name, []), held))

    pages = [_entry_page(index, families, d)
             for kind in PAGE_KINDS for d in index.entries(KINDS[kind]) if d.ref is not None]
    catalog = [_catalog_entry(d) for d in index.entries() if d.ref is not None and d.kind is not None]
    order = {k: i for i, k in enumerate(KINDS)}
    catalog.sort(key=lambda e: (order.get(e.kind, len(order)), e.name, version_key(e.version or "")))
    environments = _environment_rows(index, config.environments, placements)
    facets = {
        "kind": sorted({e.kind_label for e in catalog}),
        "owner": sorted({e.owner for e in catalog if e.owner}),
        "tag": sorted({t for e in catalog for t in e.tags}),
        "status": sorted({e.status for e in catalog}),
    }
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return ReportModel(title or f"{registry_name}: model registry report", moment.strftime("%Y-%m-%d %H:%M UTC"),
                       registry_name, catalog, models, pages, environments, history_note, facets)


def _catalog_entry(doc: Document) -> CatalogEntry:
    assert doc.kind is not None
    ref = str(doc.ref)
    return CatalogEntry(ref, doc.kind.name, doc.name or "", doc.version, doc.status, doc.owner,
                        tuple(tags_of(doc)), doc.description, page_of(ref))


def _environment_rows(index: RegistryIndex, order: list[str], placements: dict[str, list[Placement]]
                      ) -> list[EnvironmentRow]:
    names = [*order, *sorted({d.name or "" for d in index.entries(KINDS["Environment"])} - set(order))]
    rows = []
    for name in names:
        assigned = sorted(((ref, p) for ref, ps in placements.items() for p in ps if p.environment == name),
                          key=lambda item: item[0])
        exists = index.get(f"environment:{name}") is not None
        rows.append(EnvironmentRow(name, f"environments/{name}.html" if exists else None, assigned))
    return rows


def metric_estimates(evaluation: Document) -> dict[str, tuple[float, float | None, float | None]]:
    """An evaluation's overall metrics as (value, CI low, CI high)."""
    metrics = value_at(evaluation.spec, ("metrics",))
    found: dict[str, tuple[float, float | None, float | None]] = {}
    for name, estimate in (metrics.items() if isinstance(metrics, dict) else ()):
        raw: Any = estimate.get("value") if isinstance(estimate, dict) else estimate
        if not isinstance(raw, int | float) or isinstance(raw, bool):
            continue
        low = estimate.get("ciLower") if isinstance(estimate, dict) else None
        high = estimate.get("ciUpper") if isinstance(estimate, dict) else None
        found[name] = (float(raw), float(low) if isinstance(low, int | float) else None,
                       float(high) if isinstance(high, int | float) else None)
    return found


def rows_of(evaluation: Document, key: str) -> list[dict[str, Any]]:
    """The threshold or subgroup table of an evaluation, leniently (a malformed row is skipped)."""
    rows = value_at(evaluation.spec, (key,))
    return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
