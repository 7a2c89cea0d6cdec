"""Benchmark Charter on a synthetic registry, next to the reference points measured in the same run.

    python benchmarks/bench_validate.py [--scale small|full] [--runs N] [--output PATH] [--budget SECONDS]

Operations, each a fresh process (or, for check-jsonschema, one process per kind, summed):

- `charter --help`: start-up cost (next to the bare import of typer and rich, which it cannot go below);
- `charter validate ONE_FILE`: one model version, run from inside the registry, as it is in git (served by the
  parse cache), and just edited (a new comment before each run, so it is parsed and schema-checked: the
  pre-commit case);
- `charter validate`: the whole registry, with the parse cache in `.git/charter/` filled (the usual case: it is
  filled once, before the rounds), and `CHARTER_NO_CACHE=1 charter validate`: the same without the cache;
- `charter validate --base HEAD` with 10 entry files changed (metadata only, so still valid; restored after);
- `charter resolve MODEL --env production` and `charter history environment:production` (the registry has a git
  history of 5,000 commits, 2,000 of them promotions, at the full scale);
- `charter search QUERY`, when the installed charter has a `search` command (skipped, and said so, otherwise);
- reference: every entry file parsed with PyYAML's CSafeLoader and nothing else (the floor), and one file;
- reference: `check-jsonschema --schemafile <charter schema KIND>` over the files of each kind, and one file.

Wall time is the median over `--runs` runs (rounds go over all operations in turn, so drift hits all alike).
An operation whose runs add up past `--budget` seconds gets no further runs (at least one always): at the full
scale one whole-registry run takes minutes, and the budget keeps the benchmark near ten minutes; `--budget 0`
gives every operation all its runs. Peak RSS is the largest `ru_maxrss` of one run, read by a small launcher
with `wait4` on the process it forks (a process started directly from this one would report at least this
process's own peak, which Linux carries over across exec). The launcher's own size is the floor of what can be
seen; it is recorded as `rss_floor_mib`.

The registry is built by `benchmarks/synth.py` and cached in `benchmarks/.cache/` (rebuilt when the generator
or the parameters change). Results go to `benchmarks/results/latest.json`; with `--only OPERATION` (to measure a
few while working on them) to `benchmarks/results/only.json`, so the full results stay as they are.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
DEFAULT_CACHE = HERE / ".cache"
DEFAULT_OUTPUT = HERE / "results" / "latest.json"
CHANGED_FILES = 10
BIN = Path(sys.executable).parent

#: Forks the command, waits for it with wait4 and writes wall seconds, CPU seconds (user + system, all its threads)
#: and ru_maxrss (KiB) to the file in argv[1].
#: Run with `python -S`, so the launcher stays small: a child's ru_maxrss starts at its parent's size at fork.
LAUNCHER = """\
import os, sys, time
out, argv = sys.argv[1], sys.argv[2:]
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(out, "w") as fh:
    fh.write(f"{wall!r} {usage.ru_utime + usage.ru_stime!r} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""

#: The floor: read every file named in argv[1] (one per line) and parse it with the C loader, nothing else.
PARSE_ONLY = """\
import sys, yaml
loader = yaml.CSafeLoader
with open(sys.argv[1], encoding="utf-8") as listing:
    paths = listing.read().splitlines()
for path in paths:
    with open(path, "rb") as fh:
        yaml.load(fh, Loader=loader)
"""

#: Operation keys, in the order they run within a round, with the label the table shows.
OPERATIONS: dict[str, str] = {
    "help": "charter --help",
    "validate_one": "charter validate ONE_FILE",
    "validate_one_edited": "charter validate ONE_FILE, just edited",
    "validate_all": "charter validate",
    "validate_all_cold": "charter validate, no cache",
    "validate_base": f"charter validate --base HEAD ({CHANGED_FILES} files changed)",
    "resolve": "charter resolve MODEL --env production",
    "history": "charter history environment:production",
    "search": "charter search QUERY",
    "import_floor": "ref: python -c 'import typer, rich'",
    "parse_one": "ref: CSafeLoader parse, one file",
    "parse_all": "ref: CSafeLoader parse, all files",
    "cjs_one": "ref: check-jsonschema, one file",
    "cjs_all": "ref: check-jsonschema, all files",
}
#: (operation, what it is compared with): the ratios reported in the table and in the JSON.
RATIOS = (
    ("help", "import_floor"),
    ("validate_all", "parse_all"), ("validate_all", "cjs_all"),
    ("validate_all_cold", "parse_all"), ("validate_all_cold", "cjs_all"),
    ("validate_one", "parse_one"), ("validate_one", "cjs_one"),
    ("validate_one_edited", "parse_one"), ("validate_one_edited", "cjs_one"),
    ("validate_base", "parse_all"), ("validate_base", "cjs_all"),
)
#: Issue 6's targets: seconds (median) and, where a peer exists, the largest ratio allowed.
TARGETS: dict[str, dict[str, float]] = {
    "help": {"seconds": 0.15},
    "validate_one": {"seconds": 0.3, "cjs_one": 0.5},
    "validate_one_edited": {"seconds": 0.3, "cjs_one": 0.5},
    "validate_all": {"parse_all": 3.0, "cjs_all": 0.5, "peak_mib": 300},
    "validate_base": {"seconds": 0.5},
    "resolve": {"seconds": 0.2},
    "history": {"seconds": 1.0},
    "search": {"seconds": 0.5},
}


class BenchError(Exception):
    """Something that makes the numbers meaningless (a command failed, charter reported errors)."""


def load_synth() -> ModuleType:
    spec = importlib.util.spec_from_file_location("charter_bench_synth", HERE / "synth.py")
    if spec is None or spec.loader is None:  # pragma: no cover - the file is next to this one
        raise BenchError("cannot load benchmarks/synth.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is created
    spec.loader.exec_module(module)
    return module


def child_environment() -> dict[str, str]:
    """No git variables (they would point git at another repository) and plain, fixed-width output.

    PYTHONDONTWRITEBYTECODE is dropped: with it (some sandboxes and CI images set it) every run compiles Charter's
    modules from source again, 40 ms that an installed Charter pays once.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(NO_COLOR="1", COLUMNS="120")
    return env


def tool(name: str) -> str:
    """An executable of this interpreter's environment (the venv), else from PATH."""
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise BenchError(f"{name} is not installed (pip install -e '.[dev]')")
    return found


# --- measuring -------------------------------------------------------------------------------------------------


@dataclass
class Command:
    argv: list[str]
    cwd: Path
    env: dict[str, str] = field(default_factory=dict)  # added to the benchmark's environment


@dataclass
class Sample:
    seconds: float
    peak_kib: int


def measure(command: Command, env: dict[str, str], scratch: Path) -> tuple[Sample, int, str]:
    """Run one command under the launcher: its wall time, peak RSS, exit code and output."""
    result_file = scratch / "launcher.out"
    result_file.unlink(missing_ok=True)
    with tempfile.TemporaryFile(dir=scratch) as output:
        code = subprocess.call([sys.executable, "-S", "-c", LAUNCHER, str(result_file), *command.argv],
                               cwd=command.cwd, env={**env, **command.env}, stdout=output, stderr=subprocess.STDOUT)
        output.seek(0)
        text = output.read().decode("utf-8", "replace")
    try:
        wall, _cpu, rss = result_file.read_text().split()
    except (OSError, ValueError) as exc:
        raise BenchError(f"launcher failed for {command.argv[:3]}: {text[-2000:]}") from exc
    return Sample(float(wall), int(rss)), code, text


@dataclass
class Operation:
    key: str
    label: str
    commands: list[Command]
    display: str
    before: Callable[[], None] | None = None
    after: Callable[[], None] | None = None
    samples: list[Sample] = field(default_factory=list)

    def run(self, env: dict[str, str], scratch: Path) -> Sample:
        if self.before:
            self.before()
        try:
            total, peak = 0.0, 0
            for command in self.commands:
                sample, code, text = measure(command, env, scratch)
                if code != 0:
                    raise BenchError(f"{self.label}: `{' '.join(command.argv[:4])} ...` exited {code}:\n"
                                     f"{text[-4000:]}")
                total += sample.seconds
                peak = max(peak, sample.peak_kib)
        finally:
            if self.after:
                self.after()
        return Sample(total, peak)

    @property
    def spent(self) -> float:
        return sum(s.seconds for s in self.samples)

    def summary(self) -> dict[str, Any]:
        times = [s.seconds for s in self.samples]
        return {
            "label": self.label, "command": self.display, "processes": len(self.commands), "runs": len(times),
            "times_s": [round(t, 4) for t in times], "median_s": round(statistics.median(times), 4),
            "min_s": round(min(times), 4), "max_s": round(max(times), 4),
            "peak_rss_mib": round(max(s.peak_kib for s in self.samples) / 1024, 1),
        }


def run_rounds(operations: list[Operation], runs: int, budget: float, env: dict[str, str], scratch: Path,
               log: Callable[[str], None]) -> None:
    """Round-robin over the operations; an operation stops once another run would take it past the budget."""
    for round_no in range(1, runs + 1):
        for op in operations:
            if op.samples and budget > 0 and op.spent + op.spent / len(op.samples) > budget:
                continue
            sample = op.run(env, scratch)
            op.samples.append(sample)
            log(f"  round {round_no}/{runs}  {op.label:<50} {sample.seconds:9.3f} s  "
                f"{sample.peak_kib / 1024:8.1f} MiB")


# --- the registry ----------------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, env=child_environment(), check=True, capture_output=True,
                          text=True).stdout


def prepare_registry(cache: Path, scale: str, seed: int, rebuild: bool, log: Callable[[str], None]) -> tuple[
        Path, dict[str, Any]]:
    """The cached registry for this scale and seed, rebuilt when missing, stale, or left modified."""
    synth = load_synth()
    params = synth.SCALES[scale]
    fingerprint = hashlib.sha256((HERE / "synth.py").read_bytes()).hexdigest()
    home = cache / f"{scale}-seed{seed}"
    root, meta_file = home / "registry", home / "meta.json"
    if not rebuild and meta_file.is_file() and (root / ".git").is_dir():
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        if meta.get("fingerprint") == fingerprint and meta.get("params") == params:
            if not _git(root, "status", "--porcelain").strip():
                log(f"reusing {root}")
                return root, meta["summary"]
            log(f"{root} has uncommitted changes: rebuilding it")
    if home.exists():
        shutil.rmtree(home)
    log(f"building the {scale} registry in {root} ...")
    started = time.perf_counter()
    summary = synth.build_registry(root, **params, seed=seed, git=True, history=synth.HISTORY[scale])
    summary["build_s"] = round(time.perf_counter() - started, 1)
    meta_file.write_text(json.dumps({"fingerprint": fingerprint, "params": params, "summary": summary}, indent=2),
                         encoding="utf-8")
    log(f"built {summary['files']} files ({summary['bytes'] / 2**20:.1f} MiB) in {summary['build_s']} s")
    return root, summary


def entry_files(root: Path) -> dict[str, list[str]]:
    """Registry-relative files charter validate reads (the same discovery), grouped by kind."""
    from charter.registry.kinds import REGISTRY_FILE, REGISTRY_KIND, locate_path
    from charter.store.loader import discover_files

    groups: dict[str, list[str]] = {}
    if (root / REGISTRY_FILE).is_file():
        groups[REGISTRY_KIND.name] = [REGISTRY_FILE]
    for relpath in discover_files(root):
        location = locate_path(relpath)
        if location is None:
            raise BenchError(f"{relpath} is not at an entry location: fix the generator")
        groups.setdefault(location.kind.name, []).append(relpath)
    return groups


def pick_changes(groups: dict[str, list[str]], count: int) -> list[str]:
    """Files to edit for the --base case: spread over kinds (mostly model versions), evenly within each."""
    plan = (("ModelVersion", 4), ("Contract", 2), ("Evaluation", 2), ("Cohort", 1), ("EventDefinition", 1))
    chosen: list[str] = []
    for kind, wanted in plan:
        files = groups.get(kind, [])
        step = max(1, len(files) // (wanted + 1))
        chosen.extend(files[step * (i + 1)] for i in range(wanted) if step * (i + 1) < len(files))
    leftovers = [f for f in groups.get("ModelVersion", []) if f not in chosen]
    chosen.extend(leftovers[: count - len(chosen)])
    return chosen[:count]


@contextmanager
def changed_files(root: Path, relpaths: list[str]) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """Functions that edit the files' metadata (a valid change) and undo it; the originals always come back."""
    originals = {p: (root / p).read_bytes() for p in relpaths}
    edited: dict[str, bytes] = {}
    for relpath, raw in originals.items():
        text = raw.decode("utf-8")
        first, _, rest = text.partition("\n")
        comment = first + "\n" if first.startswith("#") else ""
        data = yaml.load(rest if comment else text, Loader=yaml.CSafeLoader)
        data["metadata"]["description"] += " Edited in review: wording only."
        data["metadata"]["tags"] = [*data["metadata"].get("tags", []), "reviewed"]
        edited[relpath] = (comment + yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True,
                                               default_flow_style=False, width=110)).encode("utf-8")

    def apply() -> None:
        for relpath, raw in edited.items():
            (root / relpath).write_bytes(raw)

    def restore() -> None:
        for relpath, raw in originals.items():
            (root / relpath).write_bytes(raw)

    try:
        yield apply, restore
    finally:
        restore()


@contextmanager
def edited_each_run(root: Path, relpath: str) -> Iterator[tuple[Callable[[], None], Callable[[], None]]]:
    """Functions that give the file new content before each run (so no cache has seen it, as in a pre-commit hook
    after an edit) and put the original back after it."""
    original = (root / relpath).read_bytes()
    runs = itertools.count(1)

    def edit() -> None:
        text = original.decode("utf-8")
        (root / relpath).write_text(text.replace("\nmetadata:\n", f"\nmetadata:\n  # edit {next(runs)}\n", 1),
                                    encoding="utf-8")

    def restore() -> None:
        (root / relpath).write_bytes(original)

    try:
        yield edit, restore
    finally:
        restore()


def bundled_schemas(kinds: list[str], folder: Path, env: dict[str, str]) -> dict[str, Path]:
    """`charter schema KIND` for each kind, as files check-jsonschema can read."""
    folder.mkdir(parents=True, exist_ok=True)
    found: dict[str, Path] = {}
    for kind in kinds:
        text = subprocess.run([tool("charter"), "schema", kind], env=env, check=True, capture_output=True,
                              text=True).stdout
        path = folder / f"{kind.lower()}.json"
        path.write_text(text, encoding="utf-8")
        found[kind] = path
    return found


def batches(files: list[str], limit: int = 500_000) -> Iterator[list[str]]:
    """Argument lists that stay well under the kernel's limit on a command line."""
    batch: list[str] = []
    size = 0
    for name in files:
        if batch and size + len(name) + 1 > limit:
            yield batch
            batch, size = [], 0
        batch.append(name)
        size += len(name) + 1
    if batch:
        yield batch


# --- reporting -------------------------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    memory_gib = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory_gib = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    return {"system": platform.system(), "release": platform.release(), "machine": platform.machine(),
            "cpu": cpu, "cpus": os.cpu_count(), "memory_gib": memory_gib, "hostname": platform.node(),
            "load_average": _load_average()}


def _load_average() -> list[float] | None:
    """Other work on the machine skews wall times; the 1/5/15-minute load says how much there was."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def versions() -> dict[str, Any]:
    found: dict[str, Any] = {"libyaml": yaml.__with_libyaml__}
    for dist in ("charter", "PyYAML", "jsonschema", "check-jsonschema", "ruamel.yaml", "ruamel.yaml.clib"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    found["git"] = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    found["charter_source"] = _source_state()
    return found


def _source_state() -> dict[str, Any] | None:
    """The commit of the charter being measured, and whether its source had uncommitted changes."""
    project = HERE.parent
    try:
        commit = _git(project, "rev-parse", "HEAD").strip()
        dirty = [line[3:] for line in _git(project, "status", "--porcelain", "--", "src").splitlines()]
    except (OSError, subprocess.CalledProcessError):
        return None
    return {"commit": commit, "uncommitted": dirty}


def ratios(results: dict[str, dict[str, Any]]) -> dict[str, float]:
    return {f"{a}/{b}": round(results[a]["median_s"] / results[b]["median_s"], 2)
            for a, b in RATIOS if a in results and b in results and results[b]["median_s"] > 0}


def print_table(results: dict[str, dict[str, Any]], found: dict[str, float], title: str) -> None:
    def ratio(key: str, against: str) -> str:
        value = found.get(f"{key}/{against}")
        return "" if value is None else f"{value:.2f}x"

    rows = []
    for key, op in results.items():
        parse_ref = "parse_one" if key.startswith("validate_one") else "import_floor" if key == "help" else "parse_all"
        cjs_ref = "cjs_one" if key.startswith("validate_one") else "cjs_all"
        rows.append((op["label"], str(op["runs"]), f"{op['median_s']:.3f}", f"{op['peak_rss_mib']:.1f}",
                     ratio(key, parse_ref), ratio(key, cjs_ref)))
    headers = ("operation", "runs", "median s", "peak MiB", "vs floor (parse, import)", "vs check-jsonschema")
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        print(title)
        print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
        for row in rows:
            print("  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                            for i, (c, w) in enumerate(zip(row, widths, strict=True))))
        return
    table = Table(title=title)
    for i, header in enumerate(headers):
        table.add_column(header, justify="left" if i == 0 else "right")
    for row in rows:
        table.add_row(*row)
    Console(width=140).print(table)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    partial.replace(path)


# --- main ------------------------------------------------------------------------------------------------------


def production_model(root: Path) -> str:
    """A model assigned in production (the `resolve` benchmark's argument)."""
    data = yaml.load((root / "environments" / "production.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return str(data["spec"]["assignments"][0]["model"]).split("@")[0].removeprefix("model:")


def has_command(name: str, env: dict[str, str]) -> bool:
    """Whether the installed charter has this command (`search` comes from another piece of work)."""
    return subprocess.run([tool("charter"), name, "--help"], env=env, capture_output=True).returncode == 0


def build_operations(root: Path, groups: dict[str, list[str]], one_file: str, schemas: dict[str, Path],
                     listing_all: Path, listing_one: Path, apply_changes: Callable[[], None],
                     restore: Callable[[], None], edit_one: tuple[Callable[[], None], Callable[[], None]], *,
                     search: bool) -> list[Operation]:
    charter, cjs, python = tool("charter"), tool("check-jsonschema"), sys.executable
    one_kind = next(kind for kind, files in groups.items() if one_file in files)
    cjs_all = [Command([cjs, "--schemafile", str(schemas[kind]), *batch], root)
               for kind, files in groups.items() for batch in batches(files)]
    kinds = len(groups)
    model = production_model(root)
    ops = [
        Operation("help", OPERATIONS["help"], [Command([charter, "--help"], root)], "charter --help"),
        Operation("validate_one", OPERATIONS["validate_one"], [Command([charter, "validate", one_file], root)],
                  f"charter validate {one_file}"),
        Operation("validate_one_edited", OPERATIONS["validate_one_edited"],
                  [Command([charter, "validate", one_file], root)],
                  f"charter validate {one_file} (a new comment in it before each run)",
                  before=edit_one[0], after=edit_one[1]),
        Operation("validate_all", OPERATIONS["validate_all"], [Command([charter, "validate"], root)],
                  "charter validate"),
        Operation("validate_all_cold", OPERATIONS["validate_all_cold"],
                  [Command([charter, "validate"], root, {"CHARTER_NO_CACHE": "1"})],
                  "CHARTER_NO_CACHE=1 charter validate"),
        Operation("validate_base", OPERATIONS["validate_base"],
                  [Command([charter, "validate", "--base", "HEAD"], root)], "charter validate --base HEAD",
                  before=apply_changes, after=restore),
        Operation("resolve", OPERATIONS["resolve"], [Command([charter, "resolve", model, "--env", "production"], root)],
                  f"charter resolve {model} --env production"),
        Operation("history", OPERATIONS["history"], [Command([charter, "history", "environment:production"], root)],
                  "charter history environment:production"),
        Operation("import_floor", OPERATIONS["import_floor"],
                  [Command([python, "-c", "import typer, rich.console, rich.table"], root)],
                  "python -c 'import typer, rich.console, rich.table'"),
        Operation("parse_one", OPERATIONS["parse_one"], [Command([python, "-c", PARSE_ONLY, str(listing_one)], root)],
                  f"python -c <yaml.load CSafeLoader> ({one_file})"),
        Operation("parse_all", OPERATIONS["parse_all"], [Command([python, "-c", PARSE_ONLY, str(listing_all)], root)],
                  "python -c <yaml.load CSafeLoader> (every file)"),
        Operation("cjs_one", OPERATIONS["cjs_one"],
                  [Command([cjs, "--schemafile", str(schemas[one_kind]), one_file], root)],
                  f"check-jsonschema --schemafile {schemas[one_kind].name} {one_file}"),
        Operation("cjs_all", f"{OPERATIONS['cjs_all']} ({kinds} kinds)", cjs_all,
                  f"check-jsonschema --schemafile <KIND.json> <files of KIND>, for {kinds} kinds, summed"),
    ]
    if search:
        ops.insert(8, Operation("search", OPERATIONS["search"], [Command([charter, "search", "sepsis"], root)],
                                "charter search sepsis"))
    return ops


def verdicts(results: dict[str, dict[str, Any]], found: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Each target of issue 6 next to what was measured: met or not."""
    checked: dict[str, dict[str, Any]] = {}
    for key, limits in TARGETS.items():
        if key not in results:
            continue
        for what, limit in limits.items():
            if what == "seconds":
                value = results[key]["median_s"]
            elif what == "peak_mib":
                value = results[key]["peak_rss_mib"]
            elif f"{key}/{what}" in found:
                value = found[f"{key}/{what}"]
            else:
                continue
            checked[f"{key} {what}"] = {"limit": limit, "measured": value, "met": value <= limit}
    return checked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark charter validate against reference points.")
    parser.add_argument("--scale", choices=("small", "full"), default="full", help="registry size (default: full)")
    parser.add_argument("--runs", type=int, default=5, help="runs per operation, median reported (default: 5)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="seconds per operation after which no further runs start (0: no limit; default: 60)")
    parser.add_argument("--output", type=Path, help=f"JSON results (default: {DEFAULT_OUTPUT}, with --only "
                                                    f"{DEFAULT_OUTPUT.with_name('only.json')})")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE, help="where generated registries are kept")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (default: 0)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate the registry even if cached")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument("--only", action="append", metavar="OPERATION",
                        help="measure only this operation (repeatable; validate_all always runs, it fills the cache)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.output is None:
        args.output = DEFAULT_OUTPUT.with_name("only.json") if args.only else DEFAULT_OUTPUT

    def log(message: str) -> None:
        if not args.quiet:
            print(message, file=sys.stderr, flush=True)

    try:
        return _run(args, log)
    except BenchError as exc:
        print(f"bench_validate: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace, log: Callable[[str], None]) -> int:
    started = datetime.now(UTC)
    load_before = _load_average()
    cache = args.cache_dir.resolve()
    root, summary = prepare_registry(cache, args.scale, args.seed, args.rebuild, log)
    env = child_environment()
    groups = entry_files(root)
    one_file = summary.get("samples", {}).get("model_version") or groups["ModelVersion"][0]
    work = cache / "work"
    work.mkdir(parents=True, exist_ok=True)
    listing_all, listing_one = work / "all-files.txt", work / "one-file.txt"
    listing_all.write_text("\n".join(f for files in groups.values() for f in files) + "\n", encoding="utf-8")
    listing_one.write_text(one_file + "\n", encoding="utf-8")
    schemas = bundled_schemas(sorted(groups), work / "schemas", env)
    to_change = pick_changes(groups, CHANGED_FILES)

    with changed_files(root, to_change) as (apply_changes, restore), edited_each_run(root, one_file) as edit_one, \
            tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        apply_changes()
        changed = [line for line in _git(root, "status", "--porcelain").splitlines() if line.strip()]
        restore()
        if len(changed) != len(to_change):
            raise BenchError(f"expected {len(to_change)} changed files, git sees {len(changed)}: {changed}")
        search = has_command("search", env)
        if not search:
            log("charter has no `search` command here: the search benchmark is skipped")
        ops = build_operations(root, groups, one_file, schemas, listing_all, listing_one, apply_changes, restore,
                               edit_one, search=search)
        if args.only:
            unknown = set(args.only) - {op.key for op in ops}
            if unknown:
                raise BenchError(f"--only: no operation {', '.join(sorted(unknown))}; "
                                 f"choose from {', '.join(op.key for op in ops)}")
            ops = [op for op in ops if op.key in {*args.only, "validate_all"}]  # the fill needs validate_all

        floor, _, _ = measure(Command(["true"], root), env, scratch)
        log(f"launcher RSS floor {floor.peak_kib / 1024:.1f} MiB; warming up (page cache, bytecode) ...")
        for files in groups.values():  # every run then reads from the page cache, the first one included
            for relpath in files:
                (root / relpath).read_bytes()
        for op in ops:
            if op.key in ("help", "parse_one", "cjs_one"):
                op.run(env, scratch)
        shutil.rmtree(root / ".git" / "charter", ignore_errors=True)  # the fill starts from no cache at all
        fill = next(op for op in ops if op.key == "validate_all").run(env, scratch)  # fills the parse cache
        log(f"parse cache filled by a first `charter validate`: {fill.seconds:.1f} s, "
            f"{fill.peak_kib / 1024:.0f} MiB")
        log(f"measuring {len(ops)} operations, up to {args.runs} runs each"
            + (f", {args.budget:g} s budget per operation" if args.budget > 0 else ""))
        run_rounds(ops, args.runs, args.budget, env, scratch, log)

    if _git(root, "status", "--porcelain").strip():
        raise BenchError(f"{root} was left modified")
    results = {op.key: op.summary() for op in ops}
    found = ratios(results)
    skipped = {} if any(op.key == "search" for op in ops) else {
        "search": "the installed charter has no `search` command"}
    report = {
        "benchmark": "charter",
        "date": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started).total_seconds(), 1),
        "machine": {**machine_info(), "load_average_at_start": load_before},
        "python": {"version": platform.python_version(), "implementation": platform.python_implementation(),
                   "executable": sys.executable},
        "versions": versions(),
        "settings": {"scale": args.scale, "seed": args.seed, "runs": args.runs, "budget_s": args.budget,
                     "rss_method": "wait4 ru_maxrss from a fork of a small launcher (python -S)",
                     "rss_floor_mib": round(floor.peak_kib / 1024, 1), "changed_files": to_change},
        "registry": {"path": str(root), "files": summary["files"], "entries": summary["entries"],
                     "bytes": summary["bytes"], "counts": summary["counts"], "params": summary["params"],
                     "one_file": one_file, "commit": summary.get("commit"), "history": summary.get("history")},
        "operations": results,
        "ratios": found,
        "targets": verdicts(results, found),
        "skipped": skipped,
        "cache_fill": {"seconds": round(fill.seconds, 3), "peak_rss_mib": round(fill.peak_kib / 1024, 1)},
    }
    write_json(args.output, report)
    counts = summary["counts"]
    title = (f"charter validate, {args.scale} registry: {summary['files']} files, "
             f"{summary['bytes'] / 2**20:.1f} MiB, {counts.get('ModelVersion', 0)} model versions")
    print_table(results, found, title)
    log(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
