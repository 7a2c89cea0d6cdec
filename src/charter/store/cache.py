"""A cache of what reading and schema-checking an entry file found, keyed by the file's git blob id (and of the
reference-like words in it, with which `validate --base` finds a change's referrers without reading every file).

Parsing 17,000 YAML files and checking each against its schema is most of a whole-registry run, and between two
runs almost no file changes. The cache lives in the repository's git directory (`.git/charter/`), so it is never
committed and is safe to delete at any time. It is never trusted past a mismatch: an entry is used only when the
file's bytes hash to the blob id it was stored under, its path is the same, its checksum holds and it was written
by the same cache format and the same Charter code (schemas included, for schema findings). Anything else, a
corrupt or unreadable database included, is a miss, and the file is parsed as if there were no cache.

The same database keeps what `charter search` needs to answer without opening files (see `charter.search.fact_index`):
each entry's search facts (`charter.store.facts`) with the stat stamp its file had when read, and the values
found at the field paths queries asked for. Such a row is used only for a file whose stat is still the one taken
when it was read, at least SETTLED_NS after its last change (git's test for a clean file, on Charter's own
records), and only if its checksum, path and code hold; `validate` never relies on a stat, it hashes every file.

Set `CHARTER_NO_CACHE=1` to read without the cache (it is then neither read nor written).
"""

from __future__ import annotations

import hashlib
import marshal
import os
import re
import sqlite3
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from charter.registry.files import is_utf8
from charter.registry.findings import Finding, Severity

#: Bump when what is stored changes shape; older databases are then ignored (and removed) and rebuilt.
CACHE_FORMAT = 2
CACHE_FILE = f"parse-cache-v{CACHE_FORMAT}.sqlite"
#: Above this many paths one scan of the table is cheaper than looking them up (a scan of 17,000 rows takes about
#: as long as looking up 15,000 paths); below it, paths are looked up `_LOOKUP_CHUNK` to a query.
_SCAN_ABOVE = 5000
_LOOKUP_CHUNK = 500
#: How many trees' words `store_tree_words` keeps.
_TREES_KEPT = 3
#: Rows written per transaction: few enough that pending rows stay a small part of a run's memory.
_BATCH = 1000
#: The package whose every module and schema the stored rows are keyed on (see `code_fingerprint`).
PACKAGE_DIR = Path(__file__).resolve().parents[1]
#: A file's stat is trusted to name its bytes only if the file had not changed for this long when it was
#: taken: a write within the file system's timestamp granularity after reading would otherwise go unseen. (Tests
#: set it to 0 to have files they just wrote trusted, and change sizes or times so that each write is seen.)
SETTLED_NS = 2_000_000_000

FindingRow = tuple[str, str, str, int, int, str, str]
#: A reference found in a document's spec: its path in `spec`, and the reference (prefix, name, version).
ReferenceRow = tuple[tuple[str | int, ...], tuple[str, str, str | None]]
#: The words of every file of a tree: paths (sorted), where each one's words begin in the text, the text (the
#: files' `words_of`, one after the other, each ended by a newline), and the paths whose words were not known.
TreeWords = tuple[list[str], list[int], str, list[str]]
#: What reading a file gave: its data when it is a document (else None), the findings of reading it, and the
#: references in its spec (None where they were not looked for).
Parsed = tuple[dict[str, Any] | None, list[Finding], list[ReferenceRow] | None]


#: A reference-like word: a longest run of these characters and colons with a colon followed by one of them.
#: (The look-behind starts a match only where a run starts: trying every position of every run took seconds.)
_WORD = re.compile(rb"(?<![A-Za-z0-9._@+:-])[A-Za-z0-9._@+:-]*:[A-Za-z0-9._@+-][A-Za-z0-9._@+:-]*")
#: What `words_of` can answer for: a text of the same characters with such a colon (every `prefix:name`).
WORD_NEEDLE = re.compile(r"[A-Za-z0-9._@+:-]*:[A-Za-z0-9._@+-][A-Za-z0-9._@+:-]*")


def words_of(raw: bytes) -> str:
    """Every reference-like word of a file (see _WORD), one a line.

    A WORD_NEEDLE occurs in the file exactly when it occurs in one of these words: an occurrence lies inside one
    longest run of word characters and colons (it cannot cross any other character), and that run has the
    needle's colon-and-character, so it is one of the words. They answer what `git grep -F` would, for this
    content, without the file being read (see `charter.validation.mentions`). The regular expression finds only
    such runs, whole: it starts where a run starts and takes the run to its end.
    """
    return "\n".join(word.decode("ascii") for word in _WORD.findall(raw))


def git_directory(root: Path) -> Path | None:
    """The repository's shared git directory (worktrees share their main one), found without running git."""
    for folder in (root, *root.parents):
        dot_git = folder / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            try:
                line = dot_git.read_text(encoding="utf-8").strip()
            except OSError:
                return None
            if not line.startswith("gitdir:"):
                return None
            gitdir = (folder / line.removeprefix("gitdir:").strip()).resolve()
            common = gitdir / "commondir"
            try:
                return (gitdir / common.read_text(encoding="utf-8").strip()).resolve() if common.is_file() \
                    else gitdir
            except OSError:
                return None
    return None


_CODE_FINGERPRINT: str | None = None


def _code_files() -> list[tuple[str, os.stat_result]]:
    """Every Python module of the installed package and every schema it ships, by name, with its stat."""
    from charter.registry.schemas import SCHEMA_DIR

    found: list[tuple[str, os.stat_result]] = []
    folders = [str(PACKAGE_DIR)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py") and entry.is_file():
                    found.append((entry.path, entry.stat()))
                elif entry.is_dir(follow_symlinks=False) and entry.name not in ("__pycache__", "data"):
                    folders.append(entry.path)
    found.sort()
    with os.scandir(SCHEMA_DIR) as entries:
        found.extend(sorted((entry.path, entry.stat()) for entry in entries if entry.name.endswith(".json")))
    return found


def _name(path: str) -> bytes:
    """A file's path inside the package: the same for every installation of one release."""
    return f"{path[len(str(PACKAGE_DIR)) + 1:]}\0".encode("utf-8", "surrogateescape")


def code_fingerprint(memo: sqlite3.Connection | None = None) -> str:
    """A digest of the path and bytes of every file `_code_files` names: what every stored row is keyed on.

    Which modules decide what a row holds (parsing, references, facts, ...) is not listed by hand: such a list
    falls behind the code. Any change to any of them, in a release or an editable checkout, invalidates every
    row. Reading and hashing them takes about 2 ms, a stat of each a tenth of that; so the digest is kept in
    `memo` (the cache's own database) under the files' stat signature, git's clean-file test: size, times,
    inode and device. Any write changes a file's ctime, so a file that changed is read again; two installations
    of one release (the pre-commit hook's and a person's) still share their rows, since the digest is of bytes.
    """
    global _CODE_FINGERPRINT
    if _CODE_FINGERPRINT is not None:
        return _CODE_FINGERPRINT
    files = _code_files()
    signature = hashlib.sha1(f"format {CACHE_FORMAT}\0".encode())
    for file, info in files:
        signature.update(_name(file))
        signature.update(f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{info.st_dev}\0"
                         .encode())
    stat_key = signature.hexdigest()
    if memo is not None:
        with _quietly():
            row = memo.execute("SELECT digest FROM code WHERE signature = ?", (stat_key,)).fetchone()
            if row is not None and isinstance(row[0], str):
                _CODE_FINGERPRINT = row[0]
                return row[0]
    digest = hashlib.sha1(f"format {CACHE_FORMAT}\0".encode())
    for file, _ in files:
        digest.update(_name(file))
        digest.update(Path(file).read_bytes())
        digest.update(b"\0")
    _CODE_FINGERPRINT = digest.hexdigest()
    if memo is not None:
        with _quietly():  # only a shortcut: a database that refuses it costs the next run 2 ms
            memo.execute("DELETE FROM code")
            memo.execute("INSERT INTO code (signature, digest) VALUES (?, ?)", (stat_key, _CODE_FINGERPRINT))
    return _CODE_FINGERPRINT


def _fingerprint(code: str, *extra: bytes) -> str:
    digest = hashlib.sha1(code.encode())
    for part in extra:
        digest.update(part)
    return digest.hexdigest()


def stamp_of(info: os.stat_result, started_ns: int) -> str | None:
    """What must stay the same for a file to still hold the bytes it held (git's check, on our own records), or
    None when the file changed too recently (before `started_ns`, taken before the stat) to tell."""
    if info.st_ctime_ns > started_ns - SETTLED_NS or info.st_mtime_ns > started_ns - SETTLED_NS:
        return None
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ctime_ns}:{info.st_ino}:{info.st_dev}:{info.st_mode}"


def _key(*parts: str | int) -> int:
    """The checksum seed of a row: what it belongs to, so a row moved to another path or blob is refused."""
    return zlib.crc32("\0".join(map(str, parts)).encode("utf-8", "surrogatepass"))


def _rows(findings: Iterable[Finding]) -> list[FindingRow]:
    return [(f.code, f.severity.value, f.path, f.line, f.column, f.message, f.hint) for f in findings]


def _findings(rows: list[FindingRow]) -> list[Finding]:
    return [Finding(code, Severity(severity), path, line, column, message, hint)
            for code, severity, path, line, column, message, hint in rows]


class ParseCache:
    """One SQLite database of (path, blob id) -> parsed data and findings, and -> schema findings."""

    def __init__(self, connection: sqlite3.Connection, location: Path) -> None:
        self._db = connection
        self.location = location
        self._code = _fingerprint(code_fingerprint(connection))
        self._schema_key: str | None = None
        self._pending_parsed: list[tuple[str, str, bytes, int]] = []
        self._pending_schema: list[tuple[str, str, bytes, int]] = []
        self._pending_words: list[tuple[str, str, bytes, int]] = []
        self._search_key: str | None = None
        self._pending_facts: list[tuple[str, str, bytes, int]] = []
        self._pending_values: list[tuple[str, str, str, bytes, int]] = []

    @classmethod
    def open(cls, root: Path) -> ParseCache | None:
        """The cache of the repository holding `root`, or None (no repository, disabled, or not writable)."""
        if os.environ.get("CHARTER_NO_CACHE"):
            return None
        gitdir = git_directory(root.resolve())
        if gitdir is None:
            return None
        location = gitdir / "charter" / CACHE_FILE
        for older in range(1, CACHE_FORMAT):  # an upgrade's leftovers: nothing reads them any more
            with _quietly():
                (gitdir / "charter" / f"parse-cache-v{older}.sqlite").unlink(missing_ok=True)
        for attempt in range(2):
            try:
                location.parent.mkdir(exist_ok=True)
                connection = sqlite3.connect(location, timeout=2.0, isolation_level=None)
                connection.execute("PRAGMA synchronous=OFF")
                connection.execute("CREATE TABLE IF NOT EXISTS parsed "
                                   "(path TEXT PRIMARY KEY, blob TEXT, value BLOB, checksum INTEGER)")
                connection.execute("CREATE TABLE IF NOT EXISTS schema "
                                   "(path TEXT PRIMARY KEY, blob TEXT, value BLOB, checksum INTEGER)")
                connection.execute("CREATE TABLE IF NOT EXISTS words "
                                   "(path TEXT PRIMARY KEY, blob TEXT, value BLOB, checksum INTEGER)")
                connection.execute("CREATE TABLE IF NOT EXISTS tree_words "
                                   "(key TEXT PRIMARY KEY, value BLOB, checksum INTEGER)")
                connection.execute("CREATE TABLE IF NOT EXISTS facts "
                                   "(path TEXT PRIMARY KEY, stamp TEXT, record BLOB, checksum INTEGER)")
                connection.execute("CREATE TABLE IF NOT EXISTS code (signature TEXT PRIMARY KEY, digest TEXT)")
                connection.execute("CREATE TABLE IF NOT EXISTS field_values "
                                   "(field TEXT, path TEXT, blob TEXT, value BLOB, checksum INTEGER, "
                                   "PRIMARY KEY (field, path)) WITHOUT ROWID")
                return cls(connection, location)
            except sqlite3.DatabaseError:
                if attempt == 0 and location.is_file():  # damaged: it is only a cache, start again
                    with _quietly():
                        location.unlink()
                    continue
                return None
            except OSError:
                return None
        return None  # pragma: no cover - the loop returns

    # -- parsed files ----------------------------------------------------------------------------------------

    def parsed(self, keys: dict[str, str]) -> dict[str, Parsed]:
        """What was stored for these paths (path -> blob id), for those whose entry is still true."""
        found: dict[str, Parsed] = {}
        for path, blob, value, checksum in self._select("parsed", keys):
            loaded = self._load(value, checksum, (self._code, path, blob))
            if loaded is not None:
                data, rows, references = loaded
                found[path] = (data, _findings(rows), references)
        return found

    def store_parsed(self, path: str, blob: str, parsed: Parsed) -> None:
        if not is_utf8(path):
            return
        data, findings, references = parsed
        self._pending_parsed.append(self._row(path, blob, (self._code, path, blob),
                                              (data, _rows(findings), references)))
        if len(self._pending_parsed) >= _BATCH:
            self.flush()

    # -- reference-like words of a file ------------------------------------------------------------------------

    def words(self, keys: dict[str, str]) -> dict[str, str]:
        """`words_of` the content of these paths (path -> blob id), as stored when the file was parsed."""
        found: dict[str, str] = {}
        for path, blob, value, checksum in self._select("words", keys):  # all of them, often: no marshal here
            header = f"{self._code}\0{path}\0{blob}\0".encode()
            if isinstance(value, bytes) and value.startswith(header) and zlib.crc32(value) == checksum:
                try:
                    found[path] = value[len(header):].decode("ascii")
                except UnicodeDecodeError:
                    continue
        return found

    def store_words(self, path: str, blob: str, raw: bytes) -> None:
        if not is_utf8(path):
            return
        value = f"{self._code}\0{path}\0{blob}\0{words_of(raw)}".encode()
        self._pending_words.append((path, blob, value, zlib.crc32(value)))
        if len(self._pending_words) >= _BATCH:
            self.flush()

    def tree_words(self, key: str) -> TreeWords | None:
        """What `store_tree_words` kept under `key`, if it is intact and this code wrote it."""
        try:
            row = self._db.execute("SELECT value, checksum FROM tree_words WHERE key = ?", (key,)).fetchone()
        except sqlite3.Error:
            return None
        if row is None:
            return None
        loaded = self._load(row[0], row[1], (self._code, key, ""))
        if not isinstance(loaded, tuple) or len(loaded) != 4:
            return None
        paths, starts, text, unknown = loaded
        return list(paths), list(starts), text, list(unknown)

    def store_tree_words(self, key: str, words: TreeWords) -> None:
        """Keep the words of a whole tree (see `validation.mentions`), with the few last trees' (each is a few
        megabytes): a tree's words are read in one piece instead of as 17,000 rows."""
        _, _, value, checksum = self._row(key, "", (self._code, key, ""), words)
        try:
            with self._db:
                self._db.execute("BEGIN")
                self._db.execute("INSERT OR REPLACE INTO tree_words VALUES (?, ?, ?)", (key, value, checksum))
                self._db.execute("DELETE FROM tree_words WHERE rowid NOT IN "
                                 f"(SELECT rowid FROM tree_words ORDER BY rowid DESC LIMIT {_TREES_KEPT})")
        except sqlite3.Error:
            pass

    # -- schema findings -------------------------------------------------------------------------------------

    def schema_findings(self, keys: dict[str, str]) -> dict[str, list[Finding]]:
        """Stored schema findings of these paths (path -> blob id), for the current schemas and code."""
        found: dict[str, list[Finding]] = {}
        for path, blob, value, checksum in self._select("schema", keys):
            loaded = self._load(value, checksum, (self._schemas(), path, blob))
            if loaded is not None:
                found[path] = _findings(loaded)
        return found

    def store_schema_findings(self, path: str, blob: str, findings: list[Finding]) -> None:
        if not is_utf8(path):
            return
        self._pending_schema.append(self._row(path, blob, (self._schemas(), path, blob), _rows(findings)))
        if len(self._pending_schema) >= _BATCH:
            self.flush()

    def _schemas(self) -> str:
        if self._schema_key is None:
            self._schema_key = _fingerprint(self._code, _library_version("jsonschema").encode())
        return self._schema_key

    # -- what a search reads instead of files (see charter.search.fact_index) -------------------------------------

    def search_key(self) -> str:
        """The code that decides search facts and field values: a row written by other code is refused."""
        if self._search_key is None:
            self._search_key = _fingerprint(self._code, b"search")
        return self._search_key

    def store_facts(self, path: str, stamp: str | None, record: bytes) -> None:
        """Store a file's search facts (`record`, as `charter.search.fact_index` packs them), read from it when it had
        this stat `stamp` (see `stamp_of`; None: the record is not to be used)."""
        if not is_utf8(path):
            return
        stamp = stamp or ""
        self._pending_facts.append((path, stamp, record, zlib.crc32(record, _key(self.search_key(), path, stamp))))

    def facts(self, stamps: dict[str, str | None]) -> tuple[dict[str, bytes], set[str]]:
        """The stored facts of the files whose stamp is still the one given (path -> stamp), from the rows written
        by this code that are intact (path -> record); and the other files of `stamps` with such a row, for another
        stamp (files this code has read before: what the parse cache holds of them is likely still of use)."""
        code = self.search_key()
        try:
            rows = self._db.execute("SELECT path, stamp, record, checksum FROM facts").fetchall()
        except sqlite3.Error:
            return {}, set()
        crc32 = zlib.crc32
        found = {}
        stale = set()
        for path, stamp, record, checksum in rows:
            if path not in stamps:
                continue
            try:
                if crc32(record, crc32(f"{code}\0{path}\0{stamp}".encode("utf-8", "surrogatepass"))) != checksum:
                    continue
            except (TypeError, UnicodeError):
                continue  # a value of the wrong type: not a row this code wrote
            if stamp and stamps[path] == stamp:
                found[path] = record
            else:
                stale.add(path)
        return found, stale

    def store_field_values(self, field: str, path: str, blob: str, values: list[Any]) -> None:
        """The values a search found at `field` (dotted) in the file at `path` holding `blob`."""
        if not is_utf8(path):
            return
        value = marshal.dumps(values)
        self._pending_values.append((field, path, blob, value, zlib.crc32(value, _key(self.search_key(), field,
                                                                                         path, blob))))

    def field_values(self, field: str) -> dict[str, tuple[str, bytes, int]]:
        """The stored rows of `field`: path -> (blob, value, checksum), each to be checked by `field_value` when
        it is used (a query that looks at a few files need not decode every row)."""
        try:
            rows = self._db.execute("SELECT path, blob, value, checksum FROM field_values WHERE field = ?",
                                    (field,)).fetchall()
        except sqlite3.Error:
            return {}
        return {path: (blob, value, checksum) for path, blob, value, checksum in rows
                if isinstance(path, str) and isinstance(blob, str) and isinstance(value, bytes)}

    def field_value(self, field: str, path: str, row: tuple[str, bytes, int]) -> list[Any] | None:
        """The values of a row `field_values` gave, if it was written by this code and is intact."""
        blob, value, checksum = row
        if zlib.crc32(value, _key(self.search_key(), field, path, blob)) != checksum:
            return None
        try:
            values = marshal.loads(value)
        except (ValueError, EOFError, TypeError):
            return None
        return values if isinstance(values, list) else None

    # -- storage ---------------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write what was stored since the last flush, in one transaction; a failure only loses cache entries."""
        pending = (("parsed", self._pending_parsed), ("schema", self._pending_schema),
                   ("words", self._pending_words),
                   ("facts", self._pending_facts),
                   ("field_values", self._pending_values))
        if not any(rows for _, rows in pending):
            return
        try:
            with self._db:
                self._db.execute("BEGIN")
                for table, rows in pending:
                    if rows:
                        marks = ", ".join("?" * len(rows[0]))
                        self._db.executemany(f"INSERT OR REPLACE INTO {table} VALUES ({marks})", rows)
        except (sqlite3.Error, UnicodeEncodeError):
            pass
        self._pending_parsed, self._pending_schema, self._pending_words = [], [], []
        self._pending_facts, self._pending_values = [], []

    def close(self) -> None:
        self.flush()
        with _quietly():
            self._db.close()

    def _select(self, table: str, keys: dict[str, str]) -> list[tuple[str, str, bytes, int]]:
        if not keys:
            return []
        try:
            if len(keys) > _SCAN_ABOVE:
                rows = self._db.execute(f"SELECT path, blob, value, checksum FROM {table}").fetchall()
            else:
                paths = [path for path in keys if is_utf8(path)]
                rows = []
                for start in range(0, len(paths), _LOOKUP_CHUNK):
                    chunk = paths[start:start + _LOOKUP_CHUNK]
                    marks = ",".join("?" * len(chunk))
                    rows += self._db.execute(f"SELECT path, blob, value, checksum FROM {table} "
                                             f"WHERE path IN ({marks})", chunk).fetchall()
        except (sqlite3.Error, UnicodeEncodeError):
            return []
        return [row for row in rows if keys.get(row[0]) == row[1]]

    @staticmethod
    def _row(path: str, blob: str, header: tuple[str, str, str], payload: Any) -> tuple[str, str, bytes, int]:
        value = marshal.dumps((header, payload))
        return (path, blob, value, zlib.crc32(value))

    @staticmethod
    def _load(value: Any, checksum: Any, header: tuple[str, str, str]) -> Any:
        if not isinstance(value, bytes) or zlib.crc32(value) != checksum:
            return None
        try:
            stored_header, payload = marshal.loads(value)
        except (ValueError, EOFError, TypeError):
            return None
        return payload if tuple(stored_header) == header else None


def _library_version(name: str) -> str:
    """The installed version of a library, read from its dist-info folder's name.

    Importing importlib.metadata costs 13 ms, a tenth of the one-file validate a pre-commit hook runs; the folder
    name (`jsonschema-4.26.0.dist-info`) is where it would read the version from anyway.
    """
    import importlib.util

    spec = importlib.util.find_spec(name)
    if spec is not None and spec.origin is not None:
        folder = Path(spec.origin).parent.parent
        prefix = f"{name.replace('-', '_')}-"
        with _quietly():
            found = sorted(entry.name for entry in os.scandir(folder)
                           if entry.name.startswith(prefix) and entry.name.endswith(".dist-info"))
            if len(found) == 1:
                return found[0].removesuffix(".dist-info").removeprefix(prefix)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:  # pragma: no cover - a dependency
        return "unknown"


class _quietly:
    """Ignore the OS and SQLite errors of tidying up a cache: nothing depends on it."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, error: object, trace: object) -> bool:
        return isinstance(error, OSError | sqlite3.Error)
