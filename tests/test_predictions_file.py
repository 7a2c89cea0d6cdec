"""Reading a predictions file (charter.evaluation.predictions): real CSV, gzip and Parquet files written here.

What is read is checked against an independent reading (the csv module and datetime for small files), the md5
against hashlib and DVC, and every kind of bad input against the exact `file:row:column` its message starts with.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import math
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from charter.errors import CharterError, PredictionsError
from charter.evaluation.predictions import MISSING, ColumnMap, Predictions, read_predictions
from tests.helpers import Charter

HEADER = "id,score,label,time,sex\n"
GOOD = HEADER + "a,0.1,0,2025-07-01T08:30:00Z,female\nb,0.9,1,2025-07-02T10:30:00+02:00,male\n"


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return path


def parquet(folder: Path, name: str, columns: dict[str, Any]) -> Path:
    path = folder / name
    pq.write_table(pa.table(columns), path)
    return path


def refused(path: Path, columns: ColumnMap | None = None) -> PredictionsError:
    with pytest.raises(PredictionsError) as caught:
        read_predictions(path, columns)
    error = caught.value
    assert "\n" not in error.message and "\n" not in error.hint and error.hint
    return error


# ------------------------------------------------------------------------------------------- an independent reading


def epoch(text: str) -> int:
    """Seconds since 1970 UTC of a time as the format takes it, by datetime (no offset: UTC), fraction dropped."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.floor(moment.timestamp())


def by_csv_module(path: Path) -> dict[str, list[Any]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    return {name: [row[name] for row in rows] for name in rows[0]}


def assert_read_as(found: Predictions, cells: dict[str, list[Any]], columns: ColumnMap) -> None:
    assert found.rows == len(cells[columns.score])
    assert found.score.dtype == np.float64 and found.label.dtype == np.int8
    assert found.time.dtype == np.dtype("datetime64[s]")
    assert found.score.tolist() == [float(v) for v in cells[columns.score]]
    assert found.label.tolist() == [int(v) for v in cells[columns.label]]
    assert found.time.astype(np.int64).tolist() == [epoch(v) for v in cells[columns.time]]
    if columns.id is not None and columns.id in cells:
        assert found.ids is not None and found.ids.tolist() == cells[columns.id]
    for name in columns.subgroups:
        assert found.subgroups[name].tolist() == [v or MISSING for v in cells[name]]
    if columns.baseline is not None:
        assert found.baseline is not None and found.baseline.tolist() == [float(v) for v in cells[columns.baseline]]


def test_a_csv_reads_as_the_csv_module_and_datetime_read_it(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.csv", "id,prob,sepsis,scored_at,sex,age,old\n"
                 "p1,0.125,0,2025-07-01T08:30:00Z,female,65-79,0.2\n"
                 "p2,1,1,2025-07-01 10:30:00+02:00,male,,0.25\n"
                 "p3,0,0,2025-07-02,,18-39,0\n"
                 "p4,1e-3,1,2025-07-02T23:59:59.999-05:30,female,(missing),1\n"
                 "p5,.5,0,2025-07-03T00:00,male,18-39,0.5\n")
    columns = ColumnMap.from_options(["score=prob", "label=sepsis", "time=scored_at", "subgroup=sex",
                                      "subgroup=age", "baseline=old"])

    found = read_predictions(path, columns)

    assert_read_as(found, by_csv_module(path), columns)
    assert found.format == "csv" and found.path == path
    assert found.columns == columns
    assert found.subgroup_levels["age"][0] == ("18-39", "65-79", MISSING)  # an empty cell and "(missing)": one
    assert found.subgroup_levels["sex"] == (("female", "male", MISSING),
                                            found.subgroup_levels["sex"][1])
    assert found.subgroup_levels["sex"][1].tolist() == [0, 1, 2, 0, 1]
    assert found.md5 == hashlib.md5(path.read_bytes()).hexdigest()
    for array in (found.score, found.label, found.time, found.ids, found.baseline, found.subgroups["sex"]):
        with pytest.raises(ValueError, match="read-only"):
            array[0] = array[1]  # type: ignore[index]


def test_the_id_column_is_optional_under_its_default_name(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.csv", "score,label,time\n0.5,1,2025-07-01\n")
    found = read_predictions(path)
    assert found.ids is None and found.columns.id is None and found.baseline is None and found.subgroups == {}
    named = refused(path, ColumnMap(id="mrn"))
    assert named.message == f"{path}:1: no id column 'mrn' (the columns are score, label, time)"
    assert named.hint == "name the id column with --column id=NAME"


def test_byte_order_mark_crlf_quotes_and_spaces_around_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.csv", b'\xef\xbb\xbfscore,label,time,note\r\n 0.25 ,1,2025-07-01T00:00:00Z,"a, b"\r\n'
                                        b'0.75,0,2025-07-01T00:00:01Z,"say ""hi"""\r\n')
    found = read_predictions(path, ColumnMap(id=None))
    assert found.score.tolist() == [0.25, 0.75] and found.label.tolist() == [1, 0]


def test_a_gzipped_csv_is_read_and_its_md5_is_the_compressed_files(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.csv.gz", gzip.compress(GOOD.encode()))
    found = read_predictions(path, ColumnMap(subgroups=("sex",)))
    assert found.format == "csv" and found.rows == 2 and found.ids is not None and found.ids.tolist() == ["a", "b"]
    assert found.md5 == hashlib.md5(path.read_bytes()).hexdigest()
    bad = write(tmp_path, "bad.csv.gz", gzip.compress((HEADER + "a,0.1,2,2025-07-01,x\n").encode()))
    assert refused(bad).message == f"{bad}:2:3 (label): '2' is not a label"


def test_parquet_with_native_types(tmp_path: Path) -> None:
    moments = [datetime(2025, 7, 1, 8, 30, 15, 900000, tzinfo=UTC), datetime(2025, 7, 2, tzinfo=UTC)]
    columns = {
        "score": pa.array([0.25, 1.0], pa.float32()),
        "label": pa.array([0, 1], pa.int64()),
        "time": pa.array(moments, pa.timestamp("ms", tz="Europe/Paris")),
        "id": pa.array([17, 18], pa.int64()),
        "site": pa.array(["north", None]).dictionary_encode(),
        "flag": pa.array([True, False]),
        "baseline": pa.array([0, 1], pa.int8()),
    }
    path = parquet(tmp_path, "preds.parquet", columns)

    found = read_predictions(path, ColumnMap(subgroups=("site", "flag"), baseline="baseline"))

    assert found.format == "parquet" and found.rows == 2
    assert found.score.tolist() == [0.25, 1.0] and found.label.tolist() == [0, 1]
    assert found.time.astype(np.int64).tolist() == [math.floor(m.timestamp()) for m in moments]
    assert found.ids is not None and found.ids.tolist() == ["17", "18"]
    assert found.subgroups["site"].tolist() == ["north", MISSING]
    assert found.subgroups["flag"].tolist() == ["true", "false"]
    assert found.baseline is not None and found.baseline.tolist() == [0.0, 1.0]
    assert found.md5 == hashlib.md5(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("kind", [pa.timestamp("s"), pa.timestamp("ns"), pa.timestamp("us", tz="UTC"), pa.date32(),
                                  pa.date64()])
def test_parquet_times_of_every_kind_are_utc_seconds(tmp_path: Path, kind: pa.DataType) -> None:
    naive = [datetime(1969, 12, 31, 23, 59, 59), datetime(2025, 7, 1)]
    values = [d.date() for d in naive] if pa.types.is_date(kind) else \
        [d.replace(tzinfo=UTC) for d in naive] if kind.tz else naive
    path = parquet(tmp_path, "t.parquet", {"score": [0.1, 0.2], "label": [0, 1], "time": pa.array(values, kind)})
    found = read_predictions(path)
    expected = [math.floor(v.replace(tzinfo=UTC).timestamp()) for v in naive]
    if pa.types.is_date(kind):
        expected = [e - e % 86400 for e in expected]
    assert found.time.astype(np.int64).tolist() == expected


def test_parquet_reads_only_the_mapped_columns(tmp_path: Path) -> None:
    path = parquet(tmp_path, "p.pq", {"score": [0.5], "label": ["1"], "time": ["2025-07-01T00:00:00Z"],
                                      "unused": pa.array([[1, 2]], pa.list_(pa.int64()))})
    assert read_predictions(path).label.tolist() == [1]


def test_a_link_to_a_file_is_followed(tmp_path: Path) -> None:
    """DVC may check a file out as a link into its cache."""
    target = write(tmp_path, "cache-object", GOOD)
    link = tmp_path / "preds.csv"
    link.symlink_to(target)
    assert read_predictions(link).rows == 2


# ------------------------------------------------------------------------------------------- md5: DVC's digest


def test_the_md5_is_the_digest_dvc_records(tmp_path: Path) -> None:
    from charter.adapters.dvc import hash_path

    path = write(tmp_path, "preds.csv", GOOD + "c,0.3,0,2025-07-03,f\n")
    assert read_predictions(path).md5 == hash_path(path)[0]


def test_dvc_add_records_the_same_md5(tmp_path: Path) -> None:
    dvc = Path(sys.executable).parent / "dvc"
    subprocess.run([str(dvc), "init", "--no-scm", "-q"], cwd=tmp_path, check=True, capture_output=True)
    path = write(tmp_path, "preds.csv", GOOD)
    subprocess.run([str(dvc), "add", "-q", "preds.csv"], cwd=tmp_path, check=True, capture_output=True)
    recorded = (tmp_path / "preds.csv.dvc").read_text()
    assert f"md5: {read_predictions(path).md5}" in recorded


# ------------------------------------------------------------------------------------------- the column map


def test_the_column_map_from_options() -> None:
    columns = ColumnMap.from_options(["score = prob", "label=sepsis", "subgroup=sex", "subgroup=age", "id=mrn"])
    assert columns == ColumnMap(score="prob", label="sepsis", id="mrn", subgroups=("sex", "age"))
    assert ColumnMap.from_options([]) == ColumnMap()


@pytest.mark.parametrize(("options", "message", "hint"), [
    (["scroe=prob"], "--column scroe=prob: unknown role 'scroe'",
     "did you mean score? The roles are score, label, time, id, baseline, subgroup"),
    (["weight=w"], "--column weight=w: unknown role 'weight'",
     "the roles are score, label, time, id, baseline, subgroup"),
    (["score"], "--column score: 'score' is not ROLE=COLUMN",
     "map a role to a column, e.g. score=prob; the roles are score, label, time, id, baseline, subgroup"),
    (["label="], "--column label=: 'label=' is not ROLE=COLUMN",
     "map a role to a column, e.g. score=prob; the roles are score, label, time, id, baseline, subgroup"),
    (["score=a", "score=b"], "--column score=b: the score column is already 'a'",
     "map each role once; only subgroup may be given again"),
    (["score=a", "baseline=a"], "--column baseline=a: column 'a' is already the score column",
     "each column plays one role"),
    (["subgroup=label"], "--column subgroup=label: column 'label' is already the label column",
     "each column plays one role"),
])
def test_a_bad_mapping_names_the_option(options: list[str], message: str, hint: str) -> None:
    with pytest.raises(PredictionsError) as caught:
        ColumnMap.from_options(options)
    assert (caught.value.message, caught.value.hint) == (message, hint)


# ------------------------------------------------------------------------------------------- bad input, CSV

#: (file text, message after "FILE"): each kind of problem, at the line and column it is at.
CSV_PROBLEMS = [
    ("", ": empty file"),
    (HEADER, ": a header but no rows"),
    (HEADER + "\n\n", ": a header but no rows"),
    ("\n" + GOOD, ":1: line 1 is blank, expected the header"),
    ("id,scroe,label,time\na,0.1,0,2025-07-01\n",
     ":1: no score column 'score' (the columns are id, scroe, label, time)"),
    ("id,score,label,time,label\na,0.1,0,2025-07-01,1\n", ":1:5 (label): column name 'label' is used twice (also "
     "column 3)"),
    ("id,score,label,time,x,x\na,0.1,0,2025-07-01,1,2\n", ":1:6 (x): column name 'x' is used twice (also column 5)"),
    (GOOD + "c,0.2,0,2025-07-01\n", ":4: 4 cells, the header has 5"),
    (GOOD + "c,0.2,0,2025-07-01,male,extra\n", ":4: 6 cells, the header has 5"),
    (GOOD + "c,,0,2025-07-01,x\n", ":4:2 (score): no score in this row"),
    (GOOD + "c,  ,0,2025-07-01,x\n", ":4:2 (score): no score in this row"),
    (GOOD + "c,NaN,0,2025-07-01,x\n", ":4:2 (score): the score is NaN"),
    (GOOD + "c,nan,0,2025-07-01,x\n", ":4:2 (score): the score is NaN"),
    (GOOD + "c,0.3,0,2025-07-01,x\nd,high,0,2025-07-01,x\n", ":5:2 (score): 'high' is not a number"),
    (GOOD + "c,0.3,0,2025-07-01,x\nd,NA,0,2025-07-01,x\n", ":5:2 (score): 'NA' is not a number"),
    (GOOD + "c,1.5,0,2025-07-01,x\n", ":4:2 (score): '1.5' is outside [0, 1]"),
    (GOOD + "c,-0.0001,0,2025-07-01,x\n", ":4:2 (score): '-0.0001' is outside [0, 1]"),
    (GOOD + "c,73,0,2025-07-01,x\n", ":4:2 (score): '73' is outside [0, 1]"),
    (GOOD + "c,inf,0,2025-07-01,x\n", ":4:2 (score): the score is infinite ('inf')"),
    (GOOD + "c,-Infinity,0,2025-07-01,x\n", ":4:2 (score): the score is infinite ('-Infinity')"),
    (GOOD + "c,0.2,2,2025-07-01,x\n", ":4:3 (label): '2' is not a label"),
    (GOOD + "c,0.2,1.0,2025-07-01,x\n", ":4:3 (label): '1.0' is not a label"),
    (GOOD + "c,0.2,true,2025-07-01,x\n", ":4:3 (label): 'true' is not a label"),
    (GOOD + "c,0.2, 1,2025-07-01,x\n", ":4:3 (label): ' 1' is not a label"),
    (GOOD + "c,0.2,,2025-07-01,x\n", ":4:3 (label): no label in this row"),
    (GOOD + "c,0.2,0,,x\n", ":4:4 (time): no time in this row"),
    (GOOD + "c,0.2,0,yesterday,x\n", ":4:4 (time): 'yesterday' is not a date-time"),
    (GOOD + "c,0.2,0,07/01/2025,x\n", ":4:4 (time): '07/01/2025' is not a date-time"),
    (GOOD + "c,0.2,0,2025-07-01T08,x\n", ":4:4 (time): '2025-07-01T08' is not a date-time"),
    (GOOD + "c,0.2,0,2025-07-01T08:00:00+0200,x\n", ":4:4 (time): '2025-07-01T08:00:00+0200' is not a date-time"),
    (GOOD + "c,0.2,0,2025-07-01t08:00:00z,x\n", ":4:4 (time): '2025-07-01t08:00:00z' is not a date-time"),
    (GOOD + "c,0.2,0,1751358600,x\n", ":4:4 (time): '1751358600' is a number, not a date-time"),
    (GOOD + "c,0.2,0,1751358600.5,x\n", ":4:4 (time): '1751358600.5' is a number, not a date-time"),
    (GOOD + "c,0.2,0,2025-02-29T00:00:00Z,x\n", ":4:4 (time): '2025-02-29T00:00:00Z' is not a time that exists"),
    (GOOD + "c,0.2,0,2025-07-01T24:00:00,x\n", ":4:4 (time): '2025-07-01T24:00:00' is not a time that exists"),
    (GOOD + "c,0.2,0,2025-13-01,x\n", ":4:4 (time): '2025-13-01' is not a time that exists"),
    (GOOD + "c,0.2,0,2025-07-01T08:00:00+25:00,x\n",
     ":4:4 (time): '2025-07-01T08:00:00+25:00' is not a time that exists"),
    (GOOD + "c,0.2,0,2025-07-01T08:00:00.5Z,x\nd,0.2,0,2025-06-31,x\n",
     ":5:4 (time): '2025-06-31' is not a time that exists"),
    (GOOD + "c,0.2,0,2025-07-01,x\n,0.2,0,2025-07-01,x\n", ":5:1 (id): no id in this row"),
    (GOOD + "c,0.2,0,2025-07-01,x\na,0.2,0,2025-07-01,x\n", ":5:1 (id): id 'a' is given twice (also line 2)"),
    (GOOD.encode() + b"c,0.2,0,2025-07-01,caf\xe9\n", ":4:5 (sex): not UTF-8 text (byte 0xe9 at byte 23 of the line)"),
    (b"id,score,label,time,s\xe9x\n", ":1: not UTF-8 text (byte 0xe9 at byte 22 of the line)"),
]


@pytest.mark.parametrize(("text", "message"), CSV_PROBLEMS)
def test_each_problem_of_a_csv_is_one_line_at_its_place(tmp_path: Path, text: str | bytes, message: str) -> None:
    path = write(tmp_path, "preds.csv", text)
    error = refused(path, ColumnMap(subgroups=("sex",)))
    assert error.message == f"{path}{message}"
    assert isinstance(error, CharterError)  # the CLI's one handler turns it into one line and exit code 2


def test_the_first_problem_in_the_file_is_the_one_reported(tmp_path: Path) -> None:
    rows = [f"u{i},0.5,{i % 2},2025-07-01T00:00:{i % 60:02d}Z,x" for i in range(5000)]
    rows[3001] = "u3001,0.5,0,2025-07-01,x"  # fine
    rows[4000] = "u4000,7,0,2025-07-01,x"  # a score out of range, later
    rows[3500] = "u3500,0.5,0,soon,x"  # a time, earlier
    rows[3700] = "u1,0.5,0,2025-07-01,x"  # an id of line 3, between
    path = write(tmp_path, "preds.csv", HEADER + "\n".join(rows) + "\n")
    assert refused(path).message == f"{path}:3502:4 (time): 'soon' is not a date-time"
    rows[3500] = "u3500,0.5,0,2025-07-01,x"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    assert refused(path).message == f"{path}:3702:1 (id): id 'u1' is given twice (also line 3)"
    rows[3700] = "u3700,9,7,never,x"  # one row, three problems: the leftmost role's (score before label and time)
    path.write_text(HEADER + "\n".join(rows) + "\n")
    assert refused(path).message == f"{path}:3702:2 (score): '9' is outside [0, 1]"


def test_lines_are_counted_past_blank_lines_and_line_breaks_in_quotes(tmp_path: Path) -> None:
    text = HEADER + 'a,0.1,0,2025-07-01,"fe\nmale"\n\n\r\nb,0.1,0,2025-07-01,x\n\nc,0.1,3,2025-07-01,x\n'
    path = write(tmp_path, "preds.csv", text)
    assert refused(path).message == f"{path}:8:3 (label): '3' is not a label"
    path.write_text(text.replace(",3,", ",0,").replace("c,", "a,"))
    assert refused(path).message == f"{path}:8:1 (id): id 'a' is given twice (also line 2)"


def test_line_breaks_in_quoted_cells_across_pyarrows_blocks(tmp_path: Path) -> None:
    """pyarrow splits a file between threads at line breaks; a break inside quotes must not split a row."""
    rows = [f'u{i},{i % 10 / 10},{i % 2},2025-07-01T00:00:00Z,"note {i}\nsecond line, with a comma\n"' for i in
            range(40000)]  # about 3 MiB: several of pyarrow's 1 MiB blocks
    path = write(tmp_path, "preds.csv", "id,score,label,time,note\n" + "\n".join(rows) + "\n")
    found = read_predictions(path)
    assert found.rows == 40000 and found.ids is not None and found.ids[-1] == "u39999"
    assert found.label.sum() == 20000
    rows[39001] = rows[39001].replace(",1,", ",4,")
    path.write_text("id,score,label,time,note\n" + "\n".join(rows) + "\n")
    assert refused(path).message == f"{path}:{2 + 3 * 39001}:3 (label): '4' is not a label"


def test_a_score_that_is_not_a_number_is_found_among_many(tmp_path: Path) -> None:
    """The reader converts a whole column at once; the cell that does not convert is found by halving."""
    rows = [f"u{i},{(i % 100) / 100},0,2025-07-01,x" for i in range(20000)]
    rows[12345] = "u12345,0.5.1,0,2025-07-01,x"
    rows[17000] = "u17000,zero,0,2025-07-01,x"
    path = write(tmp_path, "preds.csv", HEADER + "\n".join(rows) + "\n")
    assert refused(path).message == f"{path}:12347:2 (score): '0.5.1' is not a number"


def test_long_and_strange_values_are_shown_short_and_inert(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.csv", HEADER + "a,0.1,0,\x1b[31m" + "x" * 100 + ",f\n")
    message = refused(path).message
    assert message == f"{path}:2:4 (time): '\\x1b[31m{'x' * 35}'... is not a date-time"


def test_a_subgroup_or_baseline_column_must_exist(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.csv", GOOD)
    error = refused(path, ColumnMap(subgroups=("sex", "age")))
    assert error.message == f"{path}:1: no subgroup column 'age' (the columns are id, score, label, time, sex)"
    assert error.hint == "name the subgroup column with --column subgroup=NAME"
    close = refused(path, ColumnMap(subgroups=("Sex",)))
    assert close.hint == "did you mean 'sex'? Otherwise name the subgroup column with --column subgroup=NAME"
    base = refused(path, ColumnMap(baseline="old_score"))
    assert base.message.startswith(f"{path}:1: no baseline column 'old_score'")


@pytest.mark.parametrize(("cell", "message"), [
    ("", ":3:6 (old): no baseline in this row"),
    ("NaN", ":3:6 (old): the baseline is NaN"),
    ("1.2", ":3:6 (old): '1.2' is outside [0, 1]"),
    ("n/a", ":3:6 (old): 'n/a' is not a number"),
])
def test_a_baseline_needs_a_probability_in_every_row(tmp_path: Path, cell: str, message: str) -> None:
    path = write(tmp_path, "preds.csv", "id,score,label,time,sex,old\n"
                 f"a,0.1,0,2025-07-01,f,0.2\nb,0.1,0,2025-07-01,f,{cell}\n")
    error = refused(path, ColumnMap(baseline="old"))
    assert error.message == f"{path}{message}"


def test_a_label_column_of_one_class_is_read(tmp_path: Path) -> None:
    """The statistics say a figure is undefined; reading is not the place to refuse it."""
    path = write(tmp_path, "preds.csv", "score,label,time\n0.1,0,2025-07-01\n0.2,0,2025-07-02\n")
    assert read_predictions(path).label.tolist() == [0, 0]


# ------------------------------------------------------------------------------------------- bad input, Parquet


PARQUET_GOOD: dict[str, Any] = {"id": ["a", "b", "c"], "score": [0.1, 0.5, 0.9], "label": [0, 1, 0],
                                "time": ["2025-07-01T00:00:00Z"] * 3, "sex": ["f", "m", None]}


@pytest.mark.parametrize(("change", "message"), [
    ({"score": [0.1, None, 0.9]}, ":row 2 (score): no score in this row"),
    ({"score": [0.1, 0.5, float("nan")]}, ":row 3 (score): the score is NaN"),
    ({"score": [0.1, 1.5, 0.9]}, ":row 2 (score): 1.5 is outside [0, 1]"),
    ({"score": [0.1, float("-inf"), 0.9]}, ":row 2 (score): the score is infinite (-inf)"),
    ({"score": ["0.1", "high", "0.9"]}, ":row 2 (score): 'high' is not a number"),  # text is read as in a CSV
    ({"score": [True, False, True]}, " (score): holds bool values, not numbers"),
    ({"label": [0, 1, 2]}, ":row 3 (label): 2 is not a label"),
    ({"label": [0, None, 1]}, ":row 2 (label): no label in this row"),
    ({"label": ["0", "yes", "1"]}, ":row 2 (label): 'yes' is not a label"),
    ({"label": [False, True, False]}, " (label): holds bool values"),
    ({"label": [0.0, 1.0, 0.0]}, " (label): holds double values"),
    ({"time": ["2025-07-01T00:00:00Z", None, "x"]}, ":row 2 (time): no time in this row"),
    ({"time": ["2025-07-01T00:00:00Z", "2025-07-01", "x"]}, ":row 3 (time): 'x' is not a date-time"),
    ({"time": pa.array([1, 2, 3], pa.int64())}, " (time): holds int64 values, not times"),
    ({"time": pa.array([datetime(2025, 7, 1), None, None], pa.timestamp("us"))}, ":row 2 (time): no time in this row"),
    ({"id": ["a", "b", "a"]}, ":row 3 (id): id 'a' is given twice (also row 1)"),
    ({"id": pa.array([7, 8, 7])}, ":row 3 (id): id '7' is given twice (also row 1)"),
    ({"id": ["a", None, "c"]}, ":row 2 (id): no id in this row"),
    ({"id": [1.5, 2.5, 3.5]}, " (id): holds double values"),
    ({"sex": pa.array([[1], [2], [3]])}, " (sex): holds list<element: int64> values"),
])
def test_each_problem_of_a_parquet_file_is_one_line_at_its_row(tmp_path: Path, change: dict[str, Any],
                                                               message: str) -> None:
    path = parquet(tmp_path, "preds.parquet", {**PARQUET_GOOD, **change})
    assert refused(path, ColumnMap(subgroups=("sex",))).message == f"{path}{message}"


def test_parquet_file_problems(tmp_path: Path) -> None:
    empty = parquet(tmp_path, "empty.parquet", {k: pa.array([], pa.string()) for k in ("score", "label", "time")})
    assert refused(empty).message == f"{empty}: a header but no rows"
    missing = parquet(tmp_path, "missing.parquet", {"prob": [0.5], "label": [1], "time": ["2025-07-01"]})
    error = refused(missing)
    assert error.message == f"{missing}: no score column 'score' (the columns are prob, label, time)"
    not_parquet = write(tmp_path, "text.parquet", GOOD)
    assert refused(not_parquet).message.startswith(f"{not_parquet}: not a Parquet file: ")
    twice = tmp_path / "twice.parquet"
    pq.write_table(pa.Table.from_arrays([pa.array([0.5]), pa.array([1]), pa.array(["2025-07-01"]), pa.array([0])],
                                        names=["score", "label", "time", "label"]), twice)
    assert refused(twice).message == f"{twice} (label): column name 'label' is used twice (also column 2)"


# ------------------------------------------------------------------------------------------- the file itself


def test_what_is_not_a_regular_file_is_refused_without_waiting(tmp_path: Path) -> None:
    fifo = tmp_path / "preds.csv"
    os.mkfifo(fifo)
    assert refused(fifo).message == f"predictions file {fifo} is a named pipe (FIFO)"
    link = tmp_path / "link.csv"
    link.symlink_to(fifo)
    assert refused(link).message == f"predictions file {link} is a named pipe (FIFO)"
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    assert refused(folder).message == f"predictions file {folder} is a folder"
    assert refused(Path("/dev/null")).message == "predictions file /dev/null is a device"
    assert refused(tmp_path / "gone.csv").message == f"predictions file {tmp_path / 'gone.csv'} does not exist"


def test_unknown_formats_are_refused_by_suffix(tmp_path: Path) -> None:
    for name, suffix in (("preds.tsv", "'.tsv'"), ("preds", "'(no suffix)'"), ("preds.gz", "'.gz'")):
        path = write(tmp_path, name, GOOD)
        error = refused(path)
        assert error.message == f"predictions file {path}: unknown format {suffix}"
        assert error.hint == "write the predictions as .csv, .csv.gz, .parquet or .pq (see docs/predictions.md)"
    upper = write(tmp_path, "PREDS.CSV", GOOD)
    assert read_predictions(upper).rows == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_file_says_so(tmp_path: Path) -> None:
    path = write(tmp_path, "preds.csv", GOOD)
    path.chmod(0)
    assert refused(path).message == f"cannot read predictions file {path}: Permission denied"


def test_a_truncated_or_false_gzip_says_it_cannot_decompress(tmp_path: Path) -> None:
    false = write(tmp_path, "false.csv.gz", GOOD)
    assert refused(false).message.startswith(f"{false}: cannot decompress: ")
    whole = gzip.compress((GOOD * 2000).encode())
    cut = write(tmp_path, "cut.csv.gz", whole[: len(whole) // 2])
    assert refused(cut).message.startswith(f"{cut}: cannot decompress: ")


def test_an_empty_gzip_is_an_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.csv.gz", gzip.compress(b""))
    assert refused(path).message == f"{path}: empty file"


# ------------------------------------------------------------------------------------------- any valid file

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

stamps = st.datetimes(min_value=datetime(1950, 1, 1), max_value=datetime(2100, 1, 1))
offsets = st.sampled_from(["", "Z", "+00:00", "+02:00", "-05:30", "+14:00", "-00:00"])


@st.composite
def times(draw: st.DrawFn) -> str:
    moment = draw(stamps)
    shape = draw(st.sampled_from(["date", "minutes", "seconds", "fraction"]))
    if shape == "date":
        return moment.strftime("%Y-%m-%d")
    sep = draw(st.sampled_from(["T", " "]))
    text = moment.strftime(f"%Y-%m-%d{sep}%H:%M" + (":%S" if shape != "minutes" else ""))
    if shape == "fraction":
        text += "." + draw(st.from_regex(r"[0-9]{1,6}", fullmatch=True))
    return text + draw(offsets)


@st.composite
def tables(draw: st.DrawFn) -> dict[str, list[str]]:
    n = draw(st.integers(1, 30))
    scores = draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))
    return {
        "id": [f"u{i}" for i in draw(st.permutations(range(n)))],
        "score": [draw(st.sampled_from([repr(s), f"{s:.3f}", f"{s:e}"])) for s in scores],
        "label": draw(st.lists(st.sampled_from(["0", "1"]), min_size=n, max_size=n)),
        "time": draw(st.lists(times(), min_size=n, max_size=n)),
        "sex": draw(st.lists(st.sampled_from(["female", "male", "", "non-binary", "(missing)"]), min_size=n,
                             max_size=n)),
        "base": [repr(s) for s in draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))],
    }


@SETTINGS
@given(cells=tables())
def test_any_valid_csv_or_parquet_reads_as_an_independent_parse(tmp_path_factory: pytest.TempPathFactory,
                                                                cells: dict[str, list[str]]) -> None:
    folder = tmp_path_factory.mktemp("valid")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(list(cells))
    writer.writerows(zip(*cells.values(), strict=True))
    columns = ColumnMap(subgroups=("sex",), baseline="base")
    path = write(folder, "p.csv", text.getvalue())
    assert_read_as(read_predictions(path, columns), by_csv_module(path), columns)
    as_parquet = parquet(folder, "p.parquet", {k: pa.array(v, pa.string()) if k != "score" else
                                               pa.array([float(s) for s in v]) for k, v in cells.items()})
    found = read_predictions(as_parquet, columns)
    assert_read_as(found, {**cells, "base": [float(v) for v in cells["base"]]}, columns)
    assert found.md5 == hashlib.md5(as_parquet.read_bytes()).hexdigest()


@SETTINGS
@given(n=st.integers(2, 400), bad=st.data())
def test_a_repeated_id_is_found_at_its_second_row(tmp_path_factory: pytest.TempPathFactory, n: int,
                                                  bad: st.DataObject) -> None:
    second = bad.draw(st.integers(1, n - 1))
    first = bad.draw(st.integers(0, second - 1))
    ids = [f"u{i}" for i in range(n)]
    ids[second] = ids[first]
    path = parquet(tmp_path_factory.mktemp("ids"), "p.parquet",
                   {"id": ids, "score": [0.5] * n, "label": [1] * n, "time": ["2025-07-01"] * n})
    assert refused(path).message == f"{path}:row {second + 1} (id): id 'u{first}' is given twice (also row {first + 1})"


def test_text_that_is_not_utf8_matters_only_in_a_column_that_is_read(tmp_path: Path) -> None:
    header = "id,score,label,time,note\n"
    path = write(tmp_path, "preds.csv", header.encode() + b"a,0.1,0,2025-07-01,caf\xe9\nb,0.2,1,2025-07-01,ok\n")
    assert read_predictions(path).rows == 2  # the note is never read
    path.write_bytes(path.read_bytes() + b"c\xe9,0.3,1,2025-07-01,ok\n")
    assert refused(path).message == f"{path}:4:1 (id): not UTF-8 text (byte 0xe9 at byte 2 of the line)"


def test_the_cli_says_a_predictions_error_in_one_line_with_exit_code_2(
        registry: Path, charter: Charter, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Until `evaluate record --predictions` is wired: the command's reader swapped for this one, bad file and all."""
    bad = write(tmp_path, "preds.csv", GOOD + "c,0.2,7,2025-07-01,f\n")
    monkeypatch.setattr("charter.authoring.record_evaluation.read_results",
                        lambda *args, **kwargs: read_predictions(bad))
    result = charter("-C", registry, "evaluate", "record", "model:sepsis-risk@1.1.0", "--cohort",
                     "cohort:sepsis-adult-inpatients-eval@1.0.0", "--results", bad, "--days", "30")
    assert result.code == 2
    assert result.stderr.splitlines() == [f"error: {bad}:4:3 (label): '7' is not a label",
                                          "  hint: labels are 0 (no event) and 1 (event), written as 0 and 1"]


# ------------------------------------------------------------------------------------------- the docs and the imports

DOCS = Path(__file__).resolve().parents[1] / "docs" / "predictions.md"


def test_the_documented_example_reads_as_the_docs_say(tmp_path: Path) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = text.split("```csv\n", 1)[1].split("```", 1)[0]
    path = write(tmp_path, "scores.csv", example)
    found = read_predictions(path, ColumnMap.from_options(["subgroup=sex", "subgroup=age_band",
                                                           "baseline=qsofa_prob"]))
    assert found.subgroups["sex"][2] == "(missing)"
    assert str(found.time[2]) == "2025-07-01T09:30:00" and str(found.time[3]) == "2025-07-02T00:00:00"


def test_the_documented_time_forms_mean_what_the_docs_say(tmp_path: Path) -> None:
    forms = ["2025-07-01T08:30:00Z", "2025-07-01T10:30:00+02:00", "2025-07-01 03:00-05:30", "2025-07-01T08:30:00.250Z",
             "2025-07-01T08:30:00", "2025-07-01 08:30"]
    rows = "".join(f"0.5,1,{form}\n" for form in forms)
    found = read_predictions(write(tmp_path, "t.csv", "score,label,time\n" + rows + "0.5,0,2025-07-01\n"))
    assert {str(t) for t in found.time[:-1]} == {"2025-07-01T08:30:00"}
    assert str(found.time[-1]) == "2025-07-01T00:00:00"


def test_every_message_is_documented() -> None:
    """Each template of PREDICTIONS_MESSAGES (and of the file errors) appears in docs/predictions.md, its fields
    filled by anything."""
    import re
    import string

    from charter import errors

    text = DOCS.read_text(encoding="utf-8")
    templates = [template for template, _ in errors.PREDICTIONS_MESSAGES.values()]
    templates += [cls.template for cls in (errors.PredictionsFileNotFound, errors.PredictionsFileUnreadable,
                                           errors.PredictionsNotAFile, errors.PredictionsFileFormat)]
    missing = []
    for template in templates:
        pattern = "".join(re.escape(literal) + (".+?" if field is not None else "")
                          for literal, field, _, _ in string.Formatter().parse(template))
        if not re.search(pattern, text):
            missing.append(template)
    assert missing == []


def test_reading_imports_no_pandas(tmp_path: Path) -> None:
    """pyarrow imports pandas the first time it converts a Python value (half a second); the reader never does."""
    good = write(tmp_path, "good.csv", GOOD)
    bad = write(tmp_path, "bad.csv", GOOD + "c,0.5,x,2025-07-01T00:00:00+01:00,f\n")
    table = parquet(tmp_path, "p.parquet", {**PARQUET_GOOD, "id": ["a", None, "a"]})
    code = f"""
import sys
from pathlib import Path
from charter.evaluation.predictions import ColumnMap, read_predictions
from charter.errors import PredictionsError
read_predictions(Path({str(good)!r}), ColumnMap(subgroups=("sex",)))
for path in ({str(bad)!r}, {str(table)!r}):
    try:
        read_predictions(Path(path), ColumnMap(subgroups=("sex",)))
    except PredictionsError:
        pass
print("pandas" in sys.modules)
"""
    ran = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"
