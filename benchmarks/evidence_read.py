"""Benchmark reading a predictions file: a million scored units as CSV and as Parquet, read and checked.

    python benchmarks/evidence_read.py [--rows N] [--runs N] [--output PATH] [--keep FOLDER]

The files are generated here (seeded, in a temporary folder unless --keep names one): one row per unit with an id,
a score, a label, an RFC 3339 time, three subgroup columns (sex with some cells empty, age band, site) and a
baseline score; the CSV as pandas would write it (no quotes), the Parquet with a timestamp column. Each run is a
fresh process of this checkout's charter (`src/` first on the path) that imports `charter.evaluation.predictions`,
reads the file with `read_predictions` and reads it once more (the first read pays for first use: code paged in,
memory pools grown; the second is the steady state). Times are medians over
`--runs` runs (with the CPU seconds of the first read, all threads: on a busy machine the wall time is the less
steady of the two); peak RSS is the largest `ru_maxrss` of a run, read with `wait4` by the small launcher of
bench_validate.py, next to the floor of a process that only imports the same modules.

Results go to benchmarks/results/evidence_read.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_validate import LAUNCHER, machine_info, write_json

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "src"
DEFAULT_OUTPUT = HERE / "results" / "evidence_read.json"
SUBGROUPS = ("sex", "age_band", "site")

#: The measured process: import, read, read again; prints what it timed as JSON.
CHILD = """\
import gc, json, sys, time
start = time.perf_counter()
from pathlib import Path
from charter.evaluation.predictions import ColumnMap, read_predictions
imported = time.perf_counter()
if sys.argv[1] == "floor":
    print(json.dumps({}))
    sys.exit(0)
columns = ColumnMap(subgroups=tuple(sys.argv[2].split(",")), baseline="baseline")
cpu = time.process_time()
found = read_predictions(Path(sys.argv[1]), columns)
first = time.perf_counter()
cpu = time.process_time() - cpu
rows, md5 = found.rows, found.md5
del found
gc.collect()
second_start = time.perf_counter()
read_predictions(Path(sys.argv[1]), columns)
second = time.perf_counter() - second_start
print(json.dumps({"import_s": imported - start, "first_read_s": first - imported, "first_read_cpu_s": cpu,
                  "second_read_s": second, "rows": rows, "md5": md5}))
"""


def generate(folder: Path, rows: int, seed: int) -> dict[str, Path]:
    """The CSV and the Parquet file of `rows` scored units (the same units in both)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    score = rng.beta(1.0, 8.0, rows)
    label = (rng.random(rows) < score).astype(np.int8)
    baseline = np.clip(score + rng.normal(0.0, 0.05, rows), 0.0, 1.0)
    start = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
    seconds = start + np.sort(rng.integers(0, 180 * 86400, rows))
    stamps = pa.array(seconds, pa.int64()).cast(pa.timestamp("s", tz="UTC"))
    ids = pc.binary_join_element_wise("E", pc.utf8_lpad(pa.array(rng.permutation(rows)).cast(pa.string()), 7, "0"),
                                      "")

    def pick(values: list[str], weights: list[float]) -> Any:
        return pa.array(np.array(values, dtype=object)[rng.choice(len(values), rows, p=weights)], pa.string())

    common = {
        "id": ids, "score": score, "label": label,
        "sex": pick(["female", "male", ""], [0.49, 0.49, 0.02]),
        "age_band": pick(["18-39", "40-64", "65-79", "80+"], [0.2, 0.35, 0.3, 0.15]),
        "site": pick(["north", "south", "east", "west", "central"], [0.2] * 5),
        "baseline": baseline,
    }
    as_text = pc.strftime(stamps, format="%Y-%m-%dT%H:%M:%SZ")
    csv_path, parquet_path = folder / "predictions.csv", folder / "predictions.parquet"
    pa_csv.write_csv(pa.table({**common, "time": as_text}), csv_path,
                     pa_csv.WriteOptions(quoting_style="none"))
    pq.write_table(pa.table({**common, "time": stamps}), parquet_path)
    return {"csv": csv_path, "parquet": parquet_path}


def measure(argv: list[str], scratch: Path) -> tuple[dict[str, Any], float, int]:
    """One fresh process under the launcher: what it printed, its wall seconds and its peak RSS in KiB."""
    out = scratch / "launcher.out"
    out.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")]))}
    ran = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(out), sys.executable, "-c", CHILD, *argv],
                         capture_output=True, text=True, env=env, check=False)
    if ran.returncode != 0:
        raise SystemExit(f"evidence_read: the measured process failed:\n{ran.stderr[-3000:]}")
    wall, _cpu, rss = out.read_text().split()
    return json.loads(ran.stdout.strip().splitlines()[-1]), float(wall), int(rss)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--keep", type=Path, help="generate the files in this folder and leave them there")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        folder = args.keep or scratch
        folder.mkdir(parents=True, exist_ok=True)
        began = time.perf_counter()
        files = generate(folder, args.rows, args.seed)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - began:.1f} s: "
              + ", ".join(f"{p.name} {p.stat().st_size / 2**20:.1f} MiB" for p in files.values()), file=sys.stderr)
        _, _, floor = measure(["floor"], scratch)
        results: dict[str, Any] = {}
        for fmt, path in files.items():
            path.read_bytes()  # in the page cache, as a file just written by an evaluation is
            runs = [measure([str(path), ",".join(SUBGROUPS)], scratch) for _ in range(args.runs)]
            printed = [r[0] for r in runs]
            assert all(p["rows"] == args.rows for p in printed)
            results[fmt] = {
                "file_mib": round(path.stat().st_size / 2**20, 1),
                "import_s": round(statistics.median(p["import_s"] for p in printed), 3),
                "first_read_s": round(statistics.median(p["first_read_s"] for p in printed), 3),
                "second_read_s": round(statistics.median(p["second_read_s"] for p in printed), 3),
                "first_read_times_s": [round(p["first_read_s"], 3) for p in printed],
                "first_read_cpu_s": round(statistics.median(p["first_read_cpu_s"] for p in printed), 3),
                "process_wall_s": round(statistics.median(r[1] for r in runs), 3),
                "peak_rss_mib": round(max(r[2] for r in runs) / 1024, 1),
                "md5": printed[0]["md5"],
            }
    report = {
        "benchmark": "evidence_read",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine_info(), "load_average_at_end": list(os.getloadavg())},
        "python": platform.python_version(),
        "settings": {"rows": args.rows, "runs": args.runs, "seed": args.seed, "subgroups": list(SUBGROUPS),
                     "rss_method": "wait4 ru_maxrss from a fork of a small launcher (python -S)",
                     "rss_floor_mib": round(floor / 1024, 1),
                     "rss_floor": "a process that imports charter.evaluation.predictions and reads nothing"},
        "results": results,
    }
    write_json(args.output, report)
    print(f"\nread_predictions, {args.rows:,} rows (id, score, label, time, 3 subgroups, baseline); "
          f"medians of {args.runs} fresh processes; RSS floor (imports only) {floor / 1024:.0f} MiB")
    print("| format | file | import | first read | its CPU (all threads) | second read | peak RSS |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for fmt, r in results.items():
        print(f"| {fmt} | {r['file_mib']} MiB | {r['import_s']:.2f} s | {r['first_read_s']:.2f} s | "
              f"{r['first_read_cpu_s']:.2f} s | {r['second_read_s']:.2f} s | {r['peak_rss_mib']:.0f} MiB |")
    print(f"\nresults written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
