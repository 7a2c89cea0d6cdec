"""Rewrite the speed table in README.md from a benchmark results file, so the README shows what was measured.

    python benchmarks/readme_table.py [RESULTS_JSON] [--readme PATH]

The table sits between `<!-- bench-table -->` and `<!-- /bench-table -->`; everything else is left as it is.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
TIMES = "\u00d7"  # the multiplication sign the README uses for ratios
START, END = "<!-- bench-table -->", "<!-- /bench-table -->"

#: Rows in the order the README shows them, with the ratio columns that apply: (floor, check-jsonschema).
ROWS: tuple[tuple[str, str | None, str | None], ...] = (
    ("help", "import_floor", None),
    ("validate_one", "parse_one", "cjs_one"),
    ("validate_one_edited", "parse_one", "cjs_one"),
    ("validate_all", "parse_all", "cjs_all"),
    ("validate_all_cold", "parse_all", "cjs_all"),
    ("validate_base", "parse_all", "cjs_all"),
    ("resolve", None, None),
    ("history", None, None),
    ("search", None, None),
    ("import_floor", None, None),
    ("parse_one", None, None),
    ("parse_all", None, None),
    ("cjs_one", None, None),
    ("cjs_all", None, None),
)


def _target(key: str, targets: dict[str, Any]) -> str:
    parts = []
    for name, verdict in targets.items():
        op, what = name.split(" ", 1)
        if op != key:
            continue
        mark = "met" if verdict["met"] else "**not met**"
        shown = {"seconds": f"< {verdict['limit']:g} s", "peak_mib": f"< {verdict['limit']:g} MiB"}.get(
            what, f"\u2264 {verdict['limit']:g}{TIMES} {what}")
        parts.append(f"{shown}: {mark}")
    return "; ".join(parts)


def _times(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}{TIMES}"


def render(data: dict[str, Any]) -> str:
    ops, ratios, targets = data["operations"], data.get("ratios", {}), data.get("targets", {})
    registry, machine = data["registry"], data["machine"]
    history = registry.get("history") or {}
    lines = [
        START,
        f"Run of {data['date'][:10]} ({data['settings']['scale']} scale: {registry['files']:,} files, "
        f"{registry['bytes'] / 2**20:.1f} MiB of YAML, {history.get('commits', 1):,} commits of which "
        f"{history.get('promotions', 0):,} promotions; {machine.get('cpus')} cores shared with other work, load "
        f"{machine.get('load_average_at_start')}, so ±30%; medians of up to {data['settings']['runs']} runs, "
        "slow rows fewer, see `--budget`). Ratios are against the floor (bare C-loader parse; for `--help`, "
        "importing typer and rich) and against check-jsonschema, measured in the same run.",
        "",
        "| operation | median s | peak MiB | vs floor | vs check-jsonschema | target |",
        "|---|---|---|---|---|---|",
    ]
    for key, floor, peer in ROWS:
        if key not in ops:
            if key in data.get("skipped", {}):
                lines.append(f"| `charter search` | skipped: {data['skipped'][key]} | | | | < 0.5 s |")
            continue
        op = ops[key]
        floor_ratio = ratios.get(f"{key}/{floor}") if floor else None
        peer_ratio = ratios.get(f"{key}/{peer}") if peer else None
        lines.append(f"| {op['label']} | {op['median_s']:.3f} | {op['peak_rss_mib']:.0f} | "
                     f"{_times(floor_ratio)} | {_times(peer_ratio)} | {_target(key, targets)} |")
    fill = data.get("cache_fill")
    if fill:
        lines += ["", f"Filling the parse cache (the first `charter validate` after a clone, or after a Charter "
                      f"upgrade): {fill['seconds']:.1f} s, {fill['peak_rss_mib']:.0f} MiB."]
    lines.append(END)
    return "\n".join(lines)


def rewrite(readme: Path, data: dict[str, Any]) -> None:
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise SystemExit(f"{readme}: no {START} ... {END} block to rewrite")
    before, rest = text.split(START, 1)
    _, after = rest.split(END, 1)
    readme.write_text(before + render(data) + after, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite README.md's speed table from benchmark results.")
    parser.add_argument("results", nargs="?", type=Path, default=HERE / "results" / "latest.json")
    parser.add_argument("--readme", type=Path, default=HERE.parent / "README.md")
    args = parser.parse_args(argv)
    rewrite(args.readme, json.loads(args.results.read_text(encoding="utf-8")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
