"""Run the charter CLI, SIGKILLing itself at a named step: `python tests/crash_at.py STEP -- ARGS...`.

STEP is `module:attribute[.method]:before|after[:N]`: the process kills itself just before the function is called
or just after it returns, at its Nth call (the first by default: `os:replace:before:2` is the second rename).
This is test-only fault injection from outside: Charter itself has no crash hook, and the real function runs
unchanged; the kill is the harshest end a process can have (no finally, no atexit, no flush).

With CRASH_AT_RUN set to a shell command, that command runs (once) at the step instead of the kill: another person
acting on the same repository at exactly that moment, which makes a race deterministic.
"""

from __future__ import annotations

import functools
import importlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

_fired: list[bool] = []


def _kill() -> None:
    command = os.environ.get("CRASH_AT_RUN")
    if command is None:
        os.kill(os.getpid(), signal.SIGKILL)
    elif not _fired:
        _fired.append(True)
        subprocess.run(command, shell=True, check=True)


def arm(step: str) -> None:
    module_name, attribute, when, *nth = step.split(":")
    calls = [0]
    owner: Any = importlib.import_module(module_name)
    *parents, name = attribute.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        armed = calls[0] == int(nth[0] if nth else 1)
        if armed and when == "before":
            _kill()
        result = original(*args, **kwargs)
        if armed and when == "after":
            _kill()
        return result

    setattr(owner, name, crashing)


def main() -> None:
    step, separator, *args = sys.argv[1:]
    assert separator == "--", "usage: crash_at.py STEP -- ARGS..."
    arm(step)
    from charter.cli.app import main as charter_main

    sys.argv = ["charter", *args]
    charter_main()


if __name__ == "__main__":
    main()
