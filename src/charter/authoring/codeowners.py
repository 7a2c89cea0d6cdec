"""`charter codeowners`: CODEOWNERS at the top of the repository, rendered from the registry and written in turn.

The file is rendered from the entries as they are when the repository lock is held, so two runs at once (or a run
beside `new` or `monitor record`) never write a file from a registry that another change has moved on from.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from charter.authoring.change import Change


@dataclass(frozen=True)
class Codeowners:
    """Where CODEOWNERS is, what it should say, and what it said before."""

    path: Path
    text: str
    current: str | None

    @property
    def up_to_date(self) -> bool:
        return self.current == self.text


def codeowners(root: Path) -> Codeowners:
    """What CODEOWNERS should say for the registry at `root`, and what it says now."""
    from charter.adapters.git.repo import repository_top
    from charter.registry.codeowners import CODEOWNERS_FILE, render_codeowners
    from charter.registry.files import regular_text
    from charter.store.loader import load_registry

    top, prefix = repository_top(root)
    loaded = load_registry(root)
    path = top / CODEOWNERS_FILE
    current = regular_text(path)
    return Codeowners(path, render_codeowners(loaded.index, loaded.config, prefix), current)


def write_codeowners(root: Path) -> Codeowners:
    """Write CODEOWNERS where it is out of date (atomically, under the repository lock); what it was before."""
    from charter.authoring.change import change
    from charter.store.transaction import write_text_atomic

    with change(root, "codeowners"):
        state = codeowners(root)
        if not state.up_to_date:
            write_text_atomic(state.path, state.text)  # replaced whole: there is nothing to journal or undo
    return state


def keep_codeowners_in_step(current: Change, relpath: str, owner: object) -> str | None:
    """Re-render CODEOWNERS where the entry this change writes (`relpath`, owned by `owner`) is not yet in it.

    Returns the file's path from the top of the work tree, for the change to commit with its entry, or None where
    there is nothing to do: no owner, no CODEOWNERS in use (CH508 says when the policy wants one), or the owner
    already listed for the entry's folder (a monitoring record of a known model: no registry-wide read). The text it
    replaces goes into the journal first, so an undo puts it back.
    """
    from charter.registry.codeowners import CODEOWNERS_FILE, owner_listed, render_codeowners
    from charter.registry.files import regular_text
    from charter.store.loader import load_registry
    from charter.store.transaction import write_text_atomic

    if not isinstance(owner, str) or not owner:
        return None
    path = current.top / CODEOWNERS_FILE
    before = regular_text(path)
    prefix = current.root.resolve().relative_to(current.top).as_posix().strip(".")
    if before is None or owner_listed(before, relpath, owner, prefix):
        return None
    loaded = load_registry(current.root)
    text = render_codeowners(loaded.index, loaded.config, prefix)
    if text == before:
        return None
    current.restore_on_undo(CODEOWNERS_FILE, before)
    write_text_atomic(path, text)
    return CODEOWNERS_FILE
