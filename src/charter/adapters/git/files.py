"""The tracked and untracked files of a work tree, as git sees them: one git process per question."""

from __future__ import annotations

from pathlib import Path

from charter.adapters.git.run import run_git


def files_containing(top: Path, needles: set[str], pathspecs: list[str]) -> set[str]:
    """Repository-relative paths of the tracked files that contain any of `needles` verbatim, as they are in the
    work tree: one `git grep`, which reads thousands of files faster than parsing a few hundred."""
    if not needles:
        return set()
    patterns = [arg for needle in sorted(needles) for arg in ("-e", needle)]
    output = run_git(top, ["grep", "-l", "-z", "-F", *patterns, "--", *pathspecs], ok=(0, 1))  # 1: no file matched
    return {path for path in output.decode("utf-8", "surrogateescape").split("\0") if path}


def untracked_files(top: Path, pathspecs: list[str]) -> set[str]:
    """Repository-relative paths of files git does not track and does not ignore."""
    output = run_git(top, ["ls-files", "--others", "--exclude-standard", "-z", "--", *pathspecs])
    return {path for path in output.decode("utf-8", "surrogateescape").split("\0") if path}


def converted_files(top: Path, pathspecs: list[str]) -> set[str]:
    """Repository-relative paths of the tracked files (below `pathspecs`) that git may convert between the
    repository and the work tree beyond line endings: those with a `filter` (smudge/clean) or a
    `working-tree-encoding` attribute. `git ls-files` fed to `git check-attr --all`, which prints only the
    attributes a path has (nothing at all in a repository without any)."""
    tracked = run_git(top, ["ls-files", "-z", "--", *pathspecs])
    output = run_git(top, ["check-attr", "--all", "-z", "--stdin"], stdin=tracked)
    fields = output.decode("utf-8", "surrogateescape").split("\0")
    return {path for path, attribute, value in zip(fields[0::3], fields[1::3], fields[2::3], strict=False)
            if attribute in ("filter", "working-tree-encoding") and value != "unset"}
