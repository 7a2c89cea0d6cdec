"""`charter init`: a new registry from the template, as one git commit, or nothing at all."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from charter.errors import CharterError
from charter.kinds import ENTRY_FOLDERS, KINDS, REGISTRY_FILE
from charter.schemas import DEFINITIONS_FILE, bundled_schema, schema_comment, schema_kinds
from charter.yamlio import dump_yaml, parse_yaml

TEMPLATE_DIR = Path(__file__).parent / "data" / "registry-template"
SCHEMA_FOLDER = ".charter/schemas"
#: Files that replace the worked example's own for `init --empty` (registry.yaml, README.md).
EMPTY_OVERLAY = ".empty"


def create_registry(target: Path, *, empty: bool = False) -> str:
    """Create a registry at `target` (absent or an empty folder); returns the first commit's id.

    The registry is built in a sibling temporary folder and moved into place at the end, so a failure
    leaves nothing behind.
    """
    target = target.resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise CharterError(f"{target} already exists and is not an empty folder",
                           "choose a new path, or empty the folder first")
    if not TEMPLATE_DIR.is_dir():
        raise CharterError(f"the registry template is missing at {TEMPLATE_DIR}", "reinstall charter")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        build = staging / "registry"
        shutil.copytree(TEMPLATE_DIR, build, ignore=_ignore_for(empty))
        if empty:
            shutil.copytree(TEMPLATE_DIR / EMPTY_OVERLAY, build, dirs_exist_ok=True)
            _write_empty_environments(build)
        write_bundled_schemas(build)
        from charter.adapters.git import init_and_commit

        commit = init_and_commit(build, "Create Charter registry")
        if target.exists():
            target.rmdir()
        build.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return commit


def _ignore_for(empty: bool) -> Callable[[str, list[str]], set[str]]:
    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in ("__pycache__", ".charter", EMPTY_OVERLAY)}
        if empty and Path(folder).resolve() == TEMPLATE_DIR.resolve():
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
