"""`make demo` runs tests/demo.sh; running it here keeps the newcomer's first walk from rotting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT


def test_demo_walks_end_to_end(tmp_path: Path) -> None:
    env = {**os.environ, "CHARTER": str(Path(sys.executable).parent / "charter"), "TMPDIR": str(tmp_path)}
    result = subprocess.run(["bash", str(PROJECT / "tests" / "demo.sh")], cwd=PROJECT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "error CH201 unknown field 'metadata.ownr'" in out
    assert "error CH102 duplicate key 'owner'" in out
    assert "error CH401 spec.labelEvent: event:sepsis-onset@9.9.9 does not exist" in out
    assert "::error file=models/sepsis-risk/versions/1.1.0.yaml" in out
    assert "error CH601" in out
    assert "3 entries match" in out and "unknown field 'spec.metrcs.auroc' (column 1)" in out + result.stderr
    assert "✓ registered model:sepsis-risk@1.2.0" in out
    assert "calibration.brier: 0.0161" in out and "parent: model:sepsis-risk@1.1.0" in out
    assert "model:sepsis-risk@1.2.0  latest  active" in out
    assert "(md5 84ef35d2acd70b99a95f051c9be61908 verified)" in out
    assert "✓ evaluation:sepsis-risk-1-1-0-predictions-retro@1.0.0: every figure is what its predictions give" in out
    assert "error CH820 spec.metrics.auroc.value is 0.9, but the predictions give 0.87957" in out + result.stderr
    assert "1 figure(s) differ from their predictions" in out + result.stderr
    assert "model:sepsis-risk@1.0.0 → model:sepsis-risk@1.1.0: 1 breaking" in out
    assert "| production | `model:sepsis-risk@1.1.0` | assigned (full) |" in out
    assert "refused by the policy for staging" in out + result.stderr
    assert "Policy verdict: passed" in out and "To-Version: 1.1.0" in out
    assert "✓ Roll back sepsis-risk 1.0.0 to production" in out
    assert "✓ every monitored figure is within expectation" in out
    assert "✗ production/card-fraud 3.2.0: alerts/day outside expectation" in out
    assert "observed  350 [336, 364] (2,450 alerts in 7 d)\n    evaluated 250\n" in out
    assert out.rstrip().splitlines()[-1].startswith("The demo registry is at")
    assert "\x1b[" not in out  # not a terminal: no escape codes
