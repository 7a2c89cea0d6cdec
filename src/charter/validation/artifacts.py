"""--check-artifacts: every model version's artifact tracked by DVC with the recorded hash, in cache or remote."""

from __future__ import annotations

from pathlib import Path

from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.files import regular_text
from charter.registry.findings import Finding, finding
from charter.registry.index import RegistryIndex
from charter.registry.kinds import KINDS


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
    text = regular_text(current)
    if reader.read(".dvc/config") != (text.encode("utf-8") if text is not None else None):
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
            findings.append(finding("CH701", doc.path, doc.place(("spec", "artifact", "path")), path=path))
        elif pointer != digest:
            findings.append(finding("CH702", doc.path, doc.place(("spec", "artifact", "hash")), path=path,
                                    pointer=pointer, digest=digest))
        else:
            to_locate.setdefault(digest, []).append(doc)
    if to_locate:
        allow_remote = trust_remote_config or remote_config_trusted(root, base)
        where = dvc.object_locations(root, list(to_locate), allow_remote=allow_remote)
        for digest, docs in to_locate.items():
            for doc in docs if where[digest] == "missing" else []:
                path = str(value_at(doc.spec, ("artifact", "path")))
                findings.append(finding("CH703", doc.path, doc.place(("spec", "artifact", "hash")), path=path,
                                        digest=digest))
    return findings
