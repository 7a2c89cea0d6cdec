"""What a user installs from a wheel carries every schema and every template file, dot-files included."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import PROJECT


def test_wheel_carries_schemas_and_the_whole_template(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "-w", str(tmp_path), str(PROJECT)], check=True, capture_output=True, cwd=tmp_path)
    [wheel] = tmp_path.glob("charter-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"charter/data/schemas/{p.name}" for p in (PROJECT / "schemas").glob("*.json")}
    template = PROJECT / "registry-template"
    expected |= {f"charter/data/registry-template/{p.relative_to(template).as_posix()}"
                 for p in template.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    report = PROJECT / "src/charter/report"
    expected |= {f"charter/report/{p.relative_to(report).as_posix()}"
                 for folder in ("templates", "assets") for p in (report / folder).iterdir()}
    assert expected - names == set()
    assert "charter/py.typed" in names
