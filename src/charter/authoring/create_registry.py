"""`charter init`: a new registry from the template, as one git commit, or nothing at all."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from charter.errors import TargetNotEmpty, TemplateArtifactChanged, TemplateHasNoRemote, TemplateMissing
from charter.registry.config import remote_folder, remote_is_relative
from charter.registry.fields import value_at
from charter.registry.kinds import ENTRY_FOLDERS, KINDS, REGISTRY_FILE
from charter.registry.schemas import DEFINITIONS_FILE, bundled_schema, schema_comment, schema_kinds
from charter.registry.yamlio import dump_yaml, parse_yaml, replace_scalar

TEMPLATE_DIR = Path(__file__).resolve().parents[1] / "data" / "registry-template"
SCHEMA_FOLDER = ".charter/schemas"
#: Files that replace the worked example's own for `init --empty` (registry.yaml, README.md).
EMPTY_OVERLAY = ".empty"
ARTIFACTS_FOLDER = "artifacts"
#: The day the worked example's dates were written; `init` moves them forward by the whole weeks since.
TEMPLATE_DATE = date(2026, 11, 20)
#: A date wherever it is written (a field, a time, a name, a file name, a description, a URL): YYYY-MM-DD.
DATE_IN_TEXT = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
#: An ISO week wherever it is written: 2026-W47, or a day of it, 2026-W47-1.
WEEK_IN_TEXT = re.compile(r"(?<!\d)(\d{4})-W(\d{2})(?:-([1-7]))?(?!\d)")
#: The worked example's predictions files (tracked by DVC with the artifacts, left out with them; their dates move
#: with every other date of the example, and `_track_artifacts` records their new md5).
EVIDENCE_FOLDER = "evidence"


def create_registry(target: Path, *, empty: bool = False, remote: str | None = None,
                    remote_from: Path | None = None, artifacts: bool = True) -> str:
    """Create a registry at `target` (absent or an empty folder); returns the first commit's id.

    `remote` is the DVC remote (the template's `../charter-artifacts` when None). A relative folder is relative to
    `remote_from` (the command line's current folder), or to the registry root when that is None; it is written
    relative to the registry root either way (see `_settle_remote`).

    The files are assembled in a sibling temporary folder and moved into place; git, DVC and the first push then
    run at the final path. Any failure removes what was created, so the target is left as it was found.
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
        remote_name, remote_url = _settle_remote(build, target, remote, remote_from)
        if existed:
            target.rmdir()
        build.rename(target)
        try:
            from charter.adapters.git.repo import commit_paths, init_repository

            repo = init_repository(target)
            if artifacts:
                remote_dir = remote_folder(target, remote_url)
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
    """Move every date of the worked example forward by the whole weeks since it was written, so it never rots.

    Every date moves, wherever it is written: fields and times, names and file names, descriptions, notes and
    URLs (a weekly report keeps its name, its period and its description in step). Evaluations stay as recent as
    the policy asks (e.g. newer than 180 days) whenever `init` runs; dates keep their order, their distances and
    their weekdays (a report from Monday to Monday still is), so ISO weeks move with them, and none lands in the
    future. The bundled schemas' examples and the artifacts (their hashes are recorded) are left as they are.
    """
    shift = timedelta(weeks=(today - TEMPLATE_DATE).days // 7)
    if shift.days <= 0:
        return
    skipped = (build / SCHEMA_FOLDER, build / ARTIFACTS_FOLDER)
    for path in sorted(p for p in build.rglob("*") if p.is_file() and not any(p.is_relative_to(s) for s in skipped)):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        moved = shift_dates(text, shift)
        if moved != text:
            path.write_text(moved, encoding="utf-8")
        relpath = path.relative_to(build).as_posix()
        renamed = build / shift_dates(relpath, shift)
        if renamed != path:
            renamed.parent.mkdir(parents=True, exist_ok=True)
            path.rename(renamed)
            for folder in path.parents:
                if folder == build or any(folder.iterdir()):
                    break
                folder.rmdir()


def shift_dates(text: str, shift: timedelta) -> str:
    """`text` with every date (YYYY-MM-DD) and ISO week (YYYY-Www) in it moved by `shift`, a whole number of weeks.

    Strings that only look like one (2026-13-45) are left alone.
    """

    def day(match: re.Match[str]) -> str:
        try:
            return (date(int(match[1]), int(match[2]), int(match[3])) + shift).isoformat()
        except (ValueError, OverflowError):
            return match[0]

    def week(match: re.Match[str]) -> str:
        try:
            year, number, weekday = (date.fromisocalendar(int(match[1]), int(match[2]), int(match[3] or 1)) + shift
                                     ).isocalendar()
        except (ValueError, OverflowError):
            return match[0]
        return f"{year:04d}-W{number:02d}" + (f"-{weekday}" if match[3] else "")

    return WEEK_IN_TEXT.sub(week, DATE_IN_TEXT.sub(day, text))


def _write_codeowners(root: Path) -> None:
    from charter.registry.codeowners import CODEOWNERS_FILE, render_codeowners
    from charter.store.loader import load_registry

    loaded = load_registry(root)
    (root / CODEOWNERS_FILE).write_text(render_codeowners(loaded.index, loaded.config), encoding="utf-8")


def _settle_remote(build: Path, target: Path, remote: str | None, remote_from: Path | None) -> tuple[str, str]:
    """The DVC remote's name and URL, as registry.yaml keeps them: a local folder stays relative to the registry root.

    The template's default (`../charter-artifacts`) means "beside the registry" and is kept as written, so a
    clone (or the whole parent folder moved) with the folder beside it finds its own store, and the committed
    files hold no path of this machine. A relative `remote` is taken from `remote_from` (where the command was
    run, as a shell would read it) and written relative to the registry root, which names the same folder; an
    absolute folder, a `~` folder and a URL with a scheme (s3://) are written as given.
    """
    config_path = build / REGISTRY_FILE
    text = config_path.read_text(encoding="utf-8")
    data = parse_yaml(text, REGISTRY_FILE).data
    configured = value_at(data, ("spec", "artifacts", "remote"))
    if not isinstance(configured, dict):
        raise TemplateHasNoRemote(registry_file=REGISTRY_FILE)
    name, url = str(configured.get("name", "storage")), str(configured.get("url", ""))
    if remote is not None:
        url = remote
        if remote_is_relative(remote) and remote_from is not None:
            folder = remote_folder(remote_from.resolve(), remote)
            url = Path(os.path.relpath(folder, target)).as_posix() if folder is not None else remote
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
