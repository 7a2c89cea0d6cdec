"""Which files mention a name (`prefix:name`): what `validate --base` asks to find the referrers of a change.

`git grep -F` answers it by reading every file below the entry folders (43 MB on a registry of 17,000 entries),
twice when a contract changed. Most of those files are as they were at the base revision, and the parse cache
holds the reference-like words of each content it parsed (`parse_cache.words_of`), by blob id. For a file the
change did not touch, the work tree holds the base revision's blob (that is what "not touched" means to `git
diff`), so its words answer for it, exactly as grep would:

- a WORD_NEEDLE (reference characters and colons, a colon followed by a character: every `prefix:name` of a
  plain name) occurs in a text exactly when it occurs in one of the text's words (see `words_of`); any other
  needle is looked for with git grep;
- grep reads only regular tracked files (not links), as does this; touched files are in the scope anyway;
- git may convert a file between the repository and the work tree. Line endings (CRLF) and `ident` only add or
  remove characters outside the words (a `\\r`; `$Id: <id> $`, whose colon a space follows), so the words stay
  the same; a `filter` or `working-tree-encoding` attribute can change anything, so such files are grepped;
- a file whose blob the cache does not hold (never parsed, or too large to be an entry) is grepped.

`validate --staged` asks the same of the index: a file the staged change did not touch holds the base's blob there
too, and it is grepped with `git grep --cached` (the index's bytes: git converts nothing).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from typing import TYPE_CHECKING

from charter.adapters.git.files import files_containing
from charter.adapters.git.revision import REGULAR_MODES, RevisionReader, literal_pathspec
from charter.registry.kinds import ENTRY_FOLDERS
from charter.store.cache import WORD_NEEDLE, ParseCache, TreeWords

if TYPE_CHECKING:
    from charter.adapters.git.staged import StagedIndex

#: Past this many files to grep one by one, one grep of the entry folders is simpler (and as fast).
_GREP_PATHS = 1000


class Mentions:
    """Answers `files_containing` for the tracked entry files not in `touched`, from the parse cache where it
    holds their words and with git grep otherwise. Registry-relative paths in and out."""

    def __init__(self, reader: RevisionReader, touched: set[str], cache: ParseCache | None,
                 converted: Callable[[], set[str]], staged: StagedIndex | None = None) -> None:
        """`staged`: the files are the index's (a change staged since the reader's revision), grepped there."""
        self._reader = reader
        self._staged = staged
        self._cut = len(reader.prefix) + 1 if reader.prefix else 0
        self._entry_specs = [literal_pathspec(reader.repo_path(folder)) for folder in ENTRY_FOLDERS]
        self._touched = touched
        self._cache = cache
        self._converted = converted  # repository-relative paths (see `adapters.git.files.converted_files`)
        self._loaded: tuple[TreeWords, set[str]] | None = None

    def files_containing(self, needles: set[str]) -> set[str]:
        """The untouched tracked entry files whose text in the work tree contains one of `needles`."""
        plain = {n for n in needles if WORD_NEEDLE.fullmatch(n)}
        if self._cache is None or not plain:
            return self._grep(needles, self._entry_specs) - self._touched
        (paths, starts, text, _), grep = self._words()
        found: set[str] = set()
        for needle in plain:
            at = text.find(needle)
            while at != -1:
                index = bisect_right(starts, at) - 1
                found.add(paths[index])
                at = text.find(needle, starts[index + 1] if index + 1 < len(starts) else len(text))
        found -= grep  # the words do not answer for these: they are grepped
        found |= self._grep(needles - plain, self._entry_specs)
        if len(grep) > _GREP_PATHS:
            found |= self._grep(plain, self._entry_specs)
        elif grep:
            found |= self._grep(plain, [literal_pathspec(self._reader.repo_path(p)) for p in sorted(grep)])
        return found - self._touched

    def _grep(self, needles: set[str], pathspecs: list[str]) -> set[str]:
        if not needles:
            return set()
        found = self._staged.files_containing(needles, pathspecs) if self._staged is not None else \
            files_containing(self._reader.top, needles, pathspecs)
        return {p[self._cut:] for p in found}

    def _words(self) -> tuple[TreeWords, set[str]]:
        """The words of every tracked regular file at the base revision (touched ones too: the same tree's
        words serve every change against it), and the untouched files they do not answer for."""
        if self._loaded is None:
            assert self._cache is not None
            key = self._reader.tree_id(ENTRY_FOLDERS)
            words = self._cache.tree_words(key)
            if words is None or self._learned([p for p in words[3] if p not in self._touched]):
                # none kept for this tree, or kept when some of its files had not been parsed yet and some have been
                # since (a `--base` run before the first whole run would otherwise grep every file, every time)
                tree = self._tree()
                words = _joined(self._cache.words(tree), tree)
                self._cache.store_tree_words(key, words)
            # tracked files that are not touched are in the base tree; grep reads no others
            unknown = set(words[3]) | {p[self._cut:] for p in self._converted()}
            self._loaded = words, unknown - self._touched
        return self._loaded


    def _tree(self) -> dict[str, str]:
        return {path: oid for path, (mode, oid) in self._reader.tree(ENTRY_FOLDERS).items() if mode in REGULAR_MODES}

    def _learned(self, unknown: list[str]) -> bool:
        """Whether the cache now holds the words of a file whose words were unknown when the tree's were kept."""
        assert self._cache is not None
        if not unknown:  # (files the change touched are never answered for: their words do not matter)
            return False
        tree = self._tree()
        return bool(self._cache.words({path: tree[path] for path in unknown if path in tree}))


def _joined(words: dict[str, str], tree: dict[str, str]) -> TreeWords:
    paths = sorted(words)
    starts, position = [], 0
    for path in paths:
        starts.append(position)
        position += len(words[path]) + 1
    return paths, starts, "".join(f"{words[path]}\n" for path in paths), sorted(tree.keys() - words.keys())
