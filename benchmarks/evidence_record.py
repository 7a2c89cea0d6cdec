"""Benchmark recording and verifying an evaluation from a million predictions, end to end through the CLI.

    python benchmarks/evidence_record.py [--rows N] [--seed N] [--output PATH]

A predictions CSV is generated (seeded, as benchmarks/evidence_read.py makes it: id, score, label, an RFC 3339
time, three subgroup columns sex/age_band/site and a baseline score), a scratch registry is made by this checkout's
`charter init` (the worked example, its DVC remote a folder beside it), and two commands run, each a fresh process
under a small launcher that reads the child's wall time, CPU seconds (user + system, all threads) and peak RSS
(`ru_maxrss`) with `wait4`:

- `charter evaluate record model:sepsis-risk@1.1.0 --cohort ... --predictions FILE --subgroup sex --subgroup
  age_band --subgroup site --baseline model:sepsis-risk@1.0.0 --baseline-score baseline --seed 14`: read and check
  the file, every figure (DeLong, 1,000 bootstrap replicates, calibration, subgroups, the paired comparison), copy
  the file into evidence/, `dvc add`, `dvc push` to the local remote, validate and commit;
- `charter evaluate verify EVALUATION`: find the rows (in the work tree, md5 checked), recompute and compare.

The cohort of the example has 33,120 encounters, so `record` warns that a million units do not match it (CH830);
the warnings are part of the run, not a failure. Targets: 15 s and 1.5 GiB for each command on two cores. Results go
to benchmarks/results/evidence_record.json.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench_validate import LAUNCHER, machine_info, write_json
from evidence_read import generate

HERE = Path(__file__).resolve().parent
SOURCE = HERE.parent / "src"
DEFAULT_OUTPUT = HERE / "results" / "evidence_record.json"
SUBGROUPS = ("sex", "age_band", "site")
TARGET_SECONDS, TARGET_MIB = 15.0, 1536.0


def _environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE), os.environ.get("PYTHONPATH")])),
            "NO_COLOR": "1", "COLUMNS": "120"}


def charter_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "charter", *args]


def measure(argv: list[str], scratch: Path, cwd: Path) -> dict[str, Any]:
    """One fresh process under the launcher: wall seconds, CPU seconds, peak RSS in MiB and the exit code."""
    out = scratch / "launcher.out"
    out.unlink(missing_ok=True)
    ran = subprocess.run([sys.executable, "-S", "-c", LAUNCHER, str(out), *argv], capture_output=True, text=True,
                         env=_environment(), cwd=cwd, check=False)
    if ran.returncode != 0:
        raise SystemExit(f"evidence_record: {' '.join(argv[2:])} failed ({ran.returncode}):\n"
                         f"{ran.stdout[-3000:]}{ran.stderr[-3000:]}")
    wall, cpu, rss = out.read_text().split()
    return {"wall_s": round(float(wall), 3), "cpu_s": round(float(cpu), 3), "peak_rss_mib": round(int(rss) / 1024, 1),
            "output_tail": (ran.stdout + ran.stderr).strip().splitlines()[-1:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        began = time.perf_counter()
        predictions = generate(scratch, args.rows, args.seed)["csv"]
        print(f"generated {args.rows:,} rows in {time.perf_counter() - began:.1f} s: "
              f"{predictions.stat().st_size / 2**20:.1f} MiB", file=sys.stderr)
        registry = scratch / "registry"
        subprocess.run(charter_argv("init", str(registry)), env=_environment(), check=True, capture_output=True)
        name = "bench-evidence-retro"
        record = ["evaluate", "record", "model:sepsis-risk@1.1.0",
                  "--cohort", "cohort:sepsis-adult-inpatients-eval@1.0.0", "--predictions", str(predictions),
                  *(f"--subgroup={s}" for s in SUBGROUPS), "--baseline", "model:sepsis-risk@1.0.0",
                  "--baseline-score", "baseline", "--seed", str(args.seed), "--name", name]
        predictions.read_bytes()  # in the page cache, as a file a scoring job just wrote
        results = {"record": measure(charter_argv(*record), scratch, registry)}
        predictions.unlink()
        results["verify"] = measure(charter_argv("evaluate", "verify", f"evaluation:{name}@1.0.0"), scratch, registry)
        file_mib = round((registry / "evidence" / name / "1.0.0" / predictions.name).stat().st_size / 2**20, 1)
    for found in results.values():
        found["target"] = (f"< {TARGET_SECONDS:g} s: {'met' if found['wall_s'] < TARGET_SECONDS else 'not met'}; "
                           f"< {TARGET_MIB / 1024:g} GiB: {'met' if found['peak_rss_mib'] < TARGET_MIB else 'not met'}")
    report = {
        "benchmark": "evidence_record",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine_info(), "load_average_at_end": list(os.getloadavg())},
        "python": platform.python_version(),
        "settings": {"rows": args.rows, "seed": args.seed, "subgroups": list(SUBGROUPS), "baseline": True,
                     "file_mib": file_mib, "replicates": 1000,
                     "rss_method": "wait4 ru_maxrss of the charter process, forked by a small launcher (python -S)",
                     "cpu_method": "wait4 ru_utime + ru_stime of the charter process (all its threads)"},
        "results": results,
    }
    write_json(args.output, report)
    print(f"\ncharter evaluate, {args.rows:,} rows ({file_mib} MiB CSV: id, score, label, time, 3 subgroups, "
          f"baseline); one fresh process each; load at end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| command | wall | CPU (user + system) | peak RSS | target |")
    print("|---|---:|---:|---:|---|")
    for command, r in results.items():
        print(f"| charter evaluate {command} | {r['wall_s']:.1f} s | {r['cpu_s']:.1f} s | {r['peak_rss_mib']:.0f} MiB "
              f"| {r['target']} |")
    print(f"\nresults written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
