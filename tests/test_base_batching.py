"""`validate --base` asks git each question once (one diff, one `cat-file --batch`) and finds a change's referrers
from the parse cache's words instead of `git grep`. Each batched answer must be the one the plain way gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from charter.adapters.git.files import converted_files, files_containing, untracked_files
from charter.adapters.git.revision import RevisionReader, literal_pathspec
from charter.registry.kinds import ENTRY_FOLDERS, locate_path
from charter.store.cache import WORD_NEEDLE, ParseCache, words_of
from charter.validation.mentions import Mentions
from charter.validation.runner import validate_registry
from charter.validation.scope import SHARED_INPUTS
from tests.conftest import git

COHORT = "cohorts/card-transactions-eval/1.0.0.yaml"
CONTRACT = "contracts/sepsis-risk-serving/1.0.0.yaml"
SPACED = "cohorts/odd name/1.0.0.yaml"
ACCENTED = "cohorts/naïve-cohort/1.0.0.yaml"
NEWLINE = "cohorts/two\nlines/1.0.0.yaml"


def _commit_copies(registry: Path, *relpaths: str) -> None:
    for relpath in relpaths:
        (registry / relpath).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(registry / COHORT, registry / relpath)
    git(registry, "add", "--all")
    git(registry, "commit", "-qm", "odd names")


def test_base_blobs_read_in_one_batch_are_the_ones_read_one_by_one(registry: Path) -> None:
    _commit_copies(registry, SPACED, ACCENTED, NEWLINE)
    for relpath in (SPACED, ACCENTED, NEWLINE):
        (registry / relpath).write_text("edited\n", encoding="utf-8")
    (registry / CONTRACT).unlink()  # deleted
    git(registry, "mv", "cohorts/card-transactions-train/1.0.0.yaml", "cohorts/card-transactions-train/1.1.0.yaml")
    (registry / "events/new-event").mkdir(parents=True)
    (registry / "events/new-event/1.0.0.yaml").write_text("new\n", encoding="utf-8")  # missing in the base

    reader = RevisionReader(registry, "HEAD")
    changed = {c.path for c in reader.changes(ENTRY_FOLDERS)}
    assert {SPACED, ACCENTED, NEWLINE, CONTRACT, "cohorts/card-transactions-train/1.1.0.yaml",
            "cohorts/card-transactions-train/1.0.0.yaml"} <= changed  # a rename is a deletion and an addition
    asked = [*sorted(changed), "events/new-event/1.0.0.yaml", "cohorts", "no/such/file.yaml", SPACED]
    expected = {relpath: RevisionReader(registry, "HEAD").read(relpath) for relpath in asked}
    assert reader.read_many(asked) == expected
    assert expected[SPACED] == expected[ACCENTED] == expected[NEWLINE] == (registry / COHORT).read_bytes()
    assert expected[CONTRACT] is not None and expected["cohorts/card-transactions-train/1.0.0.yaml"] is not None
    assert expected["events/new-event/1.0.0.yaml"] is None and expected["cohorts/card-transactions-train/1.1.0.yaml"] \
        is None
    assert expected["cohorts"] is None and expected["no/such/file.yaml"] is None  # a folder is not a file
    assert all(reader.read(relpath) == expected[relpath] for relpath in asked)  # remembered, not read again


def test_the_change_of_fewer_folders_is_the_first_diff_filtered(registry: Path) -> None:
    (registry / "registry.yaml").write_text((registry / "registry.yaml").read_text(encoding="utf-8") + "\n",
                                            encoding="utf-8")
    (registry / COHORT).unlink()
    (registry / CONTRACT).write_text("edited\n", encoding="utf-8")
    reader = RevisionReader(registry, "HEAD")
    every = reader.changes((*SHARED_INPUTS, *ENTRY_FOLDERS))
    assert {c.path for c in every} == {"registry.yaml", COHORT, CONTRACT}
    for folders in (ENTRY_FOLDERS, ("cohorts",), SHARED_INPUTS, ("contracts", "events"), ("cohort",)):
        assert reader.changes(folders) == RevisionReader(registry, "HEAD").changes(folders), folders


def _needles(registry: Path) -> list[set[str]]:
    """Every entry's `prefix:name`, one at a time and all together, and needles only grep can answer."""
    names = {f"{loc.kind.prefix}:{loc.name}" for relpath in git(registry, "ls-files", "-z", *ENTRY_FOLDERS).split("\0")
             for loc in [locate_path(relpath)] if loc is not None}
    return [*({name} for name in sorted(names)), names, {"cohort:odd name"}, {"model:sepsis-risk", "event:x y"},
            {"sepsis-risk@1"}, {"model:"}]


def _assert_words_answer_like_grep(registry: Path, *, expect_grep: bool = False) -> None:
    """What `Mentions` finds, from the words stored by a whole run, is what git grep finds (touched files aside)."""
    reader = RevisionReader(registry, "HEAD")
    specs = [literal_pathspec(folder) for folder in ENTRY_FOLDERS]
    touched = {c.path for c in reader.changes(ENTRY_FOLDERS)} | untracked_files(reader.top, specs)
    for round_ in range(2):  # the second round reads the whole tree's words kept by the first
        mentions = Mentions(reader, touched, ParseCache.open(registry), lambda: converted_files(reader.top, specs))
        for needles in _needles(registry):
            grepped = files_containing(reader.top, needles, specs) - touched
            assert mentions.files_containing(needles) == grepped, (round_, needles)
    words, unknown = Mentions(reader, touched, ParseCache.open(registry),
                              lambda: converted_files(reader.top, specs))._words()
    assert bool(unknown) == expect_grep
    assert len(words[0]) > 10


def test_words_find_what_git_grep_finds(registry: Path) -> None:
    edited = registry / "cohorts/card-transactions-train/1.0.0.yaml"
    edited.write_text(edited.read_text(encoding="utf-8") + "# mentions cohort:card-transactions-eval\n",
                      encoding="utf-8")
    # mentions that are not references: in a comment, inside a longer word, a needle's start at a file's end
    (registry / "evaluations/sepsis-risk-1-1-0-retro/1.0.0.yaml").open("a", encoding="utf-8").write(
        "# see xcohort:card-transactions-eval-2 and contract:sepsis-risk-serving\n")
    (registry / "events/sepsis-onset/2.0.0.yaml").open("a", encoding="utf-8").write("# model:")
    _commit_copies(registry, SPACED, ACCENTED)
    (registry / "events/linked.yaml").symlink_to("sepsis-onset/2.0.0.yaml")  # grep reads no link; nor do words
    git(registry, "add", "--all")
    git(registry, "commit", "-qm", "mentions")
    validate_registry(registry)  # fills the cache: the words of every file
    (registry / COHORT).write_text("model:sepsis-risk\n", encoding="utf-8")  # touched: never answered for
    (registry / CONTRACT).unlink()
    _assert_words_answer_like_grep(registry)


def test_files_the_cache_does_not_know_are_grepped(registry: Path) -> None:
    validate_registry(registry)
    extra = registry / "events/sepsis-onset/2.0.0.yaml"
    extra.write_text(extra.read_text(encoding="utf-8") + "# cohort:odd name, model:card-fraud\n", encoding="utf-8")
    git(registry, "commit", "-qam", "a blob no run has read")
    _assert_words_answer_like_grep(registry, expect_grep=True)


def test_a_tree_kept_before_its_files_were_parsed_is_learned_again(registry: Path) -> None:
    """A `--base` run before any whole run keeps the tree's words with every file unknown; once a whole run has
    parsed the files, the next `--base` run must use their words, not grep every file from then on."""
    reader = RevisionReader(registry, "HEAD")
    key = reader.tree_id(ENTRY_FOLDERS)
    shutil.rmtree(registry / ".git" / "charter", ignore_errors=True)
    edited = registry / COHORT
    edited.write_text(edited.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    validate_registry(registry, None, "HEAD")
    cache = ParseCache.open(registry)
    assert cache is not None
    kept = cache.tree_words(key)
    assert kept is not None and len(kept[3]) > 10  # nothing had been parsed: (nearly) every file unknown
    validate_registry(registry)  # parses and keeps the words of every file
    validate_registry(registry, None, "HEAD")
    relearned = ParseCache.open(registry)
    assert relearned is not None
    kept = relearned.tree_words(key)
    assert kept is not None and kept[3] == [COHORT]  # only the file whose base blob the edit replaced in the cache


@pytest.mark.parametrize("conversion", ["filter", "working-tree-encoding", "crlf"])
def test_files_git_converts_are_grepped_unless_only_line_endings_change(registry: Path, conversion: str) -> None:
    """The cache saw the files as committed; then git converts them on checkout, and `git diff` still calls
    them unchanged. grep reads the converted bytes, so the words must not answer for them (line endings aside)."""
    validate_registry(registry)
    if conversion == "filter":  # the work tree holds `EVAL`, the repository `eval`
        git(registry, "config", "filter.shout.smudge", "sed s/eval/EVAL/g")
        git(registry, "config", "filter.shout.clean", "sed s/EVAL/eval/g")
        (registry / ".gitattributes").write_text("models/** filter=shout\n", encoding="utf-8")
    elif conversion == "working-tree-encoding":
        (registry / ".gitattributes").write_text("models/** working-tree-encoding=UTF-16\n", encoding="utf-8")
    else:
        git(registry, "config", "core.autocrlf", "true")
    for relpath in git(registry, "ls-files", "models").splitlines():
        (registry / relpath).unlink()
    git(registry, "checkout", "--", "models")
    assert git(registry, "status", "--porcelain", "--", "models") == ""  # unchanged, to git
    referrer = git(registry, "grep", "-l", "cohort:card-transactions-eval", "HEAD", "--", "models").split()[0]
    referrer = referrer.removeprefix("HEAD:")
    on_disk, committed = (registry / referrer).read_bytes(), git(registry, "show", f"HEAD:{referrer}").encode()
    assert on_disk != committed
    assert (words_of(on_disk) == words_of(committed)) is (conversion == "crlf")
    _assert_words_answer_like_grep(registry, expect_grep=conversion != "crlf")


def test_locating_a_path_by_its_top_folder_answers_as_every_pattern_would(registry: Path) -> None:
    from charter.registry.kinds import _LOCATIONS, Location

    def by_every_pattern(relpath: str) -> Location | None:
        for pattern, kind in _LOCATIONS:
            match = pattern.match(relpath)
            if match:
                groups = match.groups()
                return Location(kind, groups[0], groups[1] if kind.versioned else None)
        return None

    paths = [*git(registry, "ls-files", "-z").split("\0"), "models/x/model.yml", "models/model.yaml/versions/1.yaml",
             "models/x/versions/model.yaml", "models/versions/model.yaml", "models/x/versions/1.yaml",
             "models/x/other/1.yaml", "models", "models/", "environments/a/b.yaml", "records/r.yml", "cohorts/c.yaml",
             "unknown/x/1.yaml", "", "/models/x/model.yaml"]
    assert sum(locate_path(p) is not None for p in paths) > 10
    assert all(sum(1 for pattern, _ in _LOCATIONS if pattern.match(p)) <= 1 for p in paths)  # so order is free
    assert [locate_path(p) for p in paths] == [by_every_pattern(p) for p in paths]


def test_base_documents_from_the_cache_are_the_parsed_ones(registry: Path) -> None:
    from charter.registry.documents import parse_document
    from charter.validation.released import BaseDocuments

    validate_registry(registry)  # the cache now holds every file as committed
    for relpath in (COHORT, CONTRACT):
        (registry / relpath).write_text("edited: [\n", encoding="utf-8")
    (registry / "events/sepsis-onset/2.0.0.yaml").unlink()
    reader = RevisionReader(registry, "HEAD")
    paths = [COHORT, CONTRACT, "events/sepsis-onset/2.0.0.yaml", "cohorts/new/1.0.0.yaml"]
    for cache in (ParseCache.open(registry), None):
        documents = BaseDocuments(reader, cache).of(paths)
        for relpath in paths[:3]:
            doc, expected = documents[relpath], parse_document(git(registry, "show", f"HEAD:{relpath}").encode(),
                                                               relpath)[0]
            assert doc is not None and expected is not None
            assert (doc.data, doc.ref, doc.status, doc.spec) == (expected.data, expected.ref, expected.status,
                                                                 expected.spec)
        assert documents["cohorts/new/1.0.0.yaml"] is None


def test_the_schema_library_release_is_read_without_importlib_metadata() -> None:
    from importlib.metadata import version

    from charter.store.cache import _library_version

    assert _library_version("jsonschema") == version("jsonschema")
    assert _library_version("no-such-library-anywhere") == "unknown"


_TEXT = st.text(alphabet="ab:-.@ \n\r\té/#", max_size=60)


@given(text=_TEXT, needle=st.from_regex(WORD_NEEDLE, fullmatch=True).filter(lambda n: len(n) < 12))
@settings(max_examples=400, deadline=None)
def test_a_needle_occurs_in_a_text_exactly_when_it_occurs_in_one_of_its_words(text: str, needle: str) -> None:
    raw = text.encode("utf-8")
    words = words_of(raw).split("\n")
    assert (needle.encode() in raw) == any(needle in word for word in words)
    inside = {text[i:j] for i in range(len(text)) for j in range(i + 1, min(len(text), i + 12) + 1)}
    for part in (p for p in inside if WORD_NEEDLE.fullmatch(p)):  # every needle the text does hold
        assert any(part in word for word in words), part
    assert all(word.encode() in raw for word in words if word)
    # CRLF line endings change no word
    assert words_of(raw.replace(b"\r", b"").replace(b"\n", b"\r\n")) == words_of(raw.replace(b"\r", b""))


def test_a_git_question_asked_in_the_background_answers_or_fails_as_if_asked_directly(registry: Path) -> None:
    from charter.adapters.git.run import in_background, run_git
    from charter.errors import CharterError

    answer = in_background(lambda: run_git(registry, ["rev-parse", "HEAD"]))
    failure = in_background(lambda: run_git(registry, ["rev-parse", "--verify", "no-such-branch"]))
    assert answer() == run_git(registry, ["rev-parse", "HEAD"])
    with pytest.raises(CharterError, match="git rev-parse failed"):
        failure()
    with pytest.raises(CharterError, match="not inside a git repository"):
        converted_files(registry.parent, [])
