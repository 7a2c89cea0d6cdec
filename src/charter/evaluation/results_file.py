"""Reading an evaluation's output (the results file `charter evaluate record` turns into an Evaluation entry).

Two shapes, described in docs/evaluate.md: a JSON (or YAML) document with overall metrics, per-threshold confusion
counts, per-subgroup counts, the period and invariant results; or a CSV of confusion counts, one row per threshold
(and optionally per subgroup). Every problem is one `ResultsError` that names the file, the line (and column or
field) and what to write instead, because the person fixing it has the file open in an editor.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from charter.errors import (
    ResultsError,
    ResultsFileFormat,
    ResultsFileNotFound,
    ResultsFileUnreadable,
    ResultsNotCsv,
    ResultsNotJson,
    ResultsNotText,
    ResultsNotYaml,
)
from charter.evaluation.confusion import Confusion, canonical_threshold
from charter.registry.fields import JsonPath, Positions, dotted
from charter.registry.yamlio import DataUnreadable, decode_text, load_data

COUNT_COLUMNS = ("tp", "fp", "tn", "fn")
CSV_COLUMNS = ("threshold", *COUNT_COLUMNS)
CSV_OPTIONAL = ("subgroup",)
JSON_KEYS = {"date", "period", "days", "dataSnapshot", "operatingThreshold", "metrics", "thresholds", "subgroups",
             "calibration", "invariants", "notes"}
ESTIMATE_KEYS = {"value", "ciLower", "ciUpper", "ciLevel", "method"}
SUBGROUP_KEYS = {"name", "attribute", "value", "threshold", "metrics", *COUNT_COLUMNS}
INVARIANT_KEYS = {"name", "description", "input", "expected", "result"}


@dataclass(frozen=True)
class ThresholdCounts:
    """Counts at one threshold (in its canonical form, `canonical_threshold`), and where the file gives them:
    `where` as a message prefix, `at` the row's path in the file (a CSV row's is `thresholds[i]` or `subgroups[i]`
    in the order read, as if the file were a document; `EvaluationResults.positions` has its line)."""

    threshold: float
    counts: Confusion
    where: str
    at: JsonPath = ()


@dataclass(frozen=True)
class SubgroupCounts:
    """One subgroup's counts and where the file gives them (`at`, as for ThresholdCounts). In a JSON/YAML file,
    `threshold` is the one they are at (the item's `threshold`, else the file's operatingThreshold; `explicit` says
    which) and `threshold_where` where the file says so; a CSV row's threshold is beside it in `subgroup_rows`."""

    attribute: str
    value: str | int | float | bool
    counts: Confusion
    metrics: dict[str, float]
    where: str
    label: str | None = None
    at: JsonPath = ()
    threshold: float | None = None
    explicit: bool = False
    threshold_where: str = ""

    @property
    def name(self) -> str:
        """The subgroup's label: given, or `attribute=value`."""
        return self.label or f"{self.attribute}={self.value}"


@dataclass
class EvaluationResults:
    """What an evaluation run produced, checked for shape and sense but not yet turned into rates."""

    source: Path
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    thresholds: list[ThresholdCounts] = field(default_factory=list)
    subgroups: list[SubgroupCounts] = field(default_factory=list)
    #: Subgroup rows of a CSV, at every threshold given; `record` picks the operating threshold's.
    subgroup_rows: list[tuple[SubgroupCounts, float]] = field(default_factory=list)
    operating_threshold: float | None = None
    days: float | None = None
    date: str | None = None
    data_snapshot: str | None = None
    calibration: dict[str, Any] | None = None
    invariants: list[dict[str, Any]] = field(default_factory=list)
    notes: str | None = None
    #: Where each value of the file is, by its path (a CSV's rows as `thresholds[i]` and `subgroups[i]`).
    positions: Positions = field(default_factory=Positions)


def read_results(path: Path, *, today: date, threshold_range: tuple[float, float] = (0.0, 1.0)) -> EvaluationResults:
    """Read a results file by its suffix: `.csv` is counts, `.json`/`.yaml`/`.yml` the full document."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResultsFileNotFound(path=path) from None
    except OSError as exc:
        raise ResultsFileUnreadable(path=path, error=exc) from exc
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text, findings = decode_text(raw, str(path))
        if text is None:
            raise ResultsNotText(path=path, line=findings[0].line, column=findings[0].column,
                                 problem=findings[0].message)
        reader = _CsvReader(path, text, threshold_range)
        try:
            return reader.read()
        except csv.Error as exc:  # e.g. a field longer than the csv module's limit (128 KiB)
            raise ResultsNotCsv(path=path, line=reader.line, problem=str(exc)) from None
    if suffix in {".json", ".yaml", ".yml"}:
        return _DocumentReader(path, raw, today, threshold_range).read()
    raise ResultsFileFormat(path=path, suffix=suffix or "(no suffix)")


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    return None


# ----------------------------------------------------------------------------------------------------------- CSV


class _CsvReader:
    def __init__(self, path: Path, text: str, threshold_range: tuple[float, float]) -> None:
        self.path = path
        self.text = text
        self.low, self.high = threshold_range
        self.reader: Any = None

    def fail(self, line: int, column: str | None, key: str, /, **fields: object) -> ResultsError:
        where = f"{self.path}:{line}" + (f": column {column!r}" if column else "")
        return ResultsError(where, key, **fields)

    @property
    def line(self) -> int:
        """The line being read (1 before the first)."""
        return max(self.reader.line_num if self.reader is not None else 1, 1)

    def read(self) -> EvaluationResults:
        reader = self.reader = csv.reader(self.text.splitlines())
        header = next(reader, None)
        if not header or not any(cell.strip() for cell in header):
            raise self.fail(1, None, "csv.empty", header=",".join(CSV_COLUMNS))
        columns = [cell.strip() for cell in header]
        for name in columns:
            if name not in CSV_COLUMNS and name not in CSV_OPTIONAL:
                raise self.fail(1, name, "csv.unknown_column", columns=", ".join(CSV_COLUMNS))
        missing = [c for c in CSV_COLUMNS if c not in columns]
        if missing:
            raise self.fail(1, missing[0], "csv.missing_column", columns=", ".join(CSV_COLUMNS))
        results = EvaluationResults(self.path)
        seen: dict[tuple[str, float], int] = {}
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(columns):
                raise self.fail(line, None, "csv.cells", cells=len(cells), columns=len(columns))
            row = dict(zip(columns, (c.strip() for c in cells), strict=True))
            threshold = canonical_threshold(self.threshold(row["threshold"], line))
            counts = Confusion(*(self.count(row[c], line, c) for c in COUNT_COLUMNS))
            subgroup = row.get("subgroup", "")
            key = (subgroup, threshold)
            if key in seen:
                twice = "csv.threshold_twice.subgroup" if subgroup else "csv.threshold_twice"
                raise self.fail(line, "threshold", twice, threshold=threshold, subgroup=subgroup, first=seen[key])
            seen[key] = line
            where = f"{self.path}:{line}"
            if not subgroup:
                at: JsonPath = ("thresholds", len(results.thresholds))
                results.positions.values[at] = (line, 1)
                results.thresholds.append(ThresholdCounts(threshold, counts, where, at))
                continue
            attribute, sep, value = subgroup.partition("=")
            if not sep or not attribute.strip() or not value.strip():
                raise self.fail(line, "subgroup", "csv.subgroup", subgroup=subgroup)
            at = ("subgroups", len(results.subgroup_rows))
            results.positions.values[at] = (line, 1)
            results.subgroup_rows.append(
                (SubgroupCounts(attribute.strip(), value.strip(), counts, {}, where, at=at), threshold))
        if not results.thresholds:
            raise self.fail(1, None, "csv.no_cohort_rows")
        return results

    def threshold(self, cell: str, line: int) -> float:
        try:
            value = float(cell)
        except ValueError:
            raise self.fail(line, "threshold", "threshold.not_a_number", value=cell) from None
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise self.fail(line, "threshold", "threshold.range", value=cell, low=self.low, high=self.high)
        return value

    def count(self, cell: str, line: int, column: str) -> int:
        try:
            value = float(cell)
        except ValueError:
            raise self.fail(line, column, "count.not_a_number", value=cell) from None
        if not math.isfinite(value) or not value.is_integer():
            raise self.fail(line, column, "csv.count.not_whole", value=cell)
        if value < 0:
            raise self.fail(line, column, "count.negative", value=cell)
        return int(value)


# ------------------------------------------------------------------------------------------------------ JSON/YAML


class _DocumentReader:
    def __init__(self, path: Path, raw: bytes, today: date, threshold_range: tuple[float, float]) -> None:
        self.path = path
        self.raw = raw
        self.today = today
        self.low, self.high = threshold_range
        self.positions = Positions()

    def fail(self, at: JsonPath, key: str, /, *, key_place: bool = False, **fields: object) -> ResultsError:
        return ResultsError(self.where(at, key_place=key_place), key, **fields)

    def where(self, at: JsonPath, *, key_place: bool = False) -> str:
        """`file:line:column: field`, how a message names a place of the file."""
        line, column = self.positions.locate(at, key=key_place)
        return f"{self.path}:{line}:{column}: {dotted(at) if at else 'the document'}"

    def parse(self) -> Any:
        try:
            data, self.positions = load_data(self.raw, str(self.path), as_json=self.path.suffix.lower() == ".json")
        except DataUnreadable as exc:
            shown = ResultsNotJson if exc.json else ResultsNotYaml
            raise shown(path=self.path, line=exc.line, column=exc.column, problem=exc.problem) from None
        return data

    def read(self) -> EvaluationResults:
        data = self.parse()
        if not isinstance(data, dict):
            raise self.fail((), "document.not_a_mapping")
        self.known(data, (), JSON_KEYS)
        results = EvaluationResults(self.path, positions=self.positions)
        results.date = self.day(data, ("date",)) if "date" in data else None
        results.days = self.period(data)
        results.data_snapshot = self.text_at(data, "dataSnapshot")
        results.notes = self.text_at(data, "notes")
        if "operatingThreshold" in data:
            results.operating_threshold = canonical_threshold(
                self.threshold(data["operatingThreshold"], ("operatingThreshold",)))
        results.metrics = self.metrics(data.get("metrics"), ("metrics",)) if "metrics" in data else {}
        results.thresholds = self.thresholds(data.get("thresholds"))
        results.subgroups = self.subgroups(data.get("subgroups"), results.operating_threshold)
        if "calibration" in data:
            if not isinstance(data["calibration"], dict):
                raise self.fail(("calibration",), "calibration.not_a_mapping")
            results.calibration = data["calibration"]
        results.invariants = self.invariants(data.get("invariants"))
        if not results.metrics and not results.thresholds:
            raise self.fail((), "document.empty")
        return results

    def known(self, data: dict[str, Any], at: JsonPath, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail((*at, key), "unknown_field", key_place=True, allowed=", ".join(sorted(allowed)))

    def text_at(self, data: dict[str, Any], key: str) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail((key,), "text")
        return value

    def day(self, data: dict[str, Any], at: JsonPath) -> str:
        value = data[str(at[-1])]
        try:
            parsed = date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            parsed = None
        if not isinstance(parsed, date) or (isinstance(value, str) and len(value) != 10):
            raise self.fail(at, "date.not_a_date", value=value)
        if parsed > self.today:
            raise self.fail(at, "date.future", date=parsed.isoformat(), today=self.today.isoformat())
        return parsed.isoformat()

    def period(self, data: dict[str, Any]) -> float | None:
        if "days" in data:
            days = _number(data["days"])
            if days is None or days <= 0:
                raise self.fail(("days",), "days", value=data["days"])
            return days
        period = data.get("period")
        if period is None:
            return None
        if not isinstance(period, dict) or set(period) != {"start", "end"}:
            raise self.fail(("period",), "period.shape")
        start = date.fromisoformat(self.day(period, ("period", "start")))
        end = date.fromisoformat(self.day(period, ("period", "end")))
        if end < start:
            raise self.fail(("period", "end"), "period.order", start=start, end=end)
        return float((end - start).days + 1)

    def threshold(self, value: Any, at: JsonPath) -> float:
        number = _number(value)
        if number is None:
            raise self.fail(at, "threshold.not_a_number", value=value)
        if not self.low <= number <= self.high:
            raise self.fail(at, "threshold.range", value=value, low=self.low, high=self.high)
        return number

    def count(self, data: dict[str, Any], at: JsonPath) -> int:
        key = at[-1]
        if key not in data:
            raise self.fail(at[:-1], "count.missing", count=key)
        value = data[key]
        number = _number(value)
        if number is None or not number.is_integer():
            raise self.fail(at, "count.not_whole", value=value)
        if number < 0:
            raise self.fail(at, "count.negative", value=value)
        return int(number)

    def counts(self, data: dict[str, Any], at: JsonPath) -> Confusion:
        return Confusion(*(self.count(data, (*at, c)) for c in COUNT_COLUMNS))

    def metrics(self, value: Any, at: JsonPath) -> dict[str, dict[str, Any]]:
        if not isinstance(value, dict):
            raise self.fail(at, "metrics.shape")
        metrics: dict[str, dict[str, Any]] = {}
        for name, item in value.items():
            where = (*at, name)
            if _number(item) is not None:
                metrics[name] = {"value": item}
                continue
            if not isinstance(item, dict):
                raise self.fail(where, "metric.not_a_number", value=item)
            self.known(item, where, ESTIMATE_KEYS)
            if "value" not in item:
                raise self.fail(where, "metric.missing_value")
            for key in ("value", "ciLower", "ciUpper", "ciLevel"):
                if key in item and _number(item[key]) is None:
                    raise self.fail((*where, key), "metric.field_not_a_number", value=item[key])
            low, high = item.get("ciLower"), item.get("ciUpper")
            if (low is None) != (high is None):
                raise self.fail(where, "metric.one_bound")
            if low is not None and not low <= item["value"] <= high:
                raise self.fail(where, "metric.outside_interval", value=item["value"], low=low, high=high)
            metrics[name] = dict(item)
        return metrics

    def thresholds(self, value: Any) -> list[ThresholdCounts]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(("thresholds",), "thresholds.not_a_list")
        rows: list[ThresholdCounts] = []
        seen: dict[float, int] = {}
        for i, item in enumerate(value):
            at: JsonPath = ("thresholds", i)
            if not isinstance(item, dict):
                raise self.fail(at, "thresholds.item")
            self.known(item, at, {"threshold", *COUNT_COLUMNS})
            if "threshold" not in item:
                raise self.fail(at, "thresholds.missing")
            threshold = canonical_threshold(self.threshold(item["threshold"], (*at, "threshold")))
            if threshold in seen:
                raise self.fail((*at, "threshold"), "thresholds.twice", threshold=threshold, item=seen[threshold] + 1)
            seen[threshold] = i
            line, _ = self.positions.locate(at)
            rows.append(ThresholdCounts(threshold, self.counts(item, at), f"{self.path}:{line}", at))
        return rows

    def subgroups(self, value: Any, operating: float | None) -> list[SubgroupCounts]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(("subgroups",), "subgroups.not_a_list")
        found: list[SubgroupCounts] = []
        names: dict[str, int] = {}
        for i, item in enumerate(value):
            at: JsonPath = ("subgroups", i)
            if not isinstance(item, dict):
                raise self.fail(at, "subgroups.item")
            self.known(item, at, SUBGROUP_KEYS)
            attribute, label = item.get("attribute"), item.get("value")
            if not isinstance(attribute, str) or not attribute.strip():
                raise self.fail((*at, "attribute"), "subgroups.attribute")
            if not isinstance(label, str | int | float | bool) or label == "":
                raise self.fail((*at, "value"), "subgroups.value")
            # whether the counts are at the operating threshold is decided by `evaluate record`, which knows the
            # one in use (--operating-threshold overrides the file's)
            if "threshold" in item:
                threshold: float | None = canonical_threshold(self.threshold(item["threshold"], (*at, "threshold")))
                threshold_where = self.where((*at, "threshold"))
            elif operating is None:
                raise self.fail(at, "subgroups.no_threshold")
            else:
                threshold, threshold_where = operating, self.where(at)
            extra = self.metrics(item["metrics"], (*at, "metrics")) if "metrics" in item else {}
            group = SubgroupCounts(attribute.strip(), label, self.counts(item, at),
                                   {k: float(v["value"]) for k, v in extra.items()},
                                   f"{self.path}:{self.positions.locate(at)[0]}",
                                   item["name"] if isinstance(item.get("name"), str) and item["name"] else None,
                                   at, threshold, "threshold" in item, threshold_where)
            if group.name in names:
                raise self.fail(at, "subgroups.twice", name=group.name, item=names[group.name] + 1)
            names[group.name] = i
            found.append(group)
        return found

    def invariants(self, value: Any) -> list[dict[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(("invariants",), "invariants.not_a_list")
        checks: list[dict[str, Any]] = []
        for i, item in enumerate(value):
            at: JsonPath = ("invariants", i)
            if not isinstance(item, dict):
                raise self.fail(at, "invariants.item")
            self.known(item, at, INVARIANT_KEYS)
            if not isinstance(item.get("name"), str) or not item["name"]:
                raise self.fail((*at, "name"), "invariants.name")
            if _number(item.get("result")) is None:
                raise self.fail((*at, "result"), "invariants.result", value=item.get("result"))
            expected = item.get("expected")
            if expected is not None and (not isinstance(expected, dict) or not expected
                                         or set(expected) - {"min", "max"}
                                         or any(_number(v) is None for v in expected.values())):
                raise self.fail((*at, "expected"), "invariants.expected")
            if "input" in item and not isinstance(item["input"], dict):
                raise self.fail((*at, "input"), "invariants.input")
            checks.append(dict(item, _where=f"{self.path}:{self.positions.locate(at)[0]}"))
        return checks
