"""Every message template is well formed and belongs to something that exists."""

from __future__ import annotations

import string

from charter import errors
from charter.registry.findings import CODES, MESSAGES


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_every_finding_message_belongs_to_a_catalogued_code() -> None:
    assert [key for key in MESSAGES if key.split(".", 1)[0] not in CODES] == []


def test_every_error_template_parses() -> None:
    for value in vars(errors).values():
        if isinstance(value, type) and issubclass(value, errors.CharterError):
            _fields(value.template)
            _fields(value.hint_template)
