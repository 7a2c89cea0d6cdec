"""The evidence of an assignment change: the Evaluation entries of its version that existed at its commit.

It costs one more `git log --raw` over `evaluations/` (every evaluation file that ever named the model), one
`git cat-file --batch-check` (which of them existed at the change's commit) and a parse of each distinct blob.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from charter.adapters.git.log import LogEntry, is_null_oid, object_ids, read_objects
from charter.history.landing import GitHistory
from charter.registry.documents import Document, parse_document
from charter.registry.kinds import KINDS

#: An assigned version as evidence is asked for it: (commit, model family, model version reference).
Wanted = tuple[str, str, str]


@dataclass(frozen=True)
class EvaluationSummary:
    """The headline of an Evaluation entry: what a reviewer (and `charter gate`) looks at first."""

    ref: str
    path: str
    model: str
    status: str
    method: str | None
    cohort: str | None
    date: str | None
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {"ref": self.ref, "path": self.path, "model": self.model, "status": self.status,
                "method": self.method, "cohort": self.cohort, "date": self.date, "metrics": self.metrics}

    def describe(self) -> str:
        """`evaluation:x@1.0.0 retrospective, cohort:y@1.0.0, 2026-05-12: auroc 0.842, auprc 0.318`."""
        facts = ", ".join(f for f in (self.method, self.cohort, self.date) if f)
        metrics = ", ".join(f"{name} {value:.10g}" for name, value in self.metrics.items())
        return f"{self.ref} {facts}" + (f": {metrics}" if metrics else "")


_FAMILY_TOKEN = re.compile(rb"model:([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)@")


def summarize_evaluation(doc: Document) -> EvaluationSummary | None:
    if doc.kind is not KINDS["Evaluation"] or not isinstance(doc.spec, dict):
        return None
    spec = doc.spec
    metrics: dict[str, float] = {}
    if isinstance(spec.get("metrics"), dict):
        for name, metric in spec["metrics"].items():
            value = metric.get("value") if isinstance(metric, dict) else None
            if isinstance(value, int | float) and not isinstance(value, bool):
                metrics[str(name)] = value
    ref = str(doc.ref) if doc.ref is not None else doc.path

    def text(key: str) -> str | None:
        value = spec.get(key)
        return value if isinstance(value, str) else None

    return EvaluationSummary(ref, doc.path, text("model") or "", doc.status, text("method"), text("cohort"),
                             text("date"), metrics)


def evaluations_at(git: GitHistory, log: list[LogEntry], wanted: list[Wanted]
                   ) -> dict[Wanted, tuple[EvaluationSummary, ...]]:
    """For each assigned version, the evaluations of it that existed at the commit that assigned it.

    Candidates are the evaluation files that at some time named the model (from the log over evaluations/, so a
    file deleted since still counts); whether and how each existed at the commit is asked of git in one batch.
    """
    paths_of_blob: dict[str, set[str]] = defaultdict(set)
    for entry in log:
        for raw in entry.changes:
            relpath = git.relative(raw.path)
            if relpath is None:
                continue
            for oid in (*raw.old_blobs, raw.new_blob):
                if not is_null_oid(oid):
                    paths_of_blob[oid].add(relpath)
    candidates: dict[str, set[str]] = defaultdict(set)
    for oid, paths in paths_of_blob.items():
        for token in set(_FAMILY_TOKEN.findall(git.blobs.get(oid, b""))):
            candidates[token.decode()].update(paths)
    lookups = sorted({(commit, path) for commit, family, _ in wanted for path in candidates[family]})
    found = dict(zip(lookups, object_ids(git.root, [f"{commit}:{git.prefix}{path}" for commit, path in lookups]),
                     strict=True))
    missing = sorted({oid for oid in found.values() if oid is not None and oid not in git.blobs})
    for oid, obj in zip(missing, read_objects(git.root, missing), strict=True):
        if obj is not None:
            git.blobs[oid] = obj.data
    summaries: dict[tuple[str, str], EvaluationSummary | None] = {}

    def summary(oid: str, path: str) -> EvaluationSummary | None:
        if (oid, path) not in summaries:
            doc, _ = parse_document(git.blobs.get(oid, b""), path)
            summaries[(oid, path)] = summarize_evaluation(doc) if doc is not None else None
        return summaries[(oid, path)]

    result: dict[Wanted, tuple[EvaluationSummary, ...]] = {}
    for commit, family, ref in wanted:
        evidence = []
        for path in sorted(candidates[family]):
            blob = found.get((commit, path))
            found_summary = summary(blob, path) if blob is not None else None
            if found_summary is not None and found_summary.model == ref:
                evidence.append(found_summary)
        result[(commit, family, ref)] = tuple(evidence)
    return result
