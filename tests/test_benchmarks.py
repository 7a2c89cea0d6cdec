"""The benchmark's synthetic registries are valid, and the benchmark runs end to end at the small scale."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from charter.validation.runner import validate_registry

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
SMALL = {"models": 20, "versions_per_model": 3, "events": 6, "cohorts": 6, "contracts": 8, "evaluations": 5}


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def synth() -> ModuleType:
    return _load("synth")


def test_synthetic_registry_is_valid(synth: ModuleType, tmp_path: Path) -> None:
    root = tmp_path / "registry"
    summary = synth.build_registry(root, **SMALL, seed=7)

    report = validate_registry(root)

    assert [f.to_dict() for f in report.findings] == []
    expected_entries = (SMALL["models"] * (1 + SMALL["versions_per_model"]) + SMALL["events"] + SMALL["cohorts"]
                        + SMALL["contracts"] + SMALL["evaluations"] + len(synth.ENVIRONMENTS))
    assert summary["entries"] == expected_entries
    assert report.files_checked == expected_entries + 1  # and registry.yaml
    assert summary["counts"]["ModelVersion"] == SMALL["models"] * SMALL["versions_per_model"]
    assert summary["counts"]["Evaluation"] == SMALL["evaluations"]


def test_generator_is_deterministic(synth: ModuleType, tmp_path: Path) -> None:
    small = {**SMALL, "models": 4, "events": 3, "cohorts": 3, "contracts": 4, "evaluations": 2}
    first, second = tmp_path / "a", tmp_path / "b"
    synth.build_registry(first, **small, seed=3)
    synth.build_registry(second, **small, seed=3)

    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert all((first / f).read_bytes() == (second / f).read_bytes() for f in files)


def test_benchmark_runs_at_small_scale(tmp_path: Path) -> None:
    output = tmp_path / "results.json"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "bench_validate.py"), "--scale", "small", "--runs", "1",
         "--output", str(output), "--cache-dir", str(tmp_path / "cache"), "--quiet"],
        capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr
    data = json.loads(output.read_text(encoding="utf-8"))
    expected = {"help", "validate_one", "validate_one_edited", "validate_all", "validate_all_cold", "validate_base",
                "resolve", "history",
                "import_floor", "parse_one", "parse_all", "cjs_one", "cjs_all"}
    has_search = subprocess.run([sys.executable, "-m", "charter", "search", "--help"],
                                capture_output=True).returncode == 0
    assert set(data["operations"]) == expected | ({"search"} if has_search else set())
    assert ("search" in data["skipped"]) is not has_search
    for key, op in data["operations"].items():
        assert op["runs"] == 1, key
        assert op["median_s"] > 0 and all(t > 0 for t in op["times_s"]), key
        assert op["peak_rss_mib"] > 0, key
    assert {"validate_all/parse_all", "validate_all/cjs_all", "validate_one/cjs_one",
            "validate_one_edited/cjs_one"} <= set(data["ratios"])
    assert data["registry"]["files"] > 100
    assert data["registry"]["history"] == {"commits": 40, "promotions": 16}
    assert {"machine", "python", "date", "targets", "cache_fill"} <= set(data)
    assert data["targets"]["history seconds"]["limit"] == 1.0

    readme = tmp_path / "README.md"
    readme.write_text("# x\n\n<!-- bench-table -->\nold\n<!-- /bench-table -->\n\nafter\n", encoding="utf-8")
    _load("readme_table").main([str(output), "--readme", str(readme)])
    text = readme.read_text(encoding="utf-8")
    assert "old" not in text and text.endswith("<!-- /bench-table -->\n\nafter\n")
    assert "| charter validate, no cache |" in text and "| charter history environment:production |" in text


def test_benchmark_measures_only_what_is_asked(tmp_path: Path) -> None:
    def bench(*only: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(BENCHMARKS / "bench_validate.py"), "--scale", "small", "--runs", "2",
             "--output", str(tmp_path / "only.json"), "--cache-dir", str(tmp_path / "cache"), "--quiet",
             *(f"--only={key}" for key in only)],
            capture_output=True, text=True, timeout=300)

    result = bench("validate_one_edited", "cjs_one")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "only.json").read_text(encoding="utf-8"))
    assert set(data["operations"]) == {"validate_one_edited", "cjs_one", "validate_all"}
    assert data["operations"]["validate_one_edited"]["runs"] == 2
    assert "validate_one_edited/cjs_one" in data["ratios"]

    wrong = bench("validate_everything")
    assert wrong.returncode == 1 and "no operation validate_everything" in wrong.stderr


def test_evidence_numerics_benchmark_runs_at_small_scale(tmp_path: Path) -> None:
    output = tmp_path / "numerics.json"
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / "evidence_numerics.py"), "--rows", "5000", "--replicates", "50",
         "--output", str(output), "--quiet"],
        capture_output=True, text=True, timeout=300)

    assert result.returncode == 0, result.stderr
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["rows"] == 5000 and data["replicates"] == 50 and data["events"] > 0
    assert {"auroc_delong", "paired_auroc_delong", "average_precision_bootstrap", "calibration_slope",
            "calibration_errors", "paired_rate_differences", "reliability_bins"} <= set(data["operations"])
    for name, operation in data["operations"].items():
        assert operation["wall_s"] >= 0 and operation["cpu_s"] >= 0 and operation["peak_alloc_mib"] >= 0, name
    assert data["peak_rss_mib"] > 0


def test_evidence_read_benchmark_runs_at_small_scale(tmp_path: Path) -> None:
    output = tmp_path / "evidence.json"
    result = subprocess.run([sys.executable, str(BENCHMARKS / "evidence_read.py"), "--rows", "3000", "--runs", "1",
                             "--output", str(output)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    data = json.loads(output.read_text(encoding="utf-8"))
    assert set(data["results"]) == {"csv", "parquet"}
    for found in data["results"].values():
        assert found["first_read_s"] > 0 and found["second_read_s"] > 0 and found["peak_rss_mib"] > 0
        assert len(found["md5"]) == 32
    assert "| csv |" in result.stdout and "| parquet |" in result.stdout


def test_evidence_record_benchmark_runs_at_small_scale(tmp_path: Path) -> None:
    output = tmp_path / "record.json"
    result = subprocess.run([sys.executable, str(BENCHMARKS / "evidence_record.py"), "--rows", "3000",
                             "--output", str(output)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["settings"]["rows"] == 3000 and data["settings"]["subgroups"] == ["sex", "age_band", "site"]
    assert set(data["results"]) == {"record", "verify"}
    for found in data["results"].values():
        assert found["wall_s"] > 0 and found["cpu_s"] > 0 and found["peak_rss_mib"] > 0
        assert "15 s" in found["target"]
    assert "every figure is what its predictions give" in data["results"]["verify"]["output_tail"][0]
    assert "| charter evaluate record |" in result.stdout and "| charter evaluate verify |" in result.stdout


def test_mlflow_import_benchmark_runs_at_small_scale(tmp_path: Path) -> None:
    output = tmp_path / "import.json"
    result = subprocess.run([sys.executable, str(BENCHMARKS / "mlflow_import.py"), "--versions", "4",
                             "--output", str(output)], capture_output=True, text=True, timeout=900,
                            cwd=BENCHMARKS)
    assert result.returncode == 0, result.stderr
    data = json.loads(output.read_text(encoding="utf-8"))
    assert data["settings"]["versions"] == 4 and data["settings"]["commits_after"] > 4
    assert set(data["results"]) == {"import", "re-run"}
    for found in data["results"].values():
        assert found["wall_s"] > 0 and found["cpu_s"] > 0 and found["peak_rss_mib"] > 0
    assert "| import |" in result.stdout and "| re-run |" in result.stdout
