"""Hostile inputs for Charter, as a table: what is done to a registry, the command run, and what must come out.

Shared by tests/test_hostile_input.py (which asserts the outcomes) and tests/security_table.py (which runs the
same table and writes docs/security.md), so the published table is what the suite checked.

Every case runs the installed console script in a child process whose address space is capped (RLIMIT_AS) and
whose run time is bounded by a timeout: the timeout is a hang guard, not a timing assertion.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

#: Address space of the child: a hostile file that made Charter allocate without bound fails here.
MEMORY_LIMIT = 1536 * 1024 * 1024
#: Hang guard for one command.
TIMEOUT = 120

ENTRY = "models/card-fraud/versions/9.9.9.yaml"
#: A secret outside the registry; no case may ever print it.
SECRET = "S3CRET-OUTSIDE-THE-REGISTRY-7f3a"


def _write(relpath: str, content: bytes | str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)

    return setup


def _version_doc(extra: str = "", description: str = "hostile") -> str:
    """A valid draft model version; `extra` goes at the end, inside `spec`."""
    return (
        "apiVersion: charter/v1\nkind: ModelVersion\nmetadata:\n  name: card-fraud\n  version: 9.9.9\n"
        f"  owner: team-payments-risk\n  description: {description}\n  status: draft\nspec:\n"
        "  artifact: {path: artifacts/card-fraud/9.9.9/model.onnx, hash: 0123456789abcdef0123456789abcdef,"
        " size: 1, format: onnx}\n"
        "  labelEvent: event:chargeback-fraud@1.0.0\n  contract: contract:card-fraud-scoring@1.0.0\n"
        "  trainingCohorts: [cohort:card-transactions-train@1.0.0]\n"
        "  provenance: {codeRepo: https://git.example.org/fraud, commit: 0dba23501ccb3135faafda341efdcf5fbd04f756,"
        " dirty: false, environment: {python: '3.12.7'}}\n" + extra
    )


#: The line of a case's first extra line, and the next one.
EXTRA = _version_doc().count("\n") + 1
NEXT = EXTRA + 1


def _billion_laughs() -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    return "\n".join(lines) + "\n"


def _outside(root: Path) -> Path:
    """A folder beside the registry holding a file with the secret."""
    outside = root.parent / "outside"
    outside.mkdir(exist_ok=True)
    (outside / "secret.yaml").write_text(f"apiVersion: charter/v1\nkind: Model\nmetadata:\n  name: {SECRET}\n")
    return outside


def _symlink(relpath: str, target: Callable[[Path], Path]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        link = root / relpath
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.exists() or link.is_symlink():
            if link.is_dir() and not link.is_symlink():
                import shutil

                shutil.rmtree(link)
            else:
                link.unlink()
        link.symlink_to(target(root))

    return setup


def _copy(source: str, destination: str) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        (root / destination).parent.mkdir(parents=True, exist_ok=True)
        (root / destination).write_bytes((root / source).read_bytes())

    return setup


def _make_outside(root: Path) -> None:
    _outside(root)


def _nothing(root: Path) -> None:
    return None


@dataclass(frozen=True)
class Case:
    """One hostile input: `setup` changes the registry, `args` is the command, the rest is what must come out."""

    id: str
    what: str
    setup: Callable[[Path], None]
    exits: tuple[int, ...]
    #: Text that must appear in the output (a finding code and the place, or the error's words).
    expect: tuple[str, ...]
    args: tuple[str, ...] = ("validate",)
    group: str = "file content"
    #: Files (relative to the registry's parent folder) that must not exist afterwards (injection markers).
    absent: tuple[str, ...] = field(default_factory=tuple)


V = ENTRY
CASES: tuple[Case, ...] = (
    # --- file content ---------------------------------------------------------------------------------------
    Case("billion-laughs", "YAML alias bomb (10^9 expansions)", _write(V, _billion_laughs()), (1,),
         ("CH103", f"{V}:", "alias bomb")),
    Case("deep-flow-nesting", "50,000 nested flow lists `[[[...]]]`", _write(V, "a: " + "[" * 50_000 + "]" * 50_000),
         (1,), ("CH101", f"{V}:1:", "nesting depth")),
    Case("deep-block-nesting", "900 nested block mappings",
         _write(V, "".join(" " * i + "a:\n" for i in range(900)) + " " * 900 + "a: 1\n"), (1,),
         ("CH103", f"{V}:202:", "nested deeper")),
    Case("deep-flow-mappings", "900 nested flow mappings `{a: {a: ...}}`",
         _write(V, "a: " + "{a: " * 900 + "1" + "}" * 900 + "\n"), (1,), ("CH103", f"{V}:1:", "nested deeper")),
    Case("huge-file", "a 50 MB file", _write(V, _version_doc() + "# " + "x" * 50_000_000 + "\n"), (1,),
         ("CH106", f"{V}:1:1")),
    Case("binary", "a binary file (NUL bytes)", _write(V, b"\x00\x01\x02ELF\xff" * 100), (1,), ("CH100", f"{V}:1:1")),
    Case("latin-1", "a Latin-1 (non-UTF-8) file", _write(V, _version_doc(description="caf\xe9").encode("latin-1")),
         (1,), ("CH100", f"{V}:7:", "not valid UTF-8")),
    Case("bom", "a UTF-8 byte order mark", _write(V, "\ufeff" + _version_doc()), (0,), ("files valid",)),
    Case("crlf", "Windows line endings (CRLF)", _write(V, _version_doc().replace("\n", "\r\n")), (0,),
         ("files valid",)),
    Case("tabs", "tab indentation", _write(V, _version_doc().replace("  name:", "\tname:")), (1,),
         ("CH101", f"{V}:4:")),
    Case("empty", "an empty file", _write(V, ""), (1,), ("CH104", f"{V}:1:1")),
    Case("comments-only", "a file of comments only", _write(V, "# nothing\n# here\n"), (1,), ("CH104", f"{V}:1:1")),
    Case("list-document", "a document that is a list", _write(V, "- a\n- b\n"), (1,), ("CH104", "a list")),
    Case("null-document", "a document that is `null`", _write(V, "null\n"), (1,), ("CH104", f"{V}:1:1", "null")),
    Case("scalar-document", "a document that is a scalar", _write(V, "just text\n"), (1,), ("CH104", "a string")),
    Case("multi-document", "two YAML documents in one file", _write(V, _version_doc() + "---\n" + _version_doc()),
         (1,), ("CH103", f"{V}:", "more than one YAML document")),
    Case("python-object-tag", "`!!python/object/apply:os.system` tag",
         _write(V, _version_doc() + "  notes: !!python/object/apply:os.system ['touch ../pwned-tag']\n"), (1,),
         ("CH103", f"{V}:{EXTRA}:", "custom tag"), absent=("pwned-tag",)),
    Case("custom-tag", "a local tag `!include /etc/passwd`",
         _write(V, _version_doc() + "  notes: !include /etc/passwd\n"),
         (1,), ("CH103", f"{V}:{EXTRA}:", "custom tag")),
    Case("merge-key", "a merge key `<<: *base`",
         _write(V, "base: &base {a: 1}\n" + _version_doc() + "  extra:\n    <<: *base\n"), (1,),
         ("CH103", "merge keys")),
    Case("int-key", "a key that is a number", _write(V, _version_doc() + "  metrics:\n    1: 0.5\n"), (1,),
         ("CH103", f"{V}:{NEXT}:", "not a string")),
    Case("complex-key", "a key that is a list", _write(V, _version_doc() + "  metrics:\n    ? [a, b]\n    : 1\n"),
         (1,), ("CH103", f"{V}:{NEXT}:", "not a string")),
    Case("null-key", "a key that is null", _write(V, _version_doc() + "  metrics:\n    ~: 1\n"), (1,),
         ("CH103", "not a string")),
    Case("duplicate-key", "a duplicate key", _write(V, _version_doc() + "  notes: a\n  notes: b\n"), (1,),
         ("CH102", f"{V}:{NEXT}:")),
    Case("nan", "NaN as a value", _write(V, _version_doc() + "  metrics:\n    auc: .nan\n"), (1,),
         ("CH103", f"{V}:{NEXT}:", "NaN")),
    Case("infinity", "-Infinity as a value", _write(V, _version_doc() + "  metrics:\n    auc: -.inf\n"), (1,),
         ("CH103", f"{V}:{NEXT}:", "infinity")),
    Case("long-string", "a 4 MB description (accepted: within the file bound)",
         _write(V, _version_doc(description="x" * 4_000_000)), (0,), ("files valid",)),
    Case("long-name", "a 1 MB name", _write(V, _version_doc().replace("name: card-fraud", "name: " + "a" * 1_000_000)),
         (1,), ("CH204", f"{V}:4:")),
    Case("long-number", "a 100,000-digit integer", _write(V, _version_doc() + "  metrics:\n    auc: " + "9" * 100_000
                                                          + "\n"), (1,),
         ("CH103", f"{V}:{NEXT}:", "digits is too long")),
    Case("long-float", "a float with a 100,000-digit exponent",
         _write(V, _version_doc() + "  metrics:\n    auc: 1.0e+" + "9" * 100_000 + "\n"), (1,),
         ("CH103", f"{V}:{NEXT}:", "infinity")),
    Case("long-key", "a 1 MB key", _write(V, _version_doc() + "  " + "k" * 1_000_000 + ": 1\n"), (1,),
         ("CH101", f"{V}:{EXTRA}:", "simple key")),
    Case("surrogate", "a lone UTF-16 surrogate escape `\"\\ud800\"`", _write(V, _version_doc(description='"\\ud800"')),
         (1,), ("CH101", f"{V}:7:", "invalid Unicode")),
    Case("terminal-escape", "ANSI escape sequences in a value",
         _write(V, _version_doc() + '  notes: 1\n  evil: "\\e]0;pwned\\a\\e[2J"\n'), (1,), ("CH201", f"{V}:{NEXT}:")),
    Case("hostile-registry-yaml", "registry.yaml is an alias bomb", _write("registry.yaml", _billion_laughs()), (1,),
         ("CH103", "registry.yaml:")),
    # --- names and paths -------------------------------------------------------------------------------------
    Case("symlink-file", "an entry that is a symlink to a file outside the registry",
         _symlink(V, lambda root: _outside(root) / "secret.yaml"), (1,), ("CH105", f"{V}:1:1"), group="paths"),
    Case("symlink-folder", "an entry folder that is a symlink outside the registry",
         _symlink("models/evil", _outside), (1,), ("CH105", "models/evil:1:1"), group="paths"),
    Case("symlink-top-folder", "a whole entry folder (`cohorts/`) that is a symlink",
         _symlink("cohorts", _outside), (1,), ("CH105", "cohorts:1:1"), group="paths"),
    Case("symlink-registry-yaml", "registry.yaml is a symlink to a file outside",
         _symlink("registry.yaml", lambda root: _outside(root) / "secret.yaml"), (1,), ("CH105", "registry.yaml:1:1"),
         group="paths"),
    Case("dotdot-argument", "`validate ../outside/secret.yaml`", _make_outside, (2,),
         ("outside the registry",), args=("validate", "../outside/secret.yaml"), group="paths"),
    Case("absolute-argument", "`validate /etc/passwd`", _nothing, (2,), ("outside the registry",),
         args=("validate", "/etc/passwd"), group="paths"),
    Case("dotdot-reference", "a reference `model:../../etc@1.0.0`",
         _write(V, _version_doc() + "  parent: model:../../etc@1.0.0\n"), (1,), ("CH204", f"{V}:{EXTRA}:"),
         group="paths"),
    Case("dotdot-name", "a name `../../etc` in metadata", _write(V, _version_doc().replace("name: card-fraud",
                                                                                           "name: ../../etc")),
         (1,), ("CH204", f"{V}:4:"), group="paths"),
    Case("option-base", "`validate --base=--output=x` (git option injection)", _nothing, (2,),
         ("is not a revision",), args=("validate", "--base=--output=../pwned-base"), group="paths",
         absent=("pwned-base",)),
    Case("option-gate", "`gate --base=--upload-pack=...`", _nothing, (2,), ("is not a revision",),
         args=("gate", "--base=--upload-pack=touch ../pwned-gate"), group="paths", absent=("pwned-gate",)),
    Case("option-promote", "`promote 'model:-rf@1.0.0'`", _nothing, (2,), ("not a model version",),
         args=("promote", "model:-rf@1.0.0", "--to", "production"), group="paths"),
    Case("dotdot-environment", "`promote ... --to ../registry`", _nothing, (2,), ("environment",),
         args=("promote", "model:card-fraud@3.3.0", "--to", "../registry"), group="paths"),
    Case("option-new", "`new model -- -rf`", _nothing, (2,), ("not a valid",),
         args=("new", "model", "--", "-rf"), group="paths"),
    Case("shell-argument", "`show 'model:$(touch pwned)'`", _nothing, (2,), ("model",),
         args=("show", "model:$(touch ../pwned-show)"), group="paths", absent=("pwned-show",)),
    Case("option-path", "an entry folder named `-rf`", _copy("models/card-fraud/model.yaml", "models/-rf/model.yaml"),
         (1,), ("CH307", "models/-rf/model.yaml:1:1"), group="paths"),
    Case("shell-path", "an entry folder named `$(touch pwned)`",
         _copy("models/card-fraud/model.yaml", "models/$(touch pwned-path)/model.yaml"), (1,), ("CH307",),
         group="paths", absent=("pwned-path",)),
    Case("confusable-path", "a Cyrillic look-alike `c\\u0430rd-fraud` beside `card-fraud`",
         _copy("models/card-fraud/model.yaml", "models/c\u0430rd-fraud/model.yaml"), (1,), ("CH307", "CYRILLIC"),
         group="paths"),
    Case("confusable-name", "a look-alike name `c\\u0430rd-fraud` in metadata",
         _write(V, _version_doc().replace("name: card-fraud", "name: c\u0430rd-fraud")), (1,), ("CH204", f"{V}:4:"),
         group="paths"),
    Case("case-collision", "`models/Card-Fraud/` beside `models/card-fraud/`",
         _copy("models/card-fraud/model.yaml", "models/Card-Fraud/model.yaml"), (1,),
         ("CH308", "models/Card-Fraud/model.yaml:1:1", "models/card-fraud/model.yaml:1:1"), group="paths"),
    Case("case-collision-environment", "`environments/Production.yaml` beside `environments/production.yaml`",
         _copy("environments/production.yaml", "environments/Production.yaml"), (1,),
         ("CH308", "environments/Production.yaml:1:1"), group="paths"),
    # --- input to the evidence and insight commands ---------------------------------------------------------------
    Case("query-deep-nesting", "`search` with 50,000 nested parentheses", _nothing, (2,), ("nests deeper",),
         args=("search", "(" * 50_000 + "a" + ")" * 50_000), group="commands"),
    Case("query-huge-error", "`search` with a 120 kB query broken at its end (the error shows a window)",
         _nothing, (2,), ("never closed", "..."), args=("search", "a AND " * 20_000 + "(b"), group="commands"),
    Case("query-shell", "`search 'name = $(touch pwned)'`", _nothing, (0, 2), (),
         args=("search", "name = $(touch ../pwned-search)"), group="commands", absent=("pwned-search",)),
    Case("lineage-shell", "`lineage 'model:$(touch pwned)@1.0.0'`", _nothing, (2,), ("not a reference",),
         args=("lineage", "model:$(touch ../pwned-lineage)@1.0.0"), group="commands", absent=("pwned-lineage",)),
    Case("monitor-python-tag", "`monitor record` of a file with a `!!python/object/apply` tag",
         _write("record.yaml", "type: deployed\nreporter: x\n"
                               "details: !!python/object/apply:os.system ['touch ../pwned-monitor']\n"),
         (2,), ("record.yaml:3:", "custom tag"),
         args=("monitor", "record", "model:card-fraud@3.2.0", "--env", "production", "--file", "record.yaml"),
         group="commands", absent=("pwned-monitor",)),
    Case("evaluate-alias-bomb", "`evaluate record` of a results file that is an alias bomb",
         _write("results.yaml", _billion_laughs()), (2,), ("results.yaml:", "alias bomb"),
         args=("evaluate", "record", "model:card-fraud@3.2.0", "--cohort", "cohort:card-transactions-eval@1.0.0",
               "--results", "results.yaml"), group="commands"),
    Case("report-over-registry", "`report -o .` (the site would replace the registry)", _nothing, (2,),
         ("holds the registry",), args=("report", "-o", "."), group="commands"),
)


@dataclass(frozen=True)
class Outcome:
    code: int
    output: str
    seconds: float


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_case(case: Case, root: Path) -> Outcome:
    """Set the case up in `root` (a registry that may be changed) and run its command in a bounded child."""
    case.setup(root)
    exe = Path(sys.executable).parent / "charter"
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200"}
    started = time.perf_counter()
    done = subprocess.run([str(exe), *case.args], cwd=root, capture_output=True, text=True, env=env,
                          timeout=TIMEOUT, preexec_fn=_limit_memory, errors="replace")
    return Outcome(done.returncode, done.stdout + done.stderr, time.perf_counter() - started)
