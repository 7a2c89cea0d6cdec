"""The one fatal-error type: a usage or environment problem that stops a command (exit code 2).

Problems *in* the registry are not errors but findings (`charter.registry.findings`); they are collected, not raised.
"""

from __future__ import annotations


class CharterError(Exception):
    """A problem that stops the command: bad usage, a missing registry, an unknown revision.

    `message` says what is wrong in one line; `hint` says what to do about it.
    """

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message
