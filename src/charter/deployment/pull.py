"""Model artifacts fetched exactly as approved: the download's hash must match the version's record."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from charter.errors import (
    NoArtifactRecorded,
    NotARegularFile,
    PullDestinationExists,
    PullDestinationUnwritable,
    PulledArtifactDiffers,
)
from charter.registry.documents import Document
from charter.registry.fields import value_at
from charter.registry.files import special_file


def recorded_artifact(doc: Document) -> tuple[str, str]:
    path, digest = value_at(doc.spec, ("artifact", "path")), value_at(doc.spec, ("artifact", "hash"))
    if not isinstance(path, str) or not isinstance(digest, str):
        raise NoArtifactRecorded(ref=doc.ref, path=doc.path)
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
    what = special_file(destination)
    if what not in (None, "a folder"):  # replacing a link, pipe or device is never what was meant, even with --force
        raise NotARegularFile(path=destination, what=what)
    if destination.exists() and not force:
        raise PullDestinationExists(destination=destination)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        workspace = tempfile.TemporaryDirectory(prefix=".charter-pull-", dir=destination.parent)
    except OSError as exc:
        raise PullDestinationUnwritable(destination=destination, error=exc.strerror or exc,
                                        filename=exc.filename or output) from exc
    with workspace as scratch:
        fetched = Path(scratch) / Path(relpath).name
        dvc.fetch_to(root, relpath, fetched, quiet=quiet)
        actual, _ = dvc.hash_path(fetched)
        if actual != expected:
            raise PulledArtifactDiffers(ref=doc.ref, actual=actual, expected=expected)
        if destination.exists():
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            else:
                destination.unlink()
        fetched.rename(destination)
    return destination
