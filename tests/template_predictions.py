"""The worked example's predictions file: synthetic scores of sepsis-risk 1.1.0 and 1.0.0 on 4,000 encounters.

    python tests/template_predictions.py [--output PATH]

writes registry-template/evidence/sepsis-risk-1-1-0-predictions-retro/1.0.0/scored.csv (the same bytes every time:
numpy's generator with a fixed seed, times written to the second). No row is a real patient: the risk, the
outcome and both models' scores are drawn here. The rows are the cohort `sepsis-adult-inpatients-eval-dec2025`
1.0.0 (the hold-out's encounters admitted 1-22 December 2025: 4,000 of them, 180 with sepsis, prevalence 0.045,
so its size, prevalence and period match the file and `charter validate` has no plausibility warning). The full
hold-out (33,120 encounters) would make a 2.3 MB file in every new registry; three weeks of it show the same thing.

After regenerating, record the evaluation again and copy it into the template (the figures are never hand-written):

    charter init /tmp/scratch && rm -r /tmp/scratch/evidence && git -C /tmp/scratch commit -qam "no evidence"
    cp registry-template/evidence/sepsis-risk-1-1-0-predictions-retro/1.0.0/scored.csv /tmp/scored.csv
    charter -C /tmp/scratch evaluate record model:sepsis-risk@1.1.0 \\
        --cohort cohort:sepsis-adult-inpatients-eval-dec2025@1.0.0 --predictions /tmp/scored.csv \\
        --subgroup site --subgroup age_band --baseline model:sepsis-risk@1.0.0 --baseline-score baseline_score \\
        --seed 20261202 --data-snapshot clarity-2026-02-02 --name sepsis-risk-1-1-0-predictions-retro

(the file copied from registry-template, not the scratch registry's own, whose dates `init` moved), then copy
/tmp/scratch/evaluations/sepsis-risk-1-1-0-predictions-retro/1.0.0.yaml into registry-template and change only what
is not computed from the rows: the comment under the first line, `spec.date` back to before the template's date
(TEMPLATE_DATE in create_registry.py: `init` moves it forward), `spec.evaluator`, and `spec.invariants` copied from
sepsis-risk-1-1-0-retro (results of the model on fixed inputs, which the contract asks for: without them
`validate` warns CH803). tests/test_init.py checks that this file is what `generate` writes, that the evaluation
names its md5, and that a new registry verifies it.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

OUTPUT = (Path(__file__).resolve().parents[1] / "registry-template" / "evidence" / "sepsis-risk-1-1-0-predictions-retro"
          / "1.0.0" / "scored.csv")
SEED = 20261202
ROWS = 4000
EVENTS = 180  # prevalence 0.045, the hold-out's
START = datetime(2025, 12, 1, tzinfo=UTC)
DAYS = 22  # 1 to 22 December 2025, inclusive
SITES = (("northgate", 0.42), ("riverside", 0.34), ("st-brigid", 0.24))
AGE_BANDS = (("18-44", 0.25, -0.8), ("45-64", 0.33, -0.1), ("65-79", 0.28, 0.3), ("80+", 0.14, 0.55))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate() -> str:
    rng = np.random.default_rng(SEED)
    site = rng.choice(len(SITES), ROWS, p=[w for _, w in SITES])
    age = rng.choice(len(AGE_BANDS), ROWS, p=[w for _, w, _ in AGE_BANDS])
    # A latent risk: age raises it; the rest is the patient's state, which the models see only in part.
    state = rng.normal(0.0, 1.0, ROWS)
    true_logit = -4.8 + np.array([s for _, _, s in AGE_BANDS])[age] + 2.2 * state
    risk = _expit(true_logit)
    events = rng.choice(ROWS, EVENTS, replace=False, p=risk / risk.sum())
    label = np.zeros(ROWS, dtype=np.int8)
    label[events] = 1
    # Each model estimates the risk with its own error; 1.0.0 knows less of the state than 1.1.0 (a lower AUROC).
    score = _expit(true_logit + rng.normal(0.0, 0.8, ROWS))
    baseline = _expit(-4.75 + 0.9 * (true_logit + 4.8) + rng.normal(0.0, 1.1, ROWS))
    seconds = np.sort(rng.integers(0, DAYS * 86400, ROWS))
    start = int(START.timestamp())
    lines = ["id,score,label,time,site,age_band,baseline_score"]
    for i in range(ROWS):
        when = datetime.fromtimestamp(start + int(seconds[i]), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"E{i + 1:05d},{score[i]:.4f},{label[i]},{when},{SITES[site[i]][0]},{AGE_BANDS[age[i]][0]},"
                     f"{baseline[i]:.4f}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(generate().encode("utf-8"))
    print(f"wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
