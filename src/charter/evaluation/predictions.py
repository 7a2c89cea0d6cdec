"""Reading a predictions file: one row per scored unit, with its score, its label and the time it was scored.

`charter evaluate record MODEL --cohort REF --predictions FILE` computes an evaluation from such a file instead of
taking counts on trust. The file is CSV (`.csv`, or gzip-compressed `.csv.gz`) or Parquet (`.parquet`, `.pq`);
docs/predictions.md describes the columns and the values each takes. pyarrow reads both formats (only the columns
a role is mapped to), and every check is a vectorised pass over a column: a million rows take about a second of
CPU from a CSV, little more than half that from Parquet (benchmarks/evidence_read.py).

Every problem is one `PredictionsError` naming the file, the row and the column: `preds.csv:17:2 (label): ...`
in a CSV (the line, counting the header as line 1, and the column's number and name), `preds.parquet:row 17
(label): ...` in Parquet (the data row, from 1). Where a file has several problems, the one nearest its start is
reported (at one row, the leftmost of the roles score, label, time, id, baseline, subgroups).

Decisions (docs/predictions.md says them to users):

- scores, and the baseline's scores, are probabilities in [0, 1]: an empty cell, NaN, an infinity or a number
  outside [0, 1] is an error;
- labels are 0 and 1: the text `0` and `1` in a CSV; integers, or the text `0` and `1`, in Parquet. Anything
  else (`true`, `1.0`, ` 1`) is an error, so a column of the wrong kind is never read as labels;
- times are RFC 3339 date-times, `YYYY-MM-DD[T| ]HH:MM[:SS[.fraction]]` with `Z` or `+HH:MM`/`-HH:MM`; without an
  offset a time is UTC, and a bare date is its midnight UTC. Numbers (epoch seconds? milliseconds?) are refused.
  Parquet may also store them as a timestamp (a timestamp without a time zone is UTC) or date column. `time` is
  `datetime64[s]`, UTC: fractions of a second are dropped (rounded down);
- an empty subgroup cell (or a null) is the subgroup value `(missing)`, a group of its own: missing ethnicity is
  something a fairness review needs to see, not a reason to refuse the file;
- the `id` column is optional under its default name; when present, every row needs an id and no id may repeat.

The file is opened once (never a FIFO or a device: those are refused before opening, and the descriptor is
opened non-blocking), mapped into memory, and hashed (md5, the digest DVC records for it) by a thread while
pyarrow parses the same pages: nothing is read twice, and no copy of the file is made. (A file cut short by
another process while it is mapped would end the process with SIGBUS; the file is the user's own output, read
once, so the mapping's speed and memory are worth that.)
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import gzip
import hashlib
import mmap
import os
import re
import stat
import threading
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from charter.errors import (
    PredictionsError,
    PredictionsFileFormat,
    PredictionsFileNotFound,
    PredictionsFileUnreadable,
    PredictionsNotAFile,
)
from charter.registry.files import what_is

FloatArray = npt.NDArray[np.float64]
ObjectArray = npt.NDArray[np.object_]

#: The roles a column can play, in the order problems at one row are reported.
ROLES = ("score", "label", "time", "id", "baseline", "subgroup")
#: The subgroup value of an empty cell or a null.
MISSING = "(missing)"
#: What a CSV's first line may hold at most (a header longer than this is not a header).
MAX_HEADER_BYTES = 1024 * 1024
#: The label cells there are, and what each means.
LABELS = {"0": 0, "1": 1}
#: How much of a value a message shows.
SHOWN_CHARS = 40

SUFFIXES: dict[str, tuple[Literal["csv", "parquet"], bool]] = {
    ".csv": ("csv", False), ".csv.gz": ("csv", True), ".parquet": ("parquet", False), ".pq": ("parquet", False)}

#: RFC 3339 as the reader takes it: a date, optionally a time (seconds and their fraction optional) and an offset.
TIME_RE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})?)?$"
OFFSET_RE = r"(?:Z|[+-]\d{2}:\d{2})$"
FRACTION_RE = r"\.\d+"
NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


# ------------------------------------------------------------------------------------------------- the column map


@dataclass(frozen=True)
class ColumnMap:
    """Which column of the file plays which role. `id` is optional under its default name (None: no ids);
    `subgroups` are the columns whose values split the cohort (sex, age band, site); `baseline` is the column of
    the scores a model in use gave the same units, when the evaluation compares against it."""

    score: str = "score"
    label: str = "label"
    time: str = "time"
    id: str | None = "id"
    subgroups: tuple[str, ...] = ()
    baseline: str | None = None

    def __post_init__(self) -> None:
        seen: dict[str, str] = {}
        for role, column in self.roles():
            if column in seen:
                where = f"--column {role}={column}"
                raise PredictionsError(where, "map.same_column", column=_shown(column), first=seen[column])
            seen[column] = role

    def roles(self) -> list[tuple[str, str]]:
        """(role, column) for every column mapped, in the order of ROLES (subgroups in their order)."""
        found = [("score", self.score), ("label", self.label), ("time", self.time)]
        if self.id is not None:
            found.append(("id", self.id))
        if self.baseline is not None:
            found.append(("baseline", self.baseline))
        found += [("subgroup", name) for name in self.subgroups]
        return found

    def recorded(self) -> dict[str, str]:
        """The roles an evaluation records (`spec.evidence.predictions.columns`), so `verify` reads the same."""
        return {role: name for role, name in (("score", self.score), ("label", self.label), ("time", self.time),
                                              ("id", self.id), ("baseline", self.baseline)) if name is not None}

    @classmethod
    def from_recorded(cls, recorded: dict[str, Any], subgroups: Iterable[str]) -> ColumnMap:
        """The map an evaluation's recorded columns and subgroup columns name (the inverse of `recorded`)."""
        return cls(score=str(recorded["score"]), label=str(recorded["label"]), time=str(recorded["time"]),
                   id=recorded.get("id"), subgroups=tuple(str(s) for s in subgroups), baseline=recorded.get("baseline"))

    @classmethod
    def from_options(cls, mappings: Iterable[str]) -> ColumnMap:
        """A map from `--column ROLE=NAME` options, e.g. ["score=prob", "label=sepsis", "subgroup=sex"]: the roles
        not mentioned keep their default column names; `subgroup` may be given once per subgroup column."""
        single: dict[str, str] = {}
        subgroups: list[str] = []
        roles = ", ".join(ROLES)
        for text in mappings:
            where = f"--column {text}"
            role, sep, column = (part.strip() for part in text.partition("="))
            if not sep or not role or not column:
                raise PredictionsError(where, "map.syntax", text=_shown(text), roles=roles)
            if role not in ROLES:
                close = difflib.get_close_matches(role, ROLES, n=1)
                if close:
                    raise PredictionsError(where, "map.role.close", role=_shown(role), close=close[0], roles=roles)
                raise PredictionsError(where, "map.role", role=_shown(role), roles=roles)
            if role == "subgroup":
                subgroups.append(column)
            elif role in single:
                raise PredictionsError(where, "map.twice", role=role, first=_shown(single[role]))
            else:
                single[role] = column
        return cls(**single, subgroups=tuple(subgroups))


# ------------------------------------------------------------------------------------------------- what is read


@dataclass(frozen=True, eq=False)
class Predictions:
    """A predictions file, checked: every array has one element per row, in the file's order.

    `time` is `datetime64[s]` in UTC (`.astype(np.int64)` gives epoch seconds). `subgroups` maps each subgroup
    column to its values as text (`MISSING` for an empty cell); `subgroup_levels` gives, per column, its distinct
    values (sorted, `MISSING` last) and each row's index into them, which is what counting by subgroup needs.
    `md5` is the hex digest of the file's bytes (of the compressed bytes of a .csv.gz), the digest DVC records.
    `columns` is the map that was read, with `id` None when the file has no id column. The arrays are read-only
    (some share pyarrow's memory without a copy).
    """

    path: Path
    format: Literal["csv", "parquet"]
    rows: int
    score: FloatArray
    label: npt.NDArray[np.int8]
    time: npt.NDArray[np.datetime64]
    ids: ObjectArray | None
    subgroups: dict[str, ObjectArray]
    baseline: FloatArray | None
    md5: str
    columns: ColumnMap
    subgroup_levels: dict[str, tuple[tuple[str, ...], npt.NDArray[np.int32]]] = field(default_factory=dict,
                                                                                        repr=False)


def read_predictions(path: Path, columns: ColumnMap | None = None) -> Predictions:
    """Read and check a predictions file; raises one PredictionsError saying where the first problem is."""
    columns = columns or ColumnMap()
    shown = _shown_path(path)
    with _Source(path, shown) as source:
        reader: _Reader = _CsvReader(source, columns) if source.format == "csv" else _ParquetReader(source, columns)
        found = reader.read()
        md5 = source.md5()
    for value in (*found.values(), *found["subgroups"].values(), *(c for _, c in found["subgroup_levels"].values())):
        if isinstance(value, np.ndarray):
            value.flags.writeable = False  # the dataclass is frozen, and so are its arrays
    return Predictions(path=path, format=source.format, md5=md5, **found)


# ------------------------------------------------------------------------------------------------- the file


class _Source:
    """The file, opened once: refused unless it is a regular file, mapped into memory, hashed by a thread."""

    def __init__(self, path: Path, shown: str) -> None:
        self.path = path
        self.shown = shown
        name = path.name.lower()
        suffix = ".csv.gz" if name.endswith(".csv.gz") else path.suffix.lower()
        try:
            info = path.stat()  # a link is followed: DVC may check the file out as a link into its cache
        except FileNotFoundError:
            raise PredictionsFileNotFound(path=shown) from None
        except OSError as exc:
            raise PredictionsFileUnreadable(path=shown, error=exc.strerror or exc) from None
        what = what_is(info.st_mode)
        if what is not None:
            raise PredictionsNotAFile(path=shown, what=what)
        if suffix not in SUFFIXES:
            raise PredictionsFileFormat(path=shown, suffix=_shown(suffix or "(no suffix)"))
        self.format, self.compressed = SUFFIXES[suffix]
        if info.st_size == 0:
            raise PredictionsError(shown, "file.empty")
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
        except OSError as exc:
            raise PredictionsFileUnreadable(path=shown, error=exc.strerror or exc) from None
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):  # swapped for something else since the stat
                raise PredictionsNotAFile(path=shown, what=what_is(opened.st_mode) or "not a regular file")
            if opened.st_size == 0:
                raise PredictionsError(shown, "file.empty")
            self.map = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
        except OSError as exc:
            raise PredictionsFileUnreadable(path=shown, error=exc.strerror or exc) from None
        finally:
            os.close(fd)
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._newlines = 0
        self._hashing = threading.Thread(target=self._hash, name="predictions-md5", daemon=True)
        self._hashing.start()

    def _hash(self) -> None:
        """The md5 of the bytes and, of a plain CSV, how many line breaks they hold (one pass for both)."""
        view = memoryview(self.map)
        try:
            for start in range(0, len(view), 1 << 22):  # hashlib and numpy let go of the GIL for each chunk
                chunk = view[start:start + (1 << 22)]
                self._md5.update(chunk)
                if not self.compressed:
                    self._newlines += int(np.count_nonzero(np.frombuffer(chunk, dtype=np.uint8) == 10))
                chunk.release()
        finally:
            view.release()

    def content_lines(self) -> int:
        """How many lines the content has up to its last that is not blank (line breaks at the end are not
        lines). Counted while hashing for a plain file; read again for a compressed one."""
        if self.compressed:
            last = 0
            for number, line in enumerate(self.lines(), start=1):
                if line.strip(b"\r\n"):
                    last = number
            return last
        self._hashing.join()
        end = len(self.map)
        while end > 0 and self.map[end - 1] in (10, 13):
            end -= 1
        return self._newlines - self.map[end:].count(b"\n") + 1

    def md5(self) -> str:
        self._hashing.join()
        return self._md5.hexdigest()

    def done_reading(self) -> None:
        """The table is read: hand back the file's pages (a problem's line is found by reading them again) and
        what pyarrow's allocator keeps of the parser's buffers, before the columns are converted."""
        self._hashing.join()
        if hasattr(mmap, "MADV_DONTNEED"):
            self.map.madvise(mmap.MADV_DONTNEED)
        pa.default_memory_pool().release_unused()

    def __enter__(self) -> _Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self._hashing.join()
        with contextlib.suppress(BufferError):  # an arrow buffer still refers to it: it closes with the last one
            self.map.close()

    def buffer(self) -> Any:
        """The file's bytes as an arrow buffer (no copy)."""
        return pa.py_buffer(self.map)

    def stream(self) -> Any:
        """The file's content (decompressed) as an arrow input stream."""
        raw = pa.BufferReader(self.buffer())
        return pa.CompressedInputStream(raw, "gzip") if self.compressed else raw

    def lines(self) -> Iterator[bytes]:
        """The content's lines (decompressed), each with its line ending; for finding a problem's line."""
        self.map.seek(0)
        if not self.compressed:
            yield from iter(self.map.readline, b"")
            return
        with gzip.GzipFile(fileobj=self.map, mode="rb") as unzipped:
            yield from iter(unzipped.readline, b"")

    def first_line(self) -> bytes:
        """The content's first line (without its line ending), at most MAX_HEADER_BYTES of it."""
        if not self.compressed:
            end = self.map.find(b"\n", 0, MAX_HEADER_BYTES)
            return bytes(self.map[:end if end != -1 else MAX_HEADER_BYTES]).rstrip(b"\r")
        unzip = zlib.decompressobj(wbits=31)
        text = b""
        try:
            for start in range(0, len(self.map), 1 << 16):
                text += unzip.decompress(self.map[start:start + (1 << 16)], MAX_HEADER_BYTES + 1 - len(text))
                if b"\n" in text or len(text) > MAX_HEADER_BYTES or unzip.unconsumed_tail:
                    break
        except zlib.error as exc:
            raise PredictionsError(self.shown, "gzip.invalid", problem=exc) from None
        return text.split(b"\n", 1)[0][:MAX_HEADER_BYTES].rstrip(b"\r")


# ------------------------------------------------------------------------------------------------- the checks


@dataclass
class _Problem:
    row: int
    order: int
    column: str
    key: str
    fields: dict[str, object]
    #: a row the message refers to as well (the first of a repeated id), shown as the reader shows rows
    other_row: int | None = None
    #: the number the message is about, shown as the file writes it (looked up only for the problem reported)
    number: float | None = None


class _Reader(ABC):
    """What CSV and Parquet share: the checks of each role's column, and the choice of which problem to report."""

    def __init__(self, source: _Source, columns: ColumnMap) -> None:
        self.source = source
        self.shown = source.shown
        self.columns = columns
        self.problems: list[_Problem] = []
        self.names: list[str] = []
        self.order = {column: i for i, (_, column) in enumerate(columns.roles())}

    # where things are: each format says it its way
    @abstractmethod
    def at_row(self, row: int, column: str) -> str:
        """Where a cell is, as a message names it: `file:LINE:COLUMN (name)` in a CSV, `file:row N (name)` in
        Parquet."""

    @abstractmethod
    def at_column(self, column: str, index: int | None = None) -> str:
        """Where a column is, as a message names it: its place in a CSV's header, its name in Parquet."""

    @abstractmethod
    def row_words(self, row: int) -> str:
        """A row as a message names it: "line N" in a CSV, "row N" in Parquet."""

    @abstractmethod
    def read(self) -> dict[str, Any]:
        """The file's columns, read as the roles need them."""

    def number_shown(self, row: int, column: str, value: float) -> str:
        """A number a message is about, as the file has it."""
        return repr(value)

    def fail(self, row: int, column: str, key: str, /, other_row: int | None = None, number: float | None = None,
             **fields: object) -> None:
        order = self.order.get(column, len(self.order))
        self.problems.append(_Problem(row, order, column, key, fields, other_row, number))

    def column_error(self, column: str, key: str, /, **fields: object) -> PredictionsError:
        return PredictionsError(self.at_column(column), key, **fields)

    def raise_first(self) -> None:
        if not self.problems:
            return
        first = min(self.problems, key=lambda p: (p.row, p.order))
        fields = dict(first.fields)
        if first.other_row is not None:
            fields["first"] = self.row_words(first.other_row)
        if first.number is not None:
            fields["value"] = self.number_shown(first.row, first.column, first.number)
        raise PredictionsError(self.at_row(first.row, first.column), first.key, **fields)

    def mapped(self) -> list[tuple[str, str]]:
        """The roles and columns to read: every column mapped, but the id only where the file has it (an id column
        named by --column must exist; the default `id` is optional)."""
        found = []
        for role, column in self.columns.roles():
            if column not in self.names:
                if role == "id" and column == ColumnMap.id:
                    continue
                raise self.missing(role, column)
            found.append((role, column))
        return found

    def missing(self, role: str, column: str) -> PredictionsError:
        listed = [_name(n) for n in self.names]
        columns = ", ".join(listed[:30]) + (f", ... ({len(listed)} in all)" if len(listed) > 30 else "")
        close = difflib.get_close_matches(column, self.names, n=1)
        where = self.at_header()
        if close:
            return PredictionsError(where, "column.missing.close", role=role, column=_shown(column),
                                    columns=columns, close=_shown(close[0]))
        return PredictionsError(where, "column.missing", role=role, column=_shown(column), columns=columns)

    def at_header(self) -> str:
        return self.shown

    def twice(self) -> None:
        """Refuse a header that names a column twice (the second one is reported)."""
        first: dict[str, int] = {}
        for i, name in enumerate(self.names):
            if name in first:
                raise self.column_twice(i, name, first[name])
            first[name] = i

    def column_twice(self, index: int, name: str, first: int) -> PredictionsError:
        return PredictionsError(self.at_column(name, index), "column.twice", name=_shown(name), first=first + 1)

    # -- the roles

    def assemble(self, read: list[Any], roles: list[tuple[str, str]]) -> dict[str, Any]:
        """The checked arrays of the table in `read` (which it empties, so each column's memory goes once its
        values are converted)."""
        table = read.pop()
        rows = table.num_rows
        if rows == 0:
            raise PredictionsError(self.shown, "file.no_rows")
        data_of = {column: table.column(column) for _, column in roles}
        del table
        found: dict[str, Any] = {"ids": None, "baseline": None, "subgroups": {}, "subgroup_levels": {}}
        pool = pa.default_memory_pool()
        for role, column in roles:
            data = _array(data_of.pop(column))
            if role in ("score", "baseline"):
                found[role] = self.probabilities(data, column, role)
            elif role == "label":
                found["label"] = self.labels(data, column)
            elif role == "time":
                found["time"] = self.times(data, column)
            elif role == "id":
                found["ids"] = self.ids(data, column)
            else:
                levels, codes = self.subgroup(data, column)
                found["subgroup_levels"][column] = (levels, codes)
                found["subgroups"][column] = np.array(levels, dtype=object)[codes]
            del data
            pool.release_unused()  # the column's text and the kernels' scratch, for the next column to reuse
        self.raise_first()
        used = dict(roles)
        return {**found, "rows": rows, "columns": ColumnMap(
            score=used["score"], label=used["label"], time=used["time"], id=used.get("id"),
            subgroups=self.columns.subgroups, baseline=used.get("baseline"))}

    def probabilities(self, data: Any, column: str, role: str) -> FloatArray:
        """Scores in [0, 1]: the first empty, non-numeric, NaN, infinite or out-of-range cell is the problem."""
        limit = len(data)
        if _is_text(data.type):  # CSV text that did not convert as a whole: find the cell that does not
            data, limit = self.numbers_from_text(data, column, role)
        elif not (pa.types.is_integer(data.type) or pa.types.is_floating(data.type)
                  or pa.types.is_decimal(data.type)):
            raise self.column_error(column, "number.type", type=data.type, role=role)
        if data.type != pa.float64():
            data = data.cast(pa.float64())
        values: FloatArray = _numpy(data)
        if data.null_count:
            nulls = _numpy(data.is_null())
            if nulls[:limit].any():
                limit = int(np.argmax(nulls))
                self.fail(limit, column, "number.empty", role=role)
            values = values.copy()
            values[nulls] = np.nan
        checked = values[:limit]
        bad = ~((checked >= 0.0) & (checked <= 1.0))  # NaN compares false
        if bad.any():
            row = int(np.argmax(bad))
            value = float(checked[row])
            key = "number.nan" if np.isnan(value) else "number.infinite" if np.isinf(value) else "number.range"
            self.fail(row, column, key, number=value, role=role)
        return values

    def numbers_from_text(self, data: Any, column: str, role: str) -> tuple[Any, int]:
        """Text cells as float64, and how many leading cells can be checked as numbers (all, or those before the
        first that is empty or not a number, which is reported); the cells after it are null."""
        text = pc.utf8_trim_whitespace(data)
        row = _first_cast_failure(text, pa.float64())
        if row is None:
            return pc.cast(text, pa.float64()), len(data)
        cell = data[row].as_py()
        if cell is None or not cell.strip():
            self.fail(row, column, "number.empty", role=role)
        else:
            self.fail(row, column, "number.not_a_number", value=_shown(cell), role=role)
        prefix = pc.cast(text.slice(0, row), pa.float64())
        return pa.concat_arrays([prefix, pa.nulls(len(data) - row, pa.float64())]), row

    def labels(self, data: Any, column: str) -> npt.NDArray[np.int8]:
        """0 and 1: integers, or the text 0 and 1."""
        if pa.types.is_dictionary(data.type):
            data = data.cast(data.type.value_type)
        if pa.types.is_integer(data.type):
            values = _numpy(data)
            nulls = _nulls(data)
            bad = ((values != 0) & (values != 1)) | nulls
            if bad.any():
                row = int(np.argmax(bad))
                if nulls[row]:
                    self.fail(row, column, "label.empty")
                else:
                    self.fail(row, column, "label.value", value=repr(int(values[row])))
            ones: npt.NDArray[np.int8] = ((values == 1) & ~nulls).astype(np.int8)
            return ones
        if not _is_text(data.type):
            raise self.column_error(column, "label.type", type=data.type)
        encoded = pc.dictionary_encode(data, null_encoding="encode")  # few distinct cells: each looked up once
        lookup = np.array([LABELS.get(word, -1) for word in encoded.dictionary.to_pylist()], dtype=np.int8)
        labels: npt.NDArray[np.int8] = lookup[_numpy(encoded.indices)]
        bad = labels < 0
        if bad.any():
            row = int(np.argmax(bad))
            cell = data[row].as_py()
            if not cell:
                self.fail(row, column, "label.empty")
            else:
                self.fail(row, column, "label.value", value=_shown(cell))
            labels[bad] = 0
        return labels

    def times(self, data: Any, column: str) -> npt.NDArray[np.datetime64]:
        """UTC seconds from RFC 3339 text, a timestamp column (no zone: UTC) or a date column."""
        if pa.types.is_dictionary(data.type):
            data = data.cast(data.type.value_type)
        if pa.types.is_timestamp(data.type) or pa.types.is_date(data.type):
            seconds = self.seconds_of_timestamps(data, column)
        elif _is_text(data.type):
            seconds = self.seconds_of_text(data, column)
        else:
            raise self.column_error(column, "time.type", type=data.type)
        return seconds.astype("datetime64[s]")

    def seconds_of_timestamps(self, data: Any, column: str) -> npt.NDArray[np.int64]:
        if data.null_count:
            self.fail(int(np.argmax(_nulls(data))), column, "time.empty")
        if pa.types.is_date32(data.type):
            days: npt.NDArray[np.int64] = _numpy(data.cast(pa.int32())).astype(np.int64)
            return days * 86400
        if pa.types.is_date64(data.type):
            per_second = 1000
        else:
            per_second = {"s": 1, "ms": 1000, "us": 1_000_000, "ns": 1_000_000_000}[data.type.unit]
        seconds: npt.NDArray[np.int64] = np.floor_divide(_numpy(data.cast(pa.int64())), per_second)
        return seconds

    def seconds_of_text(self, data: Any, column: str) -> npt.NDArray[np.int64]:
        seconds = np.zeros(len(data), dtype=np.int64)
        text = data
        valid = _flags(pc.match_substring_regex(text, TIME_RE))
        limit = len(data)
        if not valid.all():
            limit = int(np.argmax(~valid))
            cell = data[limit].as_py()
            if not cell:
                self.fail(limit, column, "time.empty")
            elif NUMBER_RE.fullmatch(cell.strip()):
                self.fail(limit, column, "time.number", value=_shown(cell))
            else:
                self.fail(limit, column, "time.value", value=_shown(cell))
            text = text.slice(0, limit)
        aware, naive = pa.timestamp("s", tz="UTC"), pa.timestamp("s")
        for kind in (aware, naive):  # the usual case: every time has an offset, or none has, and none a fraction
            try:
                seconds[:limit] = _numpy(pc.cast(text, kind).cast(pa.int64()))
                return seconds
            except pa.ArrowException:
                pass
        # fractions of a second (dropped), offsets and none mixed, or a time that does not exist (February 30th)
        text = pc.replace_substring_regex(text, FRACTION_RE, "")
        with_offset = pc.match_substring_regex(text, OFFSET_RE)
        for mask, kind in ((with_offset, aware), (pc.invert(with_offset), naive)):
            rows = np.flatnonzero(_flags(mask))
            part = pc.filter(text, mask)
            failed = _first_cast_failure(part, kind)
            if failed is not None:
                row = int(rows[failed])
                self.fail(row, column, "time.invalid", value=_shown(data[row].as_py()))
                rows, part = rows[:failed], part.slice(0, failed)
            seconds[rows] = _numpy(pc.cast(part, kind).cast(pa.int64()))
        return seconds

    def ids(self, data: Any, column: str) -> ObjectArray:
        """Each unit's id as text; every row needs one and none may repeat."""
        if pa.types.is_dictionary(data.type):
            data = data.cast(data.type.value_type)
        if not (_is_text(data.type) or pa.types.is_integer(data.type)):
            raise self.column_error(column, "id.type", type=data.type)
        text = data.cast(pa.string()) if not pa.types.is_string(data.type) else data
        empty = (_numpy(pc.binary_length(text)) == 0) | _nulls(text)
        if empty.any():
            self.fail(int(np.argmax(empty)), column, "id.empty")
        encoded = pc.dictionary_encode(text)
        if len(encoded.dictionary) + encoded.indices.null_count < len(text):
            self.repeated_id(text, encoded.indices, column)
        del encoded
        pa.default_memory_pool().release_unused()  # the hash table, before a million strings are made
        return _texts(text)

    def repeated_id(self, text: Any, indices: Any, column: str) -> None:
        """Report the first row whose id an earlier row has (and that earlier row)."""
        codes = _numpy(indices).astype(np.int64)
        codes[_nulls(indices)] = -1
        _, first = np.unique(codes, return_index=True)  # the first row of each code, in code order
        first_of = np.zeros(int(codes.max()) + 2, dtype=np.int64)
        first_of[codes[first] + 1] = first
        repeated = (first_of[codes + 1] != np.arange(len(codes))) & (codes >= 0)
        if repeated.any():
            row = int(np.argmax(repeated))
            self.fail(row, column, "id.twice", other_row=int(first_of[codes[row] + 1]), value=_shown(text[row].as_py()))

    def subgroup(self, data: Any, column: str) -> tuple[tuple[str, ...], npt.NDArray[np.int32]]:
        """A subgroup column's distinct values (sorted, MISSING last) and each row's index into them."""
        kind = data.type.value_type if pa.types.is_dictionary(data.type) else data.type
        if not (_is_text(kind) or pa.types.is_integer(kind) or pa.types.is_boolean(kind)):
            raise self.column_error(column, "subgroup.type", type=data.type)
        text = data.cast(pa.string())
        encoded = pc.dictionary_encode(text, null_encoding="encode")
        names = [value or MISSING for value in encoded.dictionary.to_pylist()]
        levels = sorted(set(names) - {MISSING}) + ([MISSING] if MISSING in names else [])
        index = {name: i for i, name in enumerate(levels)}
        remap = np.array([index[name] for name in names], dtype=np.int32)
        return tuple(levels), remap[_numpy(encoded.indices)]


def _array(data: Any) -> Any:
    """One arrow array of a column (its chunks joined)."""
    if isinstance(data, pa.ChunkedArray):
        return data.chunk(0) if data.num_chunks == 1 else data.combine_chunks()
    return data


def _is_text(kind: Any) -> bool:
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind))


def _numpy(data: Any) -> npt.NDArray[Any]:
    """A primitive arrow array without nulls as a numpy array, over the same memory where the layout allows.

    Written out because pyarrow's own `to_numpy` imports pandas (half a second and tens of MiB) even for a float
    array it hands over without a copy.
    """
    data = _array(data)
    boolean = pa.types.is_boolean(data.type)
    dtype = np.dtype(np.bool_) if boolean else _DTYPES[str(data.type)]
    if len(data) == 0:
        return np.zeros(0, dtype=dtype)
    if boolean:
        bits = np.frombuffer(data.buffers()[1], dtype=np.uint8)
        return np.unpackbits(bits, count=data.offset + len(data), bitorder="little")[data.offset:].view(np.bool_)
    return np.frombuffer(data.buffers()[1], dtype=dtype, count=len(data), offset=data.offset * dtype.itemsize)


_DTYPES = {name: np.dtype(name) for name in
           ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float64")}
_DTYPES["double"] = np.dtype("float64")


def _nulls(data: Any) -> npt.NDArray[np.bool_]:
    """Which elements of an arrow array are null."""
    if not data.null_count:
        return np.zeros(len(data), dtype=np.bool_)
    nulls: npt.NDArray[np.bool_] = _numpy(data.is_null())
    return nulls


def _flags(data: Any) -> npt.NDArray[np.bool_]:
    """An arrow boolean array as numpy, null as False."""
    flags: npt.NDArray[np.bool_] = _numpy(data)
    return flags & ~_nulls(data) if data.null_count else flags


def _texts(data: Any) -> ObjectArray:
    """A text array as a numpy array of str (pyarrow's to_pylist, which needs no pandas)."""
    values: ObjectArray = np.empty(len(data), dtype=object)
    values[:] = data.to_pylist()
    return values


def _first_cast_failure(data: Any, kind: Any) -> int | None:
    """The first index whose value does not cast to `kind`, or None: halving the range that holds a failure, so
    finding it costs about two casts of the whole array."""
    if _casts(data, kind):
        return None
    low, high = 0, len(data)  # a failure lies in [low, high)
    while high - low > 1:
        middle = (low + high) // 2
        if _casts(data.slice(low, middle - low), kind):
            low = middle
        else:
            high = middle
    return low


def _casts(data: Any, kind: Any) -> bool:
    try:
        pc.cast(data, kind)
    except (pa.ArrowException, ValueError, OverflowError):
        return False
    return True


# ------------------------------------------------------------------------------------------------- CSV


class _CsvReader(_Reader):
    def __init__(self, source: _Source, columns: ColumnMap) -> None:
        super().__init__(source, columns)
        self.index: dict[str, int] = {}
        self.rows = 0
        self._one_line_per_row: bool | None = None
        self._lines: dict[int, int] = {}

    def at_row(self, row: int, column: str) -> str:
        return self.at_line(self.line_of(row), column)

    def at_line(self, line: int, column: str | None) -> str:
        if column is None:
            return f"{self.shown}:{line}"
        return f"{self.shown}:{line}:{self.index[column] + 1} ({_name(column)})"

    def at_column(self, column: str, index: int | None = None) -> str:
        number = self.index[column] if index is None else index
        return f"{self.shown}:1:{number + 1} ({_name(column)})"

    def at_header(self) -> str:
        return f"{self.shown}:1"

    def row_words(self, row: int) -> str:
        return f"line {self.line_of(row)}"

    def number_shown(self, row: int, column: str, value: float) -> str:
        """The cell as written (`1e3`, `150`), read again from its line; the number where that fails."""
        cells = _record(self.source.lines(), row)
        index = self.index[column]
        return _shown(cells[index]) if cells is not None and index < len(cells) else repr(value)

    def read(self) -> dict[str, Any]:
        self.names = self.header()
        self.twice()
        self.index = {name: i for i, name in enumerate(self.names)}
        roles = self.mapped()
        table = self.parse(roles)
        self.rows = table.num_rows
        self.source.done_reading()
        read = [table]
        del table
        return self.assemble(read, roles)

    def header(self) -> list[str]:
        raw = self.source.first_line()
        raw = raw.removeprefix(b"\xef\xbb\xbf")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PredictionsError(self.at_header(), "csv.not_utf8", problem=_bad_byte(raw, exc)) from None
        if not text.strip():
            if self.source.compressed and not self.source_has_content():
                raise PredictionsError(self.shown, "file.empty")
            raise PredictionsError(self.at_header(), "header.blank")
        try:
            return next(csv.reader([text], strict=True))
        except (csv.Error, StopIteration) as exc:
            raise PredictionsError(self.at_header(), "header.invalid", problem=exc) from None

    def source_has_content(self) -> bool:
        return any(line.strip() for line in self.source.lines())

    def parse(self, roles: list[tuple[str, str]]) -> Any:
        """The mapped columns as an arrow table.

        First as the usual file is: numbers as float64, one line per row, which lets pyarrow split the file
        between its threads at any line break (twice as fast as minding quotes). The file is read again minding
        line breaks in quoted cells when the rows pyarrow found are not one per line (blank lines, or line breaks
        in quotes: then a split may have fallen inside a cell), and with numbers as text when a number did not
        convert, so that the cell can be found.
        """
        typed, multiline = True, self.source.compressed
        while True:
            try:
                table = self.table(roles, typed=typed, multiline=multiline)
            except _NotNumbers:
                typed = False
                continue
            except _Unparsed as failed:
                if multiline:
                    raise self.unreadable(failed.problem) from None
                multiline = True
                continue
            if multiline or self.source.content_lines() == table.num_rows + 1:
                return table
            multiline = True

    def table(self, roles: list[tuple[str, str]], *, typed: bool, multiline: bool) -> Any:
        """The mapped columns, numbers as float64 (typed) or as text."""
        kinds = {column: pa.float64() if typed and role in ("score", "baseline") else pa.string()
                 for role, column in roles}
        read = pa_csv.ReadOptions(column_names=self.names, skip_rows=1)
        parse = pa_csv.ParseOptions(newlines_in_values=multiline)
        convert = pa_csv.ConvertOptions(include_columns=list(kinds), column_types=kinds, null_values=[""],
                                        strings_can_be_null=False, quoted_strings_can_be_null=False)
        try:
            return pa_csv.read_csv(self.source.stream(), read_options=read, parse_options=parse,
                                   convert_options=convert)
        except (pa.ArrowException, OSError) as exc:
            problem = str(exc)
            if typed and "conversion error to double" in problem:
                raise _NotNumbers() from None
            if "CSV parse error" in problem or "straddling" in problem:
                raise _Unparsed(problem) from None
            raise self.unreadable(problem) from None

    def unreadable(self, problem: str) -> PredictionsError:
        """What made pyarrow give up, at its line: bad UTF-8, a row of the wrong length, or what pyarrow said."""
        if self.source.compressed and ("compress" in problem or "zlib" in problem or "gzip" in problem):
            return PredictionsError(self.shown, "gzip.invalid", problem=_one_line(problem))
        try:
            if "UTF8" in problem or "UTF-8" in problem:
                found = self.first_non_utf8()
                if found is not None:
                    return found
            found = self.first_wrong_length()
        except (OSError, EOFError, zlib.error, csv.Error):
            found = None
        return found or PredictionsError(self.shown, "csv.invalid", problem=_one_line(problem))

    def first_non_utf8(self) -> PredictionsError | None:
        wanted = {self.index[column] for _, column in self.mapped()}
        for number, line in enumerate(self.source.lines(), start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as exc:
                cells = next(csv.reader([line[:exc.start].decode("utf-8")]), [""])
                index = max(len(cells) - 1, 0)
                if index not in wanted:
                    continue
                return PredictionsError(self.at_line(number, self.names[index]), "csv.not_utf8",
                                        problem=_bad_byte(line, exc))
        return None

    def first_wrong_length(self) -> PredictionsError | None:
        reader = csv.reader(_decoded(self.source.lines()))
        next(reader, None)
        start = reader.line_num + 1
        for cells in reader:
            if cells and len(cells) != len(self.names):
                return PredictionsError(self.at_line(start, None), "csv.cells", cells=len(cells),
                                        columns=len(self.names))
            start = reader.line_num + 1
        return None

    def line_of(self, row: int) -> int:
        """The line a data row starts on. Each record one line and no blank line between (counted in one pass
        over the bytes): row + 2. Otherwise the csv module finds it (quoted line breaks, blank lines)."""
        if self._one_line_per_row is None:
            self._one_line_per_row = self.source.content_lines() == self.rows + 1
        if self._one_line_per_row:
            return row + 2
        if row not in self._lines:
            with contextlib.suppress(csv.Error, OSError, EOFError, zlib.error):
                self._lines.update(_record_lines(self.source.lines(), row))
        return self._lines.get(row, row + 2)


class _NotNumbers(Exception):
    """A score or baseline cell pyarrow could not read as a number."""


class _Unparsed(Exception):
    """pyarrow could not split the CSV into rows (`problem` says why, in its words)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def _record_lines(lines: Iterable[bytes], wanted: int) -> dict[int, int]:
    """The first line of every data row up to `wanted` (0-based; blank lines are no rows, as for pyarrow)."""
    reader = csv.reader(_decoded(lines))
    next(reader, None)
    found: dict[int, int] = {}
    row = -1
    start = reader.line_num + 1
    for cells in reader:
        if cells:
            row += 1
            found[row] = start
            if row >= wanted:
                break
        start = reader.line_num + 1
    return found


def _record(lines: Iterable[bytes], wanted: int) -> list[str] | None:
    """The cells of a data row (0-based; blank lines are no rows), or None."""
    reader = csv.reader(_decoded(lines))
    next(reader, None)
    row = -1
    with contextlib.suppress(csv.Error):
        for cells in reader:
            if cells:
                row += 1
                if row == wanted:
                    return cells
    return None


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    for line in lines:
        yield line.decode("utf-8", "replace")


def _bad_byte(line: bytes, exc: UnicodeDecodeError) -> str:
    return f"byte 0x{line[exc.start]:02x} at byte {exc.start + 1} of the line"


# ------------------------------------------------------------------------------------------------- Parquet


class _ParquetReader(_Reader):
    def at_row(self, row: int, column: str) -> str:
        return f"{self.shown}:row {row + 1} ({_name(column)})"

    def at_column(self, column: str, index: int | None = None) -> str:
        return f"{self.shown} ({_name(column)})"

    def row_words(self, row: int) -> str:
        return f"row {row + 1}"

    def read(self) -> dict[str, Any]:
        try:
            parquet = pq.ParquetFile(pa.BufferReader(self.source.buffer()))
            self.names = list(parquet.schema_arrow.names)
        except (pa.ArrowException, OSError) as exc:
            raise PredictionsError(self.shown, "parquet.invalid", problem=_one_line(str(exc))) from None
        self.twice()
        roles = self.mapped()
        try:
            table = parquet.read(columns=[column for _, column in roles], use_threads=True)
        except (pa.ArrowException, OSError) as exc:
            raise PredictionsError(self.shown, "parquet.invalid", problem=_one_line(str(exc))) from None
        self.source.done_reading()
        read = [table]
        del table
        return self.assemble(read, roles)


# ------------------------------------------------------------------------------------------------- words


def _shown(value: object) -> str:
    """A value as a message shows it: quoted, control characters escaped, long ones cut."""
    text = str(value)
    if len(text) > SHOWN_CHARS:
        return repr(text[:SHOWN_CHARS]) + "..."
    return repr(text)


def _name(name: str) -> str:
    """A column's name as written where it is plain, quoted otherwise (empty, spaces at its ends, control chars)."""
    if name and name.isprintable() and name.strip() == name and len(name) <= SHOWN_CHARS and "(" not in name:
        return name
    return _shown(name)


def _shown_path(path: Path) -> str:
    text = str(path)
    return text if text.isprintable() else repr(text)


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= 200 else flat[:200] + "..."


__all__ = ["MISSING", "ROLES", "ColumnMap", "Predictions", "read_predictions"]
