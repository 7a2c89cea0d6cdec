"""`evaluate record --predictions`: every figure computed from the rows a pipeline scored, and the rows kept.

The predictions file is copied to `evidence/NAME/VERSION/`, tracked and pushed by DVC like a model artifact, and
the Evaluation records its md5, row count, columns, Charter's version, every method and the bootstrap seed, so
`charter evaluate verify` can fetch the same bytes and recompute the same figures. Like every writer this is one
change (`authoring.change`): written, validated, pushed and committed, or nothing.
"""

from __future__ import annotations

import secrets
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.authoring.record_evaluation import RecordingRequest
from charter.errors import (
    BaselineScoreWithoutBaseline,
    EvaluationLeftovers,
    NoOperatingThreshold,
    NotRecorded,
    OperatingThresholdNotListed,
    PredictionsChanged,
)
from charter.evaluation.confusion import canonical_threshold
from charter.registry.fields import value_at
from charter.registry.findings import has_errors
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS
from charter.registry.references import Reference
from charter.registry.schemas import schema_comment
from charter.registry.yamlio import dump_yaml
from charter.store.transaction import write_text_atomic

if TYPE_CHECKING:
    from charter.authoring.change import Change
    from charter.evaluation.figures import FigureSettings
    from charter.registry.documents import Document

#: Where predictions files live in a registry: `evidence/EVALUATION/VERSION/FILE` (their `.dvc` files beside them).
EVIDENCE_FOLDER = "evidence"


@dataclass(kw_only=True)
class PredictionsRequest(RecordingRequest):
    """An evaluation from a predictions file; `columns` maps roles to column names (`score=prob`), `subgroups` names
    the columns that define subgroups, `baseline_score` the column of the baseline version's scores."""

    predictions: Path
    columns: list[str] = field(default_factory=list)
    subgroups: list[str] = field(default_factory=list)
    baseline_score: str | None = None
    thresholds: list[float] = field(default_factory=list)
    seed: int | None = None
    data_snapshot: str | None = None
    push: bool = True


def contract_thresholds(index: RegistryIndex, model: Document) -> list[float]:
    """The thresholds the model's contract names (`spec.output.thresholds[].value`), lowest first."""
    contract = index.get(str(value_at(model.spec, ("contract",))))
    listed = value_at(contract.spec, ("output", "thresholds")) if contract is not None else None
    values = [t.get("value") for t in listed if isinstance(t, dict)] if isinstance(listed, list) else []
    return sorted({canonical_threshold(float(v)) for v in values if isinstance(v, int | float)})


def figure_settings(index: RegistryIndex, model: Document, request: PredictionsRequest,
                    baseline: Document | None) -> FigureSettings:
    """The thresholds (the contract's and the given ones), the operating threshold and a fresh seed."""
    from charter.evaluation.figures import FigureSettings

    declared = contract_thresholds(index, model)
    thresholds = sorted({*declared, *(canonical_threshold(t) for t in request.thresholds)})
    operating = request.operating_threshold
    if operating is None:
        if not declared:
            raise NoOperatingThreshold(model=model.ref)
        operating = declared[0]
    operating = canonical_threshold(operating)
    if operating not in thresholds:
        if request.operating_threshold is not None and not request.thresholds:
            thresholds = sorted({*thresholds, operating})
        else:
            raise OperatingThresholdNotListed(operating=operating,
                                              known=", ".join(f"{t:g}" for t in thresholds))
    seed = request.seed if request.seed is not None else secrets.randbelow(2**31)
    return FigureSettings(tuple(thresholds), operating, seed,
                          baseline=str(baseline.ref) if baseline is not None else None)


def record_from_predictions(root: Path, request: PredictionsRequest, today: date | None = None) -> Reference:
    """Compute, write, track, validate, push and commit the evaluation; on any failure nothing stays."""
    from charter.authoring.change import change

    with change(root, "evaluate record") as current:
        return _record(root, request, today or date.today(), current)


def _record(root: Path, request: PredictionsRequest, today: date, current: Change) -> Reference:
    from charter._version import __version__
    from charter.adapters import dvc
    from charter.adapters.git.repo import user_config
    from charter.authoring.codeowners import keep_codeowners_in_step
    from charter.authoring.record_evaluation import choose_identity, resolve_subjects
    from charter.evaluation.figures import compute_figures, import_numerics, import_numerics_meanwhile
    from charter.evaluation.predictions import ColumnMap, read_predictions
    from charter.store.loader import load_registry
    from charter.validation.runner import validate_registry

    if request.baseline_score and not request.baseline:  # else the column would be silently left unread
        raise BaselineScoreWithoutBaseline(column=request.baseline_score)
    index = load_registry(root).index
    model, cohort, event, baseline = resolve_subjects(index, request)
    columns = ColumnMap.from_options([*request.columns, *(f"subgroup={s}" for s in request.subgroups),
                                      *([f"baseline={request.baseline_score}"]
                                        if baseline is not None and request.baseline_score else [])])
    importing = import_numerics_meanwhile()
    predictions = read_predictions(request.predictions, columns)
    settings = figure_settings(index, model, request, baseline)
    name, version = choose_identity(index, request.name, request.version, model, request.method)

    relpath = KINDS["Evaluation"].relative_path(name, version)
    evidence_dir = Path(EVIDENCE_FOLDER) / name / version
    stored = (evidence_dir / request.predictions.name).as_posix()
    for taken in (relpath, evidence_dir.as_posix()):
        if (root / taken).exists():
            raise EvaluationLeftovers(path=taken)
    evaluator = request.evaluator or user_config(current.repo, "email") or "charter evaluate record"
    importing.join()
    import_numerics()  # all of them, before the figures' thread starts: no module is imported by two threads
    cache_before = dvc.cache_objects(root)
    current.begin(relpath, evidence_dir, entry=relpath)
    try:
        # The figures (numpy, mostly without the GIL) are computed while this thread copies the file and DVC
        # tracks it (over a second of importing DVC, then hashing and caching the copy); a failure of either
        # undoes both, as any failure after `begin` does.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="charter-figures") as pool:
            computing = pool.submit(compute_figures, predictions, settings)
            (root / evidence_dir).mkdir(parents=True)
            shutil.copyfile(request.predictions, root / stored)
            [tracked] = dvc.track(root, [stored])
            figures = computing.result()
        if tracked.hash != predictions.md5:  # the file changed between reading and copying
            raise PredictionsChanged(path=request.predictions)
        spec: dict[str, Any] = {"model": str(model.ref), "cohort": str(cohort.ref), "event": str(event.ref)}
        if request.data_snapshot:
            spec["dataSnapshot"] = request.data_snapshot
        spec["method"] = request.method
        evidence = figures.pop("evidence")
        spec.update(figures)
        if baseline is not None:
            spec["baseline"] = str(baseline.ref)
        spec["evaluator"] = evaluator
        spec["date"] = today.isoformat()
        if request.notes:
            spec["notes"] = request.notes
        spec["evidence"] = {
            "source": "predictions",
            "predictions": {"path": stored, "md5": predictions.md5, "rows": predictions.rows,
                            "format": predictions.format, "columns": predictions.columns.recorded(),
                            **({"subgroups": list(predictions.columns.subgroups)} if predictions.columns.subgroups
                               else {})},
            "charterVersion": __version__, **evidence,
        }
        document = {
            "apiVersion": "charter/v1", "kind": "Evaluation",
            "metadata": {"name": name, "version": version, "owner": model.owner,
                         "description": f"{request.method.capitalize()} evaluation of {model.ref} on {cohort.ref}, "
                                        f"computed from {predictions.rows:,} predictions.",
                         "status": "active",
                         "annotations": {"charter.dev/recorded-by": "charter evaluate record --predictions"}},
            "spec": spec,
        }
        kind = KINDS["Evaluation"]
        write_text_atomic(root / relpath, f"{schema_comment(kind, relpath)}\n{dump_yaml(document)}")
        report = validate_registry(root, [relpath], cwd=root)
        if has_errors(report.findings):
            raise NotRecorded(report.findings, ref=f"evaluation:{name}@{version}")
        if request.push:
            dvc.push(root, [stored], quiet=True)
        codeowners = keep_codeowners_in_step(current, relpath, model.owner)
        if request.commit:
            current.commit(f"Record evaluation:{name}@{version} from {predictions.rows:,} predictions",
                           [relpath, f"{stored}.dvc", (evidence_dir / ".gitignore").as_posix()],
                           [codeowners] if codeowners else [])
    except BaseException:
        dvc.restore_cache(root, cache_before)
        raise
    return Reference("evaluation", name, version)
