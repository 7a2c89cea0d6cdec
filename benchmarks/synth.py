"""Synthetic Charter registries for benchmarks: valid, realistic in size and shape, deterministic for a seed.

    python benchmarks/synth.py OUT_DIR [--scale small|full] [--seed N] [--no-git] [--force]

`build_registry` writes `registry.yaml`, models and their versions, event definitions, cohorts, contracts,
evaluations and the three environment files. Every reference resolves to an entry that is active (drafts exist,
but nothing released points at one), so `charter validate` reports nothing. Documents are built as Python dicts
and written with PyYAML's safe dumper (the C one when libyaml is present), one entry per file, at the place the
layout in docs/format.md gives it. With `git=True` (the CLI's default) the folder becomes a git repository with
one commit, for benchmarks that need history (`charter validate --base HEAD`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

try:
    _DUMPER: type[Any] = yaml.CSafeDumper
except AttributeError:  # PyYAML built without libyaml
    _DUMPER = yaml.SafeDumper

API_VERSION = "charter/v1"
ENVIRONMENTS = ("dev", "staging", "production")

#: Named sizes. `full` is the benchmark's default: 10,000 model versions across 500 models.
SCALES: dict[str, dict[str, int]] = {
    "small": {"models": 20, "versions_per_model": 3, "events": 12, "cohorts": 12, "contracts": 24,
              "evaluations": 12},
    "full": {"models": 500, "versions_per_model": 20, "events": 2000, "cohorts": 2000, "contracts": 2000,
             "evaluations": 1000},
}
#: Git history written on top of the registry with `git=True`: (commits, of which promotions), per scale.
HISTORY: dict[str, tuple[int, int]] = {"small": (40, 16), "full": (5000, 2000)}

# Which schema each kind's files carry in their `yaml-language-server` comment (as `charter init` writes them).
_SCHEMA_FILES = {
    "Registry": "registry.json", "Model": "model.json", "ModelVersion": "modelversion.json",
    "EventDefinition": "eventdefinition.json", "Cohort": "cohort.json", "Contract": "contract.json",
    "Evaluation": "evaluation.json", "Environment": "environment.json",
}


@dataclass(frozen=True)
class Domain:
    """Vocabulary of one business area, so that entries read like a real registry's."""

    name: str
    owner: str
    model_stems: tuple[str, ...]
    model_kinds: tuple[str, ...]
    task: str
    events: tuple[str, ...]
    cohort_stems: tuple[str, ...]
    system: str
    unit: str
    sites: tuple[str, ...]
    features: tuple[str, ...]
    categories: dict[str, tuple[str, ...]]
    code_system: str
    subgroup_attributes: dict[str, tuple[str, ...]]
    repo: str


DOMAINS: tuple[Domain, ...] = (
    Domain(
        "clinical", "team-clinical-ml",
        ("sepsis", "readmission", "deterioration", "no-show", "aki", "los", "falls", "delirium"),
        ("risk", "score", "early-warning"), "binary-classification",
        ("sepsis-onset", "readmission-30d", "icu-transfer", "aki-stage2", "inpatient-death", "fall-event"),
        ("adult-inpatients", "ed-visits", "surgical-admissions", "icu-stays", "outpatient-clinic"),
        "Epic Clarity", "encounter", ("north-general", "riverside", "st-marys", "lakeside", "hillcrest"),
        ("heart_rate", "resp_rate", "spo2", "temp_c", "sbp", "dbp", "lactate", "wbc", "creatinine", "platelets",
         "bilirubin", "gcs", "age_years", "bmi", "prior_admissions"),
        {"ward_type": ("medical", "surgical", "step-down", "oncology"),
         "admission_source": ("ed", "direct", "transfer"), "sex": ("female", "male", "unknown")},
        "ICD-10-CM", {"sex": ("female", "male"), "age_band": ("18-39", "40-64", "65-79", "80+"),
                      "site": ("north-general", "riverside", "st-marys")},
        "https://github.com/example-health/clinical-models",
    ),
    Domain(
        "payments", "@acme/fraud-ml",
        ("card-fraud", "ach-fraud", "merchant-risk", "account-takeover", "refund-abuse"),
        ("score", "detector", "classifier"), "binary-classification",
        ("chargeback-fraud", "account-takeover", "first-party-fraud", "merchant-collusion"),
        ("cnp-transactions", "card-present-transactions", "new-accounts", "high-value-merchants"),
        "Snowflake PAYMENTS.AUTHORISATIONS", "transaction", ("eu-west", "us-east", "ap-south"),
        ("amount", "amount_eur", "merchant_risk", "device_age_days", "ip_distance_km", "card_age_days",
         "velocity_1h", "velocity_24h", "decline_count_7d", "bin_country_match", "hour_of_day",
         "account_age_days", "chargebacks_90d"),
        {"channel": ("web", "app", "moto"), "card_type": ("credit", "debit", "prepaid"),
         "mcc_group": ("retail", "travel", "digital", "gambling")},
        "custom", {"channel": ("web", "app"), "card_type": ("credit", "debit", "prepaid"),
                   "region": ("eu-west", "us-east")},
        "git@gitlab.acme.example:fraud/models.git",
    ),
    Domain(
        "credit", "team-credit-risk",
        ("credit-default", "limit-increase", "collections", "early-delinquency"),
        ("model", "scorecard", "classifier"), "binary-classification",
        ("default-90dpd", "charge-off", "cure-30d", "bankruptcy-filing"),
        ("retail-applications", "card-applications", "sme-loans", "existing-customers"),
        "Teradata LOANS.APPLICATIONS", "application", ("uk", "de", "fr", "es"),
        ("income", "debt_to_income", "bureau_score", "utilisation", "months_on_book", "delinquencies_24m",
         "inquiries_6m", "loan_amount", "term_months", "employment_years", "age_years"),
        {"product": ("card", "personal-loan", "overdraft"), "housing": ("own", "rent", "other"),
         "employment": ("employed", "self-employed", "retired", "other")},
        "internal", {"product": ("card", "personal-loan"), "age_band": ("18-29", "30-49", "50+"),
                     "country": ("uk", "de", "fr")},
        "https://github.com/example-bank/credit-models",
    ),
    Domain(
        "operations", "team-ops-ml",
        ("demand", "eta", "staffing", "churn", "stockout", "late-delivery"),
        ("forecast", "predictor", "classifier"), "binary-classification",
        ("customer-churn-60d", "late-delivery", "stockout-event", "shift-understaffed"),
        ("active-customers", "deliveries", "store-days", "warehouse-shifts"),
        "BigQuery ops.events", "customer", ("north", "south", "east", "west"),
        ("tenure_days", "orders_30d", "basket_value", "support_tickets_90d", "distance_km", "traffic_index",
         "temperature_c", "promo_active", "days_since_last_order", "stock_level", "lead_time_days"),
        {"segment": ("consumer", "business", "premium"), "region": ("north", "south", "east", "west"),
         "weekday": ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        "internal", {"segment": ("consumer", "business"), "region": ("north", "south", "east", "west")},
        "https://github.com/example-retail/ops-models",
    ),
)

METHODS = ("retrospective", "shadow", "canary")
ARTIFACT_FORMATS = ("onnx", "xgboost-json", "lightgbm-txt", "joblib", "pt", "safetensors")
BASE_DATE = date(2022, 1, 3)


@dataclass
class Entry:
    """One versioned entry as the generator knows it: enough to refer to it and to pick consistent targets."""

    prefix: str
    name: str
    version: str
    status: str
    domain: Domain
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        return f"{self.prefix}:{self.name}@{self.version}"

    @property
    def released(self) -> bool:
        return self.status == "active"


class _Writer:
    """Writes documents at their registry path and keeps count of files and bytes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0
        self.counts: dict[str, int] = {}
        self._made: set[Path] = set()

    def write(self, relpath: str, doc: dict[str, Any]) -> None:
        kind = doc["kind"]
        depth = relpath.count("/")
        comment = f"# yaml-language-server: $schema={'../' * depth}.charter/schemas/{_SCHEMA_FILES[kind]}\n"
        text = comment + yaml.dump(doc, Dumper=_DUMPER, sort_keys=False, allow_unicode=True,
                                   default_flow_style=False, width=110)
        path = self.root / relpath
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        data = text.encode("utf-8")
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)
        self.counts[kind] = self.counts.get(kind, 0) + 1


# --- small helpers ---------------------------------------------------------------------------------------------


def _hex(rng: random.Random, digits: int) -> str:
    return f"{rng.getrandbits(digits * 4):0{digits}x}"


def _rate(rng: random.Random, low: float = 0.0, high: float = 1.0, digits: int = 3) -> float:
    return round(rng.uniform(low, high), digits)


def _day(rng: random.Random, start: date, span_days: int) -> date:
    return start + timedelta(days=rng.randrange(span_days))


def _timestamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _metadata(name: str, version: str | None, owner: str, description: str, status: str,
              tags: list[str] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if version is not None:
        meta["version"] = version
    meta.update(owner=owner, description=description, status=status)
    if tags:
        meta["tags"] = tags
    if annotations:
        meta["annotations"] = annotations
    return meta


def _document(kind: str, metadata: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec}


def _split(rng: random.Random, total: int, most: int) -> list[int]:
    """Versions per name: 1 to `most` each, summing to `total`."""
    sizes: list[int] = []
    left = total
    while left > 0:
        size = min(left, rng.randint(1, most))
        sizes.append(size)
        left -= size
    return sizes


def _versions(rng: random.Random, count: int) -> list[str]:
    """An increasing semver sequence: mostly minor bumps, some patches, an occasional major."""
    major, minor, patch = 1, 0, 0
    found = [f"{major}.{minor}.{patch}"]
    for _ in range(count - 1):
        roll = rng.random()
        if roll < 0.1:
            major, minor, patch = major + 1, 0, 0
        elif roll < 0.65:
            minor, patch = minor + 1, 0
        else:
            patch += 1
        found.append(f"{major}.{minor}.{patch}")
    return found


def _statuses(rng: random.Random, count: int, draft_share: float) -> list[str]:
    """All active, except that the newest of several versions is sometimes still a draft."""
    statuses = ["active"] * count
    if count > 1 and rng.random() < draft_share:
        statuses[-1] = "draft"
    return statuses


def _progressive(items: list[Entry], i: int, n: int) -> Entry:
    """The item at the same relative position in `items` as `i` is in range(n): later versions, later targets."""
    return items[min(len(items) - 1, i * len(items) // max(n, 1))]


def _released_by_name(entries: list[Entry]) -> dict[str, list[Entry]]:
    by_name: dict[str, list[Entry]] = {}
    for entry in entries:
        if entry.released:
            by_name.setdefault(entry.name, []).append(entry)
    return by_name


def _pick_name(rng: random.Random, pools: dict[str, list[str]], domain: Domain) -> str:
    pool = pools.get(domain.name) or [n for names in pools.values() for n in names]
    return rng.choice(pool)


def _names_by_domain(by_name: dict[str, list[Entry]]) -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {}
    for name, entries in by_name.items():
        pools.setdefault(entries[0].domain.name, []).append(name)
    return pools


# --- one builder per kind --------------------------------------------------------------------------------------


def _event_spec(rng: random.Random, domain: Domain, concept: str) -> dict[str, Any]:
    readable = concept.replace("-", " ")
    code_sets = {}
    for j in range(rng.randint(1, 3)):
        codes = sorted({f"{rng.choice('ABCDEFGHJKLMNPRSTZ')}{rng.randint(10, 99)}.{rng.randint(0, 9)}"
                        for _ in range(rng.randint(2, 8))})
        code_sets[f"{concept}-codes-{j + 1}"] = {
            "system": domain.code_system, "codes": codes,
            "description": f"Codes that mark {readable} (set {j + 1}).",
        }
    windows = [{"name": f"window-{j + 1}", "start": -rng.choice((0, 6, 24, 48)), "end": rng.choice((12, 24, 72, 120)),
                "unit": rng.choice(("hours", "days")), "description": f"Observation window {j + 1}."}
               for j in range(rng.randint(1, 3))]
    reviewed = _day(rng, BASE_DATE, 700)
    return {
        "description": f"The {readable} event for the {domain.unit}s of the {domain.name} domain.",
        "logic": (f"The event fires at the time anchor when a record carrying one of the {readable} codes is "
                  f"found inside the observation window and none of the exclusions applies. Records without "
                  f"follow-up for the whole window are unlabelled."),
        "codeSets": code_sets,
        "timeAnchor": f"Time of the {domain.unit} that starts the observation.",
        "windows": windows,
        "inclusion": [f"{domain.unit.capitalize()}s recorded in {domain.system}.",
                      "Complete follow-up for the whole observation window."],
        "exclusion": ["Test and synthetic records.", f"{domain.unit.capitalize()}s with a missing time anchor."],
        "implementation": {
            "repo": domain.repo, "path": f"labels/{concept.replace('-', '_')}.sql", "commit": _hex(rng, 40),
            "hash": f"sha256:{_hex(rng, 64)}", "language": "sql",
        },
        "validation": {
            "method": "chart-review", "ppv": _rate(rng, 0.7, 0.98), "sensitivity": _rate(rng, 0.6, 0.95),
            "sampleSize": rng.randint(100, 800), "reviewedAt": reviewed.isoformat(),
            "notes": "Stratified random sample reviewed by two people; disagreements adjudicated by a third.",
        },
        "reviewers": [
            {"name": "Dr. Lena Fischer", "role": "domain reviewer", "date": reviewed.isoformat()},
            {"name": "Tomás Rivera", "email": "t.rivera@example.org", "role": "data engineer",
             "date": (reviewed + timedelta(days=rng.randint(1, 14))).isoformat(),
             "note": "Checked the SQL against the written logic."},
        ],
    }


def _cohort_spec(rng: random.Random, domain: Domain, stem: str, event: Entry | None) -> dict[str, Any]:
    start = _day(rng, BASE_DATE, 900)
    end = start + timedelta(days=rng.randint(90, 730))
    size = rng.randint(5_000, 5_000_000)
    spec: dict[str, Any] = {
        "dataSource": {"system": domain.system, "snapshot": f"snapshot-{end.isoformat()}",
                       "snapshotDate": (end + timedelta(days=rng.randint(5, 60))).isoformat()},
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "unitOfAnalysis": domain.unit,
        "sites": sorted(rng.sample(domain.sites, rng.randint(1, len(domain.sites)))),
        "inclusion": [f"{domain.unit.capitalize()}s between the period start and end.",
                      f"Belongs to the {stem.replace('-', ' ')} population.",
                      "Complete outcome follow-up."][: rng.randint(1, 3)],
        "exclusion": ["Test and synthetic records.", "Records opted out of secondary use."],
        "size": size,
        "eventPrevalence": _rate(rng, 0.001, 0.2, 4),
    }
    if event is not None:
        spec["labelEvent"] = event.ref
    spec["materialization"] = {
        "uri": f"s3://example-ml/cohorts/{stem}/{end.isoformat()}/rows.parquet",
        "hash": f"sha256:{_hex(rng, 64)}", "rowCount": size, "format": "parquet",
        "query": f"cohorts/sql/{stem.replace('-', '_')}.sql",
    }
    return spec


def _input_fields(rng: random.Random, domain: Domain) -> list[dict[str, Any]]:
    wanted = rng.randint(10, 30)
    candidates = [f"{base}_{agg}" for base in domain.features for agg in ("last", "mean_6h", "max_24h", "trend")]
    rng.shuffle(candidates)
    fields: list[dict[str, Any]] = []
    categories = list(domain.categories.items())
    rng.shuffle(categories)
    for name, allowed in categories[: rng.randint(1, len(categories))]:
        fields.append({"name": name, "type": "category", "description": f"The {name.replace('_', ' ')}.",
                       "required": True, "allowed": list(allowed), "missing": {"behaviour": "fallback"}})
    fields.append({"name": "event_time", "type": "datetime", "description": "When the scored event happened.",
                   "required": True, "missing": {"behaviour": "reject"}})
    for name in candidates:
        if len(fields) >= wanted:
            break
        integer = name.endswith(("_days_last", "_count_last")) or rng.random() < 0.15
        low = rng.choice((0, 0, -10))
        item: dict[str, Any] = {
            "name": name, "type": "integer" if integer else "number",
            "unit": rng.choice(("count", "days", "mmol/L", "EUR", "ratio", "km", "percent")),
            "description": f"{name.replace('_', ' ').capitalize()}, from the feature store.",
            "required": rng.random() < 0.4,
            "range": {"min": low, "max": low + rng.choice((1, 100, 1000, 100000))},
        }
        if rng.random() < 0.6:
            item["freshness"] = {"maxAge": rng.choice(("PT15M", "PT1H", "PT6H", "PT24H", "P1D", "P7D")),
                                 "source": rng.choice(("feature-store", "stream", "batch-daily"))}
        behaviour = rng.choice(("propagate", "impute", "default", "reject"))
        missing: dict[str, Any] = {"behaviour": behaviour}
        if behaviour in ("impute", "default"):
            missing["value"] = 0 if integer else -1.0
            missing["note"] = "Sentinel the model was trained with."
        item["missing"] = missing
        fields.append(item)
    if len(fields) < wanted:
        fields.append({"name": "is_weekend", "type": "boolean", "description": "Scored on a Saturday or Sunday.",
                       "required": True, "missing": {"behaviour": "default", "value": False}})
    return fields


def _contract_spec(rng: random.Random, domain: Domain, model: str) -> dict[str, Any]:
    fields = _input_fields(rng, domain)
    p50 = rng.choice((5, 8, 20, 40, 80))
    if rng.random() < 0.7:
        first = _rate(rng, 0.05, 0.3, 2)
        output: dict[str, Any] = {
            "type": "probability", "range": {"min": 0, "max": 1},
            "interpretation": "Calibrated probability of the label event within the prediction horizon.",
            "thresholds": [
                {"value": first, "label": "watch", "meaning": "Several times the base rate.",
                 "action": "Show an amber badge."},
                {"value": round(min(0.99, first + _rate(rng, 0.1, 0.5, 2)), 2), "label": "alert",
                 "meaning": "High risk; about one in four alerts is a true event.",
                 "action": "Page the responsible team for a review."},
            ],
        }
    else:
        output = {
            "type": "score", "range": {"min": 0, "max": 1000},
            "interpretation": "Risk score; higher is riskier. Not a probability.",
            "thresholds": [{"value": 600, "label": "step-up", "meaning": "Ask for additional verification."},
                           {"value": 900, "label": "review", "meaning": "Send to the analyst queue."}],
        }
    fallback: dict[str, Any] = {"behaviour": rng.choice(("return-default", "no-score", "rule-based",
                                                         "previous-version"))}
    fallback["description"] = "What the caller gets when the model cannot answer in time."
    if fallback["behaviour"] == "return-default":
        fallback["value"] = 0
    return {
        "model": f"model:{model}",
        "input": {"fields": fields},
        "latency": {"p50Ms": p50, "p99Ms": p50 * rng.choice((3, 5, 8)), "timeoutMs": p50 * 20},
        "output": output,
        "logging": {"fields": ["request_id", "scored_at", "score", "model_version", "input_hash"],
                    "retentionDays": rng.choice((90, 400, 2555)),
                    "destination": "kafka://scoring-audit"},
        "fallback": fallback,
    }


def _model_spec(rng: random.Random, domain: Domain, name: str, tier: str) -> dict[str, Any]:
    return {
        "task": domain.task,
        "domain": domain.name,
        "intendedUse": (f"Score every {domain.unit} so that the {domain.owner} on-call reviews the highest-risk "
                        f"ones first. Advisory only: people decide what to do with the score."),
        "outOfScopeUse": [f"Any population other than the {domain.unit}s it was trained on.",
                          "Fully automated decisions without human review."],
        "riskTier": tier,
        "owners": [{"name": "Dr. Amara Okafor", "email": "a.okafor@example.org", "role": "business lead"},
                   {"name": domain.owner, "role": "engineering owner"}],
        "links": [{"title": "Model card", "url": f"https://wiki.example.org/ml/{name}"},
                  {"title": "Dashboard", "url": f"https://grafana.example.org/d/{name}"}],
    }


def _model_version_spec(rng: random.Random, entry: Entry, contract: Entry, event: Entry,
                        training: Entry | None, validation: Entry | None, parent: Entry | None,
                        started: datetime) -> dict[str, Any]:
    name, version, domain = entry.name, entry.version, entry.domain
    fmt = rng.choice(ARTIFACT_FORMATS)
    directory = fmt in ("xgboost-json", "pt")
    spec: dict[str, Any] = {
        "artifact": {
            "path": f"artifacts/{name}/{version}" + ("" if directory else "/model.bin"),
            "hash": _hex(rng, 32) + (".dir" if directory else ""),
            "size": rng.randint(100_000, 500_000_000), "format": fmt, "remote": "storage",
        },
        "provenance": {
            "codeRepo": domain.repo, "commit": _hex(rng, 40), "dirty": rng.random() < 0.05,
            "entryPoint": f"python -m train --model {name} --config configs/{version}.yaml",
            "params": {"n_estimators": rng.choice((200, 400, 600, 800)), "max_depth": rng.randint(3, 10),
                       "learning_rate": rng.choice((0.01, 0.03, 0.05, 0.1)), "subsample": _rate(rng, 0.5, 1, 2),
                       "feature_set": f"{domain.name}-v{rng.randint(1, 9)}",
                       "lookback_hours": sorted(rng.sample((1, 6, 12, 24, 48, 72), 3)),
                       "early_stopping": rng.random() < 0.8, "scale_pos_weight": None},
            "datasets": [{"name": f"{name}-training", "version": started.date().isoformat(),
                          "uri": f"s3://example-ml/datasets/{name}/{started.date().isoformat()}/",
                          "hash": _hex(rng, 32) + ".dir"}],
            "environment": {"python": rng.choice(("3.10.14", "3.11.8", "3.12.3")), "platform": "linux-x86_64",
                            "packages": {"xgboost": "2.0.3", "scikit-learn": "1.4.2", "pandas": "2.2.1",
                                         "numpy": "1.26.4"}},
            "startedAt": _timestamp(started),
            "finishedAt": _timestamp(started + timedelta(minutes=rng.randint(5, 600))),
        },
        "metrics": {"auroc": _rate(rng, 0.7, 0.95), "auprc": _rate(rng, 0.1, 0.6), "brier": _rate(rng, 0.02, 0.2)},
        "labelEvent": event.ref,
    }
    if training is not None:
        spec["trainingCohorts"] = [training.ref]
    if validation is not None:
        spec["validationCohorts"] = [validation.ref]
    spec["contract"] = contract.ref
    if parent is not None:
        spec["parent"] = parent.ref
    spec["notes"] = "Retrained on a fresh snapshot; same features as the parent unless the contract changed."
    return spec


def _invariant_input(rng: random.Random, fields: list[dict[str, Any]]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for item in fields[: rng.randint(3, 8)]:
        kind = item["type"]
        if kind == "category":
            values[item["name"]] = item["allowed"][0]
        elif kind == "boolean":
            values[item["name"]] = False
        elif kind == "datetime":
            values[item["name"]] = "2024-03-01T12:00:00Z"
        elif kind == "integer":
            values[item["name"]] = rng.randint(0, 50)
        else:
            values[item["name"]] = _rate(rng, 0, 10, 2)
    return values


def _evaluation_spec(rng: random.Random, model: Entry, method: str, cohort: Entry, event: Entry,
                     baseline: Entry | None, day: date) -> dict[str, Any]:
    domain = model.domain
    auroc = _rate(rng, 0.7, 0.93)
    metrics: dict[str, Any] = {
        "auroc": {"value": auroc, "ciLower": round(auroc - 0.012, 3), "ciUpper": round(auroc + 0.011, 3),
                  "ciLevel": 0.95, "method": "bootstrap-1000"},
        "auprc": {"value": _rate(rng, 0.1, 0.6)},
        "brier": {"value": _rate(rng, 0.02, 0.2)},
    }
    thresholds = []
    # One cohort scored once: events and non-events are fixed, alerts fall as the threshold rises (CH806, CH808).
    # ... and that is the cohort as recorded (its size and prevalence: CH830, CH831)
    units = int(cohort.extra.get("size", 200_000))
    events = max(20, round(units * float(cohort.extra.get("prevalence", 0.02))))
    non_events = units - events
    tp = events - rng.randint(1, max(1, events // 10))
    fp = rng.randint(max(1, non_events // 50), max(2, non_events // 20))
    for j in range(rng.randint(3, 8)):
        tp, fp = max(1, tp - rng.randint(0, tp // 4)), max(1, fp - rng.randint(0, fp // 3))
        tn, fn = non_events - fp, events - tp
        thresholds.append({
            "threshold": round(0.05 + 0.1 * j, 2), "alertsPerDay": round(rng.uniform(1, 200), 1),
            "alertRate": round((tp + fp) / (tp + fp + tn + fn), 4), "sensitivity": round(tp / (tp + fn), 3),
            "ppv": round(tp / (tp + fp), 3), "specificity": round(tn / (tn + fp), 4),
            "npv": round(tn / (tn + fn), 4), "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        })
    subgroups = []
    for attribute, values in domain.subgroup_attributes.items():
        for value in values:
            subgroups.append({
                "name": f"{attribute}={value}", "attribute": attribute, "value": value,
                # each value at most its share of the units, at no more than the cohort's prevalence (CH817)
                "n": rng.randint(1, max(1, units // (len(values) + 1))),
                "prevalence": round(events / units * rng.uniform(0.5, 1.0), 4),
                "metrics": {"auroc": _rate(rng, 0.65, 0.95), "sensitivity": _rate(rng, 0.3, 0.9),
                            "ppv": _rate(rng, 0.05, 0.5)},
            })
    bins = [{"predicted": round(0.05 + 0.1 * j, 2), "observed": min(1.0, _rate(rng, 0.04 + 0.09 * j, 0.06 + 0.1 * j)),
             "n": rng.randint(1, max(1, units // 11))} for j in range(rng.randint(5, 10))]  # CH818
    fields = model.extra["fields"]
    invariants = []
    for j in range(rng.randint(1, 3)):
        result = _rate(rng, 0, 0.04)
        invariants.append({"name": f"low-risk-profile-{j + 1}", "description": "A low-risk profile scores low.",
                           "input": _invariant_input(rng, fields), "expected": {"max": 0.05}, "result": result,
                           "passed": True})
    spec: dict[str, Any] = {
        "model": model.ref, "cohort": cohort.ref, "event": event.ref,
        "dataSnapshot": f"snapshot-{day.isoformat()}", "method": method, "metrics": metrics,
        "thresholds": thresholds, "operatingThreshold": thresholds[len(thresholds) // 2]["threshold"],
        "subgroups": subgroups,
        "calibration": {"slope": _rate(rng, 0.85, 1.1), "intercept": _rate(rng, -0.1, 0.1),
                        "brier": metrics["brier"]["value"], "ece": _rate(rng, 0.002, 0.05), "bins": bins},
        "invariants": invariants,
    }
    if baseline is not None:
        spec["baseline"] = baseline.ref
    spec.update(evaluator="ci/charter-evaluate", date=day.isoformat(),
                notes="Alert volume at the operating threshold is within the policy's allowance.")
    return spec


def _registry_document(cohorts: list[Entry]) -> dict[str, Any]:
    cohort_names = sorted({c.name for c in cohorts if c.released})[:2]
    production_cohorts = [*cohort_names[:1]]
    released_cohorts = [c for c in cohorts if c.released]
    if released_cohorts:
        production_cohorts.append(released_cohorts[0].ref)
    return _document("Registry", _metadata(
        "synthetic-benchmark-registry", None, "team-ml-platform",
        "Synthetic registry generated by benchmarks/synth.py to measure charter.", "active"), {
        "environments": [
            {"name": "dev", "description": "Anything goes; no approvals.", "protected": False},
            {"name": "staging", "description": "Shadow scoring on a copy of live traffic.", "protected": True},
            {"name": "production", "description": "Live use.", "protected": True},
        ],
        "policy": {
            "staging": {"requirePreviousEnvironment": True,
                        "evaluation": {"cohorts": cohort_names, "maxAgeDays": 180, "methods": ["retrospective"]},
                        "requireInvariants": True, "approvers": ["@example/ml-reviewers"], "minApprovals": 1},
            "production": {"requirePreviousEnvironment": True,
                           "evaluation": {"cohorts": production_cohorts, "maxAgeDays": 90,
                                          "methods": ["retrospective", "shadow"]},
                           "metricFloors": {"auroc": 0.7}, "maxAlertVolumeIncrease": 0.2,
                           "requireInvariants": True, "requireCompatibleContract": True,
                           "approvers": ["@example/model-risk", "@example/governance"], "minApprovals": 2},
        },
        "artifacts": {"remote": {"name": "storage", "url": "s3://example-ml-artifacts/dvc"}},
        "forge": {"type": "github", "repository": "example/ml-registry", "apiUrl": "https://api.github.com"},
        "naming": {"modelPattern": "^[a-z]+(-[a-z0-9]+)*$",
                   "evaluationPattern": "^[a-z0-9-]+-(retrospective|shadow|canary)$"},
        "riskTiers": {"high": {"requiredFields": ["spec.provenance", "spec.validationCohorts"]},
                      "critical": {"requiredFields": ["spec.provenance", "spec.validationCohorts",
                                                      "spec.provenance.datasets"]}},
    })


def _environment_documents(rng: random.Random, versions: dict[str, list[Entry]]) -> dict[str, dict[str, Any]]:
    assignments: dict[str, list[dict[str, Any]]] = {env: [] for env in ENVIRONMENTS}
    moment = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    for name in sorted(versions):
        released = [v for v in versions[name] if v.released]
        if not released:
            continue
        newest = released[-1]
        assignments["dev"].append({"model": newest.ref, "mode": "full", "promotedAt": _timestamp(moment),
                                   "reason": "Latest released version."})
        moment += timedelta(minutes=37)
        if rng.random() < 0.6:
            chosen = released[-2] if len(released) > 1 and rng.random() < 0.5 else newest
            assignments["staging"].append({"model": chosen.ref, "mode": rng.choice(("full", "shadow")),
                                           "promotedAt": _timestamp(moment), "reason": "Shadow run before release."})
            if rng.random() < 0.6:
                stable = released[max(0, len(released) - 3)]
                assignments["production"].append({"model": stable.ref, "mode": "full",
                                                  "promotedAt": _timestamp(moment),
                                                  "reason": "Passed the production gate."})
                if stable is not newest and rng.random() < 0.3:
                    assignments["production"].append({"model": newest.ref, "mode": "canary",
                                                      "percent": rng.choice((5, 10, 25)),
                                                      "promotedAt": _timestamp(moment),
                                                      "reason": "Canary while alert volume is watched."})
    descriptions = {"dev": "Development: the newest released version of every model.",
                    "staging": "Pre-production shadow scoring on a copy of live traffic.",
                    "production": "Models serving live traffic. Changed only by promotion pull requests."}
    return {env: _document("Environment", _metadata(env, None, "team-ml-platform", descriptions[env], "active"),
                           {"assignments": assignments[env]})
            for env in ENVIRONMENTS}


def _write_schemas(root: Path) -> None:
    """The bundled schemas `charter init` puts in .charter/schemas (for editors); skipped without charter."""
    try:
        from charter.registry.schemas import bundled_schema, schema_kinds
    except ImportError:  # pragma: no cover - the generator also works outside charter's environment
        return
    folder = root / ".charter" / "schemas"
    folder.mkdir(parents=True, exist_ok=True)
    for kind in schema_kinds():
        (folder / kind.schema_file).write_text(json.dumps(bundled_schema(kind), indent=2) + "\n", encoding="utf-8")


# --- the registry ----------------------------------------------------------------------------------------------


def build_registry(root: Path, models: int, versions_per_model: int, events: int, cohorts: int, contracts: int,
                   evaluations: int, seed: int = 0, *, git: bool = False,
                   history: tuple[int, int] = (1, 0)) -> dict[str, Any]:
    """Write a valid synthetic registry at `root` (which must be empty or missing) and describe what it holds.

    Counts are numbers of entry files. Models need at least one event definition and one contract (a model
    version must name both); evaluations need at least one cohort. Returns counts per kind, the total number of
    entries (files below the entry folders), bytes written, a few sample paths and, with `git`, the commit.
    With `git`, `history` = (commits, promotions) gives the repository that many commits (see `write_history`);
    the files at HEAD are the same whatever the history.
    """
    if min(models, versions_per_model, events, cohorts, contracts, evaluations) < 0:
        raise ValueError("counts must not be negative")
    if models and versions_per_model and (events < 1 or contracts < 1):
        raise ValueError("model versions need at least one event definition and one contract")
    if evaluations and (cohorts < 1 or not (models and versions_per_model)):
        raise ValueError("evaluations need at least one cohort and one model version")
    if root.exists() and any(root.iterdir()):
        raise FileExistsError(f"{root} exists and is not empty")
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    out = _Writer(root)

    # Event definitions: ~1-3 versions per name, names spread over the domains.
    event_entries: list[Entry] = []
    for i, size in enumerate(_split(rng, events, 3)):
        domain = DOMAINS[i % len(DOMAINS)]
        concept = domain.events[(i // len(DOMAINS)) % len(domain.events)]
        name = f"{concept}-{i:04d}"
        for version, status in zip(_versions(rng, size), _statuses(rng, size, 0.1), strict=True):
            entry = Entry("event", name, version, status, domain)
            event_entries.append(entry)
            readable = concept.replace("-", " ")
            out.write(f"events/{name}/{version}.yaml", _document("EventDefinition", _metadata(
                name, version, domain.owner, f"Label definition for {readable} ({domain.name}), version {version}.",
                status, tags=[domain.name, "label"]), _event_spec(rng, domain, concept)))
    events_by_name = _released_by_name(event_entries)
    event_pools = _names_by_domain(events_by_name)

    # Cohorts, each labelled by a released event definition of its domain.
    cohort_entries: list[Entry] = []
    for i, size in enumerate(_split(rng, cohorts, 3)):
        domain = DOMAINS[i % len(DOMAINS)]
        stem = domain.cohort_stems[(i // len(DOMAINS)) % len(domain.cohort_stems)]
        name = f"{stem}-{i:04d}"
        label_name = _pick_name(rng, event_pools, domain) if event_pools else None
        for j, (version, status) in enumerate(zip(_versions(rng, size), _statuses(rng, size, 0.1), strict=True)):
            entry = Entry("cohort", name, version, status, domain)
            cohort_entries.append(entry)
            label = _progressive(events_by_name[label_name], j, size) if label_name else None
            spec = _cohort_spec(rng, domain, stem, label)
            entry.extra.update(size=spec["size"], prevalence=spec["eventPrevalence"])  # the evaluations agree
            out.write(f"cohorts/{name}/{version}.yaml", _document("Cohort", _metadata(
                name, version, domain.owner, f"The {stem.replace('-', ' ')} population, snapshot {j + 1}.",
                status, tags=[domain.name, "cohort"]), spec))
    cohorts_by_name = _released_by_name(cohort_entries)
    cohort_pools = _names_by_domain(cohorts_by_name)

    # Model families.
    model_names: list[str] = []
    model_domains: dict[str, Domain] = {}
    for i in range(models):
        domain = DOMAINS[i % len(DOMAINS)]
        stem = domain.model_stems[(i // len(DOMAINS)) % len(domain.model_stems)]
        name = f"{stem}-{rng.choice(domain.model_kinds)}-{i:03d}"
        model_names.append(name)
        model_domains[name] = domain
        tier = rng.choice(("low", "medium", "high", "high", "critical"))
        out.write(f"models/{name}/model.yaml", _document("Model", _metadata(
            name, None, domain.owner, f"{stem.replace('-', ' ').capitalize()} model for the {domain.name} domain.",
            "active", tags=[domain.name, stem], annotations={"cost-centre": f"cc-{1000 + i % 37}"}),
            _model_spec(rng, domain, name, tier)))

    # Contracts: a few names per model family (round robin), 1-3 versions each.
    contract_entries: list[Entry] = []
    contracts_of: dict[str, list[Entry]] = {}
    channels = ("serving", "batch", "stream", "api")
    per_model: dict[str, int] = {}
    for i, size in enumerate(_split(rng, contracts if models else 0, 3)):
        model = model_names[i % len(model_names)]
        domain = model_domains[model]
        k = per_model.get(model, 0)
        per_model[model] = k + 1
        name = f"{model}-{channels[k]}" if k < len(channels) else f"{model}-serving-{k}"
        for version, status in zip(_versions(rng, size), _statuses(rng, size, 0.1), strict=True):
            entry = Entry("contract", name, version, status, domain)
            contract_entries.append(entry)
            spec = _contract_spec(rng, domain, model)
            entry.extra["fields"] = spec["input"]["fields"]
            if entry.released:
                contracts_of.setdefault(model, []).append(entry)
            out.write(f"contracts/{name}/{version}.yaml", _document("Contract", _metadata(
                name, version, domain.owner, f"{channels[k % len(channels)].capitalize()} contract of {model}.",
                status, tags=[domain.name]), spec))
    released_contracts = [c for c in contract_entries if c.released]

    # Model versions: a chain of parents, targets that move forward with the versions.
    version_entries: dict[str, list[Entry]] = {}
    for i, model in enumerate(model_names):
        domain = model_domains[model]
        n = versions_per_model
        own_contracts = contracts_of.get(model) or released_contracts[i % max(1, len(released_contracts)):][:1]
        event_name = _pick_name(rng, event_pools, domain) if n else ""
        training_name = _pick_name(rng, cohort_pools, domain) if cohort_pools and n else None
        holdout_name = _pick_name(rng, cohort_pools, domain) if cohort_pools and n else None
        if holdout_name is not None and holdout_name == training_name:  # a hold-out other than the training set
            others = [c for names in cohort_pools.values() for c in names if c != training_name]
            holdout_name = rng.choice(others) if others else holdout_name
        statuses = _statuses(rng, n, 0.15)
        started = datetime(2022, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 24 * 400))
        chain: list[Entry] = []
        for j, (version, status) in enumerate(zip(_versions(rng, n), statuses, strict=True)):
            entry = Entry("model", model, version, status, domain)
            contract = _progressive(own_contracts, j, n)
            entry.extra["fields"] = contract.extra["fields"]
            training = _progressive(cohorts_by_name[training_name], j, n) if training_name else None
            holdout = _progressive(cohorts_by_name[holdout_name], j, n) if holdout_name else None
            spec = _model_version_spec(rng, entry, contract, _progressive(events_by_name[event_name], j, n),
                                       training, holdout, chain[-1] if chain else None, started)
            entry.extra["event"] = spec["labelEvent"]
            chain.append(entry)
            started += timedelta(days=rng.randint(7, 60), minutes=rng.randint(0, 600))
            out.write(f"models/{model}/versions/{version}.yaml", _document("ModelVersion", _metadata(
                model, version, domain.owner, f"{model} {version}: retrained on the snapshot of "
                f"{started.date().isoformat()}.", status, tags=[domain.name, spec["artifact"]["format"]],
                annotations={"charter.dev/registered-by": "charter register"}), spec))
        version_entries[model] = chain

    # Evaluations of released model versions on a cohort of their domain.
    released_versions = [v for chain in version_entries.values() for v in chain if v.released]
    event_lookup = {e.ref: e for e in event_entries}
    if evaluations and not released_versions:
        raise ValueError("evaluations need a released model version (versions_per_model >= 1)")
    remaining = evaluations
    seen: set[tuple[str, str]] = set()
    order = list(range(len(released_versions)))
    rng.shuffle(order)
    cursor = 0
    while remaining > 0:
        if cursor > 4 * len(order):
            raise ValueError(f"{evaluations} evaluations is too many for {len(order)} released model versions")
        model_entry = released_versions[order[cursor % len(order)]]
        method = METHODS[(cursor // len(order)) % len(METHODS)] if cursor >= len(order) else \
            rng.choice(METHODS[:2])
        cursor += 1
        if (model_entry.ref, method) in seen:
            continue
        seen.add((model_entry.ref, method))
        name = f"{model_entry.name}-{model_entry.version.replace('.', '-')}-{method}"
        size = min(remaining, rng.choice((1, 1, 1, 2)))
        remaining -= size
        cohort_name = _pick_name(rng, cohort_pools, model_entry.domain)
        chain = version_entries[model_entry.name]
        position = chain.index(model_entry)
        baseline = chain[position - 1] if position else None
        event = event_lookup[model_entry.extra["event"]]
        for j, version in enumerate(_versions(rng, size)):
            day = BASE_DATE + timedelta(days=800 + rng.randrange(400))
            cohort = _progressive(cohorts_by_name[cohort_name], j, size)
            out.write(f"evaluations/{name}/{version}.yaml", _document("Evaluation", _metadata(
                name, version, model_entry.domain.owner,
                f"{method.capitalize()} evaluation of {model_entry.ref} on {cohort.ref}.", "active",
                tags=[model_entry.domain.name, method]),
                _evaluation_spec(rng, model_entry, method, cohort, event, baseline, day)))

    for env, doc in _environment_documents(rng, version_entries).items():
        out.write(f"environments/{env}.yaml", doc)
    out.write("registry.yaml", _registry_document(cohort_entries))
    _write_schemas(root)

    entries = out.files - 1
    samples = {}
    if released_versions:
        sample = released_versions[len(released_versions) // 2]
        samples["model_version"] = f"models/{sample.name}/versions/{sample.version}.yaml"
    result: dict[str, Any] = {
        "root": str(root), "seed": seed,
        "params": {"models": models, "versions_per_model": versions_per_model, "events": events,
                   "cohorts": cohorts, "contracts": contracts, "evaluations": evaluations},
        "counts": dict(sorted(out.counts.items())), "entries": entries, "files": out.files, "bytes": out.bytes,
        "samples": samples,
    }
    if git:
        result["commit"] = git_commit(root, "Synthetic registry for benchmarks")
        commits, promotions = history
        if commits > 1:
            result["commit"] = write_history(root, rng, version_entries, commits - 1, promotions,
                                             result["commit"])
            result["history"] = {"commits": commits, "promotions": promotions}
    return result


def write_history(root: Path, rng: random.Random, versions: dict[str, list[Entry]], commits: int,
                  promotions: int, parent: str) -> str:
    """`commits` more commits on HEAD, `promotions` of them promotions, through one `git fast-import`.

    Promotions come in pairs on `environments/production.yaml`: a model is moved to an older released version and
    later back (each with the trailers `charter promote` writes), so HEAD's files stay those `build_registry`
    wrote. The other commits add a line to `CHANGELOG.md` (outside the entry folders). Returns HEAD's id.
    """
    env_path = "environments/production.yaml"
    final = (root / env_path).read_text(encoding="utf-8")
    lines = final.splitlines(keepends=True)
    slots = []  # (line index, model name, current ref, an older released ref)
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("- model: model:") or stripped.startswith("model: model:"):
            ref = stripped.split("model: ", 1)[1]
            name, version = ref.removeprefix("model:").split("@")
            older = [v for v in versions.get(name, []) if v.released and v.version != version]
            if older:
                slots.append((i, name, ref, rng.choice(older).ref))
    if promotions and not slots:
        raise ValueError("no production assignment has an older released version to promote")
    kinds = ["promotion"] * (promotions // 2) + ["other"] * (commits - 2 * (promotions // 2))
    rng.shuffle(kinds)
    moment = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    stream: list[bytes] = []
    changelog: list[str] = []

    def commit(message: str, path: str, text: str) -> None:
        nonlocal moment
        moment += timedelta(minutes=rng.randrange(5, 90))
        stamp = f"{int(moment.timestamp())} +0000"
        data, body = text.encode("utf-8"), message.encode("utf-8")
        stream.append(b"commit refs/heads/main\n"
                      + f"author Bench <bench@localhost> {stamp}\ncommitter Bench <bench@localhost> {stamp}\n".encode()
                      + b"data %d\n%s\n" % (len(body), body)
                      + (f"from {parent}\n".encode() if not stream else b"")
                      + b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data))

    def message(name: str, before: str, after: str) -> str:
        old, new = before.split("@")[1], after.split("@")[1]
        return (f"Promote {name} {new} to production\n\nCharter-Promotion: {after}\nModel: {name}\n"
                f"From-Version: {old}\nTo-Version: {new}\nEnvironment: production\nMode: full\n"
                "Reason: Synthetic promotion for benchmarks")

    for kind in kinds:
        if kind == "promotion":
            line, name, current, older = rng.choice(slots)
            original = lines[line]
            lines[line] = original.replace(current, older)
            commit(message(name, current, older), env_path, "".join(lines))
            lines[line] = original
            commit(message(name, older, current), env_path, "".join(lines))
        else:
            changelog.append(f"- {moment.date().isoformat()}: registry housekeeping {len(changelog) + 1}\n")
            commit(f"Housekeeping {len(changelog)}", "CHANGELOG.md", "".join(changelog))
    env = git_environment()
    subprocess.run(["git", "fast-import", "--quiet", "--force"], cwd=root, env=env, check=True,
                   input=b"".join(stream), capture_output=True)
    subprocess.run(["git", "reset", "--quiet", "--hard", "main"], cwd=root, env=env, check=True,
                   capture_output=True)
    if (root / env_path).read_text(encoding="utf-8") != final:
        raise RuntimeError("history generation changed the final environment file")
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, env=env, check=True, capture_output=True,
                          text=True).stdout.strip()


def git_environment() -> dict[str, str]:
    """This process's environment without git's own variables (which would point git at another repository)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}


def git_commit(root: Path, message: str) -> str:
    """`git init` (when needed), add everything, one commit; returns its id."""
    def run(*args: str) -> str:
        return subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@localhost",
                               "-c", "commit.gpgsign=false", *args], cwd=root, env=git_environment(),
                              check=True, capture_output=True, text=True).stdout.strip()

    if not (root / ".git").exists():
        run("init", "--quiet", "--initial-branch=main")
    run("add", "--all")
    run("commit", "--quiet", "--no-verify", "-m", message)
    return run("rev-parse", "HEAD")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a synthetic Charter registry (valid, deterministic).")
    parser.add_argument("out_dir", type=Path, help="folder to create (must be missing or empty)")
    parser.add_argument("--scale", choices=sorted(SCALES), default="full", help="named size (default: full)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--no-git", action="store_true", help="do not git init and commit")
    parser.add_argument("--force", action="store_true", help="delete OUT_DIR first if it exists")
    args = parser.parse_args(argv)
    if args.force and args.out_dir.exists():
        shutil.rmtree(args.out_dir)
    try:
        summary = build_registry(args.out_dir, **SCALES[args.scale], seed=args.seed, git=not args.no_git,
                                 history=HISTORY[args.scale])
    except (FileExistsError, ValueError) as exc:
        print(f"synth: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
