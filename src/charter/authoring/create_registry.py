"""`charter init`: a new registry from the template, as one git commit, or nothing at all."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from charter.errors import TargetNotEmpty, TemplateArtifactChanged, TemplateHasNoRemote, TemplateMissing
from charter.registry.fields import JsonPath, strings_in, value_at
from charter.registry.kinds import ENTRY_FOLDERS, KINDS, REGISTRY_FILE
from charter.registry.schemas import DEFINITIONS_FILE, bundled_schema, schema_comment, schema_kinds
from charter.registry.yamlio import dump_yaml, parse_yaml, replace_scalar, replace_scalars

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "data" / "registry-template"
SCHEMA_FOLDER = ".charter/schemas"
#: Files that replace the worked example's own for `init --empty` (registry.yaml, README.md).
EMPTY_OVERLAY = ".empty"
ARTIFACTS_FOLDER = "artifacts"
#: The worked example's predictions files (tracked by DVC with the artifacts, left out with them).
EVIDENCE_FOLDER = "evidence"
#: The day the worked example's dates were written; `init` moves them forward by the days since.
TEMPLATE_DATE = date(2026, 11, 20)
#: A YAML date or date-time, as a whole string value.
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[Tt ][0-9:.]+(?:[Zz]|[+-]\d{2}:\d{2})?)?$")
#: A date at the start of a CSV cell (alone or starting a date-time), in a predictions file of the example.
CSV_DATE_RE = re.compile(rb"(?m)(^|,)(\d{4}-\d{2}-\d{2})(?=[Tt ,\r\n]|$)")


def create_registry(target: Path, *, empty: bool = False, remote: str | None = None,
                    artifacts: bool = True) -> str:
    """Create a registry at `target` (absent or an empty folder); returns the first commit's id.

    The files are assembled in a sibling temporary folder and moved into place; git, DVC and the first push then
    run at the final path (DVC and the remote URL depend on it). Any failure removes what was created, so the
    target is left as it was found.
    """
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise TargetNotEmpty(target=target)
    if not TEMPLATE_DIR.is_dir():
        raise TemplateMissing(path=TEMPLATE_DIR)
    existed = target.exists()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    remote_dir: Path | None = None
    try:
        build = staging / "registry"
        shutil.copytree(TEMPLATE_DIR, build, ignore=_ignore_for(empty, empty or not artifacts))
        if empty:
            shutil.copytree(TEMPLATE_DIR / EMPTY_OVERLAY, build, dirs_exist_ok=True)
            _write_empty_environments(build)
        write_bundled_schemas(build)
        stamp_dates(build, date.today())
        remote_name, remote_url = _settle_remote(build, target, remote)
        if existed:
            target.rmdir()
        build.rename(target)
        try:
            from charter.adapters.git.repo import commit_paths, init_repository

            repo = init_repository(target)
            if artifacts:
                remote_dir = _local_path(remote_url)
                remote_dir = remote_dir if remote_dir is not None and not remote_dir.exists() else None
                _track_artifacts(target, remote_name, remote_url)
            _write_codeowners(target)
            return commit_paths(repo, "Create Charter registry")
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            if existed:
                target.mkdir()
            if remote_dir is not None:
                shutil.rmtree(remote_dir, ignore_errors=True)
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def stamp_dates(build: Path, today: date) -> None:
    """Move every date of the worked example forward by the days since it was written, so it never rots.

    Evaluations stay as recent as the policy asks (e.g. newer than 180 days) whenever `init` runs; dates keep
    their order and distances, and none lands in the future.
    """
    shift = today - TEMPLATE_DATE
    if shift.days <= 0:
        return
    from charter.store.loader import discover_files

    for relpath in discover_files(build):
        path = build / relpath
        text = path.read_text(encoding="utf-8")
        parsed = parse_yaml(text, relpath)
        changes: dict[JsonPath, str | int | float | bool] = {}
        for field, value in strings_in(parsed.data):
            if DATE_RE.match(value):
                moved = date.fromisoformat(value[:10]) + shift
                changes[field] = moved.isoformat() + value[10:]
        if changes:
            path.write_text(replace_scalars(text, changes, verbatim=True), encoding="utf-8")
    _shift_evidence_dates(build, shift)


def _shift_evidence_dates(build: Path, shift: timedelta) -> None:
    """The same move for the times in the example's predictions files, so that they stay inside the cohort's
    (moved) period and agree with the evaluation's (moved) `scoredFrom` and `scoredTo`. Every time moves by the
    same days, so the span, and every figure, stays as recorded; the file's md5 changes, and `_track_artifacts`
    writes the new one into the evaluation."""
    folder = build / EVIDENCE_FOLDER
    if not folder.is_dir():
        return

    def moved(match: re.Match[bytes]) -> bytes:
        day = date.fromisoformat(match.group(2).decode("ascii")) + shift
        return match.group(1) + day.isoformat().encode("ascii")

    for path in sorted(folder.rglob("*.csv")):
        path.write_bytes(CSV_DATE_RE.sub(moved, path.read_bytes()))


def _write_codeowners(root: Path) -> None:
    from charter.registry.codeowners import CODEOWNERS_FILE, render_codeowners
    from charter.store.loader import load_registry

    loaded = load_registry(root)
    (root / CODEOWNERS_FILE).write_text(render_codeowners(loaded.index, loaded.config), encoding="utf-8")


def _local_path(url: str) -> Path | None:
    return None if "://" in url else Path(url)


def _settle_remote(build: Path, target: Path, remote: str | None) -> tuple[str, str]:
    """The DVC remote, written into registry.yaml as an absolute path when it is a local folder.

    The template's default (`../charter-artifacts`) means "beside the registry"; pinning it to an absolute path
    keeps every clone on the machine pointing at the same store.
    """
    config_path = build / REGISTRY_FILE
    text = config_path.read_text(encoding="utf-8")
    data = parse_yaml(text, REGISTRY_FILE).data
    configured = value_at(data, ("spec", "artifacts", "remote"))
    if not isinstance(configured, dict):
        raise TemplateHasNoRemote(registry_file=REGISTRY_FILE)
    name, url = str(configured.get("name", "storage")), remote or str(configured.get("url", ""))
    if "://" not in url:
        url = str((target / url).resolve()) if remote is None else str(Path(url).resolve())
    config_path.write_text(replace_scalar(text, ("spec", "artifacts", "remote", "url"), url), encoding="utf-8")
    return name, url


def _track_artifacts(root: Path, remote_name: str, remote_url: str) -> None:
    """`dvc init`, then track and push every artifact the example versions ship, checking their recorded hashes,
    and every predictions file its evaluations were computed from, writing its md5 (the dates in it moved) into
    the evaluation's `spec.evidence.predictions.md5`."""
    from charter.adapters import dvc
    from charter.store.loader import load_registry

    dvc.init(root, remote_name, remote_url)
    index = load_registry(root).index
    expected: dict[str, object] = {}
    for doc in index.entries(KINDS["ModelVersion"]):
        path, recorded = value_at(doc.spec, ("artifact", "path")), value_at(doc.spec, ("artifact", "hash"))
        if isinstance(path, str) and (root / path).exists():
            expected[path] = recorded
    evidence: dict[str, Path] = {}
    for doc in index.entries(KINDS["Evaluation"]):
        path = value_at(doc.spec, ("evidence", "predictions", "path"))
        if value_at(doc.spec, ("evidence", "source")) == "predictions" and isinstance(path, str) \
                and (root / path).is_file():
            evidence[path] = root / doc.path
    if not expected and not evidence:
        return
    tracked = dvc.track(root, sorted(expected) + sorted(evidence))
    for artifact in tracked:
        if artifact.path in evidence:
            entry = evidence[artifact.path]
            text = entry.read_text(encoding="utf-8")
            entry.write_text(replace_scalar(text, ("spec", "evidence", "predictions", "md5"), artifact.hash),
                             encoding="utf-8")
        elif artifact.hash != expected[artifact.path]:
            raise TemplateArtifactChanged(path=artifact.path, actual=artifact.hash, expected=expected[artifact.path])
    dvc.push(root, [a.path for a in tracked], quiet=True)


def _ignore_for(empty: bool, without_artifacts: bool) -> Callable[[str, list[str]], set[str]]:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in ("__pycache__", ".charter", EMPTY_OVERLAY)}
        if Path(folder).resolve() == TEMPLATE_DIR.resolve():
            if without_artifacts:
                skipped |= {ARTIFACTS_FOLDER, EVIDENCE_FOLDER}
            if empty:
                skipped |= {n for n in names if n in ENTRY_FOLDERS}
        return skipped

    return ignore


def _write_empty_environments(build: Path) -> None:
    """`--empty` keeps registry.yaml's environments, each with a file that assigns nothing."""
    parsed = parse_yaml((build / REGISTRY_FILE).read_text(encoding="utf-8"), REGISTRY_FILE)
    spec = parsed.data.get("spec", {}) if isinstance(parsed.data, dict) else {}
    owner = parsed.data.get("metadata", {}).get("owner", "platform") if isinstance(parsed.data, dict) else ""
    kind = KINDS["Environment"]
    for env in spec.get("environments", []):
        relpath = kind.relative_path(env["name"], None)
        document = {
            "apiVersion": "charter/v1",
            "kind": kind.name,
            "metadata": {"name": env["name"], "owner": owner,
                         "description": env.get("description") or f"What should run in {env['name']}.",
                         "status": "active"},
            "spec": {"assignments": []},
        }
        path = build / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(schema_comment(kind, relpath) + "\n" + dump_yaml(document), encoding="utf-8")


def write_bundled_schemas(registry: Path) -> None:
    """Self-contained schemas inside the registry, for the editors' `yaml-language-server` comments."""
    folder = registry / SCHEMA_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for kind in schema_kinds():
        if kind.schema_file == DEFINITIONS_FILE:
            continue
        text = json.dumps(bundled_schema(kind), indent=2, ensure_ascii=False) + "\n"
        (folder / kind.schema_file).write_text(text, encoding="utf-8")
