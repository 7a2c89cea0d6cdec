"""Time the statistics of an evaluation computed from predictions, each on the same simulated cohort.

    python benchmarks/evidence_numerics.py [--rows N] [--replicates N] [--runs N] [--output PATH] [--quiet]

The cohort: N rows (default 1,000,000), 6% events, a binormal score for a new and a baseline model version on the
same rows (their noise correlated 0.6), a predicted risk from the new score, and each model's alerts at a threshold.
Each function of charter.evaluation.statistics and charter.evaluation.calibration is called as the evaluation
command would call it; per function: wall seconds and CPU seconds (user + system of this process, all threads: the
average-precision bootstrap shares its replicates among threads) as medians over `--runs`, and the peak memory it
allocated above what was held before the call (tracemalloc, which sees numpy's arrays). The process's peak RSS is
given at the end. Results go to benchmarks/results/evidence_numerics.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.special import expit

from charter.evaluation import calibration
from charter.evaluation import statistics as evidence

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "results" / "evidence_numerics.json"
MIB = 1024 * 1024


def cohort(rows: int, seed: int = 14) -> dict[str, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(seed))
    event = rng.random(rows) < 0.06
    shared, own = rng.standard_normal(rows), rng.standard_normal(rows)
    new = 1.5 * event + shared
    baseline = 1.2 * event + 0.6 * shared + 0.8 * own
    return {"event": event, "new": new, "baseline": baseline, "risk": expit(1.4 * new - 4.0),
            "new_alert": new >= 1.6, "base_alert": baseline >= 1.5}


def operations(data: dict[str, np.ndarray], replicates: int) -> dict[str, Callable[[], object]]:
    new, baseline, event, risk = data["new"], data["baseline"], data["event"], data["risk"]
    return {
        "auroc_delong": lambda: evidence.auroc_delong(new, event),
        "paired_auroc_delong": lambda: evidence.paired_auroc_delong(new, baseline, event),
        "unpaired_auroc": lambda: evidence.unpaired_auroc(new, event, baseline, event),
        "average_precision_bootstrap": lambda: evidence.average_precision_bootstrap(new, event,
                                                                                    replicates=replicates),
        "brier": lambda: evidence.brier(risk, event),
        "paired_rate_differences": lambda: evidence.paired_rate_differences(data["new_alert"], data["base_alert"],
                                                                            event, span_days=180),
        "paired_threshold_tests": lambda: evidence.paired_threshold_tests(data["new_alert"], data["base_alert"],
                                                                          event),
        "observed_expected": lambda: calibration.observed_expected(risk, event),
        "calibration_intercept": lambda: calibration.calibration_intercept(risk, event),
        "calibration_slope": lambda: calibration.calibration_slope(risk, event),
        "reliability_bins": lambda: calibration.reliability_bins(risk, event),
        "calibration_errors": lambda: calibration.calibration_errors(risk, event),
    }


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(function: Callable[[], object], runs: int) -> dict[str, Any]:
    walls, cpus, peaks = [], [], []
    for _ in range(runs):
        tracemalloc.start()
        held = tracemalloc.get_traced_memory()[0]
        start_wall, start_cpu = time.perf_counter(), cpu_seconds()
        function()
        walls.append(time.perf_counter() - start_wall)
        cpus.append(cpu_seconds() - start_cpu)
        peaks.append((tracemalloc.get_traced_memory()[1] - held) / MIB)
        tracemalloc.stop()
    return {"wall_s": round(statistics.median(walls), 3), "cpu_s": round(statistics.median(cpus), 3),
            "peak_alloc_mib": round(max(peaks), 1), "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--replicates", type=int, default=1000, help="average-precision bootstrap replicates")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    data = cohort(args.rows)
    results = {}
    for name, function in operations(data, args.replicates).items():
        results[name] = measure(function, args.runs)
        if not args.quiet:
            r = results[name]
            print(f"{name:30s} {r['wall_s']:7.2f} s wall {r['cpu_s']:7.2f} s CPU {r['peak_alloc_mib']:8.1f} MiB")
    total = {key: round(sum(r[key] for r in results.values()), 2) for key in ("wall_s", "cpu_s")}
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if not args.quiet:
        print(f"{'total':30s} {total['wall_s']:7.2f} s wall {total['cpu_s']:7.2f} s CPU; "
              f"peak RSS {peak_rss:.0f} MiB; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    report = {
        "benchmark": "evidence_numerics", "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "rows": args.rows, "events": int(data["event"].sum()), "replicates": args.replicates,
        "machine": {"system": platform.system(), "machine": platform.machine(), "cpus": os.cpu_count(),
                    "load_average": [round(x, 2) for x in os.getloadavg()]},
        "python": sys.version.split()[0], "numpy": np.__version__,
        "operations": results, "total": total, "peak_rss_mib": round(peak_rss, 1),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
