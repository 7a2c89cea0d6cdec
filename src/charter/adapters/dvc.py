"""All DVC access: init, track, push, fetch, and where an object is, behind functions that raise CharterError.

DVC is an optional dependency (`charter[dvc]`): validating needs none of it, and the pre-commit hook's environment
stays light. DVC writes hints for its own CLI users to stdout; Charter keeps its output its own, so DVC's stdout is
captured, and its stderr (progress bars on a terminal) is passed through unless the caller asks for quiet.
"""

from __future__ import annotations

import contextlib
import io
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from charter.errors import (
    ArtifactNotStored,
    CharterError,
    DvcFailed,
    DvcNotInstalled,
    NoDvcSetUp,
    NotTrackedByDvc,
    UntrustedRemote,
)

if TYPE_CHECKING:
    from dvc.repo import Repo


@dataclass(frozen=True)
class TrackedArtifact:
    """What DVC recorded for one tracked path: the content hash (`.dir` for a folder) and the size in bytes."""

    path: str
    hash: str
    size: int
    files: int


@contextlib.contextmanager
def _dvc_output(quiet: bool) -> Iterator[None]:
    # DVC's log handlers hold the streams they saw at import, so its logger is turned down as well.
    logger = logging.getLogger("dvc")
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1 if quiet else logging.WARNING)
    sink = io.StringIO()
    try:
        with contextlib.redirect_stdout(sink):
            if quiet:
                with contextlib.redirect_stderr(sink):
                    yield
            else:
                yield
    finally:
        logger.setLevel(level)


def _repo_class() -> type[Repo]:
    try:
        from dvc.repo import Repo
    except ImportError as exc:
        raise DvcNotInstalled() from exc
    return Repo


def _dvc_error(action: str, exc: Exception) -> CharterError:
    return DvcFailed(action=action, error=" ".join(str(exc).split()) or type(exc).__name__)


def open_repo(root: Path) -> Repo:
    repo_class = _repo_class()
    if not (root / ".dvc").is_dir():
        raise NoDvcSetUp(root=root)
    with _dvc_output(quiet=True):
        return repo_class(str(root))


def init(root: Path, remote_name: str, remote_url: str) -> None:
    """`dvc init` in a git work tree, with one default remote, `remote_url` as registry.yaml writes it.

    A relative folder (`../charter-artifacts`) is relative to the registry root; DVC reads a relative URL from the
    folder of its configuration file (.dvc/), so it is handed to DVC as the folder it names, marked relative
    (DVC's `RelPath`), and DVC writes it relative to .dvc/ (`../../charter-artifacts`): the committed
    configuration holds no path of this machine, and a clone with the folder beside it uses its own.
    """
    from charter.registry.config import remote_folder, remote_is_relative

    repo_class = _repo_class()
    url: str = remote_url
    folder = remote_folder(root, remote_url)
    if folder is not None and remote_is_relative(remote_url):
        from dvc.config_schema import RelPath

        url = RelPath(str(folder))
    try:
        with _dvc_output(quiet=True):
            repo = repo_class.init(str(root))
            with repo.config.edit() as conf:
                conf["remote"][remote_name] = {"url": url}
                conf["core"]["remote"] = remote_name
                conf["core"]["autostage"] = False
                conf["core"]["analytics"] = False
    except Exception as exc:  # DVC raises many unrelated types; every one means the same thing here
        raise _dvc_error("initialise the registry", exc) from exc


def track(root: Path, relpaths: list[str], *, quiet: bool = True) -> list[TrackedArtifact]:
    """`dvc add`: the paths move into the cache; `<path>.dvc` and a .gitignore line appear beside each."""
    repo = open_repo(root)
    try:
        with _dvc_output(quiet):
            stages = repo.add([str(root / p) for p in relpaths])
    except Exception as exc:
        raise _dvc_error(f"track {', '.join(relpaths)}", exc) from exc
    tracked = []
    for relpath, stage in zip(relpaths, stages, strict=True):
        out = stage.outs[0]
        meta = out.meta
        tracked.append(TrackedArtifact(relpath, str(out.hash_info.value), int(meta.size or 0),
                                       int(meta.nfiles or 1)))
    return tracked


def push(root: Path, targets: list[str], *, remote: str | None = None, quiet: bool = False) -> int:
    repo = open_repo(root)
    try:
        with _dvc_output(quiet):
            pushed: int = repo.push(targets=[str(root / t) for t in targets], remote=remote)
    except Exception as exc:
        raise _dvc_error("push to the remote", exc) from exc
    return pushed


def hash_path(path: Path) -> tuple[str, int]:
    """DVC's content hash of a file or folder (md5; `.dir` for a folder) and its size, computed as DVC does."""
    try:
        from dvc_data.hashfile.build import build
        from dvc_data.hashfile.db import HashFileDB
        from dvc_objects.fs.local import LocalFileSystem
    except ImportError as exc:
        raise DvcNotInstalled() from exc
    fs = LocalFileSystem()
    with tempfile.TemporaryDirectory() as scratch:
        odb = HashFileDB(fs, scratch)
        _, meta, obj = build(odb, str(path), fs, "md5")
    return str(obj.hash_info.value), int(meta.size or 0)


def fetch_to(root: Path, relpath: str, destination: Path, *, quiet: bool = False) -> None:
    """Copy a tracked path's content (from the cache, or the remote) to `destination`."""
    try:
        from dvc.api import DVCFileSystem
    except ImportError as exc:
        raise DvcNotInstalled() from exc
    try:
        with _dvc_output(quiet):
            fs = DVCFileSystem(repo=str(root))
            fs.get(relpath, str(destination), recursive=fs.isdir(relpath))
    except FileNotFoundError as exc:
        if (root / f"{relpath}.dvc").is_file():  # tracked: it is the content that is nowhere to be found
            raise ArtifactNotStored(path=relpath) from exc
        raise NotTrackedByDvc(path=relpath) from exc
    except Exception as exc:
        raise _dvc_error(f"fetch {relpath}", exc) from exc


def object_locations(root: Path, digests: list[str], remote: str | None = None, *,
                     allow_remote: bool = True) -> dict[str, str]:
    """Where each object is: "cache", "remote" or "missing" (one DVC repository opened for all of them).

    Without `allow_remote` only the local cache is looked at, and an object not in it raises UntrustedRemote.
    """
    repo = open_repo(root)
    try:
        cache = repo.cache.local
        odb: Any = None
        where: dict[str, str] = {}
        for digest in digests:
            if cache.exists(digest):
                where[digest] = "cache"
                continue
            if not allow_remote:
                raise UntrustedRemote(digest=digest)
            odb = odb or repo.cloud.get_remote_odb(remote)
            where[digest] = "remote" if odb.exists(digest) else "missing"
    except CharterError:
        raise
    except Exception as exc:
        raise _dvc_error("look up artifacts", exc) from exc
    return where


def read_pointer(root: Path, relpath: str) -> str | None:
    """The hash a `<path>.dvc` pointer file records, read as plain YAML (no DVC import needed)."""
    from charter.registry.fields import value_at
    from charter.registry.files import regular_text
    from charter.registry.yamlio import parse_yaml

    text = regular_text(root / f"{relpath}.dvc")  # never a link: it could read any file of the machine
    if text is None:
        return None
    digest = value_at(parse_yaml(text, f"{relpath}.dvc").data, ("outs", 0, "md5"))
    return digest if isinstance(digest, str) else None


def cache_objects(root: Path) -> set[Path]:
    """Every object file in the local cache, so that a failed change can remove exactly what it added."""
    cache = root / ".dvc" / "cache"
    return {p for p in cache.rglob("*") if p.is_file()} if cache.is_dir() else set()


def restore_cache(root: Path, before: set[Path]) -> None:
    """Remove cache objects that were not there `before` (DVC makes them read-only)."""
    for path in cache_objects(root) - before:
        path.chmod(0o644)
        path.unlink(missing_ok=True)
