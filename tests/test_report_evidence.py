"""The report draws the evidence a clinical reviewer reads: subgroups with their intervals (rings where a subgroup is
small), the paired differences against the baseline, calibration bins with their intervals, and production's
figures against what the evaluation led to expect."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.conftest import Charter

PREDICTIONS_EVALUATION = "evaluations/sepsis-risk-1-1-0-predictions-retro/1.0.0"


def svg_titled(page: str, title: str) -> str:
    """The SVG chart of `page` whose title starts with `title` (asserting there is one)."""
    found = [svg for svg in re.findall(r"<svg class=\"chart\".*?</svg>", page, flags=re.S)
             if re.search(rf"<title>{re.escape(title)}", svg)]
    assert found, f"no chart titled {title!r}"
    return found[0]


def test_an_evaluation_from_predictions_shows_its_subgroups_differences_and_calibration(
        template_registry: Path, charter: Charter, tmp_path: Path) -> None:
    assert charter("-C", template_registry, "report", "-o", tmp_path / "site").code == 0
    page = (tmp_path / "site" / f"{PREDICTIONS_EVALUATION}.html").read_text(encoding="utf-8")
    spec = yaml.safe_load((template_registry / f"{PREDICTIONS_EVALUATION}.yaml").read_text())["spec"]

    forest = svg_titled(page, "auroc by subgroup, with 95% intervals")
    assert forest.count("<circle") == len(spec["subgroups"])  # one estimate per subgroup
    small = [g for g in spec["subgroups"] if g["smallSample"]]
    assert forest.count('fill="white"') == len(small)  # small subgroups are rings: read their interval
    assert forest.count('class="interval"') == sum("intervals" in g for g in spec["subgroups"])

    differences = svg_titled(page, f"{spec['model']} minus {spec['comparison']['baseline']}, same rows")
    auroc = spec["comparison"]["auroc"]
    assert f"Δ AUROC: {auroc['delta']:.4g}" in differences and "no difference" in differences
    assert "delong-paired" in differences  # the method is in the tooltip

    calibration = svg_titled(page, "Calibration: observed against predicted rate")
    assert calibration.count("<circle") >= len(spec["calibration"]["bins"])


def test_a_model_page_holds_production_against_the_evaluated_expectation(
        template_registry: Path, charter: Charter, tmp_path: Path) -> None:
    assert charter("-C", template_registry, "report", "-o", tmp_path / "site").code == 0
    page = (tmp_path / "site" / "models" / "sepsis-risk.html").read_text(encoding="utf-8")
    assert "In production, against what was evaluated" in page
    chart = svg_titled(page, "alertsPerDay in production against the evaluated expectation")
    assert "production (observed)" in page and "evaluated (" in page  # the legend names both sides
    assert 'class="dot hollow"' in chart  # observations are rings, with their interval in the tooltip
    assert "alerts" in chart and "days" in chart  # the tooltip says numerator and denominator
    assert 'class="line dashed"' in chart  # the expectation is the dashed line
