"""Environment checks: assignments name declared environments and released model versions, once each."""

from __future__ import annotations

from pathlib import Path

from charter.registry.config import RegistryConfig
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS, REGISTRY_KIND
from charter.registry.uris import uri_has_credentials


def check_environment(doc: Document, index: RegistryIndex, config: RegistryConfig) -> list[Finding]:
    if doc.kind is not KINDS["Environment"] or doc.name is None:
        return []
    findings: list[Finding] = []
    if config.document is not None and doc.name not in config.environments:
        declared = ", ".join(config.environments) or "none"
        findings.append(finding("CH501", doc.path, doc.place(("metadata", "name")), name=doc.name,
                                declared=declared))
    spec = doc.spec if isinstance(doc.spec, dict) else {}
    assignments = spec.get("assignments")
    seen: dict[str, int] = {}
    for i, assignment in enumerate(assignments if isinstance(assignments, list) else []):
        model = assignment.get("model") if isinstance(assignment, dict) else None
        if not isinstance(model, str):
            continue
        field = ("spec", "assignments", i, "model")
        if model in seen:
            findings.append(finding("CH504", doc.path, doc.place(field), model=model,
                                    first=seen[model] + 1))
            continue
        seen[model] = i
        target = index.get(model)
        if target is not None and target.status == "draft":
            findings.append(finding("CH502", doc.path, doc.place(field), model=model,
                                    environment=doc.name, path=target.path))
    return findings


def check_registry_config(doc: Document, config: RegistryConfig, index: RegistryIndex,
                          *, whole_registry: bool) -> list[Finding]:
    """registry.yaml's policy names only declared environments; each declared one has its file."""
    if doc.kind is not REGISTRY_KIND:
        return []
    findings: list[Finding] = []
    for env in config.policy:
        if env not in config.environments:
            findings.append(finding("CH506", doc.path, doc.place(("spec", "policy", env), key=True),
                                    environment=env, declared=", ".join(config.environments) or "none"))
    findings.extend(_policy_cohorts(doc, config, index))
    findings.extend(_mlflow_config(doc, config))
    if whole_registry:
        present = {d.name for d in index.entries(KINDS["Environment"])}
        for i, env in enumerate(config.environments):
            if env not in present:
                findings.append(finding("CH503", doc.path, doc.place(("spec", "environments", i)),
                                        environment=env))
    return findings


def _mlflow_config(doc: Document, config: RegistryConfig) -> list[Finding]:
    """`spec.mlflow`: aliases of declared environments, no alias both Charter's and not, no secret in the URI."""
    findings: list[Finding] = []
    unmanaged = set(config.mlflow_unmanaged)
    for env, alias in config.mlflow_aliases.items():
        if env not in config.environments:
            findings.append(finding("CH509", doc.path, doc.place(("spec", "mlflow", "aliases", env), key=True),
                                    environment=env, declared=", ".join(config.environments) or "none"))
        if alias in unmanaged:
            findings.append(finding("CH511", doc.path, doc.place(("spec", "mlflow", "aliases", env)),
                                    environment=env, alias=alias))
    uri = config.mlflow.get("trackingUri")
    if isinstance(uri, str) and uri_has_credentials(uri):
        findings.append(finding("CH510", doc.path, doc.place(("spec", "mlflow", "trackingUri"))))
    return findings


def _policy_cohorts(doc: Document, config: RegistryConfig, index: RegistryIndex) -> list[Finding]:
    """Evidence cohorts named by the policy exist: a cohort name means any of its versions."""
    findings: list[Finding] = []
    cohort = KINDS["Cohort"]
    for env, rules in config.policy.items():
        cohorts = value_at(rules, ("evaluation", "cohorts"))
        for i, name in enumerate(cohorts if isinstance(cohorts, list) else []):
            if not isinstance(name, str):
                continue
            pinned = name.startswith("cohort:")
            if (index.get(name) is not None) if pinned else bool(index.versions(cohort, name)):
                continue
            field = ("spec", "policy", env, "evaluation", "cohorts", i)
            findings.append(finding(
                "CH507", doc.path, doc.place(field), environment=env, name=name))
    return findings


def check_codeowners(root: Path, doc: Document, config: RegistryConfig, index: RegistryIndex,
                     current: str | None) -> list[Finding]:
    """CODEOWNERS (at the top of a registry that is its own repository; its text `current`, None where there is
    none) matches what `charter codeowners` writes."""
    from charter.registry.codeowners import CODEOWNERS_FILE, render_codeowners

    wants_approvers = any(isinstance(r, dict) and r.get("approvers") for r in config.policy.values())
    if not (root / ".git").exists() or (current is None and not wants_approvers):
        return []
    wanted = render_codeowners(index, config)
    if current == wanted:
        return []
    where = doc.place(("spec", "policy"), key=True)
    if current is None:
        return [finding("CH508", doc.path, where, codeowners=CODEOWNERS_FILE)]
    # say which line differs: most often a new folder's owner, which is no fault of the policy
    lacks = [line for line in wanted.splitlines() if line.strip() and line not in current.splitlines()]
    stale = [line for line in current.splitlines() if line.strip() and line not in wanted.splitlines()]
    if lacks:
        return [finding("CH508.lacks", doc.path, where, codeowners=CODEOWNERS_FILE, line=lacks[0],
                        more=f" (and {len(lacks) + len(stale) - 1} more lines)" if len(lacks) + len(stale) > 1 else "")]
    if stale:
        return [finding("CH508.stale", doc.path, where, codeowners=CODEOWNERS_FILE, line=stale[0],
                        more=f" (and {len(stale) - 1} more lines)" if len(stale) > 1 else "")]
    return [finding("CH508.order", doc.path, where, codeowners=CODEOWNERS_FILE)]
