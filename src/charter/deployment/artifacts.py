"""Model artifacts: fetched exactly as approved (hash checked), and checked for existence in cache or remote."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from charter.errors import CharterError
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS


def recorded_artifact(doc: Document) -> tuple[str, str]:
    path, digest = value_at(doc.spec, ("artifact", "path")), value_at(doc.spec, ("artifact", "hash"))
    if not isinstance(path, str) or not isinstance(digest, str):
        raise CharterError(f"{doc.ref} records no artifact path and hash", f"see {doc.path}: spec.artifact")
    return path, digest


def pull_artifact(root: Path, doc: Document, output: Path, *, force: bool = False, quiet: bool = False,
                  into_folder: bool = False) -> Path:
    """Fetch a version's artifact into `output` and prove it is the recorded one; a bad copy never stays.

    `output` is a file path, or a folder (an existing one, or any with `into_folder`, as `deploy/` says) that
    receives the artifact under its own name. The download lands in a temporary folder beside the destination
    and is moved into place only after its hash matches the model version's record.
    """
    from charter.adapters import dvc

    relpath, expected = recorded_artifact(doc)
    destination = output / Path(relpath).name if into_folder or output.is_dir() else output
    if destination.exists() and not force:
        raise CharterError(f"{destination} already exists", "pass --force to replace it, or choose another path")
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        workspace = tempfile.TemporaryDirectory(prefix=".charter-pull-", dir=destination.parent)
    except OSError as exc:
        raise CharterError(f"cannot write {destination}: {exc.strerror or exc} ({exc.filename or output})",
                           "choose an output path in a folder you can write to") from exc
    with workspace as scratch:
        fetched = Path(scratch) / Path(relpath).name
        dvc.fetch_to(root, relpath, fetched, quiet=quiet)
        actual, _ = dvc.hash_path(fetched)
        if actual != expected:
            raise CharterError(f"the artifact of {doc.ref} has hash {actual}, but the registry records {expected}",
                               "the remote or cache holds a different file: nothing was written; "
                               "re-push the approved artifact")
        if destination.exists():
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            else:
                destination.unlink()
        fetched.rename(destination)
    return destination


def remote_config_trusted(root: Path, base: str | None) -> bool:
    """Whether the DVC configuration of this checkout is the one at `base` (so not written by the change under test).

    `.dvc/config` is part of the repository: a pull request can point the remote at any server (which then receives
    the CI's cloud credentials) or any local path. It is trusted unchanged since a reviewed base, or never tracked.
    """
    from charter.adapters.git.revision import RevisionReader, literal_pathspec
    from charter.adapters.git.run import run_git

    if base is None:
        return False
    reader = RevisionReader(root, base)
    current = root / ".dvc" / "config"
    if reader.read(".dvc/config") != (current.read_bytes() if current.is_file() else None):
        return False
    local = f"{reader.prefix}/.dvc/config.local" if reader.prefix else ".dvc/config.local"
    return not run_git(root, ["ls-files", "--", literal_pathspec(local)]).strip()


def check_artifacts(root: Path, index: RegistryIndex, selected: set[str] | None, *,
                    trust_remote_config: bool = False, base: str | None = None) -> list[Finding]:
    """Every model version's artifact is tracked by DVC with the recorded hash and exists in cache or remote.

    The DVC remote is asked only when the checkout's DVC configuration is trusted (`trust_remote_config`, or
    unchanged since `base`); otherwise an artifact missing from the local cache stops the check with an error.
    """
    from charter.adapters import dvc

    findings: list[Finding] = []
    to_locate: dict[str, list[Document]] = {}  # versions may share an artifact
    for doc in index.entries(KINDS["ModelVersion"]):
        if selected is not None and doc.path not in selected:
            continue
        path, digest = value_at(doc.spec, ("artifact", "path")), value_at(doc.spec, ("artifact", "hash"))
        if not isinstance(path, str) or not isinstance(digest, str):
            continue  # the schema check reports it
        pointer = dvc.read_pointer(root, path)
        if pointer is None:
            findings.append(finding(
                "CH701", doc.path, doc.place(("spec", "artifact", "path")),
                f"{path} is not tracked by DVC ({path}.dvc is missing)",
                "register artifacts with `charter register`, or `dvc add` the file and commit its .dvc file"))
        elif pointer != digest:
            findings.append(finding(
                "CH702", doc.path, doc.place(("spec", "artifact", "hash")),
                f"{path}.dvc records hash {pointer}, but this version records {digest}",
                "a released version's artifact cannot change: register the new artifact as a new version"))
        else:
            to_locate.setdefault(digest, []).append(doc)
    if to_locate:
        allow_remote = trust_remote_config or remote_config_trusted(root, base)
        where = dvc.object_locations(root, list(to_locate), allow_remote=allow_remote)
        for digest, docs in to_locate.items():
            for doc in docs if where[digest] == "missing" else []:
                path = str(value_at(doc.spec, ("artifact", "path")))
                findings.append(finding(
                    "CH703", doc.path, doc.place(("spec", "artifact", "hash")),
                    f"the artifact {path} ({digest}) is neither in the DVC cache nor in the remote",
                    f"push it from the machine that registered it: dvc push {path}.dvc"))
    return findings
