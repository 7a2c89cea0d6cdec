"""Evidence verified: an evaluation computed from predictions is recomputed from the same bytes and compared, figure
by figure (`charter evaluate verify`, `charter validate --verify-evidence`).

The predictions file is the one the evaluation pins by md5: taken from the work tree when it is there and matches,
else fetched through DVC (cache, then remote). Every figure `evaluation.figures.compute_figures` writes is computed
again with the recorded thresholds, seed, level and replicates; a stored figure that differs, is missing, or is
not a computed one at all is a finding naming the field, the stored and the recomputed value. The methods are
deterministic (the bootstrap is seeded), so equality is exact at the digits written.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.registry.documents import Document
from charter.registry.fields import JsonPath, dotted, value_at
from charter.registry.findings import Finding, Severity, finding
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS

if TYPE_CHECKING:
    from charter.evaluation.figures import FigureSettings
    from charter.evaluation.predictions import ColumnMap, Predictions

#: The parts of `spec` that `compute_figures` writes, so the parts a recomputation checks.
COMPUTED = ("metrics", "thresholds", "operatingThreshold", "periodDays", "calibration", "subgroups", "comparison")
#: The parts of `spec.evidence` that are results of the computation rather than its inputs.
COMPUTED_EVIDENCE = ("methods", "scoredFrom", "scoredTo")


def computed_from_predictions(doc: Document) -> bool:
    return bool(value_at(doc.spec, ("evidence", "source")) == "predictions")


def verify_evidence(root: Path, index: RegistryIndex, selected: set[str] | None = None, *,
                    trust_remote_config: bool = True) -> list[Finding]:
    """Recompute every evaluation computed from predictions (those in `selected`, when given)."""
    findings: list[Finding] = []
    for doc in index.entries(KINDS["Evaluation"]):
        if (selected is None or doc.path in selected) and computed_from_predictions(doc):
            findings += verify_evaluation(root, doc, trust_remote_config=trust_remote_config)
    return findings


def evidence_verifier(root: Path, *, trust_remote_config: bool = True) -> Callable[[Document], list[str]]:
    """What the policy's `requireVerifiedEvidence` calls: the messages of the errors recomputing an evaluation of
    the registry at `root` finds (the numerics are imported only when it is called)."""
    def verify(doc: Document) -> list[str]:
        return [f"{f.code} {f.message}" for f in verify_evaluation(root, doc, trust_remote_config=trust_remote_config)
                if f.severity is Severity.ERROR]
    return verify


def verify_evaluation(root: Path, doc: Document, *, trust_remote_config: bool = True) -> list[Finding]:
    """The findings of recomputing one evaluation: none when every figure is what the predictions give."""
    from charter.errors import CharterError
    from charter.evaluation.figures import compute_figures, import_numerics_meanwhile
    from charter.evaluation.predictions import ColumnMap, read_predictions

    if not computed_from_predictions(doc):
        return [finding("CH823", doc.path, doc.place(("spec",), key=True))]
    pinned = value_at(doc.spec, ("evidence", "predictions"))
    assert isinstance(pinned, dict)  # the schema requires it of source: predictions
    path, md5 = str(pinned.get("path")), str(pinned.get("md5"))
    where = doc.place(("spec", "evidence", "predictions", "path"))
    columns = ColumnMap.from_recorded(pinned.get("columns") or {}, pinned.get("subgroups") or [])
    importing = import_numerics_meanwhile()  # while the rows are read
    predictions = _work_tree_rows(root, path, md5, columns)
    with tempfile.TemporaryDirectory(prefix=".charter-verify-") as scratch:
        if predictions is None:  # not in the work tree as recorded: the bytes DVC has under the md5
            try:
                local = _fetched(root, path, md5, Path(scratch), trust_remote_config)
            except CharterError as failure:
                return [finding("CH821", doc.path, where, path=path, error=failure.message)]
            if local is None:
                return [finding("CH822", doc.path, doc.place(("spec", "evidence", "predictions", "md5")),
                                path=path, md5=md5)]
            try:
                predictions = read_predictions(local, columns)
            except CharterError as failure:
                return [finding("CH824", doc.path, where, path=path, error=failure.message)]
        importing.join()
        try:
            recomputed = compute_figures(predictions, _settings(doc))
        except CharterError as failure:  # rows that read but give no figures (one class, no time span)
            return [finding("CH824", doc.path, where, path=path, error=failure.message)]
    recomputed_evidence = recomputed.pop("evidence")
    findings = list(_differences(doc, ("spec",), {k: doc.spec.get(k) for k in COMPUTED if k in doc.spec},
                                 recomputed))
    stored_evidence = value_at(doc.spec, ("evidence",)) or {}
    findings += _differences(doc, ("spec", "evidence"), {k: stored_evidence.get(k) for k in COMPUTED_EVIDENCE},
                             {k: recomputed_evidence.get(k) for k in COMPUTED_EVIDENCE})
    if pinned.get("rows") != predictions.rows:
        findings.append(_differs(doc, ("spec", "evidence", "predictions", "rows"), pinned.get("rows"),
                                 predictions.rows))
    return findings


def _settings(doc: Document) -> FigureSettings:
    """The figure settings the evaluation records: thresholds, operating threshold, seed, level, replicates."""
    from charter.evaluation.figures import BINS, PAIRED_REPLICATES, REPLICATES, FigureSettings

    rows = value_at(doc.spec, ("thresholds",)) or []
    thresholds = tuple(float(r["threshold"]) for r in rows if isinstance(r, dict) and "threshold" in r)
    evidence = value_at(doc.spec, ("evidence",)) or {}
    bins = value_at(doc.spec, ("calibration", "bins"))
    return FigureSettings(thresholds, float(doc.spec.get("operatingThreshold", thresholds[0] if thresholds else 0.5)),
                          int(evidence.get("seed", 0)), float(evidence.get("level", 0.95)),
                          int(evidence.get("replicates", REPLICATES)), PAIRED_REPLICATES,
                          len(bins) if isinstance(bins, list) and bins else BINS,
                          baseline=value_at(doc.spec, ("comparison", "baseline")))


def _work_tree_rows(root: Path, path: str, md5: str, columns: ColumnMap) -> Predictions | None:
    """The pinned rows from the work tree, read (and hashed as they are read) once; None where the file is not
    there, is not what the evaluation pins, or does not read."""
    from charter.errors import CharterError
    from charter.evaluation.predictions import read_predictions

    local = root / path
    if not local.is_file() or local.is_symlink():
        return None
    try:
        rows = read_predictions(local, columns)
    except CharterError:
        return None
    return rows if rows.md5 == md5 else None


def _fetched(root: Path, path: str, md5: str, scratch: Path, trust_remote_config: bool) -> Path | None:
    """The pinned file as DVC has it (cache, then the remote where trusted); None when the bytes found differ from
    the recorded md5 (a swapped file)."""
    from charter.adapters import dvc

    if not trust_remote_config:
        dvc.object_locations(root, [md5], allow_remote=False)  # raises where only the remote could have it
    fetched = scratch / Path(path).name
    dvc.fetch_to(root, path, fetched, quiet=True)
    return fetched if dvc.hash_path(fetched)[0] == md5 else None


def _leaves(value: Any, path: JsonPath) -> Iterator[tuple[JsonPath, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i))
    else:
        yield path, value


def _same(stored: Any, computed: Any) -> bool:
    if isinstance(stored, bool) or isinstance(computed, bool):
        return stored is computed
    if isinstance(stored, int | float) and isinstance(computed, int | float):
        from charter.evaluation.figures import rounded

        return rounded(float(stored)) == rounded(float(computed)) or (math.isnan(stored) and math.isnan(computed))
    return bool(stored == computed)


def _differences(doc: Document, base: JsonPath, stored: dict[str, Any], computed: dict[str, Any]
                 ) -> Iterator[Finding]:
    stored_leaves = dict(_leaves(stored, base))
    computed_leaves = dict(_leaves(computed, base))
    for path, value in computed_leaves.items():
        if path not in stored_leaves:
            yield finding("CH820.missing", doc.path, doc.place(_existing_prefix(doc, path), key=True),
                          field=dotted(path), computed=_shown(value))
        elif not _same(stored_leaves[path], value):
            yield _differs(doc, path, stored_leaves[path], value)
    for path, value in stored_leaves.items():
        if path not in computed_leaves and value is not None:
            yield finding("CH820.extra", doc.path, doc.place(path), field=dotted(path), stored=_shown(value))


def _differs(doc: Document, path: JsonPath, stored: Any, computed: Any) -> Finding:
    return finding("CH820", doc.path, doc.place(path), field=dotted(path), stored=_shown(stored),
                   computed=_shown(computed))


def _existing_prefix(doc: Document, path: JsonPath) -> JsonPath:
    """The longest part of `path` the file has, so a missing figure points where it belongs."""
    while path and value_at(doc.data, path) is None:
        path = path[:-1]
    return path


def _shown(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else repr(value) if isinstance(value, str) else str(value)
